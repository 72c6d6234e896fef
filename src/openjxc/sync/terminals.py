"""Terminals (store POS, warehouse PDA): registration, tokens, revocation, settings and health alerts.

A terminal authenticates with `Authorization: Terminal <token>`; only the token's SHA-256 is stored.
It acts through its own user (unusable password, scoped to its warehouse), so the documents and
events it causes name it. Health is judged from what the terminal last reported and when it last
called: silent too long, backlog too old, clock too far off, operations refused — each raised as an
event once (`terminal.silent`, `terminal.backlog_old`, `terminal.clock_skew`, `terminal.refused`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock, permissions
from openjxc.core import services as core_services
from openjxc.core.company_settings import save_settings
from openjxc.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Company, Role
from openjxc.core.sql import columns_of, object_from
from openjxc.partners.models import Partner
from openjxc.stock.models import Location, Warehouse, WarehouseKind
from openjxc.sync.models import OpStatus, RegistrationCode, Terminal, TerminalKind, TerminalOperation

TOKEN_PREFIX = "jxt_"
CODE_TTL = dt.timedelta(days=7)
# last_contact_at is written at most this often outside pushes (pull, status): one UPDATE a minute, not one a call
CONTACT_RESOLUTION = dt.timedelta(seconds=30)

# Company.settings["terminals"] keys and their defaults
DEFAULTS = {
    "silent_minutes": 60,  # no contact for longer → terminal.silent
    "backlog_minutes": 30,  # oldest queued operation older than this → terminal.backlog_old
    "skew_seconds": 300,  # |device clock − server clock| beyond this → flagged, terminal.clock_skew
    # an operation whose business date is more than this many days before today waits for a manager (sync/review.py)
    "review_days": 7,
    # what one line of a till or PDA operation may carry (a mistyped 1e11 is refused, not posted)
    "max_line_quantity": 1000000,
    "quantity_decimals": 4,  # at most this many decimal places (the ledger keeps 4)
}
# the range each setting may take
BOUNDS = {key: (1, 10**7) for key in DEFAULTS} | {"review_days": (1, 3660), "quantity_decimals": (0, 4),
                                                  "max_line_quantity": (1, 10**9)}


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def terminal_settings(company) -> dict:
    """The company's terminal thresholds (Company.settings["terminals"]) with defaults filled in."""
    company = company if isinstance(company, Company) else Company.objects.get(pk=company)
    stored = (company.settings or {}).get("terminals") or {}
    return {k: int(stored.get(k, v)) for k, v in DEFAULTS.items()}


@transaction.atomic
def set_terminal_settings(*, by, **values) -> dict:
    """Change the company's terminal thresholds (administrators)."""
    permissions.require(by, "users.manage")
    company = Company.objects.select_for_update().get(pk=by.company_id)
    before = terminal_settings(company)
    after = dict(before)
    for key, value in values.items():
        if value is None:
            continue
        if key not in DEFAULTS:
            raise ValidationFailed(field=key, reason=_("is not a terminal setting"))
        low, high = BOUNDS[key]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValidationFailed(field=key, reason=_("must be a whole number from %(low)s to %(high)s")
                                   % {"low": low, "high": high})
        after[key] = value
    save_settings(company, by=by, changes={"terminals": after}, before={"terminals": before})
    return after


# ---------------------------------------------------------------- registration


def _check_target(company_id, *, kind: str, warehouse, customer):
    if kind not in TerminalKind.values:
        raise ValidationFailed(field="kind", reason=_("must be pos or pda"))
    wh = warehouse if isinstance(warehouse, Warehouse) else (
        Warehouse.objects.filter(company_id=company_id, **({"pk": warehouse} if isinstance(warehouse, int)
                                                         else {"code": warehouse})).first()
    )
    if wh is None or wh.company_id != company_id:
        raise NotFound("warehouse", getattr(warehouse, "pk", warehouse))
    if not wh.is_active or wh.kind == WarehouseKind.TRANSIT:
        raise ValidationFailed(field="warehouse", reason=_("is not an active warehouse or store"))
    if kind == TerminalKind.POS and wh.kind != WarehouseKind.STORE:
        raise ValidationFailed(field="warehouse", reason=_("must be a store for a POS terminal"))
    partner = None
    if customer is not None:
        partner = customer if isinstance(customer, Partner) else Partner.objects.filter(
            company_id=company_id, **({"pk": customer} if isinstance(customer, int) else {"code": customer})
        ).first()
        if partner is None or partner.company_id != company_id:
            raise NotFound("partner", getattr(customer, "pk", customer))
        if not partner.plays("customer") or not partner.is_active:
            raise ValidationFailed(field="customer", reason=_("must be an active customer"))
    elif kind == TerminalKind.POS:
        raise ValidationFailed(field="customer", reason=_("is required for a POS terminal (the walk-in customer)"))
    return wh, partner


