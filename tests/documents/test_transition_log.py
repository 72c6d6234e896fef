"""The transition log: every creation and status change of a document, timed, in the change's transaction."""

import datetime as dt
import importlib

import pytest
from django.apps import apps as global_apps

from openjxc.core import clock
from openjxc.core.models import Event
from openjxc.documents import services as docs
from openjxc.documents.models import DocumentTransition
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line, refused

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def at():
    """Move the clock to T0 + the given hours."""
    def move(hours):
        clock.freeze(T0 + dt.timedelta(hours=hours))
    yield move
    clock.freeze(None)


def log_of(doc):
    return list(DocumentTransition.objects.filter(document=doc).order_by("at", "id").values_list(
        "action", "from_status", "to_status", "age", "waited", "by_id", "kind", "warehouse_id", "company_id"))


def H(hours):
    return dt.timedelta(hours=hours)


def test_each_transition_is_logged_with_its_age_and_wait(shop, at):
    keeper = shop.user("keeper", "keeper", warehouses=[shop.main])
    at(0)
    doc = docs.create_document(by=keeper, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                               lines=[line(shop.flour, 10, "5.00")])
    at(2)
    docs.submit_document(doc, by=keeper)
    at(5)
    docs.reject_document(doc, by=shop.admin, reason="price")
    at(6)
    docs.submit_document(doc, by=keeper)
    at(30)
    docs.approve_document(doc, by=shop.admin)
    at(31)
    docs.post_document(doc, by=shop.admin)
    at(31.5)
    docs.post_document(doc, by=shop.admin)  # posting twice changes nothing, logs nothing
    at(48)
    docs.void_document(doc, by=shop.admin, reason="wrong supplier")
    k, a = keeper.pk, shop.admin.pk
    rest = ("purchase_receipt", shop.main.pk, shop.company.pk)
    assert log_of(doc) == [
        ("create", "", "draft", H(0), H(0), k, *rest),
        ("submit", "draft", "submitted", H(2), H(2), k, *rest),
        ("reject", "submitted", "draft", H(5), H(3), a, *rest),
        ("submit", "draft", "submitted", H(6), H(1), k, *rest),
        ("approve", "submitted", "approved", H(30), H(24), a, *rest),
        ("post", "approved", "posted", H(31), H(1), a, *rest),
        ("void", "posted", "voided", H(48), H(17), a, *rest),
    ]
    assert_ledger_consistent()


def test_advancing_in_one_call_logs_every_step_in_order(shop, at):
    at(0)
    doc = docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                               lines=[line(shop.flour, 10, "5.00")], advance_to="posted")
    assert [r[:3] for r in log_of(doc)] == [
        ("create", "", "draft"), ("submit", "draft", "submitted"), ("approve", "submitted", "approved"),
        ("post", "approved", "posted"),
    ]
    assert_ledger_consistent()


def test_a_refused_transition_logs_nothing(shop, at):
    at(0)
    doc = docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                               lines=[line(shop.flour, 10, "5.00")])
    with refused("document.invalid_transition"):
        docs.post_document(doc, by=shop.admin)
    assert [r[0] for r in log_of(doc)] == ["create"]


def test_migration_backfills_the_log_from_the_outbox(shop, at):
    """Documents written before the log existed get their rows from their document.* events."""
    at(0)
    doc = docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                               lines=[line(shop.flour, 10, "5.00")])
    at(3)
    docs.submit_document(doc, by=shop.admin)
    at(4)
    docs.approve_document(doc, by=shop.admin)
    expected = log_of(doc)
    DocumentTransition.objects.all().delete()
    migration = importlib.import_module("openjxc.documents.migrations.0005_documenttransition")
    migration.backfill(global_apps, None)
    assert log_of(doc) == expected
    assert Event.objects.filter(object_id=str(doc.pk), topic__startswith="document.").count() == 3
