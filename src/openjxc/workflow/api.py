"""Workflow API: flows (versioned steps), condition check, the inbox, acting on documents,
delegations, the working calendar, a document's approval timeline. Thin: each endpoint calls one
service or selector; refusals are DomainErrors rendered as {code, message, data}."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, FilterSchema, Path, Query, Router, Schema
from ninja import Status as HttpStatus
from pydantic import ConfigDict

from openjxc.core.errors import PermissionDenied
from openjxc.core.models import Company
from openjxc.core.schemas import MAX_ID, Id, company_id, get_or_404, text
from openjxc.documents.models import Document
from openjxc.stock.access import scoped_warehouse_ids
from openjxc.workflow import conditions, selectors
from openjxc.workflow import services as wf
from openjxc.workflow.calendar import DEFAULT_HOURS
from openjxc.workflow.models import Delegation, Flow, Holiday, StepApprover, WorkCalendar
from openjxc.workflow.todo import inbox_counts, waiting_work

router = Router(tags=["workflow"])
PK = Path(..., ge=1, le=MAX_ID)


# ---------------------------------------------------------------- schemas


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class FlowIn(Strict):
    name: text(100, min_length=1)
    kind: text(32, min_length=1)
    steps: list[dict[str, Any]] = Field(..., description="ordered steps: name, approvers [{type: role|user|superior|"
                                        "warehouse_manager, role?, user?}], mode any|all|n_of_m, n, condition, "
                                        "time_limit_hours, reminders (minutes from due, up to 3), escalation "
                                        "{rule: superior|deputy|auto_approve|auto_reject, deputy?, after_minutes?}, "
                                        "post_on_approve (approve and post: when this step completes the "
                                        "approval, the approver's approval also posts the document)")
    warehouses: list[Id] = Field(default_factory=list, max_length=500)
    priority: int = Field(0, ge=-1000, le=1000)
    note: text(300) = ""
    allow_self_approval: bool = Field(False, description="the requester may approve their own document")
    allow_same_approver: bool = Field(False, description="one person may decide several steps of a document")


class FlowPatch(Strict):
    name: text(100, min_length=1) | None = None
    steps: list[dict[str, Any]] | None = None
    warehouses: list[Id] | None = Field(None, max_length=500)
    priority: int | None = Field(None, ge=-1000, le=1000)
    is_active: bool | None = None
    note: text(300) = ""
    allow_self_approval: bool | None = None
    allow_same_approver: bool | None = None


class VersionOut(Schema):
    number: int
    steps: list[dict[str, Any]]
    note: str
    created_at: dt.datetime


class FlowOut(Schema):
    id: int
    name: str
    kind: str
    priority: int
    is_active: bool
    preset: str
    allow_self_approval: bool
    allow_same_approver: bool
    warehouses: list[int]
    version: int
    steps: list[dict[str, Any]]

    @staticmethod
    def resolve_warehouses(obj):
        return sorted(w.pk for w in obj.warehouses.all())

    @staticmethod
    def resolve_version(obj):
        return wf.latest_version(obj).number

    @staticmethod
    def resolve_steps(obj):
        return wf.latest_version(obj).steps


class FlowDetail(FlowOut):
    versions: list[VersionOut]

    @staticmethod
    def resolve_versions(obj):
        return list(obj.versions.order_by("-number"))


class ConditionIn(Strict):
    condition: dict[str, Any] | None = None


class ActIn(Strict):
    comment: text(500) = ""


class DelegationIn(Strict):
    delegate: Id
    starts_at: dt.datetime
    ends_at: dt.datetime
    note: text(200) = ""
    user: Id | None = Field(None, description="whose approvals (default: yours; others' need a manager)")


class DelegationOut(Schema):
    id: int
    user: int = Field(..., alias="user_id")
    delegate: int = Field(..., alias="delegate_id")
    starts_at: dt.datetime
    ends_at: dt.datetime
    note: str
    cancelled_at: dt.datetime | None


class HolidayIn(Strict):
    day: dt.date
    name: text(100) = ""
    is_workday: bool = False


class CalendarIn(Strict):
    hours: dict[str, list[list[str]]] | None = Field(None, description='{"0": [["09:00", "18:00"]], ...}; 0 is Monday')
    holidays: list[HolidayIn] | None = Field(None, max_length=1000, description="replaces every holiday")


class CalendarOut(Schema):
    time_zone: str
    hours: dict[str, list[list[str]]]
    holidays: list[dict[str, Any]]


# ---------------------------------------------------------------- flows


def _flow(request, flow_id: int) -> Flow:
    cid = company_id(request, "document.view")
    return get_or_404(Flow.objects.filter(company_id=cid).prefetch_related("warehouses"), flow_id, "flow")


class FlowFilters(FilterSchema):
    kind: str | None = None

    def filter_kind(self, value) -> Q:
        return Q(kind=value) if value else Q()


@router.get("/flows", response=list[FlowOut], summary="Approval flows of the company")
def list_flows(request, filters: Query[FlowFilters]):
    return list(filters.filter(selectors.flows(company_id(request, "document.view"))))


@router.post("/flows", response={201: FlowDetail}, summary="Define a flow; its steps become version 1")
def create_flow(request, payload: FlowIn):
    return HttpStatus(201, wf.create_flow(by=request.auth, **payload.dict()))


@router.get("/flows/{int:flow_id}", response=FlowDetail)
def get_flow(request, flow_id: int = PK):
    return _flow(request, flow_id)


@router.patch("/flows/{int:flow_id}", response=FlowDetail,
              summary="Edit a flow; new steps make a new version (documents in flight keep theirs)")
def patch_flow(request, payload: FlowPatch, flow_id: int = PK):
    flow = _flow(request, flow_id)
    return wf.update_flow(flow, by=request.auth, **payload.dict(exclude_unset=True))


@router.post("/conditions/validate", summary="Check a step condition; 200 when valid, else the bad part named")
def validate_condition(request, payload: ConditionIn):
    company_id(request, "document.view")
    conditions.validate(payload.condition)
    return {"valid": True}


# ---------------------------------------------------------------- inbox and acting


def _doc_row(doc: Document) -> dict:
    return {"id": doc.pk, "number": doc.number, "kind": doc.kind, "status": doc.status,
            "warehouse": str(doc.warehouse) if doc.warehouse_id else None,
            "to_warehouse": str(doc.to_warehouse) if doc.to_warehouse_id else None,
            "business_on": doc.business_on, "total_quantity": doc.total_quantity}


@router.get("/inbox", summary="待办: approvals waiting for me (also as a delegate), documents I may post, transfers "
                              "to receive at my warehouses, counts to finish; submitted by me, decided by me")
def inbox(request):
    company_id(request, "document.view")
    user = request.auth
    work = waiting_work(user)
    return {"waiting": work.approvals, "to_post": [_doc_row(d) for d in work.postings],
            "to_receive": [_doc_row(d) for d in work.receipts],
            "work": [{"name": w["name"], "label": str(w["label"]), "count": w["count"], "rows": w["rows"]}
                     for w in work.work],
            "counts": work.counts, "total": work.total,
            "submitted": selectors.submitted_by(user), "decided": selectors.decided_by(user)}


@router.get("/inbox/count", summary="How many things wait for me (the inbox's number and the dashboard's)")
def inbox_count(request):
    company_id(request, "document.view")
    return inbox_counts(request.auth)


def _document(request, doc_id: int) -> Document:
    return get_or_404(Document.objects.filter(company_id=company_id(request, "document.view")), doc_id, "document")


class ActOut(Schema):
    id: int
    number: str
    status: str


def _act(request, doc_id: int, action: str, payload) -> Document:
    doc = _document(request, doc_id)
    return wf.act(doc, by=request.auth, action=action, comment=payload.comment if payload else "")


@router.post("/documents/{int:doc_id}/approve", response=ActOut,
             summary="Approve the current step (the document is approved after the last one)")
def approve(request, payload: ActIn = None, doc_id: int = PK):
    return _act(request, doc_id, "approve", payload)


@router.post("/documents/{int:doc_id}/reject", response=ActOut,
             summary="Reject: back to the requester as a draft; `comment` is the reason (required)")
def reject(request, payload: ActIn = None, doc_id: int = PK):
    return _act(request, doc_id, "reject", payload)


@router.post("/documents/{int:doc_id}/withdraw", response=ActOut, summary="The requester takes it back to draft")
def withdraw(request, payload: ActIn = None, doc_id: int = PK):
    return _act(request, doc_id, "withdraw", payload)


@router.get("/documents/{int:doc_id}/timeline", summary="The approval timeline: steps, who, when, how long, holder")
def timeline(request, doc_id: int = PK):
    doc = _document(request, doc_id)
    user = request.auth
    scope = scoped_warehouse_ids(user)
    involved = (doc.created_by_id == user.pk
                or StepApprover.objects.filter(step__approval__document=doc, user=user).exists()
                or selectors.is_waiting_for(user, doc))
    if scope is not None and doc.warehouse_id not in scope and doc.to_warehouse_id not in scope and not involved:
        raise PermissionDenied(action=_("see document %(number)s") % {"number": doc.number})
    return selectors.timeline(doc)


# ---------------------------------------------------------------- delegations


@router.get("/delegations", response=list[DelegationOut], summary="My delegations (given and received)")
def list_delegations(request):
    cid = company_id(request, "document.view")
    user = request.auth
    return list(Delegation.objects.filter(Q(user=user) | Q(delegate=user), company_id=cid).order_by("-starts_at"))


@router.post("/delegations", response={201: DelegationOut}, summary="Out of office: who decides in my place, from–to")
def create_delegation(request, payload: DelegationIn):
    return HttpStatus(201, wf.create_delegation(by=request.auth, **payload.dict()))


@router.post("/delegations/{int:delegation_id}/cancel", response=DelegationOut)
def cancel_delegation(request, delegation_id: int = PK):
    return wf.cancel_delegation(delegation_id, by=request.auth)


# ---------------------------------------------------------------- calendar


def _calendar(cid: int) -> dict:
    company = Company.objects.get(pk=cid)
    row = WorkCalendar.objects.filter(company_id=cid).first()
    return {"time_zone": company.time_zone, "hours": (row.hours if row and row.hours else DEFAULT_HOURS),
            "holidays": [{"day": h.day, "name": h.name, "is_workday": h.is_workday}
                         for h in Holiday.objects.filter(company_id=cid)]}


@router.get("/calendar", response=CalendarOut, summary="Working hours and holidays (due times count only these)")
def get_calendar(request):
    return _calendar(company_id(request, "document.view"))


@router.put("/calendar", response=CalendarOut)
def put_calendar(request, payload: CalendarIn):
    wf.set_calendar(by=request.auth, hours=payload.hours,
                    holidays=[h.dict() for h in payload.holidays] if payload.holidays is not None else None)
    return _calendar(request.auth.company_id)
