"""Effects other apps attach to document posting and voiding, run inside the same transaction.

The stock ledger is posted by the kind's `plan`; other books (the partner ledger of finance,
order progress, reservations) register here instead of changing the posting code:

    register(on_post=post_partner_entries, on_void=reverse_partner_entries, kinds={"sales_delivery"})

`on_post(doc, lines, by)` runs after the stock moves are written and before the status changes;
`on_void(doc, by)` runs after the reversing moves. `before_post(doc, lines, by)` runs before any
write and may refuse with a DomainError (credit limits, over-receipt tolerance); `before_void(doc, by)`
likewise before a void writes anything (a closed month). All run under the
document's row lock, in its transaction: a refusal rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Hook:
    kinds: frozenset[str] | None  # None: every kind
    before_post: Callable | None = None
    on_post: Callable | None = None
    on_void: Callable | None = None
    before_void: Callable | None = None


_hooks: list[Hook] = []


def register(*, kinds=None, before_post=None, on_post=None, on_void=None, before_void=None) -> Hook:
    """Attach effects to the posting (and voiding) of documents of `kinds` (all kinds when None)."""
    hook = Hook(frozenset(kinds) if kinds is not None else None, before_post, on_post, on_void, before_void)
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def _for(kind: str, attr: str):
    return [getattr(h, attr) for h in _hooks if getattr(h, attr) and (h.kinds is None or kind in h.kinds)]


def run_before_post(doc, lines, by) -> None:
    for fn in _for(doc.kind, "before_post"):
        fn(doc, lines, by)


def run_on_post(doc, lines, by) -> None:
    for fn in _for(doc.kind, "on_post"):
        fn(doc, lines, by)


def run_before_void(doc, by) -> None:
    for fn in _for(doc.kind, "before_void"):
        fn(doc, by)


def run_on_void(doc, by) -> None:
    for fn in _for(doc.kind, "on_void"):
        fn(doc, by)
