"""Balances as of a date: from the ledger up to the date, or from the current balances less the moves after it
(the shorter side, issue 15). Both sides give the same rows at every date, and the public selector the right ones."""

import datetime as dt
from decimal import Decimal as D

from django.db.models import Max

from openjxc.stock.asof import BACKWARD, CHECKPOINT, FORWARD, AsOf, rows_as_of
from openjxc.stock.checkpoints import month_end, refresh
from openjxc.stock.models import STOCKED_KINDS, Location, MonthEndBalance, MonthEndBalances, StockMove
from openjxc.stock.selectors import balances_as_of
from tests.documents.helpers import line
from tests.stock.dated import ledger_balances

_ledger = ledger_balances


def _side(company, on, locs, item=None, side=FORWARD) -> dict:
    return {r[:3]: (r[3], r[4]) for r in rows_as_of(AsOf(company, on, tuple(sorted(locs)), item), side=side)}


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
            forward = _side(company, on, every, item, FORWARD)
            backward = _side(company, on, every, item, BACKWARD)
            assert forward == backward == _ledger(company, on, every, item), on
    flour_main = {r["location_id"]: (r["quantity"], r["value"])
                  for r in balances_as_of(company, d[3], item_id=shop.flour.pk)}
    assert flour_main[main] == (D("4.0000"), D("20.00"))  # 10 in, 4 sold, 2 sent on d[3]
    assert sum(q for q, _v in flour_main.values()) == D("6")  # 2 of them in transit
    assert balances_as_of(company, d[0] - dt.timedelta(days=1)) == []
    recent = balances_as_of(company, today, warehouse_ids=[shop.main.pk])  # the backward side
    assert [(r["item_id"], r["quantity"], r["value"]) for r in recent] == [(shop.flour.pk, D("9.0000"), D("60.00"))]
    old = balances_as_of(company, d[1], warehouse_ids=[shop.second.pk])  # the forward side
    assert [(r["item_id"], r["quantity"]) for r in old] == [(shop.water.pk, D("24.0000"))]


def _checkpoint_side(company, on, locs, item=None):
    from openjxc.stock.checkpoints import nearest_checkpoint

    return None if nearest_checkpoint(company, on) is None else _side(company, on, locs, item, CHECKPOINT)


def test_month_end_checkpoints_give_every_date_and_a_back_dated_move_before_them_counts(shop, today):
    # a history over four months: receipts, sales, a transfer, lots
    company = shop.company.pk
    d = [today - dt.timedelta(days=n) for n in (110, 95, 70, 64, 40, 33, 12, 1)]
    shop.post("purchase_receipt", [line(shop.flour, 50, "5.00")], partner=shop.supplier, business_on=d[0])
    shop.post("purchase_receipt", [line(shop.water, 24, "1.00")], partner=shop.supplier, warehouse=shop.second,
              business_on=d[1])
    shop.post("sales_delivery", [line(shop.flour, 4)], partner=shop.customer, business_on=d[2])
    shop.post("transfer_out", [line(shop.flour, 6)], to_warehouse=shop.store, business_on=d[3])
    shop.post("purchase_receipt", [line(shop.flour, 5, "8.00")], partner=shop.supplier, business_on=d[4])
    shop.post("sales_delivery", [line(shop.water, 10)], partner=shop.customer, warehouse=shop.second,
              business_on=d[5])
    shop.post("sales_delivery", [line(shop.flour, 3)], partner=shop.customer, business_on=d[6])
    every = set(Location.objects.filter(company_id=company, kind__in=STOCKED_KINDS).values_list("id", flat=True))
    dates = [d[0] - dt.timedelta(days=1)] + [today - dt.timedelta(days=n) for n in range(0, 115, 3)]
    dates += [month_end(day) for day in dates] + [month_end(day) + dt.timedelta(days=1) for day in dates]

    # when the nightly job writes the month ends (each complete month since the first move)
    done = refresh(shop.company, today=today)
    assert done["months"] >= 3
    state = MonthEndBalances.objects.get(company=shop.company)
    assert state.first == month_end(d[0]) and state.last == month_end(today.replace(day=1) - dt.timedelta(days=1))
    assert MonthEndBalance.objects.filter(company=shop.company, month_end=state.last).exists()

    def every_date_is_the_ledger():
        for on in dates:
            for item in (None, shop.flour.pk):
                truth = _ledger(company, on, every, item)
                checkpoint = _checkpoint_side(company, on, every, item)
                assert checkpoint is None or checkpoint == truth, on
                got = {(r["item_id"], r["location_id"], r["lot_id"]): (r["quantity"], r["value"])
                       for r in balances_as_of(company, on, item_id=item)}
                assert got == truth, on

    # then any date, from the checkpoint or from either side, is the ledger summed up to it
    every_date_is_the_ledger()
    assert _checkpoint_side(company, today, every) is not None

    # a receipt back-dated before the first checkpoint (it re-costs the sales after it, with corrections dated
    # like them): the checkpoints do not hold it yet, and a read adds it from the ledger
    before = MonthEndBalance.objects.get(company=shop.company, month_end=state.first, item=shop.flour,
                                         location=shop.main.locations.get(is_default=True))
    shop.post("purchase_receipt", [line(shop.flour, 10, "9.00")], partner=shop.supplier,
              business_on=d[0] + dt.timedelta(days=1))
    every_date_is_the_ledger()
    # the next night folds it into every month end from its month on, and reads are the ledger again
    done = refresh(shop.company, today=today)
    assert done["folded"] >= 1 and done["months"] == 0
    before.refresh_from_db()
    assert before.quantity == D("60")  # 50 + the 10 back-dated
    assert MonthEndBalances.objects.get(company=shop.company).moves_through == StockMove.objects.aggregate(
        m=Max("id"))["m"]
    every_date_is_the_ledger()
    # nothing new: nothing to do
    assert refresh(shop.company, today=today) == {"folded": 0, "months": 0, "moves_through": done["moves_through"]}
