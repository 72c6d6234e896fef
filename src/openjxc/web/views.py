"""The foundation's pages: sign-in, dashboard, stock balances, item card, documents.

Views read with selectors and simple ORM reads and change things only through the services; a
DomainError is shown to the user beside the action that caused it (status 200), never a 500.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import check_for_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from openjxc.catalog.models import Item, ItemWarehouse
from openjxc.catalog.services import lookup_barcode
from openjxc.core import clock, permissions
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.documents import search
from openjxc.documents import services as doc_services
from openjxc.documents.kinds import KINDS, get_kind
from openjxc.documents.kinds.orders import FULFILLED_BY, ORDER_KINDS
from openjxc.documents.models import Document, Status
from openjxc.documents.orders import close_order, order_progress, push_down
from openjxc.documents.services import TRANSITIONS, LineInput
from openjxc.stock import selectors
from openjxc.stock.access import scoped_warehouse_ids, visible_warehouses
from openjxc.stock.models import STOCKED_KINDS, StockBalance, StockMove, Warehouse
from openjxc.web.excel import export_list, wants_export
from openjxc.web.excel_lists import BALANCES_EXPORT, DOCUMENTS_EXPORT, ITEM_CARD_EXPORT
from openjxc.web.forms import BalanceFilter, DocumentFilter, DocumentHeaderForm
from openjxc.web.paging import keyset_page

PAGE_SIZE = 50


# ---------------------------------------------------------------- account


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign out by POST only (a GET link could be triggered by any page)."""


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


@require_POST
def set_language(request):
    """Django's set_language, and for a signed-in user also their saved language (which wins over the cookie)."""
    lang = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(lang) and request.user.language != lang:
        request.user.language = lang
        request.user.save(update_fields=["language"])
    return django_set_language(request)


# ---------------------------------------------------------------- helpers


