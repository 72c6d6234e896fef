"""A trading company's books for the finance tests: documents through the document services, money through
the finance services, and the partner-ledger check every story ends with."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openjxc.core.company_settings import set_stock_tracking, tracks_stock
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.finance import services as fin
from openjxc.finance.ledger import check_partner_ledger
from openjxc.partners import services as partners
from tests.conftest import Shop

D = Decimal
DAY = dt.date(2026, 3, 1)


def assert_partner_ledger_consistent(company_id=None):
    problems = check_partner_ledger(company_id)
    assert problems == [], "\n".join(map(str, problems))


class Books(Shop):
    """The Shop plus a second customer and helpers that sell, buy, return, receive and pay money."""

    def __init__(self, code="ACME", *, trading=False):
        super().__init__(code)
        if trading:  # 进销存无库存版: nothing goes to the stock ledger
            set_stock_tracking(by=self.admin, enabled=False)
            self.company.refresh_from_db()
            self.admin.company.refresh_from_db()
        self.customer2 = partners.create_partner(by=self.admin, code="C002", name="平安便利店", kind="customer")
        if tracks_stock(self.company):  # opening stock (no partner): deliveries have goods to take
            self.post("opening", [LineInput(item=self.flour.pk, quantity=D("1000"), unit_price=D("5"))],
                      business_on=DAY - dt.timedelta(days=30))

    def deliver(self, quantity, price, *, on=DAY, customer=None, item=None):
        return self.post("sales_delivery", [LineInput(item=(item or self.flour).pk, quantity=D(str(quantity)),
                                                      unit_price=D(str(price)))],
                         partner=customer or self.customer, business_on=on)

    def buy(self, quantity, price, *, on=DAY, item=None):
        return self.post("purchase_receipt", [LineInput(item=(item or self.flour).pk, quantity=D(str(quantity)),
                                                        unit_price=D(str(price)))],
                         partner=self.supplier, business_on=on)

    def give_back(self, source, quantity, *, on=DAY):
        """A return of `quantity` of the source's first line, at the source's price."""
        kind = "sales_return" if source.kind == "sales_delivery" else "purchase_return"
        line = source.lines.order_by("line_no").first()
        return self.post(kind, [LineInput(item=line.item_id, quantity=D(str(quantity)), unit_price=line.unit_price,
                                          source_line=line.pk)],
                         partner=source.partner, source=source, business_on=on)

    def receive_money(self, amount, *, on=DAY, customer=None, allocations=None):
        return fin.create_settlement(by=self.admin, kind="receipt", partner=customer or self.customer,
                                     amount=D(str(amount)), business_on=on, post=True,
                                     allocations=[fin.AllocationInput(d, D(str(a))) for d, a in allocations or []])

    def pay(self, amount, *, on=DAY, allocations=None):
        return fin.create_settlement(by=self.admin, kind="payment", partner=self.supplier, amount=D(str(amount)),
                                     business_on=on, post=True,
                                     allocations=[fin.AllocationInput(d, D(str(a))) for d, a in allocations or []])

    def void(self, doc, reason="wrong"):
        return docs.void_document(doc, by=self.admin, reason=reason)


@pytest.fixture
def books(db):
    return Books()
