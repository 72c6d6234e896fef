"""jxc period status|close|reopen: month-end closing (月末结账) and reopening (反结账) from the command line."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from openjxc.core.errors import DomainError
from openjxc.core.models import Company, User
from openjxc.stock import period_close, periods


def _month(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        raise CommandError(f"not a month (YYYY-MM): {value!r}") from None


class Command(BaseCommand):
    help = "Month-end closing: list the months (status), close one, or reopen the latest closed one."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "close", "reopen"])
        parser.add_argument("month", nargs="?", help="YYYY-MM (close, reopen)")
        parser.add_argument("--company", metavar="CODE", help="the company (default: the only one)")
        parser.add_argument("--user", metavar="USERNAME", help="who closes or reopens (its permissions apply)")
        parser.add_argument("--reason", default="", help="why a month is reopened (required for reopen)")

    def handle(self, *args, action, month=None, company=None, user=None, reason="", **options):
        comp = self._company(company)
        if action == "status":
            self._status(comp)
            return
        if not month:
            raise CommandError(f"`jxc period {action}` needs the month (YYYY-MM)")
        if not user:
            raise CommandError("--user is required: closing and reopening are recorded with who did it")
        by = User.objects.select_related("company").filter(company=comp, username=user, is_active=True).first()
        if by is None:
            raise CommandError(f"no active user {user!r} in company {comp.code}")
        try:
            if action == "close":
                period_close.close_period(by=by, month=_month(month))
            else:
                period_close.reopen_period(by=by, month=_month(month), reason=reason)
        except DomainError as exc:
            lines = [f"{exc.code}: {exc.render_message()}"]
            lines += [f"  - {b['label']}" for b in exc.data.get("blockers", [])]
            raise CommandError("\n".join(lines), returncode=1) from None
        self.stdout.write(self.style.SUCCESS(f"{month} {'closed' if action == 'close' else 'reopened'}"))
        self._status(comp, limit=3)

    def _company(self, code):
        if code:
            comp = Company.objects.filter(code=code).first()
            if comp is None:
                raise CommandError(f"No company with code {code!r}.")
            return comp
        companies = list(Company.objects.order_by("pk")[:2])
        if len(companies) != 1:
            raise CommandError("--company CODE is required when there is not exactly one company")
        return companies[0]

    def _status(self, comp, limit=None):
        end = periods.closed_through(comp)
        self.stdout.write(f"{comp.code}: closed through {end or '-'}")
        for m in period_close.months(comp)[:limit]:
            hint = " (can close)" if m.can_close else " (can reopen)" if m.can_reopen else ""
            blockers = ""
            if m.can_close:
                found = period_close.blockers(comp, m.month)
                blockers = f"; {len(found)} blocker(s): " + ", ".join(b.number for b in found[:5]) if found else ""
            self.stdout.write(f"  {m.label}  {m.status}{hint}{blockers}")
