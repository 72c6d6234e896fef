"""Web pages of the approval workflow: the 待办 inbox and the flow editor. Reads through workflow.selectors,
writes through the documents and workflow services; a refusal is shown beside what was tried."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from openjxc.core import clock
from openjxc.core.errors import DomainError
from openjxc.documents import services as doc_services
from openjxc.documents.kinds import KINDS
from openjxc.documents.models import Document
from openjxc.web.pages import company_page
from openjxc.workflow import selectors
from openjxc.workflow.editor import (
    StepForm,
    condition_choices,
    flow_header_form,
    step_summary,
    steps_from_post,
)
from openjxc.workflow.models import ApprovalState, Decision, Flow
from openjxc.workflow.services import MANAGERS, create_flow, latest_version, update_flow
from openjxc.workflow.todo import waiting_work

TABS = ("waiting", "submitted", "decided", "alerts")


def _may_manage(user) -> bool:
    return user.is_superuser or user.has_role(*MANAGERS)


# ---------------------------------------------------------------- the inbox


@company_page
def inbox(request):
    user = request.user
    tab = request.GET.get("tab", "waiting")
    if tab not in TABS:
        tab = "waiting"
    work = waiting_work(user, rows=tab == "waiting")  # the one answer: the dashboard counts the same
    waiting = work.approvals
    my_alerts = selectors.todo(user, "alerts")  # registered by the alerts app
    context = {"tab": tab, "waiting_count": work.total, "now": clock.now(), "work": work,
               "alerts_count": my_alerts.count() if my_alerts is not None else 0}
    if tab == "alerts":
        context["alerts"] = list(my_alerts[:100]) if my_alerts is not None else []
        return render(request, "workflow/inbox.html", context)
    if tab == "waiting":
        context["items"] = waiting
        for doc in [*work.postings, *work.receipts]:
            doc.kind_label = str(KINDS[doc.kind].label) if doc.kind in KINDS else doc.kind
    elif tab == "submitted":
        context["items"] = selectors.submitted_by(user)
    else:
        context["items"] = selectors.decided_by(user)
    states, decisions = dict(ApprovalState.choices), dict(Decision.Kind.choices)
    for item in context["items"]:
        item["kind_label"] = str(KINDS[item["document"]["kind"]].label) if item["document"]["kind"] in KINDS else ""
        item["state_label"] = states.get(item.get("state"), item.get("state"))
        item["decision_label"] = decisions.get(item.get("decision"), item.get("decision"))
    return render(request, "workflow/inbox.html", context)


@require_POST
@company_page
def inbox_decide(request, pk: int, action: str):
    """Approve or reject from the list; with htmx the item is replaced by the outcome (or the refusal)."""
    user = request.user
    if action not in ("approve", "reject"):
        raise Http404
    doc = Document.objects.filter(company_id=user.company_id, pk=pk).first()
    if doc is None:
        raise Http404(_("Document not found."))
    comment = request.POST.get("comment", "").strip()[:500]
    error = ""
    try:
        if action == "approve":
            doc = doc_services.approve_document(doc, by=user, comment=comment)
        else:
            doc = doc_services.reject_document(doc, by=user, reason=comment)
    except DomainError as err:
        error = err.render_message()
    if request.headers.get("HX-Request"):
        return render(request, "workflow/_inbox_outcome.html", {
            "doc": doc, "action": action, "error": error, "pk": pk, "comment": comment})
    if error:
        messages.error(request, f"{doc.number}: {error}")
    else:
        messages.success(request, (_("%(number)s approved") if action == "approve" else _("%(number)s rejected"))
                         % {"number": doc.number})
    return redirect(reverse("workflow:inbox"))


# ---------------------------------------------------------------- the flow editor


@company_page
def flow_list(request):
    user = request.user
    if not _may_manage(user):
        raise DjangoPermissionDenied
    flows = list(selectors.flows(user.company_id))
    by_kind = {}
    for f in flows:
        version = max(f.versions.all(), key=lambda v: v.number, default=None)
        by_kind.setdefault(f.kind, []).append({"flow": f, "version": version,
                                               "steps": [step_summary(s) for s in (version.steps if version else [])]})
    groups = [{"kind": k, "label": KINDS[k].label if k in KINDS else k, "flows": by_kind.get(k, [])}
              for k in KINDS if k in by_kind]
    form = flow_header_form(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            flow = create_flow(by=user, name=d["name"], kind=d["kind"], warehouses=d["warehouses"],
                               priority=d["priority"] or 0, steps=[_first_step(user)],
                               allow_self_approval=d["allow_self_approval"],
                               allow_same_approver=d["allow_same_approver"])
        except DomainError as err:
            form.add_error(None, err.render_message())
        else:
            return redirect(reverse("workflow:flow", args=[flow.pk]) + "?new=1")
    return render(request, "workflow/flows.html", {"groups": groups, "form": form,
                                                   "unused": [k for k in KINDS.values() if k.code not in by_kind]})


def _first_step(user) -> dict:
    """A new flow starts with one step, the managers' approval, which the editor then shapes."""
    return {"name": _("Manager approval"), "approvers": [{"type": "role", "role": "manager"}], "mode": "any"}