def company_page(view):
    """A signed-in page of the user's company; times shown in the company's time zone."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.company_id is None:
            raise Http404(_("Your account is not attached to a company."))
        timezone.activate(zoneinfo.ZoneInfo(request.user.company.time_zone))
        try:
            return view(request, *args, **kwargs)
        finally:
            timezone.deactivate()

    return wrapper


def _page(request, queryset):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _company_today(user) -> tuple[dt.date, dt.datetime]:
    tz = zoneinfo.ZoneInfo(user.company.time_zone)
    today = clock.today(user.company.time_zone)
    return today, dt.datetime.combine(today, dt.time.min, tzinfo=tz)


def _scoped_documents(user):
    qs = Document.objects.filter(company_id=user.company_id)
    scope = scoped_warehouse_ids(user)
    if scope is not None:
        qs = qs.filter(Q(warehouse_id__in=scope) | Q(to_warehouse_id__in=scope))
    return qs


# ---------------------------------------------------------------- dashboard


def dashboard_figures(user) -> dict:
    """The KPI cards and chart data of the home page, limited to the warehouses the user may see."""
    company_id = user.company_id
    scope = scoped_warehouse_ids(user)
    balances = StockBalance.objects.filter(company_id=company_id, location__kind__in=STOCKED_KINDS)
    if scope is not None:
        balances = balances.filter(location__warehouse_id__in=scope)
    today, start = _company_today(user)
    on_hand = (
        StockBalance.objects.filter(item_id=OuterRef("item_id"), location__warehouse_id=OuterRef("warehouse_id"))
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    levels = ItemWarehouse.objects.filter(company_id=company_id, safety_stock__gt=0)
    if scope is not None:
        levels = levels.filter(warehouse_id__in=scope)
    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=18, decimal_places=4))
    below = levels.annotate(
        on_hand=Coalesce(Subquery(on_hand, output_field=DecimalField(max_digits=18, decimal_places=4)), zero)
    ).filter(on_hand__lt=F("safety_stock"))

    figures = {
        "today": today,
        "show_value": permissions.allowed(user, "stock.cost"),
        "stock_value": balances.aggregate(v=Sum("value"))["v"] or Decimal("0"),
        "items_on_hand": balances.filter(quantity__gt=0).values("item_id").distinct().count(),
        "posted_today": _scoped_documents(user)
        .filter(status=Status.POSTED, posted_at__gte=start, posted_at__lt=start + dt.timedelta(days=1))
        .count(),
        "below_safety": below.count(),
        "negative": balances.filter(quantity__lt=0).count(),
        "awaiting_approval": _scoped_documents(user).filter(status=Status.SUBMITTED).count()
        if permissions.allowed(user, "document.approve") else None,
    }

    # moves per day over 30 days: into and out of the visible stocked locations
    first = today - dt.timedelta(days=29)
    moves = StockMove.objects.filter(company_id=company_id, business_on__gte=first, business_on__lte=today)
    stocked_in = Q(to_location__kind__in=STOCKED_KINDS)
    stocked_out = Q(from_location__kind__in=STOCKED_KINDS)
    if scope is not None:
        stocked_in &= Q(to_location__warehouse_id__in=scope)
        stocked_out &= Q(from_location__warehouse_id__in=scope)
    ins = dict(moves.filter(stocked_in).values_list("business_on").annotate(n=Count("id")))
    outs = dict(moves.filter(stocked_out).values_list("business_on").annotate(n=Count("id")))
    days = [first + dt.timedelta(days=i) for i in range(30)]
    chart_moves = {
        "title": _("Stock moves, last 30 days"),
        "days": [d.strftime("%m-%d") for d in days],
        "series": [
            {"name": _("In"), "data": [ins.get(d, 0) for d in days]},
            {"name": _("Out"), "data": [outs.get(d, 0) for d in days]},
        ],
    }
    chart_value = None
    if figures["show_value"]:
        rows = (
            balances.values("location__warehouse__name")
            .annotate(v=Sum("value"))
            .exclude(v=0)
            .order_by("-v")
        )
        chart_value = {
            "title": _("Stock value by warehouse"),
            "names": [r["location__warehouse__name"] or "—" for r in rows],
            "values": [float(r["v"] or 0) for r in rows],  # display only: ECharts draws numbers
        }
    figures["chart_moves"] = chart_moves
    figures["chart_value"] = chart_value
    return figures


@company_page
def home(request):
    figures = dashboard_figures(request.user)
    recent = (
        _scoped_documents(request.user)
        .select_related("warehouse", "partner")
        .order_by("-updated_at", "-id")[:8]
    )
    from openjxc.alerts.api_alerts import visible_alerts
    from openjxc.alerts.rule_models import OPEN_STATUSES, by_severity

    open_alerts = visible_alerts(request.user).filter(status__in=OPEN_STATUSES)
    top_alerts = list(open_alerts.order_by(by_severity(), "-raised_at", "-id")[:5])
    return render(request, "web/home.html", {**figures, "recent": recent, "alerts_open": open_alerts.count(),
                                             "top_alerts": top_alerts})


# ---------------------------------------------------------------- stock


@company_page
def balances(request):
    user = request.user
    form = BalanceFilter(request.GET or None, user=user)
    scope = scoped_warehouse_ids(user)
    warehouse_ids = scope
    qs = selectors.balances(user.company_id, warehouse_ids=warehouse_ids)
    if form.is_valid():
        wh = form.cleaned_data["warehouse"]
        if wh is not None:
            qs = qs.filter(location__warehouse_id=wh)
        if form.cleaned_data["item"]:
            term = form.cleaned_data["item"].strip()
            qs = qs.filter(Q(item__code__icontains=term) | Q(item__name__icontains=term))
        if form.cleaned_data["lot"]:
            qs = qs.filter(lot__code__icontains=form.cleaned_data["lot"].strip())
    qs = qs.select_related("item__base_unit")
    if wants_export(request):
        return export_list(request, BALANCES_EXPORT, qs)
    show_value = permissions.allowed(user, "stock.cost")
    totals = qs.aggregate(q=Sum("quantity"), v=Sum("value"))
    page, query = _page(request, qs)
    return render(request, "web/balances.html", {
        "form": form, "page": page, "query": query, "show_value": show_value, "totals": totals,
    })


@company_page
def item_card(request, pk: int):
    user = request.user
    item = Item.objects.filter(company_id=user.company_id, pk=pk).select_related("base_unit", "category").first()
    if item is None:
        raise Http404(_("Item not found."))
    warehouses = list(visible_warehouses(user, Warehouse.objects.all()).order_by("code"))
    chosen = request.GET.get("warehouse")
    scope = scoped_warehouse_ids(user)
    ids = scope
    if chosen and chosen.isdigit() and any(w.pk == int(chosen) for w in warehouses):
        ids = {int(chosen)}
    rows = selectors.item_ledger(user.company_id, item.pk, warehouse_ids=ids)
    rows.reverse()  # newest first: what people look for on a card
    if wants_export(request):
        return export_list(request, ITEM_CARD_EXPORT, rows)
    on_hand = selectors.balances(user.company_id, warehouse_ids=ids, item_id=item.pk)
    return render(request, "web/item_card.html", {
        "item": item, "rows": rows, "warehouses": warehouses, "chosen": chosen or "",
        "on_hand": on_hand, "show_value": permissions.allowed(user, "stock.cost"),
    })


# ---------------------------------------------------------------- documents


@company_page
def documents(request):
    user = request.user
    form = DocumentFilter(request.GET or None)
    qs = _scoped_documents(user).select_related("warehouse", "partner", "to_warehouse")
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
        from openjxc.web.excel_views import print_documents

        return print_documents(request, qs.order_by("business_on", "number"))
    # keyset paging: a deep page of a million documents is an index range read, not an OFFSET scan
    keys = [sort] if sort.lstrip("-") == "number" else [sort, f"{sort[0] if sort[0] == '-' else ''}id"]
    page = keyset_page(request, qs, keys)
    query = page.query
    return render(request, "web/documents.html", {
        "form": form, "page": page, "query": query, "show_value": permissions.allowed(user, "stock.cost"),
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
    in_flow = None  # in an approval flow, the step's approvers decide, whatever their role
    if doc.status == Status.SUBMITTED:
        from openjxc.workflow import selectors as workflow
        from openjxc.workflow.services import pending_approval

        if pending_approval(doc) is not None:
            in_flow = workflow.is_waiting_for(user, doc)
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
    doc = (
        _scoped_documents(user)
        .select_related("warehouse", "to_warehouse", "partner", "source", "created_by", "approved_by",
                        "posted_by", "voided_by")
        .filter(pk=pk)
        .first()
    )
    if doc is None:
        raise Http404(_("Document not found."))
    return doc


def order_progress_rows(doc: Document, lines) -> list | None:
    """Per line of a confirmed purchase / sales order: ordered, received (delivered), returned, billed, left."""
    if doc.kind not in FULFILLED_BY or doc.status not in (Status.POSTED, Status.CLOSED):
        return None
    by_line = {ln.pk: ln for ln in lines}
    rows = order_progress(doc)
    for p in rows:
        p.line = by_line.get(p.line_id)
    return rows


def _render_document(request, doc: Document, *, error: str = "", error_action: str = ""):
    user = request.user
    lines = doc.lines.select_related("item", "unit", "lot", "location")
    derived = doc.derived.order_by("id")
    progress = order_progress_rows(doc, lines)
    return render(request, "web/document_detail.html", {
        "can_edit_lines": doc.status == Status.DRAFT and permissions.allowed(user, "document.create"),
        "progress": progress,
        "doc": doc, "kind": get_kind(doc.kind), "lines": lines, "derived": derived,
        "actions": document_actions(doc, user), "create_from": create_from_kinds(doc, user),
        "show_value": permissions.allowed(user, "stock.cost"), "error": error, "error_action": error_action,
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
            return redirect(f"{reverse_lazy('web:document_new')}?kind={kind}&source={source.pk}")
        if source.kind in ORDER_KINDS:  # 下推 with the order's data: what is left, prices as entered, dates
            new = push_down(source, by=user, kind=kind)
        else:
            new = doc_services.create_from(source, by=user, kind=kind)
    except DomainError as err:
        return _render_document(request, source, error=err.render_message(), error_action="create_from")
    messages.success(request, _("Draft %(number)s was created from %(source)s.") % {
        "number": new.number, "source": source.number,
    })
    return redirect("web:document", pk=new.pk)


LINE_ROWS = 5


def _line_rows(post) -> list[dict]:
    items, qtys = post.getlist("line_item"), post.getlist("line_qty")
    prices, lots = post.getlist("line_price"), post.getlist("line_lot")
    expires = post.getlist("line_expires")
    rows = []
    for i in range(max(len(items), len(qtys))):
        row = {
            "item": (items[i] if i < len(items) else "").strip(),
            "qty": (qtys[i] if i < len(qtys) else "").strip(),
            "price": (prices[i] if i < len(prices) else "").strip(),
            "lot": (lots[i] if i < len(lots) else "").strip(),
            "expires": (expires[i] if i < len(expires) else "").strip(),
        }
        rows.append(row)
    return rows


def _label_rows(company_id: int, rows: list[dict]) -> list[dict]:
    """Name each typed or scanned row's item as the scan box does (面粉 · F001 · 千克), for a form shown again."""
    codes = {r["item"] for r in rows if r.get("item") and not r.get("label")}
    items = {i.code: i for i in Item.objects.filter(company_id=company_id, code__in=codes).select_related("base_unit")}
    for row in rows:
        if not row.get("item") or row.get("label"):
            continue
        item, unit = items.get(row["item"]), None
        if item is None:
            try:
                found = lookup_barcode(company_id, row["item"])
            except DomainError:
                continue
            item, unit = found["item"], found["unit"]
        row["label"] = f"{item.name} · {item.code} · {(unit or item.base_unit).name}"
    return rows


