"""Browser terminals over HTTP (docs/terminal-protocol.md, "Browser terminals"): a signed-in person's browser
gets a PDA terminal token for its outbox. Registered on the terminals' router (/api/sync/...)."""

from __future__ import annotations

from ninja import Field, Schema, Status

from openjxc.core import clock
from openjxc.core.api_auth import api_auth
from openjxc.core.idempotency import issues_secret
from openjxc.core.schemas import Id, text
from openjxc.sync import browser
from openjxc.sync.api_terminals import NewTerminalOut, router


class BrowserTerminalIn(Schema):
    warehouse: Id | text(32, min_length=1)
    device_id: text(64, min_length=1) = Field(..., description="a random id the browser keeps for itself")
    name: text(100) = ""


class BrowserTerminalOut(NewTerminalOut):
    operator_id: int


@router.post("/browser-terminal", response={201: BrowserTerminalOut}, auth=[api_auth],
             summary="This person's browser on this device as a PDA terminal of a warehouse; answers a new token")
def browser_terminal(request, payload: BrowserTerminalIn):
    terminal, raw = browser.register_browser_terminal(by=request.auth, warehouse=payload.warehouse,
                                                      device_id=payload.device_id, name=payload.name)
    issues_secret(request)
    terminal.token, terminal.server_time = raw, clock.now()
    return Status(201, terminal)
