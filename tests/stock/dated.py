"""Postings on a chosen business date, for the tests of back-dated history (re-costing, the ledger checkpoint)."""

from __future__ import annotations

import datetime as dt

from openjxc.core import clock
from tests.documents.helpers import line


def days_ago(shop, n):
    return clock.today(shop.company.time_zone) - dt.timedelta(days=n)


def receive_on(shop, day, item, quantity, price, warehouse=None):
    return shop.post("purchase_receipt", [line(item, quantity, price)], partner=shop.supplier,
                     warehouse=warehouse, business_on=day)


def sell_on(shop, day, item, quantity, warehouse=None):
    return shop.post("sales_delivery", [line(item, quantity)], partner=shop.customer, warehouse=warehouse,
                     business_on=day)
