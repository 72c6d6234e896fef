"""Every transition of documents/services.TRANSITIONS, what each one writes, and what each refuses."""

import datetime as dt
from decimal import Decimal as D

import pytest

from openjxc.core.models import AuditRecord, Event, Role
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import TRANSITIONS
from openjxc.stock.models import StockMove
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import counts, line, moves_of, qty_at, refused, valuation


def draft(shop, quantity=10, cost="5.00", **kw):
    return docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                                lines=[line(shop.flour, quantity, cost)], **kw)


def trail(doc):
    """(event topics, audit actions) written for `doc` itself, in order."""
    topics = list(Event.objects.filter(object_type="documents.document", object_id=str(doc.pk))
                  .order_by("pk").values_list("topic", flat=True))
    actions = list(AuditRecord.objects.filter(object_type="documents.document", object_id=str(doc.pk))
                   .order_by("pk").values_list("action", flat=True))
    return topics, actions


def test_the_transition_table_is_the_one_these_tests_cover():
    assert {a: (set(f), t) for a, (f, t) in TRANSITIONS.items()} == {
        "submit": ({Status.DRAFT}, Status.SUBMITTED),
        "approve": ({Status.SUBMITTED}, Status.APPROVED),
        "reject": ({Status.SUBMITTED}, Status.DRAFT),
        "withdraw": ({Status.SUBMITTED}, Status.DRAFT),  # the requester takes it back: tests/workflow/test_engine.py
        "post": ({Status.APPROVED}, Status.POSTED),
        "void": ({Status.POSTED}, Status.VOIDED),
        "cancel": ({Status.DRAFT, Status.SUBMITTED, Status.APPROVED}, Status.CANCELLED),
        "close": ({Status.POSTED}, Status.CLOSED),  # orders closed short: tests/orders/test_purchasing_story.py
    }


def test_draft_submit_approve_post_void_each_writes_an_event_and_an_audit_record(shop):
    doc = draft(shop)
    doc = docs.submit_document(doc, by=shop.admin)
    assert doc.status == Status.SUBMITTED and doc.submitted_at
    doc = docs.approve_document(doc, by=shop.admin)
    assert (doc.status, doc.approved_by) == (Status.APPROVED, shop.admin)
    doc = docs.post_document(doc, by=shop.admin)
    assert (doc.status, doc.posted_by) == (Status.POSTED, shop.admin)
    doc = docs.void_document(doc, by=shop.admin, reason="供应商送错货")
    assert (doc.status, doc.voided_by, doc.void_reason) == (Status.VOIDED, shop.admin, "供应商送错货")
    topics, actions = trail(doc)
    assert topics == ["document.created", "document.submit", "document.approve", "stock.changed", "document.post",
                      "stock.changed", "document.void"]
    assert actions == ["create", "submit", "approve", "post", "void"]
    audit = AuditRecord.objects.filter(object_id=str(doc.pk), action="void").get()
    assert audit.actor == shop.admin and audit.before == {"status": "posted"}
    assert qty_at(shop.flour, shop.main) == 0
    assert_ledger_consistent()


def test_update_writes_an_event_and_an_audit_record_with_before_and_after(shop):
    doc = draft(shop)
    docs.update_document(doc, by=shop.admin, lines=[line(shop.flour, 3, "2.00")], memo="改数量")
    topics, actions = trail(doc)
    assert topics == ["document.created", "document.updated"]
    assert actions == ["create", "update"]
    rec = AuditRecord.objects.get(object_id=str(doc.pk), action="update")
    assert rec.before["total_amount"] == "50.00" and rec.after["total_amount"] == "6.00"


def test_reject_sends_it_back_as_a_draft_that_can_be_edited_and_resubmitted(shop):
    doc = docs.submit_document(draft(shop), by=shop.admin)
    doc = docs.reject_document(doc, by=shop.admin, reason="价格不对")
    assert doc.status == Status.DRAFT
    doc = docs.update_document(doc, by=shop.admin, lines=[line(shop.flour, 10, "4.80")])
    doc = docs.advance_document(doc, by=shop.admin, to="posted")
    assert valuation(shop.flour, shop.main) == (D("10"), D("48.00"))
    assert trail(doc)[1] == ["create", "submit", "reject", "update", "submit", "approve", "post"]


