"""Balances as of a date: from the ledger up to the date, or from the current balances less the moves after it
(the shorter side, issue 15). Both sides give the same rows at every date, and the public selector the right ones."""

import datetime as dt
from decimal import Decimal as D

from openjxc.stock.models import STOCKED_KINDS, Location
from openjxc.stock.selectors import _balances_less_moves_after, _moves_up_to, balances_as_of
from tests.documents.helpers import line


def _rows(acc: dict) -> dict:
    return {k: (q, v) for k, (q, v) in acc.items() if q != 0 or v != 0}


def test_both_sides_agree_at_every_date_and_the_selector_is_right(shop, today):
    d = [today - dt.timedelta(days=n) for n in (40, 30, 20, 10, 0)]
    shop.post("purchase_receipt", [line(shop.flour, 10, "5.00")], partner=shop.supplier, business_on=d[0])
    shop.post("purchase_receipt", [line(shop.water, 24, "1.00")], partner=shop.supplier, warehouse=shop.second,
              business_on=d[1])
    shop.post("sales_delivery", [line(shop.flour, 4)], partner=shop.customer, business_on=d[2])
    shop.post("transfer_out", [line(shop.flour, 2)], to_warehouse=shop.store, business_on=d[3])
    shop.post("purchase_receipt", [line(shop.flour, 5, "8.00")], partner=shop.supplier, business_on=d[4])
    company = shop.company.pk
    every = set(Location.objects.filter(company_id=company, kind__in=STOCKED_KINDS).values_list("id", flat=True))
    main = shop.main.locations.get(is_default=True).pk
    for on in [d[0] - dt.timedelta(days=1), *d, today + dt.timedelta(days=1)]:
        for item in (None, shop.flour.pk):
            forward = _rows(_moves_up_to(company, on, every, item))
            backward = _rows(_balances_less_moves_after(company, on, every, item))
            assert forward == backward, on
    flour_main = {r["location_id"]: (r["quantity"], r["value"])
                  for r in balances_as_of(company, d[3], item_id=shop.flour.pk)}
    assert flour_main[main] == (D("4.0000"), D("20.00"))  # 10 in, 4 sold, 2 sent on d[3]
    assert sum(q for q, _v in flour_main.values()) == D("6")  # 2 of them in transit
    assert balances_as_of(company, d[0] - dt.timedelta(days=1)) == []
    recent = balances_as_of(company, today, warehouse_ids=[shop.main.pk])  # the backward side
    assert [(r["item_id"], r["quantity"], r["value"]) for r in recent] == [(shop.flour.pk, D("9.0000"), D("60.00"))]
    old = balances_as_of(company, d[1], warehouse_ids=[shop.second.pk])  # the forward side
    assert [(r["item_id"], r["quantity"]) for r in old] == [(shop.water.pk, D("24.0000"))]
