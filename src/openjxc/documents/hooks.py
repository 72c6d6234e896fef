"""What other apps attach to the document lifecycle, run inside the document's transaction.

Apps above documents (finance, workflow, counts, …) plug in here instead of being imported by it.

Posting effects. The stock ledger is posted by the kind's `plan`; other books (the partner ledger of
finance, order progress, reservations, counts) register here instead of changing the posting code:

    register(on_post=post_partner_entries, on_void=reverse_partner_entries, kinds={"sales_delivery"})

`on_post(doc, lines, by)` runs after the stock moves are written and before the status changes (registered
with `batched=True` it is called `on_post(doc, lines, by, events=[…])` and appends its outbox events to the
posting's own, written with them in one INSERT; with `writes=True` as well it is also given `writes=[…]`, rows
it appends in `core.sql.write_together`'s form, written with the posting's own changes — rows nothing reads
before the posting commits);
`on_void(doc, by)` runs after the reversing moves. `before_post(doc, lines, by)` runs before any
write and may refuse with a DomainError (credit limits, over-receipt tolerance); `before_void(doc, by)`
likewise before a void writes anything (a closed month). All run under the
document's row lock, in its transaction: a refusal rolls everything back.

The approval gate. Without one, a submitted document is approved by one manager. The workflow app
registers its flows as the gate (`set_approval_gate`); the document services then ask it whether a
document waits in a flow and let it decide the step, never importing workflow.

Readers. Figures another book keeps that document pages and checks show (what an order line has
been billed, what a customer owes): `provide("billed_quantities", fn)`; `read(name, *args)` returns
None while nobody provides it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from openjxc.core.models import User


@dataclass(frozen=True)
class Hook:
    kinds: frozenset[str] | None  # None: every kind
    before_post: Callable | None = None
    on_post: Callable | None = None
    on_void: Callable | None = None
    before_void: Callable | None = None
    batched: bool = False  # on_post takes events= (the posting's outbox events, written together)
    writes: bool = False  # and writes= (rows written with the posting's changes: core.sql.write_together's form)


_hooks: list[Hook] = []


def register(*, kinds=None, before_post=None, on_post=None, on_void=None, before_void=None,
             batched: bool = False, writes: bool = False) -> Hook:
    """Attach effects to the posting (and voiding) of documents of `kinds` (all kinds when None)."""
    hook = Hook(frozenset(kinds) if kinds is not None else None, before_post, on_post, on_void, before_void,
                batched or writes, writes)
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def _for(kind: str, attr: str):
    return [getattr(h, attr) for h in _hooks if getattr(h, attr) and (h.kinds is None or kind in h.kinds)]


def run_before_post(doc, lines, by: User) -> None:
    for fn in _for(doc.kind, "before_post"):
        fn(doc, lines, by)


def run_on_post(doc, lines, by: User, events: list | None = None, writes: list | None = None) -> None:
    """Run the kind's on_post hooks; batched ones append their outbox events to `events` when given, and those
    registered with writes=True their rows to `writes` when given (else they write them themselves)."""
    for h in _hooks:
        if h.on_post and (h.kinds is None or doc.kind in h.kinds):
            if h.writes and events is not None and writes is not None:
                h.on_post(doc, lines, by, events=events, writes=writes)
            elif h.batched and events is not None:
                h.on_post(doc, lines, by, events=events)
            else:
                h.on_post(doc, lines, by)


def run_before_void(doc, by: User) -> None:
    for fn in _for(doc.kind, "before_void"):
        fn(doc, by)


def run_on_void(doc, by: User) -> None:
    for fn in _for(doc.kind, "on_void"):
        fn(doc, by)


# ---------------------------------------------------------------- probes of a new document's warehouse

# A probe is a question another app asks for every new document, answered by the statement that reads the
# document's warehouse (documents/warehouse_read.py) instead of a statement of its own: a boolean SQL
# expression over that warehouse row `w` (w.id, w.company_id), its %s parameters made from the document's
# kind. The answer lives on that warehouse instance for the one create_document call (`probed`); whoever
# finds no answer asks the database itself, as before.


@dataclass(frozen=True)
class Probe:
    name: str
    sql: str
    params: Callable[[str], list]


_probes: dict[str, Probe] = {}


def register_probe(name: str, sql: str, params: Callable[[str], list] = lambda kind: []) -> None:
    """Ask `sql` (true/false over the warehouse row `w`) whenever a new document's warehouse is read."""
    _probes[name] = Probe(name, sql, params)


def probes() -> list[Probe]:
    return list(_probes.values())


def probed(warehouse, name: str) -> bool | None:
    """The answer of probe `name` read with `warehouse`, or None when it was not asked for this instance."""
    return getattr(warehouse, "jxc_probes", {}).get(name)


# ---------------------------------------------------------------- the approval gate


class ApprovalGate(Protocol):
    """An approval process documents pass through between submitted and approved (workflow's flows).

    Every method runs in the document's transaction with the document row locked (except `is_pending`,
    asked before locking to know how to lock); `changes` is the lifecycle.Changes the document's own
    transitions are batched into."""

    def start(self, doc, *, by: User) -> bool:
        """The document was just submitted: start its approval if one applies; whether one started (when
        none did, the document is not pending and the services need not ask `is_pending`)."""

    def is_pending(self, doc_id: int) -> bool:
        """Whether the document waits in an approval."""

    def decide(self, doc, *, by: User, approve: bool, comment: str, changes) -> None:
        """`by` decides the current step; the last approval approves the document, a rejection rejects it
        (both through lifecycle.transition with `changes`)."""

    def may_decide(self, user, doc) -> bool | None:
        """Whether `user` may approve or reject the submitted `doc` in its approval now (whatever their role);
        None when no approval runs it (their role decides). Pages ask it to show the buttons."""

    def waiting_step(self, doc) -> str:
        """The name of the step the document still waits in."""

    def requester(self, doc) -> int | None:
        """Who submitted the pending approval (None when there is none)."""

    def withdraw(self, doc, *, by: User, reason: str) -> None:
        """The requester took the document back: the approval ends."""

    def end(self, doc, *, by: User, reason: str) -> None:
        """The document is cancelled: its approval (if any) ends."""


_gate: list[ApprovalGate] = []


def set_approval_gate(gate: ApprovalGate) -> None:
    """Install the approval process (one per process; installing again replaces it)."""
    _gate[:] = [gate]


def approval_gate() -> ApprovalGate | None:
    return _gate[0] if _gate else None


# ---------------------------------------------------------------- readers

_readers: dict[str, Callable] = {}


def provide(name: str, fn: Callable) -> None:
    """Offer a figure another app keeps: "billed_quantities" (order) -> {order line id: quantity},
    "receivable_balance" (company_id, partner_id) -> Decimal."""
    _readers[name] = fn


def read(name: str, *args):
    """The figure `name` from whoever provides it, or None while nobody does."""
    fn = _readers.get(name)
    return None if fn is None else fn(*args)
