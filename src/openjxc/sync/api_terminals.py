"""The terminal protocol over HTTP (docs/terminal-protocol.md) and the administrators' terminal endpoints.

Device endpoints authenticate with `Authorization: Bearer jxt_…` (the terminal's token); registration
with a one-time code needs no token. Administrator endpoints use the usual API authentication.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _
from ninja import Field, FilterSchema, Path, Query, Router, Schema, Status

from openjxc.core import clock, permissions
from openjxc.core.api_auth import api_auth
from openjxc.core.errors import DomainError
from openjxc.core.idempotency import issues_secret
from openjxc.core.schemas import MAX_ID, Id, text
from openjxc.sync import protocol, terminals
from openjxc.sync.models import Terminal, TerminalOperation

router = Router(tags=["terminals"])


def _unavailable() -> DomainError:
    return DomainError("server.unavailable", _("The server's database is unavailable; try again later."),
                       http_status=503)


def terminal_auth(request):
    """`Authorization: Bearer jxt_…`: the request comes from that (active) terminal."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer " + terminals.TOKEN_PREFIX):
        return None
    try:
        terminal = terminals.terminal_for_token(header[7:].strip())
    except DatabaseError:
        raise _unavailable() from None
    if terminal is not None:
        request.terminal = terminal
    return terminal


# ---------------------------------------------------------------- schemas


class TerminalOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    warehouse_id: int
    warehouse_code: str = Field(..., alias="warehouse.code")
    warehouse_name: str = Field(..., alias="warehouse.name")
    company_name: str = Field(..., alias="company.name", description="for the header of a till's receipt")
    customer_id: int | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_contact_at: dt.datetime | None
    last_push_at: dt.datetime | None
    last_pull_at: dt.datetime | None
    pull_cursor: str
    backlog_count: int
    backlog_oldest_at: dt.datetime | None
    accepted_count: int
    refused_count: int
    negative_count: int
    clock_skew_seconds: float | None
    problems: list[str] = []

    @staticmethod
    def resolve_problems(obj):
        return terminals.health(obj)


class NewTerminalOut(TerminalOut):
    token: str = Field(description="the terminal's token: shown this once, never again")
    server_time: dt.datetime


class TerminalIn(Schema):
    code: text(32, min_length=1)
    name: text(100) = ""
    kind: Literal["pos", "pda"]
    warehouse: Id | text(32, min_length=1)
    customer: Id | text(64, min_length=1) | None = Field(None, description="the walk-in customer (POS)")


class CodeIn(Schema):
    kind: Literal["pos", "pda"]
    warehouse: Id | text(32, min_length=1)
    customer: Id | text(64, min_length=1) | None = None


class CodeOut(Schema):
    code: str = Field(description="the one-time registration code: shown this once")
    kind: str
    warehouse_id: int
    expires_at: dt.datetime


class RegisterIn(Schema):
    registration_code: text(64, min_length=1)
    code: text(32) = Field("", description="empty: the next free code of the kind (POS1, POS2 …)")
    name: text(100) = ""


class SettingsIn(Schema):
    silent_minutes: int | None = Field(None, ge=1, le=10**7)
    backlog_minutes: int | None = Field(None, ge=1, le=10**7)
    skew_seconds: int | None = Field(None, ge=1, le=10**7)
    review_days: int | None = Field(None, ge=1, le=3660, description="older operations wait for a manager")
    max_line_quantity: int | None = Field(None, ge=1, le=10**9)
    quantity_decimals: int | None = Field(None, ge=0, le=4)


class SettingsOut(Schema):
    silent_minutes: int
    backlog_minutes: int
    skew_seconds: int
    review_days: int
    max_line_quantity: int
    quantity_decimals: int


class BacklogIn(Schema):
    count: int = Field(0, ge=0, le=10**9)
    oldest_at: dt.datetime | None = None


class TerminalPushIn(Schema):
    client_time: dt.datetime | None = Field(None, description="the device clock when it sent the batch")
    backlog: BacklogIn | None = None
    ops: list[dict[str, Any]] = Field(..., max_length=protocol.MAX_BATCH)


class PushOut(Schema):
    server_time: str
    clock_skew_seconds: float | None
    clock_skewed: bool
    results: list[dict[str, Any]]


class HeartbeatIn(Schema):
    client_time: dt.datetime | None = None
    backlog: BacklogIn | None = None
    client_version: text(64) = ""


class OperationOut(Schema):
    id: int
    op_id: str
    seq: int | None
    type: str
    status: str
    result: dict
    is_negative: bool
    device_at: dt.datetime | None
    received_at: dt.datetime


def _backlog(b: BacklogIn | None) -> dict | None:
    return None if b is None else {"count": b.count, "oldest_at": b.oldest_at}


def _company_terminal(request, terminal_id: int) -> Terminal:
    permissions.require(request.auth, "users.manage")
    terminal = Terminal.objects.select_related("warehouse").filter(pk=terminal_id, company_id=request.auth.company_id).first()
    if terminal is None:
        from openjxc.core.errors import NotFound

        raise NotFound("terminal", terminal_id)
    return terminal


# ---------------------------------------------------------------- administrators