def _load_flow(user, pk: int) -> Flow:
    if not _may_manage(user):
        raise DjangoPermissionDenied
    flow = Flow.objects.filter(company_id=user.company_id, pk=pk).prefetch_related("warehouses").first()
    if flow is None:
        raise Http404(_("Flow not found."))
    return flow


@company_page
def flow_detail(request, pk: int):
    """The flow's steps in order, with move up/down, edit, remove, and the add-a-step form."""
    user = request.user
    flow = _load_flow(user, pk)
    version = latest_version(flow)
    steps = list(version.steps) if version else []
    error = ""
    edit_index = request.GET.get("edit")
    form = None
    if request.method == "POST":
        op = request.POST.get("op", "")
        new_steps = None
        try:
            if op == "save_step":
                form = StepForm(user, request.POST)
                if form.is_valid():
                    index = request.POST.get("index", "")
                    step = form.to_step()
                    if index.isdigit() and int(index) < len(steps):
                        new_steps = steps[:int(index)] + [step] + steps[int(index) + 1:]
                    else:
                        position = request.POST.get("position", "")
                        at = int(position) if position.isdigit() and int(position) <= len(steps) else len(steps)
                        new_steps = steps[:at] + [step] + steps[at:]
                else:
                    edit_index = request.POST.get("index", "") or "new"
            else:
                new_steps = steps_from_post(steps, request.POST)
                if new_steps is None and op == "header":
                    hform = flow_header_form(user, request.POST, flow=flow)
                    if hform.is_valid():
                        d = hform.cleaned_data
                        update_flow(flow, by=user, name=d["name"], warehouses=d["warehouses"],
                                    priority=d["priority"] or 0, is_active=d["is_active"],
                                    allow_self_approval=d["allow_self_approval"],
                                    allow_same_approver=d["allow_same_approver"])
                        messages.success(request, _("Flow saved."))
                        return redirect("workflow:flow", pk=flow.pk)
                    error = "; ".join(f"{hform.fields[f].label if f in hform.fields else ''} {', '.join(e)}"
                                      for f, e in hform.errors.items())
            if new_steps is not None:
                update_flow(flow, by=user, steps=new_steps)
                messages.success(request, _("Flow saved: documents submitted from now on follow it."))
                return redirect("workflow:flow", pk=flow.pk)
        except DomainError as err:
            error = err.render_message()
            if op == "save_step":
                edit_index = request.POST.get("index", "") or "new"
    if form is None and edit_index is not None:
        if edit_index.isdigit() and int(edit_index) < len(steps):
            form = StepForm.from_step(user, steps[int(edit_index)])
        elif edit_index == "new":
            form = StepForm(user)
    rows = [{"index": i, "step": s, "summary": step_summary(s)} for i, s in enumerate(steps)]
    return render(request, "workflow/flow.html", {
        "conditions": condition_choices(),
        "kept_json": json.dumps(form.kept_condition) if form is not None and form.kept_condition else "",
        "flow": flow, "version": version, "rows": rows, "form": form, "edit_index": edit_index, "error": error,
        "kind_label": KINDS[flow.kind].label if flow.kind in KINDS else flow.kind,
        "header": flow_header_form(user, None, flow=flow), "is_new": request.GET.get("new") == "1",
        "versions": flow.versions.order_by("-number")[:10],
    })
