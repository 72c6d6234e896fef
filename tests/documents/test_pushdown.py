"""下推 through the page, `POST /api/documents/{id}/create-from` and `POST /api/orders/{id}/push` makes the same
document: the same lines, prices, tax, promised dates and source links (one service, documents/pushdown.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from openjxc.core import clock
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from tests.api.conftest import Api
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line

D = Decimal
RATE = D("0.13")
PROMISED = dt.date(2026, 12, 24)

LINE_FIELDS = ("item_id", "unit_id", "unit_quantity", "factor", "quantity", "unit_price", "amount", "discount_rate",
               "discount_amount", "tax_rate", "tax_amount", "amount_with_tax", "promised_on", "lot_id", "lot_code",
               "source_line_id", "memo")
HEADER_FIELDS = ("kind", "status", "warehouse_id", "to_warehouse_id", "partner_id", "source_id", "prices_include_tax",
                 "total_quantity", "total_amount", "tax_total", "total_with_tax", "custom")


def made(doc: Document) -> tuple:
    doc = Document.objects.get(pk=doc.pk)
    return (tuple(getattr(doc, f) for f in HEADER_FIELDS),
            [tuple(getattr(ln, f) for f in LINE_FIELDS) for ln in doc.lines.order_by("line_no")])


def three_ways(client, shop, source: Document, kind: str) -> list[Document]:
    """The same 下推 by the page's button, the create-from endpoint and the push endpoint."""
    client.force_login(shop.admin)
    before = set(Document.objects.filter(kind=kind).values_list("pk", flat=True))
    answer = client.post(reverse("web:document_create_from", args=[source.pk, kind]))
    assert answer.status_code == 302, answer.content[:300]
    (page,) = Document.objects.filter(kind=kind).exclude(pk__in=before)
    api = Api(shop.admin)
    by_api = api.post(f"/documents/{source.pk}/create-from", {"kind": kind})
    assert by_api.status_code == 201, by_api.content[:300]
    pushed = api.post(f"/orders/{source.pk}/push", {"kind": kind})
    assert pushed.status_code == 201, pushed.content[:300]
    return [page, Document.objects.get(pk=by_api.json()["id"]), Document.objects.get(pk=pushed.json()["id"])]


def assert_same(documents: list[Document]) -> tuple:
    first, *rest = (made(d) for d in documents)
    for other in rest:
        assert other == first
    return first


@pytest.fixture
def stocked(shop):
    shop.receive(shop.flour, 100, "5.00")
    shop.receive(shop.water, 100, "1.20")
    return shop


def _post(shop, kind, lines, **kw):
    return docs.create_document(by=shop.admin, kind=kind, warehouse=kw.pop("warehouse", shop.main), lines=lines,
                                advance_to="posted", **kw)


def test_order_to_receipt_nets_returns_and_keeps_tax_inclusive_prices_and_promised_dates(client, stocked):
    shop = stocked
    po = _post(shop, "purchase_order", [line(shop.flour, 10, "5.65", tax_rate=RATE, promised_on=PROMISED),
                                        line(shop.water, 7, "1.13", tax_rate=RATE)],
               partner=shop.supplier, prices_include_tax=True)
    flour_line = po.lines.get(item=shop.flour)
    got = _post(shop, "purchase_receipt", [line(shop.flour, 6, "5.65", tax_rate=RATE, source_line=flour_line.pk)],
                partner=shop.supplier, source=po, prices_include_tax=True)
    _post(shop, "purchase_return", [line(shop.flour, 2, source_line=got.lines.get().pk)], partner=shop.supplier,
          source=got)
    header, lines = assert_same(three_ways(client, shop, po, "purchase_receipt"))
    assert header[:7] == ("purchase_receipt", Status.DRAFT, shop.main.pk, None, shop.supplier.pk, po.pk, True)
    # flour: 10 ordered, 6 received, 2 of them returned -> 6 left; prices as entered, with tax
    assert [(ln[0], ln[4], ln[5], ln[9], ln[11], ln[12], ln[15]) for ln in lines] == [
        (shop.flour.pk, D(6), D("5.65"), RATE, D("33.90"), PROMISED, flour_line.pk),
        (shop.water.pk, D(7), D("1.13"), RATE, D("7.91"), None, po.lines.get(item=shop.water).pk),
    ]


