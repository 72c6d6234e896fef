"""Count pages: the counts and plans, one count (counting on a phone with a scan field, variance review with
reasons, the adjustment), and the accuracy trend. Every action calls the same services as the API."""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from openjxc.catalog.category_field import CategoryField
from openjxc.catalog.models import Barcode, Item
from openjxc.core import clock, permissions
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.models import User
from openjxc.counts import selectors
from openjxc.counts import services as counts
from openjxc.counts.exports import VARIANCE_EXPORT
from openjxc.counts.models import AbcClass, Count, CountPlan, CountStatus, Reason, Scope
from openjxc.stock.access import scoped_warehouse_ids
from openjxc.stock.models import STOCKED_KINDS, Location, Warehouse
from openjxc.web.excel import export_list, wants_export
from openjxc.web.pages import company_page, paginate


def _may_manage(user) -> bool:
    return permissions.allowed(user, "count.manage", roles=counts.MANAGERS)


def _counts(user):
    qs = Count.objects.filter(company_id=user.company_id).select_related("warehouse", "document")
    scope = scoped_warehouse_ids(user)
    return qs if scope is None else qs.filter(warehouse_id__in=scope)


def _warehouse_choices(user):
    qs = Warehouse.objects.filter(company_id=user.company_id, is_active=True).exclude(kind="transit").order_by("code")
    scope = scoped_warehouse_ids(user)
    if scope is not None:
        qs = qs.filter(pk__in=scope)
    return list(qs.values_list("pk", "name"))


class CountForm(forms.Form):
    warehouse = forms.TypedChoiceField(label=_("Warehouse"), coerce=int)
    scope = forms.ChoiceField(label=_("What to count"), choices=Scope.choices)
    locations = forms.TypedMultipleChoiceField(label=_("Locations"), required=False, coerce=int)
    category = CategoryField(label=_("Category"))
    abc_class = forms.ChoiceField(label=_("ABC class"), required=False, choices=[("", "—"), *AbcClass.choices])
    sample_size = forms.IntegerField(label=_("Sample size"), required=False, min_value=0, max_value=100_000)
    name = forms.CharField(label=_("Name"), required=False, max_length=100)
    blind = forms.BooleanField(label=_("Blind count (counters do not see the book)"), required=False, initial=True)
    freeze = forms.BooleanField(label=_("Freeze the locations while counting"), required=False)
    every_days = forms.IntegerField(label=_("Every (days)"), required=False, min_value=1, max_value=3660)
    assignees = forms.TypedMultipleChoiceField(label=_("Counters"), required=False, coerce=int)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = _warehouse_choices(user)
        self.fields["locations"].choices = [
            (pk, f"{wh} · {code}") for pk, code, wh in Location.objects.filter(
                company_id=user.company_id, kind__in=STOCKED_KINDS, is_active=True,
                warehouse_id__in=[pk for pk, _n in self.fields["warehouse"].choices],
            ).order_by("warehouse__code", "code").values_list("pk", "code", "warehouse__name")]
        self.fields["category"].bind(user.company_id)
        self.fields["assignees"].choices = list(
            User.objects.filter(company_id=user.company_id, is_active=True).order_by("username")
            .values_list("pk", "username"))


@company_page
def count_list(request):
    user = request.user
    status = request.GET.get("status", "")
    qs = _counts(user).order_by("-created_at", "-id")
    if status in CountStatus.values:
        qs = qs.filter(status=status)
    if request.GET.get("mine"):
        qs = qs.filter(assignees=user)
    form = CountForm(request.POST or None, user=user, initial={"blind": True})
    if request.method == "POST" and _may_manage(user) and form.is_valid():
        d = form.cleaned_data
        try:
            count = counts.create_count(by=user, warehouse=d["warehouse"], scope=d["scope"],
                                        locations=d["locations"], category=d["category"],
                                        abc_class=d["abc_class"] or "", sample_size=d["sample_size"] or 0,
                                        name=d["name"], blind=d["blind"], freeze=d["freeze"],
                                        assignees=d["assignees"])
        except DomainError as exc:
            messages.error(request, exc.render_message())
        else:
            messages.success(request, _("Count %(number)s created.") % {"number": count.number})
            return redirect("web:count", count.pk)
    page, query = paginate(request, qs)
    return render(request, "counts/counts.html", {
        "page": page, "query": query, "status": status, "statuses": CountStatus.choices, "form": form,
        "can_manage": _may_manage(user),
    })


def _count_or_404(user, pk) -> Count:
    count = _counts(user).filter(pk=pk).first()
    if count is None:
        raise Http404
    return count