@router.get("/terminals", response=list[TerminalOut], auth=[api_auth], summary="Every terminal of the company")
def list_terminals(request):
    permissions.require(request.auth, "users.manage")
    return Terminal.objects.filter(company_id=request.auth.company_id).select_related("warehouse").order_by("code")


@router.post("/terminals", response={201: NewTerminalOut}, auth=[api_auth], summary="Register a terminal (admin)")
def create_terminal(request, payload: TerminalIn):
    terminal, raw = terminals.register_terminal(by=request.auth, code=payload.code, name=payload.name,
                                                kind=payload.kind, warehouse=payload.warehouse,
                                                customer=payload.customer)
    issues_secret(request)
    terminal.token, terminal.server_time = raw, clock.now()
    return Status(201, terminal)


@router.get("/terminals/{int:terminal_id}", response=TerminalOut, auth=[api_auth], summary="One terminal")
def get_terminal(request, terminal_id: int = Path(..., ge=1, le=MAX_ID)):
    return _company_terminal(request, terminal_id)


class OperationFilters(FilterSchema):
    status: Literal["accepted", "refused", "held"] | None = None


@router.get("/terminals/{int:terminal_id}/operations", response=list[OperationOut], auth=[api_auth],
            summary="A terminal's operations, newest first (status=refused: the review queue)")
def terminal_operations(request, filters: Query[OperationFilters], terminal_id: int = Path(..., ge=1, le=MAX_ID),
                        limit: int = Query(100, ge=1, le=500)):
    terminal = _company_terminal(request, terminal_id)
    return list(filters.filter(TerminalOperation.objects.filter(terminal=terminal)).order_by("-id")[:limit])


@router.post("/terminals/{int:terminal_id}/revoke", response=TerminalOut, auth=[api_auth], summary="Revoke a terminal")
def revoke_terminal(request, terminal_id: int = Path(..., ge=1, le=MAX_ID)):
    return terminals.revoke_terminal(by=request.auth, terminal_id=terminal_id)


@router.post("/registration-codes", response={201: CodeOut}, auth=[api_auth],
             summary="A one-time code with which a device registers itself")
def create_code(request, payload: CodeIn):
    rc, raw = terminals.create_registration_code(by=request.auth, kind=payload.kind, warehouse=payload.warehouse,
                                                 customer=payload.customer)
    issues_secret(request)
    return Status(201, {"code": raw, "kind": rc.kind, "warehouse_id": rc.warehouse_id, "expires_at": rc.expires_at})


@router.get("/settings", response=SettingsOut, auth=[api_auth], summary="Terminal alert thresholds")
def get_settings(request):
    permissions.require(request.auth, "users.manage")
    return terminals.terminal_settings(request.auth.company_id)


@router.put("/settings", response=SettingsOut, auth=[api_auth], summary="Change terminal alert thresholds")
def put_settings(request, payload: SettingsIn):
    return terminals.set_terminal_settings(by=request.auth, **payload.dict())


# ---------------------------------------------------------------- devices


@router.post("/register", response={201: NewTerminalOut}, auth=None,
             summary="A device registers itself with a one-time code; answers its id and token")
def register(request, payload: RegisterIn):
    try:
        terminal, raw = terminals.register_terminal(code=payload.code, name=payload.name,
                                                    registration_code=payload.registration_code)
    except DatabaseError:
        raise _unavailable() from None
    issues_secret(request)
    terminal.token, terminal.server_time = raw, clock.now()
    return Status(201, terminal)


@router.post("/push", response=PushOut, auth=[terminal_auth],
             summary="Upload a batch of operations; each is answered accepted, held, duplicate, refused or retry")
def push(request, payload: TerminalPushIn):
    try:
        return protocol.push(request.auth, ops=payload.ops, client_time=payload.client_time,
                             backlog=_backlog(payload.backlog))
    except DatabaseError:
        raise _unavailable() from None


@router.post("/heartbeat", response=TerminalOut, auth=[terminal_auth],
             summary="Report the device clock and outbox; answers the terminal as the server sees it")
def heartbeat(request, payload: HeartbeatIn):
    terminal = request.auth
    try:
        protocol.report_contact(terminal, client_time=payload.client_time, backlog=_backlog(payload.backlog))
        if payload.client_version and payload.client_version != terminal.client_version:
            Terminal.objects.filter(pk=terminal.pk).update(client_version=payload.client_version)
        terminal.refresh_from_db()
    except DatabaseError:
        raise _unavailable() from None
    return terminal


@router.get("/catalogue", auth=[terminal_auth],
            summary="Active items with barcodes and prices, by id pages (after=last id); for the local cache")
def catalogue(request, after: int = Query(0, ge=0, le=MAX_ID), limit: int = Query(500, ge=1, le=2000)):
    from openjxc.sync import pull

    try:
        return pull.catalogue_page(request.auth, after=after, limit=limit)
    except DatabaseError:
        raise _unavailable() from None


@router.get("/pull", auth=[terminal_auth], summary="The change feed for this terminal after a cursor")
def pull_changes(request, cursor: text(64) = "", limit: int = Query(500, ge=1, le=500)):
    from openjxc.sync import pull

    try:
        return pull.pull(request.auth, cursor=cursor, limit=limit)
    except DatabaseError:
        raise _unavailable() from None


from openjxc.sync import api_browser, api_reviews  # noqa: E402,F401 - their endpoints live on this router