def test_sales_order_to_delivery_is_the_same_by_page_and_api(client, stocked):
    shop = stocked
    so = _post(shop, "sales_order", [line(shop.flour, 4, "8.00", tax_rate=RATE, promised_on=PROMISED,
                                          discount_rate=D("0.05"))], partner=shop.customer)
    header, lines = assert_same(three_ways(client, shop, so, "sales_delivery"))
    # the 5 % discount is in the price per unit the delivery takes: 4 x 7.60 = 30.40, tax 3.95
    assert (header[0], header[8:11]) == ("sales_delivery", (D("30.40"), D("3.95"), D("34.35")))
    assert [(ln[4], ln[5], ln[12], ln[15]) for ln in lines] == [(D(4), D("7.6"), PROMISED, so.lines.get().pk)]


def test_receipt_to_return_and_to_bill_are_the_same_by_page_and_api(client, stocked):
    shop = stocked
    got = _post(shop, "purchase_receipt", [line(shop.flour, 12, "5.65", tax_rate=RATE)], partner=shop.supplier,
                prices_include_tax=True)
    for kind in ("purchase_return", "purchase_bill"):
        header, lines = assert_same(three_ways(client, shop, got, kind))
        assert header[8:11] == (D("60.00"), D("7.80"), D("67.80"))  # the receipt's own figures
        assert [(ln[4], ln[5], ln[15]) for ln in lines] == [(D(12), D("5.65"), got.lines.get().pk)]


def test_delivery_to_return_is_the_same_by_page_and_api_and_posts_at_the_deliverys_cost(client, stocked):
    shop = stocked
    sold = _post(shop, "sales_delivery", [line(shop.flour, 3, "8.00"), line(shop.water, 2, "2.00")],
                 partner=shop.customer, custom={"terminal": "POS-1", "channel": "phone"})
    header, lines = assert_same(three_ways(client, shop, sold, "sales_return"))
    assert header[-1] == {"channel": "phone"}  # where the sale came from (a till) is the sale's, not the return's
    assert [(ln[4], ln[15]) for ln in lines] == [(D(3), sold.lines.get(item=shop.flour).pk),
                                                  (D(2), sold.lines.get(item=shop.water).pk)]
    back = docs.advance_document(Document.objects.filter(kind="sales_return").first(), by=shop.admin, to="posted")
    assert [ln.cost_amount for ln in back.lines.order_by("line_no")] == [D("15.00"), D("2.40")]
    assert_ledger_consistent()


def test_transfer_out_to_in_arrives_at_the_destination_by_page_and_api(client, stocked):
    shop = stocked
    sent = _post(shop, "transfer_out", [line(shop.flour, 8)], to_warehouse=shop.second)
    header, lines = assert_same(three_ways(client, shop, sent, "transfer_in"))
    assert header[:6] == ("transfer_in", Status.DRAFT, shop.second.pk, None, None, sent.pk)
    assert [(ln[4], ln[15]) for ln in lines] == [(D(8), sent.lines.get().pk)]


def test_a_transfer_in_dated_before_its_transfer_out_is_refused_with_both_dates_and_posts_from_that_day(stocked):
    shop = stocked
    today = clock.today(shop.company.time_zone)
    sent = _post(shop, "transfer_out", [line(shop.flour, 8)], to_warehouse=shop.second)
    api = Api(shop.admin)
    before = Document.objects.count()
    early = api.post(f"/documents/{sent.pk}/create-from",
                     {"kind": "transfer_in", "business_on": str(today - dt.timedelta(days=1))})
    assert early.status_code == 409, early.content[:300]
    body = early.json()
    assert body["code"] == "document.before_source"
    assert (body["data"]["source"], body["data"]["source_date"]) == (sent.number, str(sent.business_on))
    assert Document.objects.count() == before
    # a draft made on the day, then re-dated before it: the edit is refused and the draft keeps its date
    draft = api.post(f"/documents/{sent.pk}/create-from", {"kind": "transfer_in"})
    assert draft.status_code == 201, draft.content[:300]
    doc_id = draft.json()["id"]
    moved = api.patch(f"/documents/{doc_id}", {"business_on": str(today - dt.timedelta(days=1))})
    assert moved.status_code == 409 and moved.json()["code"] == "document.before_source"
    assert Document.objects.get(pk=doc_id).business_on == sent.business_on
    # posted on the transfer out's day, it arrives at what the transfer out carried
    for step in ("submit", "approve", "post"):
        done = api.post(f"/documents/{doc_id}/{step}", {})
        assert done.status_code == 200, (step, done.content[:300])
    assert Document.objects.get(pk=doc_id).lines.get().cost_amount == D("40.00")
    assert_ledger_consistent()
