"""jxc init: create/migrate the database, collect static files, create a company and its administrator
(a new company is set up from an industry preset: its approval flows, alert rules and settings)."""

from __future__ import annotations

import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from openjxc.core import services
from openjxc.core.errors import DomainError
from openjxc.core.management.commands._setup import collect_static, migrate, static_needed
from openjxc.core.models import Company, Role, User
from openjxc.presets import format as preset_format
from openjxc.presets.install import install_preset

DEFAULT_PASSWORD = "admin12345"  # for the local demo only; `init` says so loudly


class Command(BaseCommand):
    help = "Create or migrate the database and create a company with its administrator (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--company-code", default="MAIN", help="code of the company (default MAIN)")
        parser.add_argument("--company-name", default="我的公司", help="name of the company (default 我的公司)")
        parser.add_argument("--username", default="admin", help="administrator's user name (default admin)")
        parser.add_argument(
            "--password",
            help=f"administrator's password (default: $JXC_ADMIN_PASSWORD, else {DEFAULT_PASSWORD!r})",
        )
        parser.add_argument("--time-zone", default=None, help="company time zone (default JXC_TIME_ZONE)")
        parser.add_argument("--preset", default="general", choices=preset_format.builtin_names(),
                            help="industry preset a new company is set up from (default general; "
                                 "`jxc preset list` describes them)")

    def handle(self, *args, company_code, company_name, username, password, time_zone, preset, **options):
        from django.conf import settings

        changed = []
        applied = migrate()
        if applied:
            changed.append(f"applied {applied} database migration(s)")
        if static_needed() and collect_static():
            changed.append("collected static files")

        password_given = password or os.environ.get("JXC_ADMIN_PASSWORD") or ""
        if password_given:
            try:
                validate_password(password_given)
            except ValidationError as exc:
                raise CommandError("The administrator password is too weak: " + " ".join(exc.messages)) from None

        with transaction.atomic():
            company = Company.objects.filter(code=company_code).first()
            company_created = company is None
            if company is None:
                try:
                    company = services.create_company(
                        code=company_code, name=company_name, time_zone=time_zone or settings.JXC_TIME_ZONE
                    )
                except DomainError as exc:
                    raise CommandError(exc.render_message()) from None
                changed.append(f"created company {company.code} {company.name}")
            user = User.objects.filter(username=username, company=company).first()  # names are per company
            if user is None:
                user = services.create_user(
                    by=None, company=company, username=username, password=password_given or DEFAULT_PASSWORD,
                    roles=[Role.ADMIN], display_name=str(Role.ADMIN.label),
                )
                changed.append(f"created administrator {username}")
                created_user = True
            else:
                created_user = False
            if company_created and user.company_id == company.pk:
                # what a company set up for real starts with (as `jxc demo` and `jxc preset install` do)
                try:
                    installed = install_preset(preset_format.load(preset), by=user)
                except DomainError as exc:
                    raise CommandError(exc.render_message()) from None
                changed.append(f"installed preset {preset}: {len(installed.flows)} approval flow(s) and "
                               f"{len(installed.rules)} alert rule(s)")

        if not changed:
            self.stdout.write(
                f"Nothing to do: the database is up to date, company {company.code} and user {username} exist."
            )
            return
        for line in changed:
            self.stdout.write(self.style.SUCCESS(f"- {line}"))
        if created_user:
            self.stdout.write("")
            self.stdout.write(f"  company : {company.code} {company.name}")
            self.stdout.write(f"  user    : {username}")
            if password_given:
                self.stdout.write("  password: (the one you gave)")
            else:
                self.stdout.write(self.style.WARNING(f"  password: {DEFAULT_PASSWORD}"))
                self.stdout.write(self.style.WARNING(
                    "  WARNING: this is the default demo password. Change it before real use "
                    "(or run init with --password / JXC_ADMIN_PASSWORD)."
                ))