def create_registration_code(*, by, kind: str, warehouse, customer=None,
                             known: str | None = None) -> tuple[RegistrationCode, str]:
    """A one-time code (valid 7 days) with which a device registers itself for `warehouse`; shown once.

    `known` gives the code instead of a random one: the demo company's, printed in the README."""
    permissions.require(by, "users.manage")
    wh, partner = _check_target(by.company_id, kind=kind, warehouse=warehouse, customer=customer)
    raw = known or "-".join(secrets.token_hex(3).upper() for _n in range(3))
    now = clock.now()
    with transaction.atomic():
        rc = RegistrationCode.objects.create(
            company_id=by.company_id, code_hash=_hash(raw), kind=kind, warehouse=wh, customer=partner,
            created_by=by, created_at=now, expires_at=now + CODE_TTL,
        )
        record_event(company=by.company_id, topic="terminal.code_created", by=by, obj=rc,
                     payload={"kind": kind, "warehouse": wh.pk, "expires_at": rc.expires_at.isoformat()})
        record_audit(company=by.company_id, action="terminal.code", obj=rc, by=by,
                     after={"kind": kind, "warehouse": wh.code})
    return rc, raw


@transaction.atomic
def register_terminal(*, by=None, code: str, name: str, kind: str | None = None, warehouse=None, customer=None,
                      registration_code: str | None = None) -> tuple[Terminal, str]:
    """Register a terminal, by an administrator (`by`) or by a device with a one-time `registration_code`.

    Returns the terminal and its raw token, which is never stored and never shown again. A store
    POS must be able to sell offline: if its store's default location refuses negative stock, it is
    switched to allow it (audited), because a sale already made at the till is a fact.
    """
    rc = None
    if registration_code is not None:
        rc = RegistrationCode.objects.select_for_update().filter(code_hash=_hash(registration_code.strip())).first()
        if rc is None or rc.used_at is not None or rc.expires_at < clock.now():
            raise DomainError("terminal.code_invalid", _("This registration code is unknown, used or expired."),
                              http_status=403)
        company_id, actor = rc.company_id, rc.created_by
        kind, wh, partner = rc.kind, rc.warehouse, rc.customer
    elif by is not None:
        permissions.require(by, "users.manage")
        company_id, actor = by.company_id, by
        wh, partner = _check_target(company_id, kind=kind or "", warehouse=warehouse, customer=customer)
    else:
        raise PermissionDenied(action=_("register a terminal"))
    code = (code or "").strip() or next_free_code(company_id, kind)
    name = (name or "").strip() or code
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise ValidationFailed(field="code", reason=_("must be 1 to 32 letters, digits, - or _"))
    if len(name) > 100:
        raise ValidationFailed(field="name", reason=_("is longer than 100 characters"))
    if Terminal.objects.filter(company_id=company_id, code=code).exists():
        raise DomainError("terminal.code_taken", _("Terminal code %(code)s is already taken."), http_status=409,
                          code=code)
    company = Company.objects.get(pk=company_id)
    roles = [Role.TERMINAL]  # the protocol's rights and nothing else (core/permissions.py TERMINAL_ACTIONS)
    terminal, raw = _new_terminal(company, code=code, name=name, kind=kind, warehouse=wh, customer=partner,
                                  roles=roles, actor=actor)
    if kind == TerminalKind.POS and not wh.allow_negative:
        _allow_negative_at_store(wh, by=actor)
    if rc is not None:
        rc.used_at = clock.now()
        rc.terminal = terminal
        rc.save(update_fields=["used_at", "terminal"])
    record_event(company=company, topic="terminal.registered", by=actor, obj=terminal,
                 payload={"code": code, "kind": kind, "warehouse": wh.code, "by_code": rc is not None})
    record_audit(company=company, action="terminal.register", obj=terminal, by=actor,
                 after={"code": code, "name": name, "kind": kind, "warehouse": wh.code})
    return terminal, raw


