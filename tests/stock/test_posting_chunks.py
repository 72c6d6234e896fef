"""Big postings go to the database in chunks (SQLite's bound-parameter limit): same result at every boundary."""

import datetime as dt
from decimal import Decimal as D

import pytest

from openjxc.catalog import services as catalog
from openjxc.stock import posting
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line, moves_of, qty_at, valuation


@pytest.mark.parametrize("chunk", [1, 2, 3, 5000])
def test_a_posting_split_into_chunks_values_and_locks_every_item_once(shop, monkeypatch, chunk):
    # given seven items (chunk boundaries fall inside one document's items)
    items = [shop.flour, shop.water] + [
        catalog.create_item(by=shop.admin, code=f"X{n:03}", name=f"散货{n}", base_unit=shop.pcs) for n in range(5)
    ]
    monkeypatch.setattr(posting, "_CHUNK", chunk)
    # when one receipt brings all of them in, at different costs, and one delivery takes part of each out
    receipt = shop.post("purchase_receipt", [line(it, 10 + n, f"{n + 1}.50") for n, it in enumerate(items)],
                        partner=shop.supplier)
    shop.post("sales_delivery", [line(it, 3, "20") for it in items], partner=shop.customer)
    # then every item has its own quantity and value, and the books balance
    for n, it in enumerate(items):
        assert qty_at(it, shop.main) == D(7 + n)
        unit = D(f"{n + 1}.50")
        assert valuation(it, shop.main) == (D(7 + n), (unit * (7 + n)).quantize(D("0.01")))
    assert receipt.lines.count() == len(items)
    assert_ledger_consistent()


@pytest.mark.parametrize("chunk", [1, 5000])
def test_fefo_takes_the_lot_expiring_first_then_the_next(shop, monkeypatch, chunk, today):
    monkeypatch.setattr(posting, "_CHUNK", chunk)
    soon, later = today + dt.timedelta(days=3), today + dt.timedelta(days=9)
    shop.receive(shop.milk, 4, "3.00", lot="L-LATE", expires_on=later)
    shop.receive(shop.milk, 5, "3.00", lot="L-SOON", expires_on=soon)
    # a sale of 7 without a lot takes the 5 expiring first, then 2 of the later lot
    sale = shop.sell(shop.milk, 7)
    taken = sorted((m.lot.code, m.quantity) for m in moves_of(sale) if not m.is_adjustment)
    assert taken == [("L-LATE", D(2)), ("L-SOON", D(5))]
    assert qty_at(shop.milk, shop.main) == D(2)
    assert_ledger_consistent()
