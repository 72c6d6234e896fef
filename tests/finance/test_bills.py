"""Supplier bills (采购发票): order → partial receipts → bills → payable (票到应付) → payment; the payable's
source setting, over-billing, voids, billed quantities on order lines, and the nightly check's payload."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openjxc.core.company_settings import payable_from, set_payable_from
from openjxc.core.errors import DomainError, PermissionDenied, ValidationFailed
from openjxc.core.models import Event, Role
from openjxc.core.tasks import check_ledgers
from openjxc.documents import orders
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.finance import selectors as sel
from openjxc.finance import services as fin
from openjxc.finance.ledger import check_partner_ledger
from openjxc.finance.models import Book, PartnerEntry
from openjxc.stock.models import StockMove
from tests.api.conftest import Api
from tests.conftest import assert_ledger_consistent
from tests.finance.conftest import DAY, Books, assert_partner_ledger_consistent
from tests.orders.helpers import confirm, ln

D = Decimal
RATE = D("0.13")


def _order(books, quantity=100, price="5.00"):
    return confirm(books, "purchase_order", [ln(books.flour, quantity, price, tax_rate=RATE)],
                   partner=books.supplier, business_on=DAY)


def _receive(books, po, quantity, *, on=DAY):
    return confirm(books, "purchase_receipt",
                   [ln(books.flour, quantity, "5.00", tax_rate=RATE, source_line=po.lines.get().pk)],
                   partner=books.supplier, source=po, business_on=on)


def _bill(books, receipt, quantity, *, on=DAY, advance_to="posted"):
    line = receipt.lines.get()
    return docs.create_document(
        by=books.admin, kind="purchase_bill", warehouse=receipt.warehouse, partner=books.supplier, source=receipt,
        lines=[ln(books.flour, quantity, "5.00", tax_rate=RATE, source_line=line.pk)], business_on=on,
        advance_to=advance_to,
    )


def _billed(po):
    return [p.billed for p in orders.order_progress(po)]


def _payable(books, as_of=None):
    return sel.payable_balance(books.company.pk, books.supplier.pk, as_of=as_of)


@pytest.fixture
def bill_books(db):
    b = Books()
    set_payable_from(by=b.admin, source="bill")
    b.company.refresh_from_db()
    b.admin.company.refresh_from_db()
    fin.set_payment_terms(b.supplier, by=b.admin, days=30)
    return b


def test_bills_book_the_payable_and_a_payment_settles_them(bill_books):
    books, by = bill_books, bill_books.admin
    assert payable_from(books.company) == "bill"
    po = _order(books)
    # two partial receipts: in bill mode they book nothing on the payable
    r1 = _receive(books, po, 40, on=DAY + dt.timedelta(days=2))
    r2 = _receive(books, po, 50, on=DAY + dt.timedelta(days=5))
    assert _payable(books) == 0 and not PartnerEntry.objects.filter(document__in=[r1, r2]).exists()
    assert _billed(po) == [D(0)]

    # the first receipt is billed partly, then (下推, prices and tax from the receipt) the rest
    b1 = _bill(books, r1, 25, on=DAY + dt.timedelta(days=6))
    assert b1.number.startswith("CGFP-") and b1.status == Status.POSTED
    assert (b1.total_amount, b1.tax_total, b1.total_with_tax) == (D("125.00"), D("16.25"), D("141.25"))
    assert not StockMove.objects.filter(document=b1).exists()  # a bill moves no stock
    assert _billed(po) == [D(25)]
    draft = orders.push_down(r1, by=by, kind="purchase_bill", business_on=DAY + dt.timedelta(days=7))
    line = draft.lines.get()
    assert (draft.source_id, line.quantity, line.unit_price, line.tax_rate) == (r1.pk, D(15), D("5.00"), RATE)
    b2 = docs.advance_document(draft, by=by, to="posted")
    assert b2.total_with_tax == D("84.75")
    assert _billed(po) == [D(40)]

    # over-billing is refused: nothing is left on r1; of two drafts of 30 on r2, the second at posting
    with pytest.raises(DomainError) as refused:
        _bill(books, r1, 1)
    assert refused.value.code == "document.exceeds_source"
    with pytest.raises(DomainError) as refused:
        orders.push_down(r1, by=by, kind="purchase_bill")
    assert refused.value.code == "document.nothing_left"
    on7 = DAY + dt.timedelta(days=7)
    b3, extra = _bill(books, r2, 30, on=on7, advance_to=None), _bill(books, r2, 30, on=on7, advance_to=None)
    b3 = docs.advance_document(b3, by=by, to="posted")
    with pytest.raises(DomainError) as refused:
        docs.advance_document(extra, by=by, to="posted")
    assert refused.value.code == "document.exceeds_source" and refused.value.data["remaining"] == D(20)
    docs.cancel_document(extra, by=by)
    b4 = docs.advance_document(orders.push_down(r2, by=by, kind="purchase_bill", business_on=DAY + dt.timedelta(days=8)),
                               by=by, to="posted")
    assert b4.lines.get().quantity == D(20) and _billed(po) == [D(90)]

    # the payable is the bills with tax, due by the supplier's terms
    assert _payable(books) == D("141.25") + D("84.75") + D("169.50") + D("113.00")
    entry = PartnerEntry.objects.get(document=b1)
    assert (entry.book, entry.amount, entry.due_on) == (Book.PAYABLE, D("141.25"), b1.business_on + dt.timedelta(days=30))

    # a return reduces what was received, not what was billed; in bill mode it is a credit from the supplier
    ret = confirm(books, "purchase_return", [ln(books.flour, 5, "5.00", tax_rate=RATE, source_line=r2.lines.get().pk)],
                  partner=books.supplier, source=r2, business_on=DAY + dt.timedelta(days=9))
    progress = orders.order_progress(po)[0]
    assert (progress.fulfilled, progress.returned, progress.billed) == (D(90), D(5), D(90))
    assert PartnerEntry.objects.get(document=ret).amount == D("-28.25")

    # one payment against both bills of r1, the rest left as a prepayment
    pay = books.pay("300", on=DAY + dt.timedelta(days=10), allocations=[(b1.pk, "141.25"), (b2.pk, "84.75")])
    assert _payable(books) == D("180.25")
    open_docs = sel.open_documents(books.company.pk, books.supplier.pk, Book.PAYABLE)
    assert [(i.number, i.open) for i in open_docs] == [(b3.number, D("169.50")), (b4.number, D("113.00"))]

    # the statement lists the bills (not the receipts); the aging holds the open bills
    st = sel.statement(books.company.pk, books.supplier.pk, Book.PAYABLE, DAY, DAY + dt.timedelta(days=10))
    assert [(x.number, x.amount) for x in st.lines] == [
        (b1.number, D("141.25")), (b2.number, D("84.75")), (b3.number, D("169.50")), (b4.number, D("113.00")),
        (ret.number, D("-28.25")), (pay.number, D("-300.00")),
    ]
    assert (st.opening, st.closing) == (0, D("180.25"))
    (row,) = sel.aging(books.company.pk, Book.PAYABLE, DAY + dt.timedelta(days=40))
    assert row.buckets == {"0-30": D("282.50"), "31-60": 0, "61-90": 0, "90+": 0}  # due on days 37 and 38
    assert row.unapplied == D("-102.25") and row.total == D("180.25")
    (row,) = sel.aging(books.company.pk, Book.PAYABLE, DAY + dt.timedelta(days=70))
    assert row.buckets["31-60"] == D("282.50")

    # a bill with money applied cannot be voided; a receipt with posted bills cannot be voided either
    with pytest.raises(DomainError) as refused:
        docs.void_document(b1, by=by, reason="x")
    assert refused.value.code == "finance.document_allocated"
    with pytest.raises(DomainError) as refused:
        docs.void_document(r1, by=by, reason="x")
    assert refused.value.code == "document.has_children"

    # the mode is fixed now that receipts and bills are posted
    with pytest.raises(DomainError) as refused:
        set_payable_from(by=by, source="receipt")
    assert refused.value.code == "company.payable_mode_locked"

    assert_ledger_consistent()
    assert check_partner_ledger() == []


def test_a_voided_bill_reverses_exactly_and_a_voided_receipt_cannot_be_billed(bill_books):
    books = bill_books
    r = books.buy(10, 5)
    assert _payable(books) == 0
    bill = _bill(books, r, 10)
    assert _payable(books) == D("56.50")
    with pytest.raises(DomainError) as refused:
        books.void(r)
    assert refused.value.code == "document.has_children"
    docs.void_document(bill, by=books.admin, reason="entered twice")
    amounts = sorted(e.amount for e in PartnerEntry.objects.filter(document=bill))
    assert amounts == [D("-56.50"), D("56.50")] and _payable(books) == 0
    again = _bill(books, r, 10)  # the voided bill no longer counts as billed
    docs.void_document(again, by=books.admin, reason="wrong supplier")
    books.void(r)
    with pytest.raises(DomainError) as refused:
        _bill(books, r, 1)
    assert refused.value.code == "document.source_not_posted"
    assert_ledger_consistent()
    assert check_partner_ledger() == []


def test_a_draft_bill_of_a_voided_receipt_cannot_be_posted(bill_books):
    books = bill_books
    r = books.buy(4, 5)
    draft = _bill(books, r, 4, advance_to=None)
    books.void(r)  # a draft bill does not hold the receipt
    with pytest.raises(DomainError) as refused:
        docs.advance_document(draft, by=books.admin, to="posted")
    assert refused.value.code == "document.source_not_posted"
    assert _payable(books) == 0
    assert check_partner_ledger() == []


def test_default_mode_books_payables_from_receipts_and_none_from_bills(db):
    books = Books()
    assert payable_from(books.company) == "receipt"
    po = _order(books)
    r = _receive(books, po, 40)
    assert _payable(books) == D("226.00")
    bill = _bill(books, r, 40)
    assert not PartnerEntry.objects.filter(document=bill).exists()
    assert _payable(books) == D("226.00") and _billed(po) == [D(40)]
    # a bill is not something to pay in this mode: the receipt is
    with pytest.raises(DomainError) as refused:
        books.pay("10", allocations=[(bill.pk, "10")])
    assert refused.value.code == "finance.over_allocated"
    books.pay("226", allocations=[(r.pk, "226")])
    assert _payable(books) == 0
    docs.void_document(bill, by=books.admin, reason="x")
    assert not PartnerEntry.objects.filter(document=bill).exists() and _billed(po) == [D(0)]
    with pytest.raises(DomainError) as refused:
        set_payable_from(by=books.admin, source="bill")
    assert refused.value.code == "company.payable_mode_locked"
    assert_ledger_consistent()
    assert check_partner_ledger() == []


def test_the_payable_setting_is_checked_audited_and_for_administrators(db):
    books = Books()
    with pytest.raises(ValidationFailed):
        set_payable_from(by=books.admin, source="invoice")
    clerk = books.user("buyer", Role.PURCHASER)
    with pytest.raises(PermissionDenied):
        set_payable_from(by=clerk, source="bill")
    set_payable_from(by=books.admin, source="bill")
    assert payable_from(books.company.pk) == "bill"
    event = Event.objects.filter(topic="company.settings").order_by("-id").first()
    assert event.payload == {"payable_from": "bill"}
    set_payable_from(by=books.admin, source="receipt")  # nothing posted yet: switching back is allowed
    assert payable_from(books.company.pk) == "receipt"
    # a voided receipt was posted once: it locks the mode too
    books.void(books.buy(1, 5))
    with pytest.raises(DomainError) as refused:
        set_payable_from(by=books.admin, source="bill")
    assert refused.value.code == "company.payable_mode_locked"


def test_billed_on_a_sales_order_is_delivered_less_returned(books):
    so = confirm(books, "sales_order", [ln(books.flour, 10, "9.00")], partner=books.customer, business_on=DAY)
    line = so.lines.get()
    d = confirm(books, "sales_delivery", [ln(books.flour, 6, "9.00", source_line=line.pk)],
                partner=books.customer, source=so, business_on=DAY)
    books.give_back(d, 2)
    assert _billed(so) == [D(4)]
    assert sel.billed_quantities(d) == {}
    assert_partner_ledger_consistent()


def test_billed_through_the_api_and_the_bill_kind(bill_books):
    books = bill_books
    api = Api(books.admin)
    kinds = {k["code"]: k for k in api.get("/documents/kinds").json()}
    assert kinds["purchase_bill"]["prefix"] == "CGFP" and kinds["purchase_bill"]["sources"] == ["purchase_receipt"]
    po = _order(books)
    r = _receive(books, po, 40)
    res = api.post(f"/orders/{r.pk}/push", {"kind": "purchase_bill"})
    assert res.status_code == 201, res.content
    bill = res.json()
    assert bill["number"].startswith("CGFP-") and bill["source"] == r.pk and bill["status"] == "draft"
    assert [(D(x["quantity"]), D(x["tax_rate"])) for x in bill["lines"]] == [(D(40), RATE)]
    for action in ("submit", "approve", "post"):
        res = api.post(f"/documents/{bill['id']}/{action}")
        assert res.status_code == 200, res.content
    assert D(res.json()["total_with_tax"]) == D("226.00")
    body = api.get(f"/orders/{po.pk}/progress").json()
    assert [D(x["billed"]) for x in body["lines"]] == [D(40)]
    res = api.post("/documents", {"kind": "purchase_bill", "warehouse": books.main.pk, "partner": books.supplier.pk,
                                  "source": r.pk, "lines": [{"item": books.flour.pk, "quantity": "1",
                                                             "source_line": r.lines.get().pk}]})
    assert res.status_code == 409 and res.json()["code"] == "document.exceeds_source"
    assert check_partner_ledger() == []


def test_the_nightly_check_reports_partner_ledger_problems(bill_books):
    books = bill_books
    bill = _bill(books, books.buy(10, 5), 10)
    out = check_ledgers()
    assert out["ACME"]["partner_problems"] == [] and out["ACME"]["ok"] is True
    event = Event.objects.filter(topic="ledger.checked").order_by("-id").first()
    assert event.payload["partner_problems"] == []
    # an entry no document explains: the ledger is append-only, but nothing stops a stray INSERT
    PartnerEntry.objects.create(company=books.company, partner=books.supplier, book=Book.PAYABLE, document=bill,
                                amount=D("1.00"), business_on=DAY, due_on=DAY, created_at=bill.posted_at)
    out = check_ledgers()
    assert out["ACME"]["ok"] is False
    event = Event.objects.filter(topic="ledger.checked").order_by("-id").first()
    assert [p["code"] for p in event.payload["partner_problems"]] == ["entry.document_mismatch"]
    assert bill.number in event.payload["partner_problems"][0]["detail"]


def test_create_from_a_receipt_copies_quantities_prices_and_tax(bill_books):
    books = bill_books
    po = _order(books)
    r = confirm(books, "purchase_receipt",
                [ln(books.flour, 12, "5.65", tax_rate=RATE, source_line=po.lines.get().pk)],
                partner=books.supplier, source=po, business_on=DAY, prices_include_tax=True)
    assert (r.total_amount, r.total_with_tax) == (D("60.00"), D("67.80"))
    bill = docs.create_from(r, by=books.admin, kind="purchase_bill")
    line = bill.lines.get()
    # the price as the receipt has it: with tax, as it was entered (下推 keeps tax-inclusive prices exact)
    assert (line.quantity, line.unit_price, line.tax_rate, line.source_line_id) == (D(12), D("5.65"), RATE,
                                                                                    r.lines.get().pk)
    assert bill.prices_include_tax and (bill.total_amount, bill.total_with_tax) == (D("60.00"), D("67.80"))
    bill = docs.advance_document(bill, by=books.admin, to="posted")
    assert bill.total_with_tax == r.total_with_tax and _payable(books) == D("67.80")
    assert check_partner_ledger() == []


def test_payable_source_through_the_api(db):
    from django.test import Client

    from openjxc.core.tokens import create_token
    from tests.conftest import Shop

    shop = Shop(code="PAYAPI")
    _token, raw = create_token(by=shop.admin, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/finance/payable-from").json() == {"payable_from": "receipt"}
    answer = client.put("/api/finance/payable-from", {"source": "bill"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {"payable_from": "bill"}
    bad = client.put("/api/finance/payable-from", {"source": "invoice"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "request.invalid"
    shop.receive(shop.flour, 1, "5.00")
    locked = client.put("/api/finance/payable-from", {"source": "receipt"}, content_type="application/json")
    assert locked.status_code == 409 and locked.json()["code"] == "company.payable_mode_locked"
