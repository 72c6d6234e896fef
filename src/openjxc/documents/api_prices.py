"""Prices read from the purchase documents (mounted under /pricing beside catalog's price lists)."""

from __future__ import annotations

from ninja import Router

from openjxc.catalog.models import Item
from openjxc.core.errors import NotFound
from openjxc.core.schemas import Id, company_id
from openjxc.documents import selectors

router = Router(tags=["pricing"])


@router.get("/last-purchase-price", response=dict, summary="The last posted purchase price (excl. tax, base unit)")
def last_purchase_price(request, item: Id, supplier: Id | None = None):
    cid = company_id(request, "stock.cost")
    if not Item.objects.filter(company_id=cid, pk=item).exists():
        raise NotFound("item", item)
    return {"item": item, "supplier": supplier, "price": selectors.last_purchase_price(cid, item, supplier)}
