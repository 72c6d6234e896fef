"""Reorder suggestions (补货建议): items below their reorder point per warehouse, and the purchase
orders that fill them, created as drafts in one action.

Position = on hand − reserved (open sales orders) + on order (open purchase orders not yet
received): what is already ordered is not suggested again. An item is suggested when its position
is below the warehouse's reorder point; the quantity brings it up to the maximum stock, or without
a maximum to twice the reorder point, rounded up to whole base units.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Item, ItemWarehouse
from openjxc.core import permissions
from openjxc.core.errors import NotFound, ValidationFailed
from openjxc.core.models import User
from openjxc.core.quantities import ZERO, qty
from openjxc.documents import services as docs
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.documents.orders import open_quantities
from openjxc.documents.selectors import last_purchase_price
from openjxc.stock.models import STOCKED_KINDS, StockBalance


@dataclass
class Suggestion:
    item_id: int
    warehouse_id: int
    on_hand: Decimal
    reserved: Decimal
    on_order: Decimal
    position: Decimal
    reorder_point: Decimal
    max_stock: Decimal | None
    quantity: Decimal
    supplier_id: int | None


def suggested_quantity(position: Decimal, reorder_point: Decimal, max_stock: Decimal | None) -> Decimal:
    """Pure: how much to order for a position below the reorder point (0 if it is not below)."""
    if position >= reorder_point:
        return ZERO
    target = max_stock if max_stock is not None and max_stock > 0 else reorder_point * 2
    return max(target - position, ZERO).to_integral_value(rounding=ROUND_CEILING)


def last_supplier(company_id: int, item_id: int) -> int | None:
    """The supplier of the item's latest posted receipt, else of its latest confirmed purchase order."""
    for kind in ("purchase_receipt", "purchase_order"):
        found = (
            DocumentLine.objects.filter(document__company_id=company_id, document__kind=kind, item_id=item_id,
                                        document__status__in=[Status.POSTED, Status.CLOSED],
                                        document__partner__isnull=False)
            .order_by("-document__business_on", "-document_id")
            .values_list("document__partner_id", flat=True).first()
        )
        if found:
            return found
    return None


def reorder_suggestions(company_id: int, *, warehouse_ids=None) -> list[Suggestion]:
    """Every (item, warehouse) with a reorder point whose position is below it."""
    query = ItemWarehouse.objects.filter(company_id=company_id, reorder_point__gt=0, item__is_active=True)
    if warehouse_ids is not None:
        query = query.filter(warehouse_id__in=warehouse_ids)
    levels = list(query.values_list("item_id", "warehouse_id", "reorder_point", "max_stock"))
    if not levels:
        return []
    item_ids = {lv[0] for lv in levels}
    have: defaultdict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for item, wh, q in (
        StockBalance.objects.filter(company_id=company_id, item_id__in=item_ids, location__kind__in=STOCKED_KINDS)
        .values_list("item_id", "location__warehouse_id").annotate(q=Sum("quantity"))
    ):
        have[(item, wh)] += qty(q or 0)
    held: defaultdict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    coming: defaultdict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for _line, item, wh, left, _value in open_quantities(company_id, "sales_order"):
        held[(item, wh)] += left
    for _line, item, wh, left, _value in open_quantities(company_id, "purchase_order"):
        coming[(item, wh)] += left
    out = []
    for item, wh, point, top in sorted(levels):
        key = (item, wh)
        position = have[key] - held[key] + coming[key]
        need = suggested_quantity(position, point, top)
        if need > 0:
            out.append(Suggestion(item, wh, have[key], held[key], coming[key], position, point, top, need,
                                  last_supplier(company_id, item)))
    return out


@dataclass
class Selection:
    item: int
    warehouse: int
    quantity: Decimal | None = None  # default: the suggested quantity
    supplier: int | None = None  # default: the item's last supplier


@transaction.atomic
def create_purchase_orders(*, by: User, selections: list[Selection], supplier=None) -> list[Document]:
    """Turn selected suggestions into draft purchase orders: one per supplier and warehouse, priced at the
    last purchase price from that supplier (else the item's purchase price)."""
    if not selections:
        raise ValidationFailed(field="lines", reason=_("must have at least one line"))
    company_id = permissions.company_id_of(by)
    suggested = {(s.item_id, s.warehouse_id): s for s in reorder_suggestions(company_id)}
    groups: dict[tuple[int, int], list] = defaultdict(list)
    for n, sel in enumerate(selections, start=1):
        sug = suggested.get((sel.item, sel.warehouse))
        quantity = sel.quantity if sel.quantity is not None else (sug.quantity if sug else None)
        if quantity is None or quantity <= 0:
            raise ValidationFailed(field=f"lines[{n}].quantity", reason=_("is required: the item is not below its reorder point"))
        who = sel.supplier or (sug.supplier_id if sug else None) or last_supplier(company_id, sel.item) or supplier
        if who is None:
            raise ValidationFailed(field=f"lines[{n}].supplier", reason=_("is required: the item was never bought"))
        groups[(getattr(who, "pk", who), sel.warehouse)].append((sel.item, quantity))
    orders = []
    for (who, wh), lines in sorted(groups.items()):
        inputs = []
        for item_id, quantity in lines:
            item = Item.objects.filter(company_id=company_id, pk=item_id).first()
            if item is None:
                raise NotFound("item", item_id)
            price = last_purchase_price(company_id, item_id, who)
            inputs.append(docs.LineInput(item=item_id, quantity=quantity,
                                         unit_price=price if price is not None else item.purchase_price))
        orders.append(docs.create_document(by=by, kind="purchase_order", warehouse=wh, partner=who, lines=inputs,
                                           memo=str(_("Reorder suggestion"))))
    return orders
