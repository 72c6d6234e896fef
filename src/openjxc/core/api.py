"""API tokens, the signed-in user, and users of the company (admins only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Path, Query, Router, Schema, Status

from openjxc.core import permissions, tokens
from openjxc.core import services as core
from openjxc.core.errors import NotFound
from openjxc.core.idempotency import issues_secret
from openjxc.core.models import User
from openjxc.core.schemas import MAX_ID, Id, Page, Paging, get_or_404, paginate, search_text, text

router = Router(tags=["core"])

RoleName = text(16, min_length=1)
Language = Literal["", "zh-hans", "en"]  # settings.LANGUAGES; "" follows the browser


# ---------------------------------------------------------------- tokens


class TokenIn(Schema):
    name: text(100, min_length=1)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="the raw token: shown this once, never again")


@router.post("/tokens", response={201: NewTokenOut}, summary="Create an API token (shown once)")
def create_token(request, payload: TokenIn):
    permissions.require(request.auth, "tokens.manage")
    token, raw = tokens.create_token(by=request.auth, name=payload.name)
    issues_secret(request)
    return Status(201, NewTokenOut(**TokenOut.from_orm(token).dict(), token=raw))


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def list_tokens(request):
    return tokens.tokens_of(user=request.auth)


@router.post("/tokens/{int:token_id}/revoke", response=TokenOut, summary="Revoke one of my tokens")
def revoke_token(request, token_id: int = Path(..., ge=1, le=MAX_ID)):
    return tokens.revoke_token(by=request.auth, token_id=token_id)


@router.delete("/tokens/{int:token_id}", response=TokenOut, summary="Revoke one of my tokens")
def delete_token(request, token_id: int = Path(..., ge=1, le=MAX_ID)):
    return tokens.revoke_token(by=request.auth, token_id=token_id)


# ---------------------------------------------------------------- me


class CompanyOut(Schema):
    id: int
    code: str
    name: str
    time_zone: str
    currency: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    language: str
    roles: list[str]
    company: CompanyOut | None
    warehouses: list[int] | None = Field(description="the warehouses the user is limited to; null: all")
    permissions: list[str]


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request):
    user = request.auth
    scope = permissions.scoped_warehouse_ids(user)
    return {
        "id": user.pk, "username": user.username, "display_name": user.display_name, "email": user.email,
        "language": user.language, "roles": list(user.roles or []), "company": user.company,
        "warehouses": sorted(scope) if scope is not None else None,
        "permissions": sorted(a for a in permissions.ACTIONS if permissions.allowed(user, a)),
    }


# ---------------------------------------------------------------- users (admins)


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    language: str
    roles: list[str]
    is_active: bool
    warehouses: list[int]
    superior: int | None = Field(None, alias="superior_id")

    @staticmethod
    def resolve_warehouses(obj):
        return sorted(w.pk for w in obj.warehouses.all())


class UserIn(Schema):
    username: text(150, min_length=1)
    password: str = Field(..., min_length=8, max_length=128)
    roles: list[RoleName] = Field(default_factory=list, max_length=10)
    display_name: text(100) = ""
    email: text(254) = ""
    language: Language = ""
    warehouses: list[Id] = Field(default_factory=list, max_length=500)
    superior: Id | None = None


class UserPatch(Schema):
    display_name: text(100) | None = None
    email: text(254) | None = None
    language: Language | None = None
    roles: list[RoleName] | None = Field(None, max_length=10)
    is_active: bool | None = None
    warehouses: list[Id] | None = Field(None, max_length=500)
    superior: Id | None = None


def _company_users(request):
    permissions.require(request.auth, "users.manage")
    return User.objects.filter(company_id=request.auth.company_id).prefetch_related("warehouses")


def _warehouses(request, ids):
    if ids is None:
        return None
    warehouse = User._meta.get_field("warehouses").related_model  # stock's Warehouse, not imported: core is below
    found = list(warehouse.objects.filter(company_id=request.auth.company_id, pk__in=ids))
    missing = set(ids) - {w.pk for w in found}
    if missing:
        raise NotFound("warehouse", min(missing))
    return found


class UserFilters(FilterSchema):
    q: Annotated[search_text(), FilterLookup(["username__icontains", "display_name__icontains"])] = Field(
        None, description="substring of the user name or display name")
    active: Annotated[bool | None, FilterLookup("is_active")] = None
    role: RoleName | None = None

    def filter_role(self, value) -> Q:
        # roles is a JSON list of plain names: the quoted name in its text is the same test on every database
        # (JSON containment is not available on SQLite)
        return Q(roles__icontains=f'"{value}"') if value else Q()


@router.get("/users", response=Page[UserOut], summary="Users of my company")
def list_users(request, page: Query[Paging], filters: Query[UserFilters]):
    return paginate(filters.filter(_company_users(request).order_by("username")), page)


@router.get("/users/{int:user_id}", response=UserOut)
def get_user(request, user_id: int = Path(..., ge=1, le=MAX_ID)):
    return get_or_404(_company_users(request), user_id, "user")


@router.post("/users", response={201: UserOut})
def create_user(request, payload: UserIn):
    users = _company_users(request)
    superior = get_or_404(users, payload.superior, "user") if payload.superior else None
    data = payload.dict(exclude={"warehouses", "superior"})
    user = core.create_user(by=request.auth, warehouses=_warehouses(request, payload.warehouses),
                            superior=superior, **data)
    return Status(201, user)


@router.patch("/users/{int:user_id}", response=UserOut)
def update_user(request, payload: UserPatch, user_id: int = Path(..., ge=1, le=MAX_ID)):
    users = _company_users(request)
    user = get_or_404(users, user_id, "user")
    changes = payload.dict(exclude_unset=True, exclude={"warehouses", "superior"})
    changes = {k: v for k, v in changes.items() if v is not None}
    if "superior" in payload.model_fields_set:
        changes["superior"] = get_or_404(users, payload.superior, "user") if payload.superior else None
    core.update_user(user, by=request.auth, warehouses=_warehouses(request, payload.warehouses), **changes)
    return get_or_404(users, user_id, "user")

