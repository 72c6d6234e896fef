"""jxc token: API tokens from the server's console, for an integrator's first token without a browser.

    jxc token create --user NAME --label LABEL   prints the token once
    jxc token list [--user NAME]
    jxc token revoke ID
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from openjxc.core import tokens
from openjxc.core.auth import find_user
from openjxc.core.errors import DomainError
from openjxc.core.models import User


class Command(BaseCommand):
    help = "API tokens: create one for a user (shown once), list them, revoke one."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", metavar="{create,list,revoke}", required=True)
        create = actions.add_parser("create", help="create a token for a user and print it (shown only once)")
        create.add_argument("--user", required=True, metavar="NAME",
                            help="the user the token signs in as (COMPANY/NAME when the name is in several companies)")
        create.add_argument("--label", required=True, help="what the token is for, e.g. 'ERP integration'")
        create.add_argument("--quiet", action="store_true", help="print the token alone (for scripts)")
        listing = actions.add_parser("list", help="list tokens (newest first)")
        listing.add_argument("--user", metavar="NAME", help="one user's tokens only")
        revoke = actions.add_parser("revoke", help="revoke a token by its id: it stops working at once")
        revoke.add_argument("token_id", type=int, metavar="ID")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as err:
            raise CommandError(f"{err.code}: {err.render_message()}") from None

    def _user(self, name):
        """NAME, or COMPANY/NAME when several companies have a user of that name (names are per company)."""
        code, _slash, username = name.rpartition("/")
        user = find_user(username, code or None)
        if user is None:
            several = not code and User.objects.filter(username=username).count() > 1
            raise CommandError(f"Several users are named {name!r}: give COMPANY/{name}." if several
                               else f"No user named {name!r}.")
        return user

    def _create(self, *, user, label, quiet, **_options):
        token, raw = tokens.create_token(by=None, user=self._user(user), name=label)
        if quiet:
            self.stdout.write(raw)
            return
        self.stdout.write(f"API token {token.pk} for {token.user.username} ({token.name}):\n\n    {raw}\n")
        self.stdout.write("Shown only this once: store it now. Send it with each request as\n"
                          f"    Authorization: Bearer {raw[:12]}…\n"
                          f"Revoke it with: jxc token revoke {token.pk}")

    def _list(self, *, user=None, **_options):
        rows = tokens.tokens_of(user=self._user(user) if user else None)
        self.stdout.write(f"{'id':>5}  {'user':<20} {'label':<30} {'prefix':<13} {'created':<16} {'last used':<16} "
                          "revoked")
        for t in rows:
            self.stdout.write(f"{t.pk:>5}  {t.user.username:<20} {t.name[:30]:<30} {t.prefix + '…':<13} "
                              f"{_when(t.created_at):<16} {_when(t.last_used_at):<16} {_when(t.revoked_at)}")

    def _revoke(self, *, token_id, **_options):
        token = tokens.revoke_token(by=None, token_id=token_id)
        self.stdout.write(f"API token {token.pk} of {token.user.username} ({token.name}) revoked "
                          f"{_when(token.revoked_at)}.")


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"
