"""Who may sign in with a password (the web sign-in, a session): people, by company and user name.

User names are unique per company, not across the server (issue 14, finding 8): two companies may each have a
"wang", and one company cannot learn another's names. A person signs in with their company's code and their user
name (the sign-in page asks for the company when the server holds more than one and remembers it in a cookie).
Without a company code a name is found only when exactly one user on the server has it; an ambiguous name, an
unknown one and a wrong password all get the same answer after the same work (a password hash).

A terminal's user (role `terminal`, sync/terminals.py) has no usable password and authenticates only with its
terminal token on the sync endpoints; were a password ever set on it, this backend still refuses it, and a
session that names it is not restored (ModelBackend.get_user asks the same question)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from openjxc.core.models import User
from openjxc.core.permissions import is_person


def find_user(username: str | None, company_code: str | None = None) -> User | None:
    """The one user with this name (in the company with this code, when given), or None."""
    if not username:
        return None
    qs = User.objects.filter(username=username)
    code = (company_code or "").strip()
    if code:
        qs = qs.filter(company__code__iexact=code)
    found = list(qs.select_related("company")[:2])
    return found[0] if len(found) == 1 else None


class PeopleBackend(ModelBackend):
    """Django's model backend for people, by company + user name: active and not a terminal."""

    def authenticate(self, request, username=None, password=None, company=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = find_user(username, company)
        if user is None:
            User().set_password(password)  # as long as a wrong password: the answer tells nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and is_person(user)


def lockout_name(request, credentials: dict | None) -> str:
    """What django-axes counts failed sign-ins under (AXES_USERNAME_CALLABLE): company code / user name, so that
    one company's "wang" being guessed never locks out another company's "wang"."""
    credentials = credentials or {}
    data = getattr(request, "POST", {}) if request is not None else {}
    username = credentials.get("username") or data.get("username") or ""
    code = (credentials.get("company") or data.get("company") or "").strip()
    if not code:
        user = find_user(username)
        code = user.company.code if user is not None and user.company is not None else ""
    return f"{code.lower()}/{username}"
