"""Companies and users."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.errors import Conflict, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Company, Role, User

# what every new company gets from the apps above core (stock: its virtual locations and in-transit warehouse),
# registered from their AppConfig.ready and run in the creating transaction
COMPANY_SETUP: list[Callable[[Company], None]] = []


def on_company_created(setup: Callable[[Company], None]) -> None:
    """Run `setup(company)` for every company created from now on (in its creating transaction)."""
    if setup not in COMPANY_SETUP:
        COMPANY_SETUP.append(setup)


@transaction.atomic
def create_company(*, code: str, name: str, time_zone: str = "Asia/Shanghai", by: User | None = None) -> Company:
    """Create a company with what the other apps give every company (its virtual locations, in-transit
    warehouse)."""
    code = (code or "").strip()
    if not code or not name:
        raise ValidationFailed(field="code", reason=_("and name are required"))
    if Company.objects.filter(code=code).exists():
        raise Conflict("company.code_taken", _("Company code %(code)s is already taken."), code=code)
    company = Company.objects.create(code=code, name=name, time_zone=time_zone)
    for setup in COMPANY_SETUP:
        setup(company)
    record_event(company=company, topic="company.created", by=by, obj=company, payload={"code": code, "name": name})
    record_audit(company=company, action="create", obj=company, by=by,
                 after={"code": code, "name": name, "time_zone": time_zone})
    return company


VALID_ROLES = {r.value for r in Role}
# what an administrator may give a person: the terminal role belongs to terminals' own users (sync/terminals.py)
PERSON_ROLES = VALID_ROLES - {Role.TERMINAL.value}


def _refuse_terminal_user(user: User) -> None:
    """A terminal's user is changed through its terminal (revoke it), never as a person: no password, no roles."""
    if not permissions.is_person(user):
        raise Conflict("user.is_terminal", _("%(username)s is a terminal's user: manage it on the terminals page."),
                       username=user.username)


@transaction.atomic
def create_user(*, by: User | None, username: str, password: str, roles: list[str], company=None, display_name: str = "",
                email: str = "", warehouses=(), language: str = "", superior=None) -> User:
    """Create a user in `by`'s company (or `company` when bootstrapping with by=None)."""
    if by is not None:
        permissions.require(by, "users.manage")
        company = by.company
    bad = [r for r in roles if r not in (VALID_ROLES if by is None else PERSON_ROLES)]
    if bad:
        raise ValidationFailed(field="roles", reason=_("contains unknown roles: %(roles)s") % {"roles": ", ".join(bad)})
    if by is not None:
        _check_new_user(username, password)
    # unique within the company: a name taken in another company is free here, and its answer tells nothing
    if not username or User.objects.filter(username=username, company=company).exists():
        raise Conflict("user.username_taken", _("User name %(username)s is already taken."), username=username)
    user = User(username=username, company=company, roles=list(roles), display_name=display_name, email=email,
                language=language, superior=superior)
    user.set_password(password)
    user.save()
    if warehouses:
        user.warehouses.set(warehouses)
    record_event(company=company, topic="user.created", by=by, obj=user, payload={"username": username, "roles": roles})
    record_audit(company=company, action="create", obj=user, by=by, after={"username": username, "roles": roles})
    return user


# the user names of terminals (sync/terminals.py): terminal.<company code>.<terminal code>, made by the system only,
# so that no company's administrator can take the name another company's till will need
TERMINAL_USER_PREFIX = "terminal."


def _check_new_user(username: str, password: str) -> None:
    """What an administrator (web form or API) may create: not a terminal's name, a password Django's rules
    accept (AUTH_PASSWORD_VALIDATORS, the same as the web form and a password reset)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if username.lower().startswith(TERMINAL_USER_PREFIX):
        raise ValidationFailed(field="username",
                               reason=_("must not start with “terminal.”: those names belong to terminals"))
    try:
        validate_password(password, User(username=username))
    except ValidationError as exc:
        raise ValidationFailed(field="password", reason=" ".join(exc.messages)) from None


USER_FIELDS = ["display_name", "email", "roles", "language", "is_active", "superior"]


def _other_admin(user: User) -> bool:
    """Another active administrator of the same company (roles are a JSON list: checked in Python)."""
    return any(
        Role.ADMIN in (u.roles or [])
        for u in User.objects.filter(company_id=permissions.company_id_of(user), is_active=True).exclude(pk=user.pk)
    )


@transaction.atomic
def update_user(user: User, *, by: User, warehouses=None, **changes) -> User:
    """Change a user of `by`'s company: roles, names, scoped warehouses; deactivate with is_active=False."""
    permissions.require(by, "users.manage")
    permissions.require_company(by, user.company_id)
    _refuse_terminal_user(user)
    bad = [r for r in changes.get("roles") or [] if r not in PERSON_ROLES]
    if bad:
        raise ValidationFailed(field="roles", reason=_("contains unknown roles: %(roles)s") % {"roles": ", ".join(bad)})
    if user.pk == by.pk and changes.get("is_active") is False:
        raise ValidationFailed(field="is_active", reason=_("you cannot deactivate yourself"))
    loses_admin = Role.ADMIN in (user.roles or []) and (
        changes.get("is_active") is False or ("roles" in changes and Role.ADMIN not in (changes["roles"] or []))
    )
    # the company-wide rule first: it is the one that matters when the last administrator tries it
    if loses_admin and not _other_admin(user):
        raise Conflict("user.last_admin", _("The company needs at least one active administrator."))
    if user.pk == by.pk and "roles" in changes and Role.ADMIN in (user.roles or []) \
            and Role.ADMIN not in (changes["roles"] or []):
        raise ValidationFailed(field="roles", reason=_("you cannot take the administrator role from yourself"))
    before = {f: str(getattr(user, f)) for f in USER_FIELDS}
    for key, value in changes.items():
        if key in USER_FIELDS:
            setattr(user, key, list(value) if key == "roles" else value)
    user.save()
    if warehouses is not None:
        user.warehouses.set(warehouses)
    after = {f: str(getattr(user, f)) for f in USER_FIELDS}
    record_event(company=user.company_id, topic="user.updated", by=by, obj=user, payload=after)
    record_audit(company=user.company_id, action="update", obj=user, by=by, before=before, after=after)
    return user


@transaction.atomic
def reset_password(user: User, *, by: User, password: str) -> User:
    """An administrator sets a new password for a user of the company (Django's password rules apply)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    permissions.require(by, "users.manage")
    permissions.require_company(by, user.company_id)
    _refuse_terminal_user(user)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(field="password", reason=" ".join(exc.messages)) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    record_event(company=user.company_id, topic="user.password_reset", by=by, obj=user, payload={"username": user.username})
    record_audit(company=user.company_id, action="update", obj=user, by=by, after={"password": "reset"})
    return user