def _line_inputs(company_id: int, rows: list[dict]) -> list[LineInput]:
    """Turn the form's rows into LineInputs; an item is found by its code, else by a (GS1) barcode scan."""
    inputs = []
    for n, row in enumerate(rows, start=1):
        if not row["item"] and not row["qty"]:
            continue
        if not row["item"]:
            raise ValidationFailed(field=_("line %(n)s") % {"n": n}, reason=_("needs an item"))
        item = Item.objects.filter(company_id=company_id, code=row["item"]).first()
        unit, lot = None, row["lot"]
        expires_on = None
        if row.get("expires"):
            try:
                expires_on = dt.date.fromisoformat(row["expires"])
            except ValueError:
                raise ValidationFailed(field=_("line %(n)s") % {"n": n}, reason=_("has an invalid expiry date")) from None
        if item is None:
            found = lookup_barcode(company_id, row["item"])
            item, unit = found["item"], found["unit"]
            lot = lot or (found["lot"] or "")
            expires_on = expires_on or found["expires_on"]
        inputs.append(LineInput(
            item=item.pk, quantity=row["qty"] or "0", unit=unit.pk if unit else None,
            unit_price=row["price"] or None, lot_code=lot, expires_on=expires_on,
        ))
    return inputs


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
    existing = list(doc.lines.select_related("item__base_unit").order_by("line_no"))
    error = ""
    if request.method == "POST":
        rows = _line_rows(request.POST)
        sources = request.POST.getlist("line_source")
        try:
            inputs = []
            for n, row in enumerate(rows):
                if not (row["item"] or row["qty"]):
                    continue
                if row["qty"] in ("0", "0.0", ""):  # scanned to zero: not received (or picked) this time
                    continue
                (li,) = _line_inputs(user.company_id, [row])
                li.source_line = int(sources[n]) if n < len(sources) and sources[n].isdigit() else None
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
        # in base units: the row names the item by its code, so a line in packs (箱) is shown in pieces
        rows = [{"item": ln.item.code, "qty": "0" if scanning else format(ln.quantity.normalize(), "f"),
                 "price": format((ln.unit_price / (ln.factor or 1)).normalize(), "f"),
                 "lot": ln.lot_code, "expires": ln.expires_on.isoformat() if ln.expires_on else "",
                 "source": ln.source_line_id or "", "expected": ln.quantity,
                 "label": f"{ln.item.name} · {ln.item.code} · {ln.item.base_unit.name}"}
                for ln in existing]
    return render(request, "web/document_lines.html", {
        "doc": doc, "kind": get_kind(doc.kind), "rows": _label_rows(user.company_id, rows), "error": error, "scanning": scanning,
    })


@company_page
def document_new(request):
    user = request.user
    today, _start = _company_today(user)
    initial = {"kind": request.GET.get("kind"), "business_on": today}
    source = request.GET.get("source", "")  # made from a document (下推 of a kind whose lines are its own)
    form = DocumentHeaderForm(request.POST or None, user=user, initial=initial)
    rows = _line_rows(request.POST) if request.method == "POST" else []
    rows += [{"item": "", "qty": "", "price": "", "lot": "", "expires": ""}] * max(0, LINE_ROWS - len(rows))
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            doc = doc_services.create_document(
                by=user, kind=data["kind"], warehouse=data["warehouse"], to_warehouse=data["to_warehouse"],
                partner=data["partner"], business_on=data["business_on"], memo=data["memo"],
                lines=_line_inputs(user.company_id, rows), source=int(source) if source.isdigit() else None,
            )
        except DomainError as err:
            error = err.render_message()
        else:
            messages.success(request, _("Draft %(number)s was created.") % {"number": doc.number})
            return redirect("web:document", pk=doc.pk)
    return render(request, "web/document_form.html", {"form": form, "rows": _label_rows(user.company_id, rows),
                                                       "error": error})