def next_free_code(company_id: int, kind: str) -> str:
    """The first free terminal code of the kind's series: POS1, POS2 … (PDA1 …), for a device that was not
    given one (the registration then asks only for the one-time code)."""
    prefix = kind.upper()
    taken = set(Terminal.objects.filter(company_id=company_id, code__istartswith=prefix)
                .values_list("code", flat=True))
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def _new_terminal(company, *, code, name, kind, warehouse, customer, roles, actor, operator=None):
    """The terminal row and its own user (no password, scoped to its warehouse); answers it and its raw token."""
    username = f"{core_services.TERMINAL_USER_PREFIX}{company.code}.{code}".lower()[:150]
    user = core_services.create_user(by=None, company=company, username=username, password=secrets.token_urlsafe(24),
                                     roles=roles, display_name=f"{name} ({code})", warehouses=[warehouse])
    user.set_unusable_password()
    user.save(update_fields=["password"])
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    terminal = Terminal.objects.create(
        company_id=company.pk, code=code, name=name, kind=kind, warehouse=warehouse, customer=customer, user=user,
        operator=operator, token_prefix=raw[:12], token_hash=_hash(raw), created_at=clock.now(), created_by=actor,
    )
    return terminal, raw


def _allow_negative_at_store(wh: Warehouse, *, by) -> None:
    from openjxc.stock.services import update_location

    loc = Location.objects.filter(warehouse=wh, is_default=True).first()
    if loc is not None and not loc.allow_negative:
        update_location(loc, by=by, allow_negative=True)


@transaction.atomic
def revoke_terminal(*, by, terminal_id: int) -> Terminal:
    """Revoke a terminal: its token stops working at once; its history stays."""
    permissions.require(by, "users.manage")
    terminal = Terminal.objects.select_for_update().filter(pk=terminal_id, company_id=by.company_id).first()
    if terminal is None:
        raise NotFound("terminal", terminal_id)
    if terminal.revoked_at is None:
        terminal.revoked_at = clock.now()
        terminal.save(update_fields=["revoked_at"])
        terminal.user.is_active = False
        terminal.user.save(update_fields=["is_active"])
        record_event(company=terminal.company_id, topic="terminal.revoked", by=by, obj=terminal,
                     payload={"code": terminal.code})
        record_audit(company=terminal.company_id, action="terminal.revoke", obj=terminal, by=by,
                     after={"revoked_at": terminal.revoked_at.isoformat()})
    return terminal


# what a terminal's every request reads with it, as select_related would join it
_WITH_TERMINAL = ("company", "warehouse", "customer", "user", "operator")
_token_sql: dict[str, tuple[str, list[tuple]]] = {}


def _token_statement() -> tuple[str, list[tuple]]:
    """The SELECT of a terminal by its token hash joined to its related rows — what
    `select_related(*_WITH_TERMINAL).filter(token_hash=…, revoked_at__isnull=True).first()` runs — built once per
    process (the ORM compiled that six-table join on every request), and per related row its (foreign key, first
    column, number of columns)."""
    found = _token_sql.get(connection.vendor)
    if found is None:
        q = connection.ops.quote_name
        meta = Terminal._meta
        select, at = columns_of(Terminal, "t")
        parts, joins, related = [select], [], []
        for n, name in enumerate(_WITH_TERMINAL):
            field = meta.get_field(name)
            target = field.related_model._meta
            cols, width = columns_of(field.related_model, f"r{n}")
            parts.append(cols)
            joins.append(f"LEFT JOIN {q(target.db_table)} r{n} ON r{n}.{q(target.pk.column)} = t.{q(field.column)}")
            related.append((field, at, width))
            at += width
        column = {f: q(meta.get_field(f).column) for f in ("token_hash", "revoked_at", "id")}
        sql = (f"SELECT {', '.join(parts)} FROM {q(meta.db_table)} t {' '.join(joins)} "
               f"WHERE t.{column['token_hash']} = %s AND t.{column['revoked_at']} IS NULL "
               f"ORDER BY t.{column['id']} LIMIT 1")
        found = _token_sql[connection.vendor] = (sql, related)
    return found


def _terminal_with_token_hash(token_hash: str) -> Terminal | None:
    sql, related = _token_statement()
    with connection.cursor() as cur:
        cur.execute(sql, [token_hash])
        row = cur.fetchone()
    if row is None:
        return None
    terminal = object_from(Terminal, row[:related[0][1]])
    for field, at, width in related:
        field.set_cached_value(terminal, object_from(field.related_model, row[at:at + width]))
    return terminal


