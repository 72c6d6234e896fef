"""API tokens: created once and shown once, stored hashed, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock, permissions
from openjxc.core import sql as sql_kit
from openjxc.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import ApiToken, Company, User

TOKEN_PREFIX = "jxc_"
# last_used_at is written at most this often per token: a busy till costs one UPDATE a minute, not one a request
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_token(*, by: User | None, name: str, user: User | None = None) -> tuple[ApiToken, str]:
    """Create a token for `user` (default: `by`); return it with the raw secret, which is never stored.

    `by=None` is the server's console (`jxc token create`): whoever runs it already holds the database, so it
    may give any active user of a company a first token. Signed in, people create tokens for themselves."""
    owner = _owner(by, user)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError("token.name_invalid", _("A token needs a name of 1 to 100 characters."), http_status=422)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=owner, name=name, prefix=raw[:12], key_hash=_hash(raw))
    facts = {"user": owner.username, "name": name, "prefix": token.prefix}
    record_event(company=owner.company_id, topic="token.created", by=by, obj=token, payload=facts)
    record_audit(company=owner.company_id, action="create", obj=token, by=by, after=facts)
    return token, raw


@transaction.atomic
def revoke_token(*, by: User | None, token_id: int) -> ApiToken:
    """Revoke one of `by`'s own tokens, or any token from the console (`by=None`); it stops working at once."""
    token = ApiToken.objects.select_for_update().select_related("user").filter(pk=token_id).first()
    if token is None or (by is not None and token.user_id != by.pk):
        raise NotFound("token", token_id)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        facts = {"user": token.user.username, "name": token.name, "prefix": token.prefix}
        record_event(company=token.user.company_id, topic="token.revoked", by=by, obj=token, payload=facts)
        record_audit(company=token.user.company_id, action="revoke", obj=token, by=by,
                     before={"revoked_at": None}, after={"revoked_at": token.revoked_at.isoformat(), **facts})
    return token


def tokens_of(*, user: User | None = None):
    """Tokens, newest first: one user's, or every user's (the console's list)."""
    qs = ApiToken.objects.select_related("user").order_by("-id")
    return qs.filter(user=user) if user is not None else qs


def _owner(by: User | None, user: User | None) -> User:
    owner = user if user is not None else by
    if owner is None:
        raise ValidationFailed(field="user", reason=_("is required"))
    if by is not None and owner.pk != by.pk:
        raise PermissionDenied(action=_("create an API token for someone else"))
    if not permissions.is_person(owner):  # a terminal has its own token (sync/terminals.py), never an API token
        raise DomainError("token.terminal_user", _("%(user)s is a terminal's user: it cannot have an API token."),
                          user=owner.username, http_status=422)
    if not owner.is_active or owner.company_id is None:
        raise DomainError("token.user_inactive", _("%(user)s is not an active user of a company."),
                          user=owner.username, http_status=422)
    return owner


# vendor -> (the statement, the token's and the user's column counts): the same for every request of the process
_token_sql: dict[str, tuple[str, int, int]] = {}


def _token_statement() -> tuple[str, int, int]:
    """The token with its user, the user's company and warehouse scope, in one statement.

    The company: nearly every API call needs it (permissions.company_of). The scope: what
    permissions.scoped_warehouse_ids would read in a statement of its own (`GET /api/me`, every list an API
    user limited to some warehouses asks for). Written once, not compiled by the ORM per request (its compiler
    was ~45 % of `GET /api/me`'s CPU)."""
    vendor = connection.vendor
    found = _token_sql.get(vendor)
    if found is None:
        q = connection.ops.quote_name
        # the users' side of the warehouses' `users` link (stock declares it; core reads it by name only)
        users_field: Any = User._meta.get_field("warehouses")
        link = users_field.remote_field
        through = link.remote_field.through._meta.db_table
        ids = f"w.{q(link.m2m_column_name())}"
        agg = f"group_concat({ids})" if vendor == "sqlite" else f"string_agg({ids}::text, ',')"
        t_cols, n = sql_kit.columns_of(ApiToken, "t")
        u_cols, m = sql_kit.columns_of(User, "u")
        c_cols, _k = sql_kit.columns_of(Company, "c")
        fields: list[tuple[str, Any]] = [(name, model._meta.get_field(name)) for model, name in (
            (ApiToken, "user"), (ApiToken, "key_hash"), (ApiToken, "revoked_at"), (User, "company"))]
        col = {name: q(f.column) for name, f in fields}
        pks: list[Any] = [User._meta.pk, Company._meta.pk]
        user_pk, company_pk = (q(pk.column) for pk in pks)
        sql = (
            f"SELECT {t_cols}, {u_cols}, {c_cols}, (SELECT {agg} FROM {q(through)} w "
            f"WHERE w.{q(link.m2m_reverse_name())} = u.{user_pk}) "
            f"FROM {q(ApiToken._meta.db_table)} t JOIN {q(User._meta.db_table)} u ON u.{user_pk} = t.{col['user']} "
            f"LEFT JOIN {q(Company._meta.db_table)} c ON c.{company_pk} = u.{col['company']} "
            f"WHERE t.{col['key_hash']} = %s AND t.{col['revoked_at']} IS NULL")
        found = _token_sql[vendor] = (sql, n, m)
    return found


def user_for_token(raw: str):
    """The active user a raw token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    sql, n, m = _token_statement()
    with connection.cursor() as cur:
        cur.execute(sql, [_hash(raw)])
        row = cur.fetchone()
    if row is None:
        return None
    token = sql_kit.object_from(ApiToken, row[:n])
    user = sql_kit.object_from(User, row[n:n + m])
    if not user.is_active or not permissions.is_person(user):
        return None
    User._meta.get_field("company").set_cached_value(user, sql_kit.object_from(Company, row[n + m:-1]))
    ApiToken._meta.get_field("user").set_cached_value(token, user)
    if not user.is_superuser:  # what permissions.scoped_warehouse_ids reads: no link = every warehouse
        user._jxc_warehouse_ids = {int(i) for i in row[-1].split(",")} if row[-1] else None
    _touch(token)
    return user


def _touch(token: ApiToken) -> None:
    """Record that the token was used, at most once per LAST_USED_RESOLUTION.

    The row just read says whether it is due, so most requests write nothing. The UPDATE repeats the
    test in its WHERE: concurrent requests (other threads, other app servers) write it once between them.
    """
    now = clock.now()
    cutoff = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at >= cutoff:
        return
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=cutoff), pk=token.pk).update(
        last_used_at=now
    )
    token.last_used_at = now


class ApiTokenMiddleware:
    """`Authorization: Bearer jxc_…` signs the request in as the token's user (no session, no CSRF)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            user = user_for_token(header[7:].strip())
            if user is not None:
                request.user = user
                request.auth_via_token = True
                request._dont_enforce_csrf_checks = True
            else:
                request.auth_via_token = False
                request.bad_token = True
        return self.get_response(request)
