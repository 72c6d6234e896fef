"""下推: one service that makes a draft of one kind from a posted document of another.

The page's 下推 button, `POST /api/documents/{id}/create-from` and `POST /api/documents/{id}/push` all
call `push_down`, so a document made from an order through the page and through the API is the same:

- what is left on each source line (documents/sources.py): for an order and the kind that fulfils it,
  net of returns; otherwise less what posted documents of the kind already took;
- prices exactly as the source has them: per base unit, with tax when the source's prices include
  tax (the new document's prices then include tax too), so totals with tax come out to the cent;
- tax rates, lots, memos and promised dates of the source lines; the source's custom fields but the
  keys that tell where the source itself came from (a till, a count);
- the partner and warehouse of the source (the kind says which of its warehouses: a transfer in
  arrives at the transfer's destination), unless the caller names others.

A kind whose lines are its own (finished goods made from a material issue: `copies_source_lines`
False) cannot be drafted from its source's lines: it is created with its lines and `source=`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.errors import DomainError, NotFound
from openjxc.core.models import User
from openjxc.core.quantities import ZERO
from openjxc.documents.create import LineInput, create_document, find_source
from openjxc.documents.kinds import get_kind
from openjxc.documents.models import Document
from openjxc.documents.sources import nothing_left, remaining_quantities

PRICE_PLACES = Decimal("0.000001")
# custom keys that say where a document itself came from: they describe the source, not what is made from it
PROVENANCE_KEYS = frozenset({"terminal", "payment", "count", "count_number"})


def draft_lines(source: Document, kind: str) -> list[LineInput]:
    """The lines a 下推 draft of `kind` takes from `source`: what is left on each line, priced as the source."""
    left = remaining_quantities(source, kind)
    inputs = []
    for ln in source.lines.select_related("lot"):
        quantity = left.get(ln.pk, ZERO)
        if quantity <= 0:
            continue
        basis = ln.amount_with_tax if source.prices_include_tax else ln.amount
        inputs.append(LineInput(
            item=ln.item_id, quantity=quantity, unit_price=(basis / ln.quantity).quantize(PRICE_PLACES),
            source_line=ln.pk, lot_code=ln.lot.code if ln.lot else "", memo=ln.memo, tax_rate=ln.tax_rate,
            promised_on=ln.promised_on, produced_on=ln.lot.produced_on if ln.lot else ln.produced_on,
            expires_on=ln.lot.expires_on if ln.lot else ln.expires_on,
        ))
    return inputs


@transaction.atomic
def push_down(source: Document | int, *, by: User, kind: str, partner=None, warehouse=None,
              business_on: dt.date | None = None) -> Document:
    """下推: a draft of `kind` with what is left on each line of the posted `source`, keeping its prices (with
    or without tax as entered), tax rates, lots and promised dates; `partner` / `warehouse` override the
    source's."""
    found = find_source(permissions.company_of(by), source)
    if found is None:
        raise NotFound("document", source)
    target = get_kind(kind)
    if not target.copies_source_lines:
        raise DomainError(
            "document.lines_of_its_own",
            _("A %(kind)s names its own lines: create it with its lines and %(number)s as its source."),
            http_status=422, kind=str(target.label), number=found.number,
        )
    inputs = draft_lines(found, kind)
    if not inputs:
        raise nothing_left(found, kind)
    custom = {k: v for k, v in (found.custom or {}).items() if k not in PROVENANCE_KEYS}
    return create_document(
        by=by, kind=kind, warehouse=warehouse or getattr(found, target.source_warehouse),
        partner=partner or found.partner, source=found, lines=inputs, business_on=business_on, custom=custom,
        prices_include_tax=found.prices_include_tax,
    )


def create_from(source: Document | int, *, by: User, kind: str, business_on: dt.date | None = None) -> Document:
    """下推 without overrides (the older name of `push_down`)."""
    return push_down(source, by=by, kind=kind, business_on=business_on)
