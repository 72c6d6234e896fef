"""Production kinds: material issue to production (生产领料) and finished-goods receipt (产成品入库).

A material issue moves materials out of a warehouse to the virtual production location at the moving
average, like any issue. A finished-goods receipt is made from a posted material issue and brings the
finished goods from production into a warehouse, valued at what the issue consumed:

- the value it takes is the issue's posted cost not yet taken by earlier posted receipts from the same
  issue — all of it, or the share the receipt states (`custom["issue_share"]`, e.g. "0.6" when 60 of the
  100 pieces planned come in now; the receipt that takes the rest states nothing);
- that value is split over the receipt's lines by weight = quantity × unit price (the item's purchase
  price stands in for its standard cost; enter the unit prices to give other shares), by quantity when
  no line has a price; the last line takes what rounding leaves, so the lines add up to the cent.

A voided receipt gives its value back to the issue (the next receipt takes it); an issue with posted
receipts cannot be voided (void them first).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.quantities import ZERO, money
from openjxc.stock.models import LocationKind as L
from openjxc.stock.posting import PlannedMove

from .base import Kind, Places, SourceLeft, line_location
from .inventory import KEEPERS, out_to

SHARE_KEY = "issue_share"


def issue_share(doc) -> Decimal | None:
    """The share of the issue's cost left that a partial receipt takes (None: all of it)."""
    raw = (doc.custom or {}).get(SHARE_KEY)
    if raw in (None, ""):
        return None
    try:
        share = Decimal(str(raw))
    except (InvalidOperation, ValueError, TypeError):
        share = Decimal(-1)
    if not share.is_finite() or not 0 < share <= 1:
        raise ValidationFailed(field=f"custom.{SHARE_KEY}", reason=_("must be a fraction above 0 and at most 1"))
    return share


def check_receipt(doc) -> None:
    issue_share(doc)


def split_issue_cost(doc, lines, left: SourceLeft) -> None:
    """Value the receipt's lines at the issue's cost left (× its share), split by quantity × unit price."""
    if left.value is None:  # the issue moved no stock (trading mode): nothing to value
        return
    share = issue_share(doc)
    if left.value <= 0:
        raise DomainError("document.nothing_left", _("Nothing is left on %(number)s to create a %(kind)s from."),
                          http_status=409, number=left.number, kind=str(FINISHED_GOODS_RECEIPT.label))
    total = left.value if share is None else money(left.value * share)
    weights = [ln.amount for ln in lines]
    if sum(weights, ZERO) <= 0:
        weights = [ln.quantity for ln in lines]
    whole = sum(weights, ZERO)
    given = ZERO
    for n, (ln, weight) in enumerate(zip(lines, weights, strict=True)):
        ln.source_value = total - given if n == len(lines) - 1 else money(total * weight / whole)
        given += ln.source_value


def plan_finished(doc, lines, places: Places):
    """Finished goods come in from production at the value the issue's cost gave them."""
    return [
        PlannedMove(item=ln.item, quantity=ln.quantity, from_location=places.virtual[L.PRODUCTION],
                    to_location=line_location(ln, doc, places), lot=ln.lot,
                    value=getattr(ln, "source_value", None), line=ln)
        for ln in lines
    ]


MATERIAL_ISSUE = Kind(
    code="material_issue", prefix="SCLL", label=_("Material issue"), plan=out_to(L.PRODUCTION),
    create_roles=KEEPERS,
)
FINISHED_GOODS_RECEIPT = Kind(
    code="finished_goods_receipt", prefix="CPRK", label=_("Finished-goods receipt"), plan=plan_finished,
    sources=("material_issue",), needs_source=True, copies_source_lines=False, value_from_source=split_issue_cost,
    price_default="purchase_price", inbound=True, create_roles=KEEPERS, check=check_receipt,
)