def terminal_for_token(raw: str) -> Terminal | None:
    """The active terminal a raw token belongs to, or None (unknown or revoked)."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    terminal = _terminal_with_token_hash(_hash(raw))
    if terminal is None or not terminal.user.is_active:
        return None
    if terminal.operator_id is not None and not terminal.operator.is_active:  # the person left: their phone too
        return None
    if terminal.user.company_id == terminal.company_id:  # the service asks the user's company: read already
        terminal.user.company = terminal.company
    return terminal


def touch(terminal: Terminal, **fields) -> None:
    """Record contact (and any `fields`) in one UPDATE; a bare contact is written at most every 30 s."""
    now = clock.now()
    if not fields and terminal.last_contact_at and now - terminal.last_contact_at < CONTACT_RESOLUTION:
        return
    fields["last_contact_at"] = now
    if terminal.silent_alerted_at is not None:
        fields["silent_alerted_at"] = None
    Terminal.objects.filter(pk=terminal.pk).update(**fields)
    for key, value in fields.items():
        setattr(terminal, key, value)


# ---------------------------------------------------------------- health and alerts


def health(terminal: Terminal, *, now: dt.datetime | None = None, conf: dict | None = None) -> list[str]:
    """What is wrong with a terminal now: silent, backlog_old, clock_skew, refused (empty when healthy)."""
    now = now or clock.now()
    conf = conf or terminal_settings(terminal.company_id)
    problems = []
    if terminal.revoked_at is not None:
        return problems
    last = terminal.last_contact_at or terminal.created_at
    if now - last > dt.timedelta(minutes=conf["silent_minutes"]):
        problems.append("silent")
    if terminal.backlog_count and terminal.backlog_oldest_at and (
        now - terminal.backlog_oldest_at > dt.timedelta(minutes=conf["backlog_minutes"])
    ):
        problems.append("backlog_old")
    if terminal.clock_skew_seconds is not None and abs(terminal.clock_skew_seconds) > conf["skew_seconds"]:
        problems.append("clock_skew")
    if terminal.refused_count and TerminalOperation.objects.filter(
        terminal=terminal, status=OpStatus.REFUSED, received_at__gte=now - REFUSED_WINDOW
    ).exclude(type__in=sorted(SLIP_OP_TYPES), result__error__code__in=sorted(OPERATOR_SLIPS)).exists():
        problems.append("refused")
    return problems


# what a person typed at a count's scan field that names nothing (a typo, an unknown code, a lot still to
# choose): answered to the device as refused, but not the terminal failing — no refused count, no
# terminal.refused alert, no health problem. (An unknown item in a POS sale still is a failure.)
SLIP_OP_TYPES = frozenset({"count_entry"})
OPERATOR_SLIPS = frozenset({"barcode.unknown", "item.not_found", "lot.required", "count.lot_choice"})


def is_slip(op_type, code) -> bool:
    return op_type in SLIP_OP_TYPES and code in OPERATOR_SLIPS

REFUSED_WINDOW = dt.timedelta(hours=24)  # refused operations count as a problem for a day after they arrive

PROBLEM_LABELS = {
    "silent": _("silent for too long"),
    "backlog_old": _("operations waiting too long to upload"),
    "clock_skew": _("clock is off"),
    "refused": _("operations refused in the last 24 hours"),
}


def check_terminals(company_id: int | None = None) -> list[dict]:
    """Raise `terminal.silent` / `terminal.backlog_old` once per episode for every active terminal.

    Each is raised when the condition starts and not again until it has cleared (contact clears
    silence; a push with a fresh backlog clears the backlog alert). Returns the events raised.
    """
    raised = []
    qs = Terminal.objects.filter(revoked_at__isnull=True).select_related("company")
    if company_id is not None:
        qs = qs.filter(company_id=company_id)
    confs: dict[int, dict] = {}
    now = clock.now()
    for terminal in qs.order_by("pk"):
        conf = confs.setdefault(terminal.company_id, terminal_settings(terminal.company))
        problems = health(terminal, now=now, conf=conf)
        with transaction.atomic():
            locked = Terminal.objects.select_for_update().get(pk=terminal.pk)
            if "silent" in problems and locked.silent_alerted_at is None:
                locked.silent_alerted_at = now
                locked.save(update_fields=["silent_alerted_at"])
                raised.append(_alert(locked, "terminal.silent", last_contact_at=_iso(locked.last_contact_at),
                                     minutes=conf["silent_minutes"]))
            if "backlog_old" in problems and locked.backlog_alerted_at is None:
                locked.backlog_alerted_at = now
                locked.save(update_fields=["backlog_alerted_at"])
                raised.append(_alert(locked, "terminal.backlog_old", backlog=locked.backlog_count,
                                     oldest_at=_iso(locked.backlog_oldest_at), minutes=conf["backlog_minutes"]))
    return raised


def _iso(value):
    return value.isoformat() if value else None


def _alert(terminal: Terminal, topic: str, **payload) -> dict:
    body = {"terminal": terminal.code, "terminal_id": terminal.pk, "warehouse": terminal.warehouse_id, **payload}
    record_event(company=terminal.company_id, topic=topic, obj=terminal, payload=body)
    return {"topic": topic, **body}


ALERT_TOPICS = ("terminal.silent", "terminal.backlog_old", "terminal.refused", "terminal.clock_skew",
                "terminal.negative_stock")
