"""Who sees a document is answered once (documents/selectors.py): the list page, the API, the Excel export and
the batch print agree — a transfer's destination keeper sees it everywhere, an unrelated keeper nowhere."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from openjxc.core.models import Role
from openjxc.core.tokens import create_token
from openjxc.documents.selectors import visible_document, visible_documents
from openjxc.documents.services import LineInput
from openjxc.web import jobs
from openjxc.web.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def transfer(shop):
    shop.receive(shop.flour, 20, "5")
    return shop.post("transfer_out", [LineInput(item=shop.flour.pk, quantity=Decimal("8"))], to_warehouse=shop.second)


def _sees(user, doc, capture) -> dict[str, bool]:
    """Whether `user` finds `doc` on the list page, in the API list, in an API export and in a batch print."""
    page = Client()
    page.force_login(user)
    listed = doc.number in page.get(reverse("web:documents")).content.decode()
    _t, token = create_token(by=user, name="selector-test")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    in_api = doc.number in [d["number"] for d in api.get("/api/documents").json()["items"]]
    with capture(execute=True):
        export = api.post("/api/excel/exports/documents")
    job = Job.objects.get(pk=export.json()["id"])
    rows = load_workbook(io.BytesIO(jobs.result_path(job).read_bytes())).worksheets[0].iter_rows(values_only=True)
    exported = doc.number in [r[0] for r in rows]
    with capture(execute=True):
        printed = api.post("/api/excel/prints", {"documents": [doc.pk]}, content_type="application/json")
    job = Job.objects.get(pk=printed.json()["id"])
    in_print = job.status == "done" and job.total == 1
    return {"list page": listed, "api": in_api, "export": exported, "print": in_print}


def test_a_transfers_destination_keeper_sees_it_everywhere(shop, transfer, django_capture_on_commit_callbacks):
    keeper = shop.user("dest-keeper", Role.KEEPER, warehouses=[shop.second])
    assert _sees(keeper, transfer, django_capture_on_commit_callbacks) == {
        "list page": True, "api": True, "export": True, "print": True}
    assert visible_document(keeper, transfer.pk) == transfer


def test_a_keeper_of_an_unrelated_warehouse_sees_it_nowhere(shop, transfer, django_capture_on_commit_callbacks):
    keeper = shop.user("store-keeper", Role.KEEPER, warehouses=[shop.store])
    assert _sees(keeper, transfer, django_capture_on_commit_callbacks) == {
        "list page": False, "api": False, "export": False, "print": False}
    assert visible_document(keeper, transfer.pk) is None
    assert Client().get(reverse("web:document", args=[transfer.pk])).status_code == 302  # signed out: to login
    page = Client()
    page.force_login(keeper)
    assert page.get(reverse("web:document", args=[transfer.pk])).status_code == 404


def test_an_unscoped_user_sees_the_companys_documents_and_no_others(shop, transfer):
    from tests.conftest import Shop

    other = Shop("OTHER")
    assert list(visible_documents(shop.admin).filter(kind="transfer_out")) == [transfer]
    assert not visible_documents(other.admin).filter(pk=transfer.pk).exists()
