"""An item's unit cost and value per warehouse, now and as of a date (issue 13 item 4): the as-of figure is the
ledger replayed in business-date order up to that day, costs are masked for roles without stock.cost and a
scoped user sees only their warehouses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from openjxc.core import clock
from openjxc.stock.costing import CostState
from openjxc.stock.locations import virtual_locations
from openjxc.stock.models import LocationKind, StockMove
from openjxc.stock.recost import LineLinks, build_links, rows, stocked_locations
from openjxc.stock.replay import group, replay
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line


def _day(shop, n):
    return clock.today(shop.company.time_zone) - dt.timedelta(days=n)


def _replayed(shop, item, warehouse, on) -> CostState:
    """The warehouse's state at the end of `on`: the ledger up to that day replayed in business-date order."""
    where = stocked_locations(shop.company.pk)
    locations = {loc for loc, wh in where.items() if wh == warehouse.pk}
    ledger = rows(StockMove.objects.filter(item=item, business_on__lte=on).order_by("business_on", "id"))
    adjustment = virtual_locations(shop.company)[LocationKind.ADJUSTMENT].pk
    primaries = group([r for r in ledger if r.from_id in locations or r.to_id in locations], adjustment)
    links = build_links(ledger, group(ledger, adjustment), LineLinks({r.line_id for r in ledger if r.line_id}))
    return replay(primaries, CostState(), locations=locations, warehouse_id=warehouse.pk, warehouse_of=where.get,
                  links=links).state


def _history(shop):
    day1, day2, day3, day4 = (_day(shop, n) for n in (6, 5, 4, 3))
    receipt = dict(partner=shop.supplier)
    shop.post("purchase_receipt", [line(shop.flour, 10, 100)], business_on=day1, **receipt)
    shop.post("sales_delivery", [line(shop.flour, 5)], partner=shop.customer, business_on=day3)
    shop.post("purchase_receipt", [line(shop.flour, 4, 50)], warehouse=shop.store, business_on=day3, **receipt)
    # entered late: a receipt dated day 2, before the issue of day 3 (which it re-costs)
    shop.post("purchase_receipt", [line(shop.flour, 10, 130)], business_on=day2, **receipt)
    shop.post("sales_delivery", [line(shop.flour, 15)], partner=shop.customer, business_on=day4)
    return day1, day2, day3, day4


def test_an_items_cost_as_of_a_date_equals_a_replay_of_the_ledger_up_to_that_day(api, shop):
    days = _history(shop)
    for on in days:
        body = api.get(f"/stock/items/{shop.flour.pk}/cost", {"as_of": str(on)}).json()
        main = next(w for w in body["warehouses"] if w["warehouse"] == shop.main.pk)
        state = _replayed(shop, shop.flour, shop.main, on)
        assert (D(main["quantity"]), D(main["value"])) == (state.quantity, state.value)
        expected_unit = (state.value / state.quantity).quantize(D("0.0001")) if state.quantity else state.last_cost
        assert D(main["unit_cost"]) == expected_unit
    # day 2: 10 @ 100 and the late 10 @ 130 → 20 at 115; day 3: 5 issued at 115 in the main warehouse, the store
    # received 4 @ 50
    day2 = api.get(f"/stock/items/{shop.flour.pk}/cost", {"as_of": str(days[1])}).json()
    assert [(w["warehouse_code"], D(w["quantity"]), D(w["value"]), D(w["unit_cost"])) for w in day2["warehouses"]
            ] == [("ST1", 0, 0, 0), ("WH1", 20, D("2300.00"), D("115.0000"))]
    day3 = api.get(f"/stock/items/{shop.flour.pk}/cost", {"as_of": str(days[2])}).json()
    assert (D(day3["quantity"]), D(day3["value"])) == (D(19), D("1725.00") + D("200.00"))
    # now: the main warehouse is empty and keeps its last cost; the store holds 4 @ 50
    now = api.get(f"/stock/items/{shop.flour.pk}/cost").json()
    assert now["as_of"] is None
    assert [(w["warehouse_code"], D(w["quantity"]), D(w["value"]), D(w["unit_cost"])) for w in now["warehouses"]
            ] == [("ST1", 4, D("200.00"), D("50.0000")), ("WH1", 0, 0, D("130.0000"))]
    assert api.get(f"/stock/items/{shop.flour.pk}/cost", {"as_of": str(dt.date.max)}).json() == {
        **now, "as_of": str(dt.date.max)}
    assert_ledger_consistent()


def test_an_items_cost_is_masked_without_stock_cost_and_scoped_to_the_users_warehouses(api, as_user, shop):
    _history(shop)
    seller = as_user("seller", "salesperson").get(f"/stock/items/{shop.flour.pk}/cost").json()
    assert seller["value"] is None
    assert [(D(w["quantity"]), w["unit_cost"], w["value"]) for w in seller["warehouses"]] == [
        (D(4), None, None), (D(0), None, None)]
    cashier = as_user("till", "cashier", warehouses=[shop.store])
    body = cashier.get(f"/stock/items/{shop.flour.pk}/cost").json()
    assert [w["warehouse"] for w in body["warehouses"]] == [shop.store.pk]
    refused = cashier.get(f"/stock/items/{shop.flour.pk}/cost", {"warehouse": shop.main.pk})
    assert refused.status_code == 403 and refused.json()["code"] == "permission.denied"
    assert api.get(f"/stock/items/{10**9}/cost").status_code == 404
    assert api.get(f"/stock/items/{shop.flour.pk}/cost", {"as_of": "yesterday"}).status_code == 422
