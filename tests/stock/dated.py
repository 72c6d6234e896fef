"""Postings on a chosen business date, for the tests of back-dated history (re-costing, the ledger checkpoint, stock
as of a date), and the ledger's balances on a date summed in Python (their oracle)."""

from __future__ import annotations

import datetime as dt

from openjxc.core import clock
from openjxc.core.quantities import ZERO
from openjxc.stock.models import StockMove
from tests.documents.helpers import line


def days_ago(shop, n):
    return clock.today(shop.company.time_zone) - dt.timedelta(days=n)


def receive_on(shop, day, item, quantity, price, warehouse=None):
    return shop.post("purchase_receipt", [line(item, quantity, price)], partner=shop.supplier,
                     warehouse=warehouse, business_on=day)


def sell_on(shop, day, item, quantity, warehouse=None):
    return shop.post("sales_delivery", [line(item, quantity)], partner=shop.customer, warehouse=warehouse,
                     business_on=day)


def ledger_balances(company, on, locs, item=None, lot=None) -> dict:
    """The oracle: every move dated up to `on` summed in Python, {(item, stocked location, lot): (qty, value)}."""
    acc: dict = {}
    for m in StockMove.objects.filter(company_id=company, business_on__lte=on):
        if (item is not None and m.item_id != item) or (lot is not None and m.lot_id != lot):
            continue
        for loc, sign in ((m.to_location_id, 1), (m.from_location_id, -1)):
            if loc in locs:
                a = acc.setdefault((m.item_id, loc, m.lot_id), [ZERO, ZERO])
                a[0] += sign * m.quantity
                a[1] += sign * m.value
    return {k: (q, v) for k, (q, v) in acc.items() if q != 0 or v != 0}