@company_page
def count_detail(request, pk):
    user = request.user
    count = _count_or_404(user, pk)
    show = counts.may_see_book(user, count)
    if wants_export(request):  # the variance sheet: the book is in it, so only for who may see the book
        if not show:
            raise Http404
        return export_list(request, VARIANCE_EXPORT, selectors.variance_rows(count))
    rows = selectors.variance_rows(count, only_differences=show and request.GET.get("differences") == "1")
    todo = [r for r in rows if r["counted_quantity"] is None]
    total = len(rows)
    q = (request.GET.get("q") or "").strip().lower()
    if q:
        rows = [r for r in rows if q in r["item_code"].lower() or q in r["item_name"].lower()
                or q in r["location_code"].lower()]
    # a phone shows the lines to recount first, then the rest; a big count is searched, not scrolled
    rows.sort(key=lambda r: not (r["recount_requested"] and r["counted_quantity"] is None))
    shown = rows[:LINES_SHOWN]
    locations = list(Location.objects.filter(
        pk__in=count.location_ids or selectors.stocked_location_ids(count.warehouse_id), kind__in=STOCKED_KINDS,
    ).order_by("code").values_list("pk", "code"))
    return render(request, "counts/count.html", {
        "count": count, "rows": shown, "more": len(rows) - len(shown), "q": q, "show_book": show,
        "todo": len(todo), "done": total - len(todo),
        "may_adjust": count.status == CountStatus.REVIEW or (
            count.status == CountStatus.DOCUMENTED and count.document is not None
            and count.document.status in ("cancelled", "voided")),
        "can_manage": _may_manage(user), "reasons": Reason.choices, "locations": locations,
        "accuracy": selectors.count_accuracy(count) if show and count.status != CountStatus.OPEN else None,
        "summary": selectors.variance_summary(count) if show and count.status != CountStatus.OPEN else None,
        "can_cost": permissions.allowed(user, "stock.cost"),
        "outbox": {"namespace": f"count-u{user.pk}-w{count.warehouse_id}", "count": count.pk,
                   "warehouse": count.warehouse_id, "user": user.pk, "texts": OUTBOX_TEXTS},
        "item_names": _item_names(count) if count.status == CountStatus.COUNTING else {},
    })


NAMES_UP_TO = 5000


def _item_names(count: Count) -> dict[str, str]:
    """Barcode and item code → item name for the items of a count being counted (at most NAMES_UP_TO items), so an
    entry kept on the phone while offline reads "矿泉水 × 2", not a barcode. Names only: no book quantity."""
    item_ids = list(count.lines.values_list("item_id", flat=True).distinct()[:NAMES_UP_TO + 1])
    if not item_ids or len(item_ids) > NAMES_UP_TO:
        return {}
    out = dict(Item.objects.filter(pk__in=item_ids).values_list("code", "name"))
    out.update(Barcode.objects.filter(item_id__in=item_ids).values_list("code", "item__name"))
    return out


# what counts.js says about the entries kept on the phone (the outbox) and their upload
OUTBOX_TEXTS = {
    "queued": _("Waiting to upload"),
    "saved": _("Saved"),
    "refused": _("Refused"),
    "online": _("Online"),
    "offline": _("Offline"),
    "counted": _("Counted"),
    "queued_note": _("Kept on this phone; it is uploaded when the network allows."),
    "empty": _("Scan or type a barcode."),
    "unknown_hint": _("This barcode is not known: type the item code instead, or put the item aside for the manager."),
    "storage_failed": _("This phone could not keep the entry; it was not counted."),
    "register_failed": _("This phone could not be set up for counting offline:"),
    "new_line": _("new line: not in the book here"),
    "new_lot": _("New lot"),
    "count_in_lot": _("Count in this lot"),
}


@require_POST
@company_page
def count_scan(request, pk):
    """One scan (or a typed quantity) from the count page; htmx swaps in the result, plain POST redirects."""
    user = request.user
    count = _count_or_404(user, pk)
    code = (request.POST.get("barcode") or "").strip()
    quantity = (request.POST.get("quantity") or "").strip() or None
    location = request.POST.get("location") or None
    lot = (request.POST.get("lot") or request.POST.get("new_lot") or "").strip()  # a lot picked, or a new one
    ctx = {"count": count, "code": code, "quantity": quantity or "", "location": location or ""}
    try:
        if not code:
            raise DomainError("validation.failed", _("Scan or type a barcode."), http_status=422)
        entry = counts.EntryInput(barcode=code, quantity=quantity, lot_code=lot,
                                  location=int(location) if location and location.isdigit() else None)
        result = counts.record_entries(count, by=user, entries=[entry])[0]
    except DomainError as exc:
        ctx.update(ok=False, message=exc.render_message(), error_code=exc.code, lots=exc.data.get("lots"))
        status = exc.http_status
    else:
        ctx.update(ok=True, result=result, show_book=counts.may_see_book(user, count))
        status = 200
    if request.headers.get("HX-Request"):
        return render(request, "counts/_scan_result.html", ctx, status=200 if status < 500 else status)
    (messages.success if ctx["ok"] else messages.error)(
        request, ctx.get("message") or _("%(item)s: counted %(qty)s") % {
            "item": ctx["result"].item.name, "qty": ctx["result"].line.counted_quantity})
    return redirect("web:count", count.pk)


