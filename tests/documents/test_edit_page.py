"""A draft's header edited in the web UI through the service behind the API's PATCH: partner, warehouses,
business date, memo, prices incl. tax; refusals beside their field; a document that is not a draft (posted,
submitted) refused with the API's own error and left unchanged; a rejected document (back to draft) edited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from openjxc.core import services as core
from openjxc.core.models import AuditRecord, Role
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput
from openjxc.partners import services as partners

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _draft(shop, kind="purchase_receipt", **extra) -> Document:
    return docs.create_document(by=shop.admin, kind=kind, warehouse=shop.main,
                                partner=shop.supplier if kind == "purchase_receipt" else extra.pop("partner", None),
                                lines=[LineInput(item=shop.flour.pk, quantity=Decimal("3"), unit_price="5")], **extra)


def _form(doc, **changes) -> dict:
    data = {"warehouse": doc.warehouse_id, "partner": doc.partner_id or "", "to_warehouse": doc.to_warehouse_id or "",
            "business_on": doc.business_on.isoformat(), "memo": doc.memo}
    if doc.prices_include_tax:
        data["prices_include_tax"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_header_of_a_draft_is_edited(client, shop):
    other = partners.create_partner(by=shop.admin, code="S002", name="米厂", kind="supplier")
    doc = _draft(shop)
    client.force_login(shop.admin)
    detail = client.get(reverse("web:document", args=[doc.pk]), **ZH).content.decode()
    assert reverse("web:document_edit", args=[doc.pk]) in detail and "编辑表头" in detail
    page = client.get(reverse("web:document_edit", args=[doc.pk]), **ZH)
    assert page.status_code == 200 and "kind" not in page.context["form"].fields
    assert page.context["form"]["memo"].value() == ""
    # the date input shows the draft's date (an ISO value, whatever the language)
    assert f'value="{doc.business_on.isoformat()}"' in page.content.decode()

    day = doc.business_on - dt.timedelta(days=2)
    done = client.post(reverse("web:document_edit", args=[doc.pk]), _form(
        doc, warehouse=shop.second.pk, partner=other.pk, business_on=day.isoformat(), memo="改到二号仓",
        prices_include_tax="on"), **ZH)
    assert done.status_code == 302 and done.url == reverse("web:document", args=[doc.pk])
    doc.refresh_from_db()
    assert (doc.warehouse_id, doc.partner_id, doc.business_on, doc.memo, doc.prices_include_tax) == (
        shop.second.pk, other.pk, day, "改到二号仓", True)
    assert [(ln.item_id, ln.quantity) for ln in doc.lines.all()] == [(shop.flour.pk, Decimal("3"))]  # lines kept
    # the change is the service's: audited and searchable like an API edit
    assert AuditRecord.objects.filter(object_type="documents.document", object_id=str(doc.pk), action="update").exists()


def test_refusals_are_shown_beside_their_field(client, shop):
    doc = _draft(shop)
    transfer = docs.create_document(by=shop.admin, kind="transfer_out", warehouse=shop.main, to_warehouse=shop.second,
                                    lines=[LineInput(item=shop.flour.pk, quantity=Decimal("1"))])
    client.force_login(shop.admin)
    # a customer on a purchase receipt: the service's partner.wrong_role, beside the partner
    page = client.post(reverse("web:document_edit", args=[doc.pk]), _form(doc, partner=shop.customer.pk), **EN)
    assert page.status_code == 200
    assert "is not an active supplier" in page.context["form"].errors["partner"][0]
    assert page.context["error"] == ""
    # a transfer to its own warehouse: ValidationFailed(field="to_warehouse")
    page = client.post(reverse("web:document_edit", args=[transfer.pk]), _form(transfer, to_warehouse=shop.main.pk),
                       **EN)
    assert "must differ from the source warehouse" in page.context["form"].errors["to_warehouse"][0]
    # a memo over 500 characters: the form says so before the service is asked
    page = client.post(reverse("web:document_edit", args=[doc.pk]), _form(doc, memo="长" * 501), **EN)
    assert "memo" in page.context["form"].errors
    doc.refresh_from_db()
    transfer.refresh_from_db()
    assert (doc.partner_id, doc.memo, transfer.to_warehouse_id) == (shop.supplier.pk, "", shop.second.pk)


def test_a_document_that_is_not_a_draft_is_refused_with_the_apis_error(client, shop):
    doc = _draft(shop)
    docs.advance_document(doc, by=shop.admin, to="posted")
    client.force_login(shop.admin)
    page = client.get(reverse("web:document_edit", args=[doc.pk]), **EN)
    assert page.status_code == 200
    message = f"Cannot edit document {doc.number} while it is Posted."
    assert page.context["error"] == message and 'type="submit"' not in page.content.decode().split("</header>")[-1]
    page = client.post(reverse("web:document_edit", args=[doc.pk]), _form(doc, memo="不该改"), **EN)
    assert page.status_code == 200 and page.context["error"] == message
    # the API refuses the same way, with the same words
    api = client.patch(f"/api/documents/{doc.pk}", {"memo": "不该改"}, content_type="application/json", **EN)
    assert api.status_code == 409 and api.json()["message"] == message
    assert api.json()["code"] == "document.invalid_transition"
    doc.refresh_from_db()
    assert doc.memo == ""
    # no edit button on a posted document
    assert reverse("web:document_edit", args=[doc.pk]) not in client.get(
        reverse("web:document", args=[doc.pk])).content.decode()


def test_a_submitted_document_is_refused_and_a_rejected_one_edited(client, shop):
    doc = _draft(shop)
    docs.submit_document(doc, by=shop.admin)
    client.force_login(shop.admin)
    page = client.post(reverse("web:document_edit", args=[doc.pk]), _form(doc, memo="审批中"), **ZH)
    assert page.status_code == 200 and doc.number in page.context["error"]
    doc.refresh_from_db()
    assert doc.memo == "" and doc.status == Status.SUBMITTED
    docs.reject_document(doc, by=shop.admin, reason="日期不对")
    doc.refresh_from_db()
    assert doc.status == Status.DRAFT
    done = client.post(reverse("web:document_edit", args=[doc.pk]), _form(doc, memo="改好了"), **ZH)
    assert done.status_code == 302
    doc.refresh_from_db()
    assert doc.memo == "改好了"


def test_a_keeper_of_another_warehouse_cannot_reach_the_draft(client, shop):
    keeper = core.create_user(by=shop.admin, username="acme-keeper", password="pw-12345678", roles=[Role.KEEPER],
                              warehouses=[shop.store])
    doc = _draft(shop)
    client.force_login(keeper)
    assert client.get(reverse("web:document_edit", args=[doc.pk])).status_code == 404
    assert client.post(reverse("web:document_edit", args=[doc.pk]), _form(doc, memo="x")).status_code == 404
    doc.refresh_from_db()
    assert doc.memo == ""
