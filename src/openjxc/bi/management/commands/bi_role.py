"""jxc bi-role create --company CODE [--name N] [--cost] | list | drop NAME: read-only BI database logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from openjxc.bi import roles
from openjxc.bi.dates import ensure_dates
from openjxc.core.errors import DomainError
from openjxc.core.models import Company


class Command(BaseCommand):
    help = "Read-only PostgreSQL logins for BI tools, one company each: create (password shown once), list, drop."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="a new login that sees one company through the bi views")
        create.add_argument("--company", metavar="CODE", required=True)
        create.add_argument("--name", help="role name (default bi_<company>_<random>)")
        create.add_argument("--cost", action="store_true", help="show cost columns (default: NULL)")
        sub.add_parser("list", help="the BI logins and their companies")
        drop = sub.add_parser("drop", help="drop a BI login")
        drop.add_argument("name")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as exc:
            raise CommandError(f"[{exc.code}] {exc.render_message()}") from None

    def _create(self, company, name=None, cost=False, **_):
        found = Company.objects.filter(code=company).first()
        if found is None:
            raise CommandError(f"No company with code {company!r}.")
        ensure_dates()
        role, password = roles.create_role(company=found, name=name, show_cost=cost)
        self.stdout.write(self.style.SUCCESS(f"created BI role {role} for {found.code}"
                                             f"{' (with costs)' if cost else ' (costs hidden)'}"))
        self.stdout.write(f"password: {password}")
        self.stdout.write("It is shown only this once: keep it in the BI tool's data source settings.")

    def _list(self, **_):
        found = roles.list_roles()
        for r in found:
            self.stdout.write(f"{r.name}\t{r.company_code}\t{'cost' if r.show_cost else 'no cost'}\t"
                              f"{r.created_at:%Y-%m-%d %H:%M}")
        if not found:
            self.stdout.write("no BI roles")

    def _drop(self, name, **_):
        roles.drop_role(name)
        self.stdout.write(self.style.SUCCESS(f"dropped BI role {name}"))
