"""A new document's warehouse is read with the answers posting needs (decision 0017): the user's scope, the
default location, whether a flow exists for the kind, whether a count freezes the warehouse. Each answer
must still be right: these are the cases where the answer is "yes" (or the lookup behind it must run)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from openjxc.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from openjxc.core.models import Role
from openjxc.counts import services as counts
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.documents.services import LineInput
from openjxc.stock import services as stock
from openjxc.stock.models import Location, StockMove, WarehouseKind
from openjxc.workflow import services as wf
from openjxc.workflow.models import Approval
from tests.conftest import assert_ledger_consistent

pytestmark = pytest.mark.django_db


def _sell(shop, *, by=None, warehouse=None, advance_to="posted", qty="1"):
    return docs.create_document(by=by or shop.admin, kind="sales_delivery", warehouse=warehouse or shop.main.pk,
                                partner=shop.customer.pk, lines=[LineInput(item=shop.water.pk, quantity=D(qty))],
                                advance_to=advance_to)


def test_a_count_that_freezes_the_warehouse_refuses_a_delivery_created_and_posted_at_once(shop):
    shop.receive(shop.water, 10, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, freeze=True)
    _sell(shop)  # the count is not started yet: nothing frozen
    counts.start_count(count, by=shop.admin)
    for ref in (shop.main.pk, shop.main.code, shop.main):
        with pytest.raises(DomainError) as info:
            _sell(shop, warehouse=ref)
        assert info.value.code == "count.location_frozen"
    shop.receive(shop.water, 5, "1.20", warehouse=shop.second)
    assert _sell(shop, warehouse=shop.second.pk).status == Status.POSTED  # another warehouse is not frozen
    assert_ledger_consistent()


def test_a_flow_for_the_kind_still_starts_when_the_document_is_created_and_submitted_at_once(shop):
    shop.receive(shop.water, 10, "1.20")
    shop.user("mgr", Role.MANAGER)
    wf.create_flow(by=shop.admin, name="二号仓审批", kind="sales_delivery", warehouses=[shop.second.pk],
                           steps=[{"name": "经理", "approvers": [{"type": "role", "role": "manager"}]}])
    # a flow exists for the kind, but not for this warehouse: the lookup runs and finds none
    doc = _sell(shop, advance_to="submitted")
    assert not Approval.objects.filter(document=doc).exists()
    assert _sell(shop).status == Status.POSTED
    wf.create_flow(by=shop.admin, name="销售审批", kind="sales_delivery",
                   steps=[{"name": "经理", "approvers": [{"type": "role", "role": "manager"}]}])
    doc = _sell(shop, advance_to="submitted")
    assert Approval.objects.filter(document=doc).count() == 1 and doc.status == Status.SUBMITTED


def test_the_users_warehouse_scope_is_checked_for_every_way_of_naming_the_warehouse(shop):
    clerk = shop.user("clerk", Role.MANAGER, warehouses=[shop.second])
    shop.receive(shop.water, 10, "1.20", warehouse=shop.second)
    shop.receive(shop.water, 10, "1.20")
    for ref in (shop.main.pk, shop.main.code, shop.main):
        with pytest.raises(PermissionDenied):
            _sell(shop, by=clerk, warehouse=ref)
    assert _sell(shop, by=clerk, warehouse=shop.second.code).status == Status.POSTED
    free = shop.user("free", Role.MANAGER)  # linked to no warehouse: works in all
    assert _sell(shop, by=free).status == Status.POSTED
    assert _sell(shop, by=free, warehouse=shop.second.pk).status == Status.POSTED
    assert StockMove.objects.filter(document__created_by=clerk).count() == 1


def test_refused_warehouses_stay_refused(shop, django_user_model):
    with pytest.raises(NotFound):
        _sell(shop, warehouse=10**9)
    with pytest.raises(NotFound):
        _sell(shop, warehouse="NO-SUCH")
    with pytest.raises(NotFound):
        _sell(shop, warehouse=True)
    stock.update_warehouse(shop.second, by=shop.admin, is_active=False)
    with pytest.raises(ValidationFailed):
        _sell(shop, warehouse=shop.second.pk)
    transit = type(shop.main).objects.filter(company=shop.company, kind=WarehouseKind.TRANSIT).first()
    if transit is not None:
        with pytest.raises(ValidationFailed):
            _sell(shop, warehouse=transit.pk)


def test_the_default_location_read_with_the_warehouse_is_the_one_posting_uses(shop):
    first = Location.objects.get(warehouse=shop.main, is_default=True)
    bin2 = stock.create_location(by=shop.admin, warehouse=shop.main, code="B2", name="二号货位")
    Location.objects.filter(pk=first.pk).update(is_default=False)
    Location.objects.filter(pk=bin2.pk).update(is_default=True)
    doc = docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main.pk,
                               partner=shop.supplier.pk, advance_to="posted",
                               lines=[LineInput(item=shop.water.pk, quantity=D("3"), unit_price=D("1"))])
    assert list(StockMove.objects.filter(document=doc).values_list("to_location_id", flat=True)) == [bin2.pk]
    Location.objects.filter(pk=bin2.pk).update(is_active=False)  # not active: the lowest active id again
    doc = docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main.pk,
                               partner=shop.supplier.pk, advance_to="posted",
                               lines=[LineInput(item=shop.water.pk, quantity=D("3"), unit_price=D("1"))])
    assert list(StockMove.objects.filter(document=doc).values_list("to_location_id", flat=True)) == [first.pk]
    assert not hasattr(doc.warehouse, "jxc_probes")  # the answers held for that call only
    assert_ledger_consistent()


def test_the_partner_given_by_id_is_read_with_the_warehouse(shop):
    """Decision 0022: the partner of that id in the warehouse's company, or partner.not_found as before."""
    from openjxc.documents.models import Document
    from openjxc.partners.models import Partner

    shop.receive(shop.water, 10, "1.20")
    doc = _sell(shop)
    assert doc.partner == shop.customer and doc.partner.name == shop.customer.name
    documents = Document.objects.count()
    missing = (Partner.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    with pytest.raises(NotFound) as info:
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main.pk, partner=missing,
                             lines=[LineInput(item=shop.water.pk, quantity=D(1))], advance_to="posted")
    assert info.value.code == "partner.not_found"
    with pytest.raises(DomainError) as info:  # a supplier read with the warehouse is still refused as a customer
        docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main.pk, partner=shop.supplier.pk,
                             lines=[LineInput(item=shop.water.pk, quantity=D(1))], advance_to="posted")
    assert info.value.code == "partner.wrong_role"
    assert Document.objects.count() == documents