@pytest.mark.parametrize("reach", ["draft", "submitted", "approved"])
def test_cancel_from_every_unposted_status_writes_nothing_to_stock(shop, reach):
    doc = draft(shop)
    if reach != "draft":
        doc = docs.advance_document(doc, by=shop.admin, to=reach)
    doc = docs.cancel_document(doc, by=shop.admin, reason="不要了")
    assert doc.status == Status.CANCELLED
    assert trail(doc)[1][-1] == "cancel"
    assert not StockMove.objects.exists()


# (status to reach, how, action attempted)
DISALLOWED = [
    ("draft", "approve"), ("draft", "reject"), ("draft", "post"), ("draft", "void"),
    ("submitted", "submit"), ("submitted", "post"), ("submitted", "void"), ("submitted", "edit"),
    ("approved", "submit"), ("approved", "approve"), ("approved", "reject"), ("approved", "void"),
    ("approved", "edit"),
    ("posted", "submit"), ("posted", "approve"), ("posted", "reject"), ("posted", "cancel"), ("posted", "edit"),
    ("voided", "submit"), ("voided", "approve"), ("voided", "post"), ("voided", "void"), ("voided", "cancel"),
    ("cancelled", "submit"), ("cancelled", "approve"), ("cancelled", "post"), ("cancelled", "void"),
    ("cancelled", "cancel"), ("cancelled", "edit"),
]


def _reach(shop, status):
    doc = draft(shop)
    if status in ("submitted", "approved", "posted"):
        doc = docs.advance_document(doc, by=shop.admin, to=status)
    elif status == "voided":
        doc = docs.void_document(docs.advance_document(doc, by=shop.admin, to="posted"), by=shop.admin, reason="x")
    elif status == "cancelled":
        doc = docs.cancel_document(doc, by=shop.admin)
    assert doc.status == status
    return doc


def _attempt(shop, doc, action):
    by = shop.admin
    return {
        "submit": lambda: docs.submit_document(doc, by=by),
        "approve": lambda: docs.approve_document(doc, by=by),
        "reject": lambda: docs.reject_document(doc, by=by, reason="no"),
        "post": lambda: docs.post_document(doc, by=by),
        "void": lambda: docs.void_document(doc, by=by, reason="no"),
        "cancel": lambda: docs.cancel_document(doc, by=by),
        "edit": lambda: docs.update_document(doc, by=by, memo="changed"),
    }[action]()


@pytest.mark.parametrize("status, action", DISALLOWED)
def test_disallowed_transitions_are_refused_and_change_nothing(shop, status, action):
    doc = _reach(shop, status)
    with refused("document.invalid_transition") as info:
        _attempt(shop, doc, action)
    assert info.value.data["number"] == doc.number
    doc.refresh_from_db()
    assert doc.status == status


def test_posting_twice_is_a_no_op(shop):
    doc = docs.advance_document(draft(shop), by=shop.admin, to="posted")
    before = counts()
    again = docs.post_document(doc, by=shop.admin)
    again = docs.advance_document(again, by=shop.admin, to="posted")
    assert again.status == Status.POSTED
    assert counts() == before
    assert valuation(shop.flour, shop.main) == (D("10"), D("50.00"))


def test_void_needs_a_reason(shop):
    doc = docs.advance_document(draft(shop), by=shop.admin, to="posted")
    for reason in ("", "   "):
        with refused("validation.failed") as info:
            docs.void_document(doc, by=shop.admin, reason=reason)
        assert info.value.data["field"] == "reason"


def test_void_reverses_at_the_original_cost_even_after_the_average_moved(shop):
    shop.receive(shop.flour, 10, "5.00")
    shop.receive(shop.flour, 10, "7.00")
    delivery = shop.sell(shop.flour, 5)  # 30.00 at average 6
    shop.receive(shop.flour, 5, "12.00")  # 20 on hand, 150.00: average 7.5
    docs.void_document(delivery, by=shop.admin, reason="客户拒收")
    reversal = [m for m in moves_of(delivery) if m.reverses_id]
    assert [(m.quantity, m.value) for m in reversal] == [(D("5"), D("30.00"))]
    assert reversal[0].reverses.document_id == delivery.pk
    assert valuation(shop.flour, shop.main) == (D("25"), D("180.00"))
    assert_ledger_consistent()


