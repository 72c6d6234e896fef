"""An item's stock levels in one warehouse (mounted under /catalog beside the item endpoints: it needs a
warehouse, which catalog, below stock, does not know)."""

from __future__ import annotations

from ninja import Path, Router

from openjxc.catalog import services as catalog
from openjxc.catalog.api import LevelOut, LevelsIn, _items
from openjxc.core import permissions
from openjxc.core.schemas import MAX_ID, get_or_404
from openjxc.stock.access import require_warehouse
from openjxc.stock.models import Warehouse

router = Router(tags=["catalog"])
PK = Path(..., ge=1, le=MAX_ID)


@router.put("/items/{int:item_id}/levels/{int:warehouse_id}", response=LevelOut,
            summary="Safety stock, reorder point and maximum in one warehouse")
def set_levels(request, payload: LevelsIn, item_id: int = PK, warehouse_id: int = PK):
    permissions.require(request.auth, "masterdata.edit")
    item = get_or_404(_items(request), item_id, "item")
    warehouse = get_or_404(Warehouse.objects.filter(company_id=request.auth.company_id), warehouse_id, "warehouse")
    require_warehouse(request.auth, warehouse)
    return catalog.set_levels(item, warehouse, by=request.auth, **payload.dict(exclude_unset=True))
