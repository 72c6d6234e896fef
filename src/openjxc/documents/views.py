"""The document pages: the list, a document with its lifecycle buttons and 下推, a new document, a draft's lines.

Views read with selectors and simple ORM reads and change things only through the services; a
DomainError is shown to the user beside the action that caused it (status 200), never a 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from openjxc.core import permissions
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.documents import line_rows, search
from openjxc.documents import services as doc_services
from openjxc.documents.exports import DOCUMENTS_EXPORT
from openjxc.documents.forms import PAID_KINDS, DocumentFilter, DocumentHeaderForm, payments_custom
from openjxc.documents.kinds import KINDS, get_kind
from openjxc.documents.kinds.orders import ORDER_KINDS
from openjxc.documents.models import VALUED_AT_COST, Document, Status
from openjxc.documents.orders import close_order
from openjxc.documents.pushdown import push_down
from openjxc.documents.selectors import (
    derived_documents,
    detail_lines,
    flow_decides,
    may_create_documents,
    order_progress_rows,
    visible_document,
    visible_documents,
)
from openjxc.documents.services import TRANSITIONS
from openjxc.web.excel import export_list, wants_export
from openjxc.web.excel_views import print_documents
from openjxc.web.pages import company_page, company_today
from openjxc.web.paging import keyset_page

# ---------------------------------------------------------------- documents


@company_page
def documents(request):
    user = request.user
    form = DocumentFilter(request.GET or None)
    qs = visible_documents(user).select_related("warehouse", "partner", "to_warehouse")
    sort = "-business_on"
    if form.is_valid():
        data = form.cleaned_data
        sort = data["sort"] or sort
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["number"]:
            qs = qs.filter(number__icontains=data["number"].strip())
        if data["date_from"]:
            qs = qs.filter(business_on__gte=data["date_from"])
        if data["date_to"]:
            qs = qs.filter(business_on__lte=data["date_to"])
        if data["amount_min"] is not None:
            qs = qs.filter(total_with_tax__gte=data["amount_min"])
        if data["amount_max"] is not None:
            qs = qs.filter(total_with_tax__lte=data["amount_max"])
        if data["q"].strip():
            qs = search.filter_documents(qs, user.company_id, data["q"])
    if wants_export(request):
        return export_list(request, DOCUMENTS_EXPORT, qs.order_by("-business_on", "-id"))
    if request.GET.get("print") == "pdf":  # every listed document into one PDF, as a background job
        return print_documents(request, qs.order_by("business_on", "number"))
    # keyset paging: a deep page of a million documents is an index range read, not an OFFSET scan
    keys = [sort] if sort.lstrip("-") == "number" else [sort, f"{sort[0] if sort[0] == '-' else ''}id"]
    page = keyset_page(request, qs, keys)
    query = page.query
    return render(request, "documents/documents.html", {
        "form": form, "page": page, "query": query, "show_value": permissions.allowed(user, "stock.cost"),
        "can_create": may_create_documents(user), "at_cost": VALUED_AT_COST,
    })


ACTION_PERMISSIONS = {
    "submit": "document.submit",
    "approve": "document.approve",
    "reject": "document.approve",
    "post": "document.post",
    "void": "document.void",
    "cancel": "document.cancel",
    "close": "document.approve",
    "withdraw": "document.submit",  # the service lets only the requester withdraw
}
ACTION_BUTTONS = {
    "submit": gettext_lazy("Submit"),
    "approve": gettext_lazy("Approve"),
    "reject": gettext_lazy("Reject"),
    "post": gettext_lazy("Post"),
    "void": gettext_lazy("Void"),
    "cancel": gettext_lazy("Cancel document"),
    "close": gettext_lazy("Close order"),
    "withdraw": gettext_lazy("Withdraw"),
}
ACTION_DONE = {
    "submit": gettext_lazy("Document %(number)s was submitted."),
    "approve": gettext_lazy("Document %(number)s was approved."),
    "reject": gettext_lazy("Document %(number)s was sent back to its author."),
    "post": gettext_lazy("Document %(number)s was posted."),
    "void": gettext_lazy("Document %(number)s was voided."),
    "cancel": gettext_lazy("Document %(number)s was cancelled."),
    "close": gettext_lazy("Order %(number)s was closed."),
    "withdraw": gettext_lazy("Document %(number)s was withdrawn."),
}
REASON_ACTIONS = {"void", "reject", "cancel", "close", "withdraw"}


def document_actions(doc: Document, user) -> list[dict]:
    """The lifecycle buttons this user may press on this document now."""
    out = []
    # in an approval flow, the step's approvers decide, whatever their role
    in_flow = flow_decides(user, doc) if doc.status == Status.SUBMITTED else None
    for action, (starts, _target) in TRANSITIONS.items():
        if action == "close" and doc.kind not in ORDER_KINDS:  # only orders are closed short
            continue
        if action == "withdraw" and doc.created_by_id != user.pk:
            continue
        if action in ("approve", "reject") and in_flow is not None:
            allowed = in_flow
        else:
            allowed = permissions.allowed(user, ACTION_PERMISSIONS[action])
        if doc.status in starts and allowed:
            out.append({
                "action": action, "label": ACTION_BUTTONS[action], "needs_reason": action in REASON_ACTIONS,
                "reason_required": action in ("void", "close"),
            })
    return out


def create_from_kinds(doc: Document, user) -> list:
    """Kinds that can be created from this document (下推) by this user."""
    if doc.status != Status.POSTED:
        return []
    return [
        k for k in KINDS.values()
        if doc.kind in k.sources and permissions.allowed(user, "document.create", roles=set(k.create_roles))
    ]


def _load_document(user, pk: int) -> Document:
    doc = visible_document(user, pk)
    if doc is None:
        raise Http404(_("Document not found."))
    return doc


def _render_document(request, doc: Document, *, error: str = "", error_action: str = ""):
    user = request.user
    lines = detail_lines(doc)
    derived = derived_documents(doc)
    progress = order_progress_rows(doc, lines)
    return render(request, "documents/document_detail.html", {
        "can_edit_lines": doc.status == Status.DRAFT and permissions.allowed(user, "document.create"),
        "progress": progress,
        "doc": doc, "kind": get_kind(doc.kind), "lines": lines, "derived": derived,
        "actions": document_actions(doc, user), "create_from": create_from_kinds(doc, user),
        "show_value": permissions.allowed(user, "stock.cost"), "error": error, "error_action": error_action,
        "at_cost": VALUED_AT_COST,
    })


@company_page
def document_detail(request, pk: int):
    return _render_document(request, _load_document(request.user, pk))


@require_POST
@company_page
def document_action(request, pk: int, action: str):
    user = request.user
    doc = _load_document(user, pk)
    if action not in TRANSITIONS:
        raise Http404(_("Unknown action."))
    reason = request.POST.get("reason", "").strip()[:500]
    try:
        if action == "submit":
            doc_services.submit_document(doc, by=user)
        elif action == "approve":
            doc_services.approve_document(doc, by=user)
        elif action == "reject":
            doc_services.reject_document(doc, by=user, reason=reason)
        elif action == "post":
            doc_services.post_document(doc, by=user)
        elif action == "void":
            doc_services.void_document(doc, by=user, reason=reason)
        elif action == "cancel":
            doc_services.cancel_document(doc, by=user, reason=reason)
        elif action == "close":
            close_order(doc, by=user, reason=reason)
        elif action == "withdraw":
            doc_services.withdraw_document(doc, by=user, reason=reason)
    except DomainError as err:
        doc.refresh_from_db()
        return _render_document(request, doc, error=err.render_message(), error_action=action)
    messages.success(request, ACTION_DONE[action] % {"number": doc.number})
    return redirect("web:document", pk=doc.pk)


@require_POST
@company_page
def document_create_from(request, pk: int, kind: str):
    user = request.user
    source = _load_document(user, pk)
    try:
        if not get_kind(kind).copies_source_lines:  # its lines are its own: the new-document form, from this source
            return redirect(f"{reverse('web:document_new')}?kind={kind}&source={source.pk}")
        new = push_down(source, by=user, kind=kind)  # the one 下推 service, as the API's
    except DomainError as err:
        return _render_document(request, source, error=err.render_message(), error_action="create_from")
    messages.success(request, _("Draft %(number)s was created from %(source)s.") % {
        "number": new.number, "source": source.number,
    })
    return redirect("web:document", pk=new.pk)


LINE_ROWS = 5


@company_page
def document_lines(request, pk: int):
    """Edit a draft's lines, by hand or by scanning: with `?scan=1` the quantities start at zero and each scan
    counts one (receiving an order's goods, picking a delivery); lines keep their order line (下推)."""
    user = request.user
    doc = _load_document(user, pk)
    if doc.status != Status.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("web:document", pk=doc.pk)
    scanning = request.GET.get("scan") == "1"
    error = ""
    if request.method == "POST":
        rows = line_rows.with_sources(doc, line_rows.posted_rows(request.POST), request.POST.getlist("line_source"))
        try:
            inputs = []
            for row in rows:
                if not (row["item"] or row["qty"]):
                    continue
                if row["qty"] in ("0", "0.0", ""):  # scanned to zero: not received (or picked) this time
                    continue
                (li,) = line_rows.line_inputs(user.company_id, [row])
                li.source_line = row["source"] or None
                inputs.append(li)
            if not inputs:
                raise ValidationFailed(field="lines", reason=_("must have at least one line"))
            doc_services.update_document(doc, by=user, lines=inputs)
        except DomainError as err:
            error = err.render_message()
        else:
            messages.success(request, _("Lines of %(number)s were saved.") % {"number": doc.number})
            return redirect("web:document", pk=doc.pk)
    else:
        rows = line_rows.draft_rows(doc, scanning=scanning)
    return render(request, "documents/document_lines.html", {
        "doc": doc, "kind": get_kind(doc.kind), "rows": line_rows.label_rows(user.company_id, rows), "error": error,
        "scanning": scanning, "order": doc.source if line_rows.order_allowance(doc) else None,
    })


@company_page
def document_new(request):
    user = request.user
    today, _start = company_today(user)
    initial = {"kind": request.GET.get("kind"), "business_on": today}
    source = request.GET.get("source", "")  # made from a document (下推 of a kind whose lines are its own)
    form = DocumentHeaderForm(request.POST or None, user=user, initial=initial)
    rows = line_rows.posted_rows(request.POST) if request.method == "POST" else []
    rows += [line_rows.blank_row() for _n in range(LINE_ROWS - len(rows))]
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            doc = doc_services.create_document(
                by=user, kind=data["kind"], warehouse=data["warehouse"], to_warehouse=data["to_warehouse"],
                partner=data["partner"], business_on=data["business_on"], memo=data["memo"],
                lines=line_rows.line_inputs(user.company_id, rows), source=int(source) if source.isdigit() else None,
                custom=payments_custom({}, data["payment_method"]) if data["kind"] in PAID_KINDS else None,
            )
        except DomainError as err:
            error = err.render_message()
        else:
            messages.success(request, _("Draft %(number)s was created.") % {"number": doc.number})
            return redirect("web:document", pk=doc.pk)
    return render(request, "documents/document_form.html", {"form": form, "rows": line_rows.label_rows(user.company_id, rows),
                                                       "error": error})

