"""Browser terminals: a signed-in person's browser (a phone on the count page) working offline as a PDA.

The page keeps its count entries in an IndexedDB outbox (static/sync/outbox.js) and uploads them with
the terminal protocol, so a weak network neither loses nor doubles an entry. The terminal is one per
(person, warehouse, device): asking again from the same device answers the same terminal with a new
token (the first answer may have been lost). Its operations are the person's: count entries are
recorded as made by the operator, with the operator's permissions at the time they arrive.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock, permissions
from openjxc.core.errors import DomainError, PermissionDenied, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Company, Role
from openjxc.stock.access import require_warehouse
from openjxc.sync import terminals
from openjxc.sync.models import Terminal, TerminalKind

CODE_PREFIX = "WEB-"
DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
OP_TYPES = {"count_entry"}  # what a browser terminal may send


def browser_terminal_code(*, user_id: int, warehouse_id: int, device_id: str) -> str:
    """The terminal code of this person's browser on this device for this warehouse (stable, not guessable back)."""
    digest = hashlib.sha256(f"{user_id}:{warehouse_id}:{device_id}".encode()).hexdigest()
    return CODE_PREFIX + digest[:16].upper()


@transaction.atomic
def register_browser_terminal(*, by, warehouse, device_id: str, name: str = "") -> tuple[Terminal, str]:
    """A PDA terminal for `by`'s browser on `device_id`, counting in `warehouse`; answers it and a new token.

    Only for a person who may count in that warehouse. Asked again from the same device, the same terminal
    gets a new token (the old one stops working); a revoked one stays revoked.
    """
    if by is None or not by.is_authenticated or Terminal.objects.filter(user_id=by.pk).exists():
        raise PermissionDenied(action=_("register a browser terminal"))
    from openjxc.counts.services import COUNTERS

    permissions.require(by, "count.count", roles=COUNTERS)
    device_id = (device_id or "").strip()
    if not DEVICE_ID.match(device_id):
        raise ValidationFailed(field="device_id", reason=_("must be 8 to 64 letters, digits, - or _"))
    name = (name or "").strip()
    if len(name) > 100:
        raise ValidationFailed(field="name", reason=_("is longer than 100 characters"))
    wh, _partner = terminals._check_target(by.company_id, kind=TerminalKind.PDA, warehouse=warehouse, customer=None)
    require_warehouse(by, wh)
    code = browser_terminal_code(user_id=by.pk, warehouse_id=wh.pk, device_id=device_id)
    company = Company.objects.get(pk=by.company_id)
    terminal = Terminal.objects.select_for_update().filter(company_id=company.pk, code=code).first()
    if terminal is None:
        label = name or f"{by.display_name or by.username} · {wh.name}"
        terminal, raw = terminals._new_terminal(company, code=code, name=label[:100], kind=TerminalKind.PDA,
                                                warehouse=wh, customer=None, roles=[Role.TERMINAL], actor=by,
                                                operator=by)
        record_event(company=company, topic="terminal.registered", by=by, obj=terminal,
                     payload={"code": code, "kind": terminal.kind, "warehouse": wh.code, "browser": True})
        record_audit(company=company, action="terminal.register", obj=terminal, by=by,
                     after={"code": code, "name": terminal.name, "kind": terminal.kind, "warehouse": wh.code,
                            "operator": by.username})
        return terminal, raw
    if terminal.operator_id != by.pk:  # the code is a hash of the person: only a collision gets here
        raise DomainError("terminal.code_taken", _("Terminal code %(code)s is already taken."), http_status=409,
                          code=code)
    if terminal.revoked_at is not None or not terminal.user.is_active:
        raise DomainError("terminal.revoked", _("This device was revoked as a terminal; ask an administrator."),
                          http_status=403, code=code)
    raw = terminals.TOKEN_PREFIX + secrets.token_urlsafe(32)
    terminal.token_prefix, terminal.token_hash = raw[:12], terminals._hash(raw)
    terminal.save(update_fields=["token_prefix", "token_hash"])
    record_audit(company=company, action="terminal.token", obj=terminal, by=by,
                 after={"code": code, "token_prefix": terminal.token_prefix, "at": clock.now().isoformat()})
    return terminal, raw
