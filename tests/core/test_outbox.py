"""Every service writes its outbox Event and AuditRecord in the same transaction as its change."""

import pytest
from django.db import transaction

from openjxc.catalog import services as catalog
from openjxc.core.models import AuditRecord, Event, Role
from openjxc.documents import services as docs
from openjxc.documents.models import Document
from openjxc.partners import services as partners
from openjxc.stock import services as stock
from openjxc.stock.models import StockMove
from tests.documents.helpers import counts, line, refused


def written_for(obj):
    label = obj._meta.label_lower
    return (
        list(Event.objects.filter(object_type=label, object_id=str(obj.pk)).values_list("topic", flat=True)),
        list(AuditRecord.objects.filter(object_type=label, object_id=str(obj.pk)).values_list("action", flat=True)),
    )


@pytest.mark.parametrize("make, topic", [
    (lambda s: catalog.create_unit(by=s.admin, code="DOZ", name="打"), "unit.created"),
    (lambda s: catalog.create_category(by=s.admin, code="DRINK", name="饮料"), "category.created"),
    (lambda s: catalog.create_item(by=s.admin, code="X1", name="可乐", base_unit=s.pcs), "item.created"),
    (lambda s: partners.create_partner(by=s.admin, code="C9", name="客户九", kind="customer"), "partner.created"),
    (lambda s: stock.create_warehouse(by=s.admin, code="WH9", name="九号仓"), "warehouse.created"),
    (lambda s: stock.create_location(by=s.admin, warehouse=s.main, code="WH1-02", name="二号位"), "location.created"),
    (lambda s: s.user("clerk", Role.KEEPER), "user.created"),
])
def test_master_data_services_write_an_event_and_an_audit_record(shop, make, topic):
    obj = make(shop)
    topics, actions = written_for(obj)
    assert topics == [topic]
    assert actions == ["create"]
    audit = AuditRecord.objects.get(object_type=obj._meta.label_lower, object_id=str(obj.pk), action="create")
    assert audit.actor == shop.admin


def test_a_refused_master_data_change_writes_nothing(shop):
    with refused("warehouse.code_taken"):
        stock.create_warehouse(by=shop.admin, code="WH1", name="重复")
    keeper = shop.user("keeper", Role.CASHIER)
    with refused("permission.denied"):
        catalog.create_unit(by=keeper, code="X", name="个")


def test_events_and_audit_roll_back_with_the_change_they_describe(shop):
    """Proof of "same transaction": undo the caller's transaction and the outbox rows go with it."""
    shop.receive(shop.flour, 10, "5.00")
    before = counts()
    documents = Document.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        doc = docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main,
                                   partner=shop.customer, lines=[line(shop.flour, 2)])
        docs.advance_document(doc, by=shop.admin, to="posted")
        assert counts() > before
        raise RuntimeError("the caller's transaction fails after the service returned")
    assert counts() == before
    assert Document.objects.count() == documents


def test_event_ids_increase_in_the_order_of_the_changes(shop):
    shop.receive(shop.flour, 10, "5.00")
    shop.sell(shop.flour, 1)
    topics = list(Event.objects.order_by("pk").values_list("topic", flat=True))
    # the receivable's entry is written with the posting's own events (one batch), before the post event
    assert topics[-5:] == ["document.submit", "document.approve", "stock.changed", "partner_ledger.entry",
                           "document.post"]
    assert StockMove.objects.count() == 2


def test_the_last_administrator_cannot_be_demoted_or_deactivated(shop):
    from openjxc.core import services as core
    from openjxc.core.errors import Conflict

    with pytest.raises(Conflict) as refused:
        core.update_user(shop.admin, by=shop.admin, roles=["manager"])
    assert refused.value.code == "user.last_admin"
    second = shop.user("second-admin", "admin")
    core.update_user(shop.admin, by=second, roles=["manager"])  # another admin remains: allowed
    shop.admin.refresh_from_db()
    assert shop.admin.roles == ["manager"]
    with pytest.raises(Conflict):
        core.update_user(second, by=second, roles=["keeper"])
