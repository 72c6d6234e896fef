"""Stock as of a date, paged by the database (stock/asof.py, decision 0025): the pages of GET /api/stock/balances?as_of=
put together are the whole list, which is the ledger summed up to the date, with the count right, on every side of
the ledger (backward from the balances, from a month-end checkpoint, forward from the first move), for the warehouse
scope of the caller and the item, location and lot filters."""

import datetime as dt
from decimal import Decimal as D

from openjxc.catalog.models import Item
from openjxc.documents import services as docs
from openjxc.stock.asof import BACKWARD, CHECKPOINT, FORWARD, AsOf, side_of
from openjxc.stock.checkpoints import refresh
from openjxc.stock.models import STOCKED_KINDS, Location, StockMove
from openjxc.stock.selectors import balances_as_of, stocked_ids
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line
from tests.stock.dated import ledger_balances


def _ledger(company, on, locs, item=None, lot=None) -> list[tuple]:
    """The oracle (tests/stock/dated.py) ordered as the API orders its rows."""
    found = ledger_balances(company, on, locs, item, lot)
    return [(*k, q, v) for k, (q, v) in sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0))]


def _pages(client, params, size) -> tuple[list[tuple], set[int]]:
    rows, counts, offset = [], set(), 0
    while True:
        body = client.get("/stock/balances", {**params, "limit": size, "offset": offset}).json()
        counts.add(body["count"])
        rows += [(r["item"], r["location"], r["lot"], D(r["quantity"]), None if r["value"] is None else D(r["value"]))
                 for r in body["items"]]
        if len(body["items"]) < size:
            return rows, counts
        offset += size


def test_pages_put_together_are_the_ledger_up_to_the_date_on_every_side(api, as_user, shop, today):
    company = shop.company.pk
    d = [today - dt.timedelta(days=n) for n in (100, 80, 66, 50, 35, 20, 9, 2)]
    for k, item in enumerate((shop.flour, shop.water)):
        shop.post("purchase_receipt", [line(item, 40 + k, "5.00")], partner=shop.supplier, business_on=d[0])
        shop.post("purchase_receipt", [line(item, 30, "2.50")], partner=shop.supplier, warehouse=shop.store,
                  business_on=d[1])
    for n, lot in enumerate(("L1", "L2", "L3")):
        shop.post("purchase_receipt", [line(shop.milk, 5 + n, "3.00", lot_code=lot,
                                            expires_on=today + dt.timedelta(days=200))],
                  partner=shop.supplier, warehouse=(shop.main, shop.store, shop.second)[n], business_on=d[1 + n])
    first_sale = shop.post("sales_delivery", [line(shop.flour, 7), line(shop.water, 3)], partner=shop.customer,
                           business_on=d[3])
    shop.post("transfer_out", [line(shop.flour, 6)], to_warehouse=shop.store, business_on=d[4])
    sale = shop.post("sales_delivery", [line(shop.water, 4)], partner=shop.customer, warehouse=shop.store,
                     business_on=d[5])
    shop.post("purchase_receipt", [line(shop.flour, 2, "6.00")], partner=shop.supplier, business_on=d[6])
    docs.advance_document(docs.create_from(first_sale, by=shop.admin, kind="sales_return"), by=shop.admin,
                          to="posted")  # (today)
    docs.void_document(sale, by=shop.admin, reason="重复")
    shop.post("sales_delivery", [line(shop.milk, 1, lot_code="L1")], partner=shop.customer, business_on=d[7])
    every = set(Location.objects.filter(company_id=company, kind__in=STOCKED_KINDS).values_list("id", flat=True))
    store = set(stocked_ids(company, warehouse_ids=[shop.store.pk]))
    milk_lot = StockMove.objects.filter(item=shop.milk, lot__code="L2").values_list("lot_id", flat=True).first()
    cashier = as_user("till", "cashier", warehouses=[shop.store])
    dates = [d[0] - dt.timedelta(days=1), *d, d[2] + dt.timedelta(days=3), today]
    shelf = shop.store.locations.get(is_default=True).pk
    cases = [  # (caller, filters, the locations they mean, item, lot, the selector's arguments)
        (api, {}, every, None, None, {}),
        (api, {"warehouse": shop.store.pk}, store, None, None, {"warehouse_ids": [shop.store.pk]}),
        (cashier, {}, store, None, None, {"warehouse_ids": [shop.store.pk]}),  # the caller's scope
        (api, {"item": shop.flour.pk}, every, shop.flour.pk, None, {"item_id": shop.flour.pk}),
        (api, {"location": shelf}, {shelf}, None, None, {"location_id": shelf}),
        (api, {"item": shop.milk.pk, "lot": milk_lot}, every, shop.milk.pk, milk_lot,
         {"item_id": shop.milk.pk, "lot_id": milk_lot}),
    ]

    def every_page_is_the_ledger():
        for on in dates:
            for client, params, locs, item, lot, kwargs in cases:
                truth = _ledger(company, on, locs, item, lot)
                shown = truth if client is api else [(*r[:4], None) for r in truth]  # a cashier sees no cost
                for size in (1, 2, 5):
                    rows, counts = _pages(client, {"as_of": str(on), **params}, size)
                    assert (rows, counts) == (shown, {len(truth)}), (on, params, size)
                assert [(r["item_id"], r["location_id"], r["lot_id"], r["quantity"], r["value"])
                        for r in balances_as_of(company, on, **kwargs)] == truth, (on, params)

    # before the nightly job wrote any month-end checkpoint: forward from the first move, or back from the balances
    assert {side_of(AsOf(company, on, tuple(every)))[0] for on in dates[1:]} == {FORWARD, BACKWARD}
    every_page_is_the_ledger()
    # after it: from the checkpoint nearest to the date, or back from the balances
    refresh(shop.company, today=today)
    assert {side_of(AsOf(company, on, tuple(every)))[0] for on in dates[1:]} == {CHECKPOINT, BACKWARD}
    every_page_is_the_ledger()
    # a page beyond the last row: no rows, the count still right
    truth = _ledger(company, today, every)
    body = api.get("/stock/balances", {"as_of": str(today), "limit": 5, "offset": 100}).json()
    assert (body["count"], body["items"]) == (len(truth), [])
    for r in api.get("/stock/balances", {"as_of": str(today), "limit": 3}).json()["items"]:
        loc = Location.objects.select_related("warehouse").get(pk=r["location"])
        assert (r["item_code"], r["location_code"], r["warehouse"]) == (
            Item.objects.get(pk=r["item"]).code, loc.code, loc.warehouse_id)
    assert_ledger_consistent()
