"""Alerts and alert rules over HTTP: the list and history, acknowledge, act (purchase order), rules, scan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.db.models import Count, Q
from ninja import Field, FilterLookup, FilterSchema, Path, Query, Router, Schema, Status

from openjxc.core.schemas import MAX_ID, Id, Page, Paging, company_id, get_or_404, paginate, search_text, text

from .. import engine
from ..rule_models import OPEN_STATUSES, Alert, AlertKind, AlertRule, AlertStatus
from ..selectors import visible_alerts

router = Router(tags=["alerts"])
PK = Path(..., ge=1, le=MAX_ID)


class HistoryOut(Schema):
    at: dt.datetime
    action: str
    by: str | None
    detail: dict


class AlertOut(Schema):
    id: int
    kind: str
    kind_label: str
    rule: int
    rule_name: str
    status: str
    title: str
    subject: str
    item: int | None
    warehouse: int | None
    lot: int | None
    measure: Decimal
    data: dict
    raised_at: dt.datetime
    last_notified_at: dt.datetime | None
    notify_count: int
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    closed_at: dt.datetime | None


class AlertDetail(AlertOut):
    history: list[HistoryOut]


def _out(a: Alert, history: bool = False) -> dict:
    row = {
        "id": a.pk, "kind": a.kind, "kind_label": str(AlertKind(a.kind).label), "rule": a.rule_id,
        "rule_name": a.rule.display_name, "status": a.status, "title": a.title,
        "subject": a.subject, "item": a.item_id, "warehouse": a.warehouse_id, "lot": a.lot_id, "measure": a.measure,
        "data": a.data, "raised_at": a.raised_at, "last_notified_at": a.last_notified_at,
        "notify_count": a.notify_count, "acknowledged_at": a.acknowledged_at,
        "acknowledged_by": str(a.acknowledged_by) if a.acknowledged_by_id else None, "closed_at": a.closed_at,
    }
    if history:
        row["history"] = [{"at": h.at, "action": h.action, "by": str(h.by) if h.by_id else None, "detail": h.detail}
                          for h in a.history.select_related("by")]
    return row


class AlertFilters(FilterSchema):
    q: Annotated[search_text(), FilterLookup("rule__name__icontains")] = Field(
        None, description="substring of the rule's name")
    status: str = Field("open", pattern="^(open|acknowledged|closed|active|all)$",
                        description="active = open or acknowledged")
    kind: AlertKind | None = None
    warehouse: Annotated[Id | None, FilterLookup("warehouse_id")] = None
    rule: Annotated[Id | None, FilterLookup("rule_id")] = None
    item: Annotated[Id | None, FilterLookup("item_id")] = None

    def filter_status(self, value) -> Q:
        if value == "active":
            return Q(status__in=OPEN_STATUSES)
        return Q() if value == "all" else Q(status=value)


@router.get("/alerts", response=Page[AlertOut], summary="Alerts (open by default), newest first")
def list_alerts(request, page: Query[Paging], filters: Query[AlertFilters]):
    company_id(request, "alerts.view")
    qs = filters.filter(visible_alerts(request.auth))
    page = paginate(qs.order_by("-raised_at", "-id"), page)
    page["items"] = [_out(a) for a in page["items"]]
    return page


class SummaryOut(Schema):
    open: int
    acknowledged: int
    by_kind: dict[str, int]


@router.get("/alerts/summary", response=SummaryOut, summary="Open alerts counted by kind (for the dashboard)")
def summary(request):
    company_id(request, "alerts.view")
    qs = visible_alerts(request.auth).filter(status__in=OPEN_STATUSES)
    by_kind = {k: n for k, n in qs.values_list("kind").annotate(n=Count("id")).order_by()}
    return {"open": qs.filter(status=AlertStatus.OPEN).count(),
            "acknowledged": qs.filter(status=AlertStatus.ACKNOWLEDGED).count(), "by_kind": by_kind}


@router.get("/alerts/{int:pk}", response=AlertDetail, summary="One alert with its history")
def get_alert(request, pk: int = PK):
    company_id(request, "alerts.view")
    return _out(get_or_404(visible_alerts(request.auth), pk, "alert"), history=True)


class AckIn(Schema):
    model_config = {"extra": "forbid"}
    comment: text(500) = ""


@router.post("/alerts/{int:pk}/acknowledge", response=AlertDetail, summary="Acknowledge: not re-sent unless it gets worse")
def acknowledge(request, payload: AckIn, pk: int = PK):
    company_id(request, "alerts.view")
    alert = get_or_404(visible_alerts(request.auth), pk, "alert")
    return _out(engine.acknowledge(alert, by=request.auth, comment=payload.comment), history=True)


class OrderIn(Schema):
    model_config = {"extra": "forbid"}
    quantity: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=4)
    supplier: Id | None = None


class CreatedOut(Schema):
    document: int
    number: str


@router.post("/alerts/{int:pk}/purchase-order", response={201: CreatedOut},
             summary="Low-stock alert: create a draft purchase order for the suggested quantity")
def purchase_order(request, payload: OrderIn, pk: int = PK):
    company_id(request, "document.create")
    alert = get_or_404(visible_alerts(request.auth), pk, "alert")
    doc = engine.order_for_alert(alert, by=request.auth, quantity=payload.quantity, supplier=payload.supplier)
    return Status(201, {"document": doc.pk, "number": doc.number})


# ---------------------------------------------------------------- rules


class RuleOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    is_active: bool
    warehouse: int | None
    category: int | None
    item: int | None
    params: dict
    recipient_roles: list[str]
    recipients: list[int]
    channels: list[int]
    cooldown_hours: int
    open_alerts: int


def _rule_out(r: AlertRule) -> dict:
    return {"id": r.pk, "kind": r.kind, "kind_label": str(AlertKind(r.kind).label), "name": r.name,
            "is_active": r.is_active, "warehouse": r.warehouse_id, "category": r.category_id, "item": r.item_id,
            "params": r.params, "recipient_roles": r.recipient_roles,
            "recipients": sorted(r.recipients.values_list("pk", flat=True)),
            "channels": sorted(r.channels.values_list("pk", flat=True)), "cooldown_hours": r.cooldown_hours,
            "open_alerts": r.alerts.filter(status__in=OPEN_STATUSES).count()}


class RuleFields(Schema):
    model_config = {"extra": "forbid"}
    name: text(100) | None = None
    is_active: bool | None = None
    warehouse: Id | None = None
    category: Id | None = None
    item: Id | None = None
    params: dict[str, int | float | str] | None = None
    recipient_roles: list[text(16)] | None = Field(None, max_length=10)
    recipients: list[Id] | None = Field(None, max_length=100)
    channels: list[Id] | None = Field(None, max_length=50, description="none: every channel carrying the topic")
    cooldown_hours: int | None = Field(None, ge=0, le=2160)


class RuleIn(RuleFields):
    kind: AlertKind


@router.get("/alert-rules", response=list[RuleOut], summary="The company's alert rules")
def list_rules(request):
    cid = company_id(request, "alerts.view")
    return [_rule_out(r) for r in AlertRule.objects.filter(company_id=cid).order_by("kind", "pk")]


@router.post("/alert-rules", response={201: RuleOut}, summary="Create an alert rule")
def create_rule(request, payload: RuleIn):
    company_id(request, "alerts.manage")
    rule = engine.save_rule(by=request.auth, **payload.dict())
    return Status(201, _rule_out(rule))


@router.patch("/alert-rules/{int:pk}", response=RuleOut, summary="Change an alert rule")
def update_rule(request, payload: RuleFields, pk: int = PK):
    cid = company_id(request, "alerts.manage")
    rule = get_or_404(AlertRule.objects.filter(company_id=cid), pk, "alert_rule")
    return _rule_out(engine.save_rule(by=request.auth, rule=rule, **payload.dict(exclude_unset=True)))


class AlertScanOut(Schema):
    raised: int
    renotified: int
    cleared: int
    open: int


@router.post("/alerts/scan", response=AlertScanOut, summary="Evaluate every rule now (normally every ten minutes)")
def scan(request):
    cid = company_id(request, "alerts.manage")
    return engine.scan_company(cid).as_dict()