def count_service_worker(request):
    """/counts/sw.js: keeps the count pages usable offline (scope /counts/). No data in it: no sign-in needed."""
    from django.conf import settings
    from django.utils.safestring import mark_safe

    response = render(request, "counts/sw.js", {
        "static_url_json": mark_safe(json.dumps(settings.STATIC_URL)), "timeout_ms": 5000,
    }, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


LINES_SHOWN = 300
ACTIONS = {"start", "finish", "finish_zero", "finish_skip", "document", "cancel", "reason", "recount"}


@require_POST
@company_page
def count_action(request, pk, action):
    user = request.user
    count = _count_or_404(user, pk)
    if action not in ACTIONS:
        raise Http404
    try:
        if action == "start":
            counts.start_count(count, by=user)
        elif action in ("finish", "finish_zero", "finish_skip"):
            # leaving lines not counted needs the user's confirmation (the form's required checkbox)
            skip = action == "finish_skip" and request.POST.get("confirm") == "1"
            if action == "finish_skip" and not skip:
                raise ValidationFailed(field="confirm", reason=_("must be ticked to leave lines not counted"))
            count = counts.finish_count(count, by=user, uncounted_as_zero=action == "finish_zero",
                                        skip_uncounted=skip)
            if count.status == CountStatus.COUNTING:
                messages.warning(request, _("Some lines are beyond tolerance and must be counted again."))
        elif action == "document":
            count = counts.create_count_document(count, by=user)
            if count.document_id:
                messages.success(request, _("Adjustment %(number)s created: submit it for approval.")
                                 % {"number": count.document.number})
                return redirect("web:document", count.document_id)
        elif action == "cancel":
            counts.cancel_count(count, by=user, reason=request.POST.get("reason", ""))
        elif action == "reason":
            counts.set_reason(count, by=user, line=int(request.POST.get("line") or 0),
                              reason=request.POST.get("reason", ""), note=request.POST.get("note", ""))
            if request.headers.get("HX-Request"):
                return render(request, "counts/_saved.html", {})
        elif action == "recount":
            counts.request_recount(count, by=user, lines=[int(x) for x in request.POST.getlist("line") if x.isdigit()])
    except DomainError as exc:
        messages.error(request, exc.render_message())
    return redirect("web:count", count.pk)


class PlanForm(CountForm):
    next_due_on = forms.DateField(label=_("First count on"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))


@company_page
def plan_list(request):
    user = request.user
    qs = CountPlan.objects.filter(company_id=user.company_id).select_related("warehouse").order_by("next_due_on")
    scope = scoped_warehouse_ids(user)
    if scope is not None:
        qs = qs.filter(warehouse_id__in=scope)
    form = PlanForm(request.POST or None, user=user, initial={"blind": True})
    if request.method == "POST" and _may_manage(user) and form.is_valid():
        d = form.cleaned_data
        try:
            counts.create_plan(by=user, name=d["name"] or str(Scope(d["scope"]).label), warehouse=d["warehouse"],
                               scope=d["scope"], locations=d["locations"], category=d["category"],
                               abc_class=d["abc_class"] or "", sample_size=d["sample_size"] or 0,
                               every_days=d["every_days"], next_due_on=d["next_due_on"], blind=d["blind"],
                               freeze=d["freeze"], assignees=d["assignees"])
        except DomainError as exc:
            messages.error(request, exc.render_message())
        else:
            messages.success(request, _("Plan saved."))
            return redirect("web:count_plans")
    return render(request, "counts/plans.html", {"plans": qs, "form": form, "can_manage": _may_manage(user)})


@require_POST
@company_page
def plan_run(request, pk):
    user = request.user
    plan = CountPlan.objects.filter(company_id=user.company_id, pk=pk).first()
    if plan is None:
        raise Http404
    try:
        count = counts.create_count_from_plan(plan, by=user)
    except DomainError as exc:
        messages.error(request, exc.render_message())
        return redirect("web:count_plans")
    return redirect("web:count", count.pk)


@company_page
def accuracy(request):
    user = request.user
    period = request.GET.get("period", "week")
    period = period if period in ("week", "month") else "week"
    tz = user.company.time_zone
    today = clock.today(tz)
    since = today - dt.timedelta(weeks=26 if period == "week" else 52)
    trend = selectors.accuracy_trend(user.company_id, period=period, since=since, until=today, tz=tz)
    chart = {
        "periods": [t["period"].isoformat() for t in trend],
        "series": [
            {"name": str(_("Lines within ±2%")), "data": [float(t["line_accuracy"] or 0) * 100 for t in trend]},
            {"name": str(_("Value accuracy")), "data": [float(t["value_accuracy"] or 0) * 100 for t in trend]},
        ],
    }
    offenders = selectors.repeat_offenders(user.company_id, since=clock.now() - dt.timedelta(days=180))
    return render(request, "counts/accuracy.html", {
        "trend": trend, "chart": chart, "period": period, "offenders": offenders,
    })