def test_void_of_a_receipt_whose_goods_were_sold_is_refused_for_lack_of_stock(shop):
    receipt = shop.receive(shop.flour, 10, "5.00")
    shop.sell(shop.flour, 4)
    with refused("stock.insufficient"):
        docs.void_document(receipt, by=shop.admin, reason="录错了")
    receipt.refresh_from_db()
    assert receipt.status == Status.POSTED


def test_void_of_a_document_with_posted_children_is_refused(shop):
    shop.receive(shop.flour, 10, "5.00")
    delivery = shop.sell(shop.flour, 5)
    ret = docs.advance_document(docs.create_from(delivery, by=shop.admin, kind="sales_return"),
                                by=shop.admin, to="posted")
    with refused("document.has_children") as info:
        docs.void_document(delivery, by=shop.admin, reason="录错了")
    assert ret.number in info.value.data["children"]
    # voiding the child first frees the parent
    docs.void_document(ret, by=shop.admin, reason="退货录错")
    docs.void_document(delivery, by=shop.admin, reason="录错了")
    assert valuation(shop.flour, shop.main) == (D("10"), D("50.00"))
    assert_ledger_consistent()


def test_void_of_a_transfer_out_already_received_is_refused_until_the_receipt_is_voided(shop):
    shop.receive(shop.flour, 10, "5.00")
    out = shop.post("transfer_out", [line(shop.flour, 4)], to_warehouse=shop.second)
    arrival = docs.advance_document(docs.create_from(out, by=shop.admin, kind="transfer_in"),
                                    by=shop.admin, to="posted")
    with refused("document.has_children"):
        docs.void_document(out, by=shop.admin, reason="x")
    docs.void_document(arrival, by=shop.admin, reason="x")
    docs.void_document(out, by=shop.admin, reason="x")
    assert valuation(shop.flour, shop.main) == (D("10"), D("50.00"))
    assert valuation(shop.flour, shop.second) == (0, 0)
    assert_ledger_consistent()


def test_a_voided_return_gives_its_quantity_back_to_the_source(shop):
    shop.receive(shop.flour, 10, "5.00")
    delivery = shop.sell(shop.flour, 5)
    ret = docs.advance_document(docs.create_from(delivery, by=shop.admin, kind="sales_return"),
                                by=shop.admin, to="posted")
    with refused("document.nothing_left"):
        docs.create_from(delivery, by=shop.admin, kind="sales_return")
    docs.void_document(ret, by=shop.admin, reason="x")
    again = docs.create_from(delivery, by=shop.admin, kind="sales_return")
    assert again.lines.get().quantity == D("5")


def test_a_salesperson_can_create_and_submit_but_not_approve_post_or_void(shop):
    seller = shop.user("xiaowang", Role.SALESPERSON)
    shop.receive(shop.flour, 10, "5.00")
    doc = docs.create_document(by=seller, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                               lines=[line(shop.flour, 2)])
    doc = docs.submit_document(doc, by=seller)
    with refused("permission.denied"):
        docs.approve_document(doc, by=seller)
    with refused("permission.denied"):
        docs.advance_document(doc, by=seller, to="posted")
    doc = docs.advance_document(doc, by=shop.admin, to="posted")
    with refused("permission.denied"):
        docs.void_document(doc, by=seller, reason="x")


def test_a_salesperson_cannot_create_a_write_off(shop):
    seller = shop.user("xiaowang", Role.SALESPERSON)
    with refused("permission.denied"):
        docs.create_document(by=seller, kind="write_off", warehouse=shop.main, lines=[line(shop.flour, 1)])


def test_a_cashier_scoped_to_the_store_cannot_work_in_the_main_warehouse(shop):
    cashier = shop.user("cashier1", Role.CASHIER, warehouses=[shop.store])
    with refused("permission.denied"):
        docs.create_document(by=cashier, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                             lines=[line(shop.flour, 1)])
    # nor act on a main-warehouse document somebody else made
    other = docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                                 lines=[line(shop.flour, 1)])
    with refused("permission.denied"):
        docs.submit_document(other, by=cashier)
    mine = docs.create_document(by=cashier, kind="sales_delivery", warehouse=shop.store, partner=shop.customer,
                                lines=[line(shop.flour, 1)])
    with refused("permission.denied"):
        docs.update_document(mine, by=cashier, warehouse=shop.main)
    # in the store itself the cashier sells
    shop.receive(shop.flour, 5, "5.00", warehouse=shop.store)
    doc = docs.create_document(by=cashier, kind="sales_delivery", warehouse=shop.store, partner=shop.customer,
                               lines=[line(shop.flour, 2)])
    docs.submit_document(doc, by=cashier)
    docs.approve_document(doc, by=shop.admin)
    assert docs.post_document(doc, by=cashier).status == Status.POSTED


