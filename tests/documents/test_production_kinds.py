"""Material issue to production (生产领料) and finished-goods receipt (产成品入库), added by docs/adding-a-kind.md.

The receipt is valued at what the issue consumed: the issue's posted cost, split over the receipt's lines
by quantity × unit price; partial receipts take the share they state and the last takes the rest, so the
receipts of one issue add up to its cost to the cent, also after a void.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from openjxc.catalog import services as catalog
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.documents import services as docs
from openjxc.documents.kinds import KINDS
from openjxc.documents.models import Document, Status
from openjxc.stock.models import LocationKind
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line, moves_of, route, valuation

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.fixture
def bakery(shop):
    """Flour at an average of 6.00/kg and water at 1.20 in the main warehouse; bread and rolls to make."""
    shop.receive(shop.flour, 10, "5.00")
    shop.receive(shop.flour, 10, "7.00")
    shop.receive(shop.water, 24, "1.20")
    shop.bread = catalog.create_item(by=shop.admin, code="B001", name="面包", base_unit=shop.pcs,
                                     purchase_price=D("3"), sale_price=D("6"))
    shop.roll = catalog.create_item(by=shop.admin, code="R001", name="小餐包", base_unit=shop.pcs,
                                    purchase_price=D("1"), sale_price=D("2"))
    return shop


def issue(shop, *lines):
    return shop.post("material_issue", list(lines))


def receive_finished(shop, source, *lines, share=None):
    custom = {"issue_share": share} if share is not None else None
    doc = docs.create_document(by=shop.admin, kind="finished_goods_receipt", warehouse=shop.main, source=source,
                               lines=list(lines), custom=custom)
    return docs.advance_document(doc, by=shop.admin, to="posted")


def costs(doc) -> list[Decimal]:
    return [ln.cost_amount for ln in doc.lines.order_by("line_no")]


def test_a_material_issue_moves_materials_to_production_at_the_moving_average(bakery):
    shop = bakery
    made = issue(shop, line(shop.flour, 5), line(shop.water, 12))
    assert made.number.startswith("SCLL-") and made.status == Status.POSTED
    assert route(made) == [("internal", LocationKind.PRODUCTION, D(5), D("30.00")),
                           ("internal", LocationKind.PRODUCTION, D(12), D("14.40"))]
    assert costs(made) == [D("30.00"), D("14.40")]
    assert valuation(shop.flour, shop.main) == (D(15), D("90.00"))
    assert_ledger_consistent()


def test_the_finished_goods_take_the_issue_cost_exactly_split_by_quantity_times_unit_price(bakery):
    shop = bakery
    made = issue(shop, line(shop.flour, 5), line(shop.water, 12))  # 44.40
    got = receive_finished(shop, made, line(shop.bread, 10), line(shop.roll, 5))  # weights 30 and 5
    assert got.number.startswith("CPRK-") and got.source_id == made.pk
    assert costs(got) == [D("38.06"), D("6.34")] and sum(costs(got)) == D("44.40")
    assert route(got) == [(LocationKind.PRODUCTION, "internal", D(10), D("38.06")),
                          (LocationKind.PRODUCTION, "internal", D(5), D("6.34"))]
    assert valuation(shop.bread, shop.main) == (D(10), D("38.06"))
    # given shares: the unit prices entered are the weights
    again = issue(shop, line(shop.flour, 1))  # 6.00
    split = receive_finished(shop, again, line(shop.bread, 1, "2"), line(shop.roll, 3, "0"))
    assert costs(split) == [D("6.00"), D("0.00")]
    assert_ledger_consistent()


def test_partial_receipts_and_a_void_still_add_up_to_the_issue_cost(bakery):
    shop = bakery
    made = issue(shop, line(shop.flour, 5), line(shop.water, 12))  # 44.40
    first = receive_finished(shop, made, line(shop.bread, 6), share="0.6")
    assert costs(first) == [D("26.64")]
    rest = receive_finished(shop, made, line(shop.bread, 4))
    assert costs(rest) == [D("17.76")] and costs(first)[0] + costs(rest)[0] == D("44.40")
    with pytest.raises(DomainError) as refused:
        receive_finished(shop, made, line(shop.bread, 1))
    assert refused.value.code == "document.nothing_left"
    with pytest.raises(DomainError) as refused:
        docs.void_document(made, by=shop.admin, reason="wrong batch")
    assert refused.value.code == "document.has_children"
    # voiding the last receipt gives its value back to the issue; the next receipt takes it
    docs.void_document(rest, by=shop.admin, reason="counted twice")
    assert Document.objects.get(pk=rest.pk).status == Status.VOIDED and len(moves_of(rest)) == 2
    redo = receive_finished(shop, made, line(shop.bread, 3), line(shop.roll, 2))
    assert sum(costs(redo)) == D("17.76")
    assert costs(first)[0] + sum(costs(redo)) == D("44.40")
    assert valuation(shop.bread, shop.main)[1] + valuation(shop.roll, shop.main)[1] == D("44.40")
    assert_ledger_consistent()


def test_a_finished_goods_receipt_needs_a_material_issue_and_a_fraction_as_its_share(bakery):
    shop = bakery
    with pytest.raises(ValidationFailed) as refused:
        docs.create_document(by=shop.admin, kind="finished_goods_receipt", warehouse=shop.main,
                             lines=[line(shop.bread, 1)])
    assert refused.value.data["field"] == "source"
    delivery = shop.sell(shop.flour, 1)
    with pytest.raises(DomainError) as refused:
        docs.create_document(by=shop.admin, kind="finished_goods_receipt", warehouse=shop.main, source=delivery,
                             lines=[line(shop.bread, 1)])
    assert refused.value.code == "document.source_kind"
    made = issue(shop, line(shop.flour, 1))
    for bad in ("1.5", "0", "-0.2", "abc"):
        with pytest.raises(ValidationFailed) as refused:
            docs.create_document(by=shop.admin, kind="finished_goods_receipt", warehouse=shop.main, source=made,
                                 lines=[line(shop.bread, 1)], custom={"issue_share": bad})
        assert refused.value.data["field"] == "custom.issue_share"
    with pytest.raises(DomainError) as refused:  # 下推 cannot guess what was made: its lines are its own
        docs.push_down(made, by=shop.admin, kind="finished_goods_receipt")
    assert refused.value.code == "document.lines_of_its_own"
    assert not Document.objects.filter(kind="finished_goods_receipt").exists()


def test_both_kinds_are_named_in_chinese_and_described_by_the_api(bakery):
    with translation.override("zh-hans"):
        assert (str(KINDS["material_issue"].label), str(KINDS["finished_goods_receipt"].label)) == (
            "生产领料", "产成品入库")
    from tests.api.conftest import Api

    kinds = {k["code"]: k for k in Api(bakery.admin).get("/documents/kinds").json()}
    assert kinds["finished_goods_receipt"]["sources"] == ["material_issue"]
    assert kinds["finished_goods_receipt"]["needs_source"] and not kinds["material_issue"]["needs_source"]


def test_the_web_pages_create_an_issue_and_its_finished_goods_receipt(client, bakery):
    shop = bakery
    client.force_login(shop.admin)
    page = client.get(reverse("web:document_new"), **ZH).content.decode()
    assert "生产领料" in page and "产成品入库" in page
    answer = client.post(reverse("web:document_new"), {
        "kind": "material_issue", "warehouse": shop.main.pk, "line_item": ["F001", ""], "line_qty": ["5", ""],
        "line_price": ["", ""], "line_lot": ["", ""],
    })
    assert answer.status_code == 302
    made = docs.advance_document(Document.objects.get(kind="material_issue"), by=shop.admin, to="posted")
    # 下推 from the issue's page opens the new-document form with the issue as the source
    answer = client.post(reverse("web:document_create_from", args=[made.pk, "finished_goods_receipt"]))
    assert answer.status_code == 302 and f"source={made.pk}" in answer["Location"]
    form = client.get(answer["Location"], **ZH)
    assert form.status_code == 200
    answer = client.post(answer["Location"], {
        "kind": "finished_goods_receipt", "warehouse": shop.main.pk, "line_item": ["B001"], "line_qty": ["10"],
        "line_price": [""], "line_lot": [""],
    })
    assert answer.status_code == 302
    got = docs.advance_document(Document.objects.get(kind="finished_goods_receipt"), by=shop.admin, to="posted")
    assert got.source_id == made.pk and costs(got) == [D("30.00")]
    assert_ledger_consistent()
