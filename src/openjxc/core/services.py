"""Companies and users."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.errors import Conflict, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Company, Role, User


@transaction.atomic
def create_company(*, code: str, name: str, time_zone: str = "Asia/Shanghai", by=None) -> Company:
    """Create a company with its virtual locations and in-transit warehouse."""
    from openjxc.stock.locations import ensure_company_locations

    code = (code or "").strip()
    if not code or not name:
        raise ValidationFailed(field="code", reason=_("and name are required"))
    if Company.objects.filter(code=code).exists():
        raise Conflict("company.code_taken", _("Company code %(code)s is already taken."), code=code)
    company = Company.objects.create(code=code, name=name, time_zone=time_zone)
    ensure_company_locations(company)
    record_event(company=company, topic="company.created", by=by, obj=company, payload={"code": code, "name": name})
    return company


VALID_ROLES = {r.value for r in Role}


@transaction.atomic
def create_user(*, by, username: str, password: str, roles: list[str], company=None, display_name: str = "",
                email: str = "", warehouses=(), language: str = "", superior=None) -> User:
    """Create a user in `by`'s company (or `company` when bootstrapping with by=None)."""
    if by is not None:
        permissions.require(by, "users.manage")
        company = by.company
    bad = [r for r in roles if r not in VALID_ROLES]
    if bad:
        raise ValidationFailed(field="roles", reason=_("contains unknown roles: %(roles)s") % {"roles": ", ".join(bad)})
    if not username or User.objects.filter(username=username).exists():
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