def test_crossing_companies_is_refused(shop):
    from tests.conftest import Shop

    other = Shop(code="OTHER")
    other.receive(other.flour, 10, "5.00")
    # another company's warehouse, partner, item and document are not found from here
    with refused("warehouse.not_found"):
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=other.main, partner=shop.customer,
                             lines=[line(shop.flour, 1)])
    with refused("partner.not_found"):
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=other.customer,
                             lines=[line(shop.flour, 1)])
    with refused("item.not_found"):
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                             lines=[line(other.flour, 1)])
    theirs = docs.create_document(by=other.admin, kind="sales_delivery", warehouse=other.main,
                                  partner=other.customer, lines=[line(other.flour, 1)])
    for attempt in (
        lambda: docs.submit_document(theirs, by=shop.admin),
        lambda: docs.cancel_document(theirs, by=shop.admin),
        lambda: docs.update_document(theirs, by=shop.admin, memo="x"),
    ):
        with refused("document.not_found"):
            attempt()
    receipt = Document.objects.get(company=other.company, kind="purchase_receipt")
    with refused("document.not_found"):
        docs.void_document(receipt, by=shop.admin, reason="x")
    with refused("document.not_found"):
        docs.create_from(receipt.pk, by=shop.admin, kind="purchase_return")
    assert_ledger_consistent()


def test_wrong_partner_role_is_refused(shop):
    with refused("partner.wrong_role"):
        docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.customer,
                             lines=[line(shop.flour, 1, "1")])
    with refused("partner.wrong_role"):
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.supplier,
                             lines=[line(shop.flour, 1)])
    with refused("validation.failed"):
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main,
                             lines=[line(shop.flour, 1)])


def test_document_numbers_are_sequential_per_kind_and_day(shop):
    day = dt.date(2026, 11, 24)
    a = draft(shop, business_on=day)
    b = draft(shop, business_on=day)
    delivery = docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main,
                                    partner=shop.customer, lines=[line(shop.flour, 1)], business_on=day)
    c = draft(shop, business_on=day)
    next_day = draft(shop, business_on=day + dt.timedelta(days=1))
    assert [a.number, b.number, c.number] == ["CGRK-20261124-0001", "CGRK-20261124-0002", "CGRK-20261124-0003"]
    assert delivery.number == "XSCK-20261124-0001"
    assert next_day.number == "CGRK-20261125-0001"


def test_a_refused_create_gives_its_number_back(shop):
    day = dt.date(2026, 11, 24)
    with refused("validation.failed"):
        docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                             lines=[line(shop.flour, -1, "1")], business_on=day)
    assert draft(shop, business_on=day).number == "CGRK-20261124-0001"


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "1.00001", "NaN", "1e20"])
def test_bad_quantities_are_refused_before_anything_is_written(shop, quantity):
    with refused("validation.failed"):
        docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                             lines=[docs.LineInput(item=shop.flour.pk, quantity=quantity)])


def test_a_refused_post_leaves_no_event_audit_record_or_move(shop):
    shop.receive(shop.flour, 2, "5.00")
    doc = docs.advance_document(
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                             lines=[line(shop.flour, 1), line(shop.water, 1)]),
        by=shop.admin, to="approved",
    )
    # the first line would fit, the second does not: nothing at all may be written
    with refused("stock.insufficient"):
        docs.post_document(doc, by=shop.admin)
    write_off = docs.create_document(by=shop.admin, kind="write_off", warehouse=shop.main,
                                     lines=[line(shop.flour, 3)])
    # advance_document is one transaction: the refused post also undoes its submit and approve
    with refused("stock.insufficient"):
        docs.advance_document(write_off, by=shop.admin, to="posted")
    write_off.refresh_from_db()
    assert write_off.status == Status.DRAFT
    assert valuation(shop.flour, shop.main) == (D("2"), D("10.00"))
    assert_ledger_consistent()
