"""Editing a draft's header (partner, warehouses, business date, memo, prices incl. tax) in the web UI.

The page changes the draft only through `documents.services.update_document`, the service behind the API's
PATCH /api/documents/<id>: the same checks, the same refusals. A refusal that names a field is shown beside
it; any other (a document that is no longer a draft: the API's 409 `document.invalid_transition`) on top.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from openjxc.core import permissions
from openjxc.core.errors import InvalidTransition
from openjxc.documents import services as doc_services
from openjxc.documents.forms import DocumentEditForm, payment_method_of, payments_custom
from openjxc.documents.kinds import get_kind
from openjxc.documents.models import Status
from openjxc.documents.views import _load_document
from openjxc.web.form_pages import form_page
from openjxc.web.pages import company_page

# refusals that name no field but belong beside one
ERROR_FIELDS = {"partner.wrong_role": "partner"}


def _initial(doc) -> dict:
    return {
        "warehouse": doc.warehouse_id, "to_warehouse": doc.to_warehouse_id, "partner": doc.partner_id,
        "business_on": doc.business_on, "memo": doc.memo, "prices_include_tax": doc.prices_include_tax,
        "payment_method": payment_method_of(doc.custom),
    }


def _refusal(doc) -> str:
    """The service's own refusal for a document that is not a draft (the API answers the same)."""
    return InvalidTransition(
        action=str(doc_services.ACTION_LABELS["edit"]), number=doc.number, status=doc.get_status_display(),
    ).render_message()


@company_page
def document_edit(request, pk: int):
    user = request.user
    if not permissions.allowed(user, "document.create"):
        raise PermissionDenied(_("You may not edit documents."))
    doc = _load_document(user, pk)
    form = DocumentEditForm(request.POST or None, user=user, doc=doc, initial=_initial(doc))

    def save(data):
        fields = {name: data[name] for name in ("warehouse", "to_warehouse", "partner", "business_on", "memo",
                                                "prices_include_tax") if name in form.fields}
        if "payment_method" in form.fields:
            fields["custom"] = payments_custom(doc.custom, data["payment_method"])
        doc_services.update_document(doc, by=user, **fields)
        return doc

    return form_page(
        request, form, save, template="documents/document_edit.html", refresh=doc.refresh_from_db,
        error_fields=ERROR_FIELDS, error="" if doc.status == Status.DRAFT else _refusal(doc),
        context={"doc": doc, "kind": get_kind(doc.kind), "editable": doc.status == Status.DRAFT},
        saved=lambda doc: (_("Draft %(number)s was saved.") % {"number": doc.number}, ("web:document", doc.pk)),
    )
