"""Finance pages: receipts (收款单 SKD) and payments (付款单 FKD) with allocation to open documents,
balances per partner (应收 / 应付), the partner statement (对账单, printable) and aging (账龄) with a chart.

Reads use finance.selectors (every figure is a sum of the append-only ledger rows); changes go only
through finance.services, and a DomainError is shown beside the field or the document row it names.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from openjxc.core import permissions
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.quantities import ZERO, parse_decimal
from openjxc.documents.kinds import KINDS
from openjxc.finance import access, selectors
from openjxc.finance import services as fin
from openjxc.finance.models import (
    Allocation,
    Book,
    PartnerEntry,
    Settlement,
    SettlementKind,
    SettlementStatus,
)
from openjxc.partners.models import Partner, PartnerKind
from openjxc.web.form_pages import show_error
from openjxc.web.pages import company_page, company_today
from openjxc.web.paging import keyset_page

BOOK_OF = {SettlementKind.RECEIPT: Book.RECEIVABLE, SettlementKind.PAYMENT: Book.PAYABLE}
ROLE_OF = {SettlementKind.RECEIPT: PartnerKind.CUSTOMER, SettlementKind.PAYMENT: PartnerKind.SUPPLIER}
BUCKET_LABELS = {"0-30": gettext_lazy("0–30 days"), "31-60": gettext_lazy("31–60 days"),
                 "61-90": gettext_lazy("61–90 days"), "90+": gettext_lazy("Over 90 days")}
METHODS = [("", "—"), ("cash", gettext_lazy("Cash")), ("bank", gettext_lazy("Bank transfer")),
           ("wechat", gettext_lazy("WeChat Pay")), ("alipay", gettext_lazy("Alipay")),
           ("card", gettext_lazy("Bank card")), ("cheque", gettext_lazy("Cheque"))]


METHOD_LABELS = dict(METHODS[1:])


def may(user, action: str) -> bool:
    roles, _label = fin.ROLES[action]
    return permissions.allowed(user, action, roles)


def _require(user, action: str):
    if not may(user, action):
        raise PermissionDenied(_("You may not do this: %(action)s.") % {"action": fin.ROLES[action][1]})


def _require_part(user, part: str):
    """The user's row of finance/access.py FINANCE_VIEW must include `part` (books, aging)."""
    if not getattr(access.view_of(user), part):
        raise PermissionDenied(_("You may not do this: %(action)s.") % {"action": access.LABELS[part]})


def _kind_label(code: str) -> str:
    if code in KINDS:
        return str(KINDS[code].label)
    return str(SettlementKind(code).label) if code in SettlementKind.values else code


def _partner_choices(company_id: int, role: str | None, *, blank):
    qs = Partner.objects.filter(company_id=company_id).order_by("code")
    if role:
        qs = qs.filter(kind__in=[role, PartnerKind.BOTH])
    return [("", blank)] + [(p.pk, f"{p.code} {p.name}") for p in qs.only("id", "code", "name")]


# ---------------------------------------------------------------- receipts and payments


class SettlementFilter(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=[("", gettext_lazy("All kinds"))] + list(SettlementKind.choices))
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[("", gettext_lazy("All statuses"))] + list(SettlementStatus.choices))
    method = forms.ChoiceField(label=gettext_lazy("Method"), required=False,
                               choices=[("", gettext_lazy("All methods"))] + METHODS[1:])
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": gettext_lazy("Number or partner")}))
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


@company_page
def settlements(request):
    user = request.user
    _require(user, "finance.view")
    form = SettlementFilter(request.GET or None)
    qs = access.visible_settlements(user, Settlement.objects.filter(company_id=user.company_id))
    if form.is_valid():
        d = form.cleaned_data
        if d["kind"]:
            qs = qs.filter(kind=d["kind"])
        if d["status"]:
            qs = qs.filter(status=d["status"])
        if d["method"]:
            qs = qs.filter(method=d["method"])
        term = d["q"].strip()
        if term:
            qs = qs.filter(Q(number__icontains=term) | Q(partner__name__icontains=term)
                           | Q(partner__code__icontains=term))
        if d["date_from"]:
            qs = qs.filter(business_on__gte=d["date_from"])
        if d["date_to"]:
            qs = qs.filter(business_on__lte=d["date_to"])
    # receipts and payments grow like documents: keyset paging on (business date, id), newest first
    page = keyset_page(request, qs.select_related("partner").order_by("-business_on", "-id"), ["-business_on", "-id"])
    query = page.query
    for s in page.object_list:
        s.method_label = METHOD_LABELS.get(s.method, s.method)
    return render(request, "finance/settlements.html", {
        "form": form, "page": page, "query": query, "can_record": may(user, "finance.record"),
    })


class SettlementForm(forms.Form):
    partner = forms.TypedChoiceField(label=gettext_lazy("Partner"), coerce=int)
    business_on = forms.DateField(label=gettext_lazy("Business date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    amount = forms.DecimalField(label=gettext_lazy("Amount"), max_digits=18, decimal_places=2,
                                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=METHODS, required=False)
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=100, required=False,
                                help_text=gettext_lazy("Bank slip or cheque number"))
    memo = forms.CharField(label=gettext_lazy("Memo"), max_length=500, required=False)

    def __init__(self, *args, company_id, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = _partner_choices(company_id, ROLE_OF[kind], blank="—")
        self.fields["partner"].label = (_("Customer") if kind == SettlementKind.RECEIPT else _("Supplier"))


def _allocation_rows(post, open_docs) -> tuple[list[fin.AllocationInput], dict[int, str], dict[int, str]]:
    """The amounts typed against the open documents; bad numbers are marked on their row."""
    out, typed, bad = [], {}, {}
    for item in open_docs:
        raw = (post.get(f"alloc_{item.id}") or "").strip()
        typed[item.id] = raw
        if not raw:
            continue
        try:
            amount = parse_decimal(raw, f"alloc_{item.id}", places=2, negative=True)
        except ValidationFailed as exc:
            bad[item.id] = exc.data.get("reason") or _("is not a number")
            continue
        if amount:
            out.append(fin.AllocationInput(document=item.id, amount=amount))
    return out, typed, bad


def _row_error(err: DomainError, open_docs) -> dict[int, str]:
    number = err.data.get("number")
    return {i.id: err.render_message() for i in open_docs if number and i.number == number}


@company_page
def settlement_new(request):
    user = request.user
    _require(user, "finance.record")
    kind = request.GET.get("kind") or request.POST.get("kind") or SettlementKind.RECEIPT
    if kind not in ROLE_OF:  # refunds are taken at the counter with a return, not entered here
        raise Http404(_("Unknown kind."))
    today, _start = company_today(user)
    data = request.POST if request.method == "POST" else None
    partner_id = (request.POST.get("partner") if data else request.GET.get("partner")) or ""
    form = SettlementForm(data, company_id=user.company_id, kind=kind,
                          initial={"business_on": today, "partner": partner_id})
    partner = (Partner.objects.filter(company_id=user.company_id, pk=partner_id).first()
               if partner_id.isdigit() else None)
    open_docs = selectors.open_documents(user.company_id, partner.pk, BOOK_OF[kind]) if partner else []
    balance = selectors.partner_balance(user.company_id, partner.pk, BOOK_OF[kind]) if partner else None
    error, typed, row_errors = "", {}, {}
    if data is not None and "refresh" not in data:
        allocations, typed, row_errors = _allocation_rows(data, open_docs)
        if form.is_valid() and not row_errors:
            d = form.cleaned_data
            post = bool(allocations) or "post" in data
            try:
                s = fin.create_settlement(
                    by=user, kind=kind, partner=d["partner"], amount=d["amount"], business_on=d["business_on"],
                    method=d["method"], reference=d["reference"], memo=d["memo"], post=post,
                    allocations=allocations or None,
                )
            except DomainError as err:
                row_errors = _row_error(err, open_docs)
                if not row_errors:
                    error = show_error(form, err)
            else:
                messages.success(request, (_("%(number)s was posted.") if post else _("Draft %(number)s was created."))
                                 % {"number": s.number})
                return redirect("web:settlement", pk=s.pk)
    elif data is not None:
        form = SettlementForm(None, company_id=user.company_id, kind=kind,
                              initial={**{k: data.get(k) for k in SettlementForm.base_fields}, "partner": partner_id})
    for item in open_docs:
        item.label = _kind_label(item.kind)
        item.typed = typed.get(item.id, "")
        item.error = row_errors.get(item.id, "")
    return render(request, "finance/settlement_form.html", {
        "form": form, "kind": kind, "kind_label": _kind_label(kind), "partner": partner, "open_docs": open_docs,
        "balance": balance, "error": error,
        "open_total": sum((i.open for i in open_docs), ZERO),
    })


def _load(user, pk: int) -> Settlement:
    s = access.visible_settlements(user, Settlement.objects.filter(company_id=user.company_id, pk=pk)).select_related(
        "partner", "created_by", "posted_by", "voided_by").first()
    if s is None:
        raise Http404(_("Not found."))
    return s


def _render_settlement(request, s: Settlement, *, error: str = "", error_action: str = "", row_errors=None,
                       typed=None):
    user = request.user
    allocations = (Allocation.objects.filter(settlement=s).select_related("document").order_by("id"))
    applied = allocations.aggregate(t=Sum("amount"))["t"] or ZERO
    open_docs = []
    if s.status == SettlementStatus.POSTED and s.amount - applied > 0 and may(user, "finance.record"):
        open_docs = selectors.open_documents(user.company_id, s.partner_id, s.book)
        for item in open_docs:
            item.label = _kind_label(item.kind)
            item.typed = (typed or {}).get(item.id, "")
            item.error = (row_errors or {}).get(item.id, "")
    actions = []
    if s.status == SettlementStatus.DRAFT and may(user, "finance.record"):
        actions += [{"action": "post", "label": _("Post")}, {"action": "cancel", "label": _("Cancel document")}]
    if s.status == SettlementStatus.POSTED and may(user, "finance.void"):
        actions.append({"action": "void", "label": _("Void"), "needs_reason": True})
    for a in allocations:
        a.label = _kind_label(a.document.kind)
    s.method_label = METHOD_LABELS.get(s.method, s.method)
    return render(request, "finance/settlement_detail.html", {
        "s": s, "kind_label": _kind_label(s.kind), "allocations": allocations, "applied": applied,
        "left": s.amount - applied, "open_docs": open_docs, "actions": actions, "error": error,
        "error_action": error_action,
    })


@company_page
def settlement_detail(request, pk: int):
    _require(request.user, "finance.view")
    return _render_settlement(request, _load(request.user, pk))


ACTION_DONE = {
    "post": gettext_lazy("%(number)s was posted."),
    "void": gettext_lazy("%(number)s was voided."),
    "cancel": gettext_lazy("%(number)s was cancelled."),
    "allocate": gettext_lazy("%(number)s was applied to the documents."),
}


@require_POST
@company_page
def settlement_action(request, pk: int, action: str):
    user = request.user
    _require(user, "finance.view")
    s = _load(user, pk)
    reason = request.POST.get("reason", "").strip()[:500]
    try:
        if action == "post":
            fin.post_settlement(s, by=user)
        elif action == "void":
            fin.void_settlement(s, by=user, reason=reason)
        elif action == "cancel":
            fin.cancel_settlement(s, by=user, reason=reason)
        elif action == "allocate":
            open_docs = selectors.open_documents(user.company_id, s.partner_id, s.book)
            allocations, typed, bad = _allocation_rows(request.POST, open_docs)
            if bad or not allocations:
                s.refresh_from_db()
                return _render_settlement(request, s, row_errors=bad, typed=typed, error_action="allocate",
                                          error="" if bad else _("Type an amount against at least one document."))
            try:
                fin.allocate(by=user, settlement=s, allocations=allocations)
            except DomainError as err:
                rows = _row_error(err, open_docs)
                s.refresh_from_db()
                return _render_settlement(request, s, row_errors=rows, typed=typed, error_action="allocate",
                                          error="" if rows else err.render_message())
        else:
            raise Http404(_("Unknown action."))
    except DomainError as err:
        s.refresh_from_db()
        return _render_settlement(request, s, error=err.render_message(), error_action=action)
    messages.success(request, ACTION_DONE[action] % {"number": s.number})
    return redirect("web:settlement", pk=s.pk)


# ---------------------------------------------------------------- balances per partner


class BalanceFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Partner"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Code or name")}))
    show = forms.ChoiceField(label=gettext_lazy("Show"), required=False, choices=[
        ("", gettext_lazy("Partners with a balance")), ("all", gettext_lazy("All partners"))])


@company_page
def balances(request):
    """应收 / 应付 per partner: one grouped query over the ledger for the partners on the page."""
    user = request.user
    _require(user, "finance.view")
    _require_part(user, "books")
    form = BalanceFilter(request.GET or None)
    partners = Partner.objects.filter(company_id=user.company_id)
    show_all = False
    if form.is_valid():
        term = form.cleaned_data["q"].strip()
        if term:
            partners = partners.filter(Q(code__icontains=term) | Q(name__icontains=term))
        show_all = form.cleaned_data["show"] == "all"
    entries = PartnerEntry.objects.filter(company_id=user.company_id)
    if not show_all:
        with_balance = entries.values("partner_id").annotate(s=Sum("amount")).exclude(s=0).values("partner_id")
        partners = partners.filter(pk__in=with_balance)
    page = keyset_page(request, partners.order_by("code").only("id", "code", "name", "kind"), ["code"])
    query = page.query
    sums = {(p, b): s for p, b, s in entries.filter(partner_id__in=[p.pk for p in page.object_list])
            .values_list("partner_id", "book").annotate(s=Sum("amount")).values_list("partner_id", "book", "s")}
    for p in page.object_list:
        p.receivable = sums.get((p.pk, Book.RECEIVABLE), ZERO)
        p.payable = sums.get((p.pk, Book.PAYABLE), ZERO)
    totals = dict(entries.values_list("book").annotate(s=Sum("amount")).values_list("book", "s"))
    return render(request, "finance/balances.html", {
        "form": form, "page": page, "query": query,
        "total_receivable": totals.get(Book.RECEIVABLE, ZERO), "total_payable": totals.get(Book.PAYABLE, ZERO),
    })


# ---------------------------------------------------------------- statement (对账单)


class StatementForm(forms.Form):
    partner = forms.TypedChoiceField(label=gettext_lazy("Partner"), coerce=int)
    book = forms.ChoiceField(label=gettext_lazy("Book"), choices=Book.choices)
    date_from = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, company_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = _partner_choices(company_id, None, blank="—")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("is before the start of the period"))
        return data


@company_page
def statement(request):
    user = request.user
    _require(user, "finance.view")
    _require_part(user, "books")
    today, _start = company_today(user)
    initial = {"date_from": today.replace(day=1), "date_to": today, "book": Book.RECEIVABLE}
    form = StatementForm(request.GET if request.GET.get("partner") else None, company_id=user.company_id,
                         initial=initial)
    st = partner = None
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        partner = Partner.objects.filter(company_id=user.company_id, pk=d["partner"]).first()
        if partner is None:
            raise Http404(_("Not found."))
        st = selectors.statement(user.company_id, partner.pk, d["book"], d["date_from"], d["date_to"])
        for line in st.lines:
            line.label = _kind_label(line.kind)
        st.book_label = Book(d["book"]).label
    return render(request, "finance/statement.html", {
        "form": form, "st": st, "partner": partner, "company": user.company, "printed_on": today,
    })


# ---------------------------------------------------------------- aging (账龄)


class AgingForm(forms.Form):
    book = forms.ChoiceField(label=gettext_lazy("Book"), choices=Book.choices, required=False)
    as_of = forms.DateField(label=gettext_lazy("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    basis = forms.ChoiceField(label=gettext_lazy("Age from"), required=False, choices=[
        ("due", gettext_lazy("Due date")), ("business", gettext_lazy("Business date"))])


@company_page
def aging(request):
    user = request.user
    _require(user, "finance.view")
    _require_part(user, "aging")
    today, _start = company_today(user)
    form = AgingForm(request.GET or None)
    book, as_of, basis = Book.RECEIVABLE, today, "due"
    if form.is_valid():
        book = form.cleaned_data["book"] or book
        as_of = form.cleaned_data["as_of"] or as_of
        basis = form.cleaned_data["basis"] or basis
    rows = selectors.aging(user.company_id, book, as_of, basis=basis)
    names = dict(Partner.objects.filter(company_id=user.company_id, pk__in=[r.partner_id for r in rows])
                 .values_list("pk", "name"))
    totals = {b: ZERO for b in selectors.BUCKETS}
    unapplied = ZERO
    table = []
    for r in sorted(rows, key=lambda r: -r.total):
        for b in selectors.BUCKETS:
            totals[b] += r.buckets[b]
        unapplied += r.unapplied
        table.append({"partner_id": r.partner_id, "name": names.get(r.partner_id, "?"),
                      "buckets": [r.buckets[b] for b in selectors.BUCKETS], "unapplied": r.unapplied,
                      "total": r.total})
    chart = {
        "title": _("Open amounts by age"),
        "names": [str(BUCKET_LABELS[b]) for b in selectors.BUCKETS],
        "values": [float(totals[b]) for b in selectors.BUCKETS],  # display only: ECharts draws numbers
    }
    return render(request, "finance/aging.html", {
        "form": form, "rows": table, "buckets": [BUCKET_LABELS[b] for b in selectors.BUCKETS],
        "totals": [totals[b] for b in selectors.BUCKETS], "unapplied": unapplied,
        "grand_total": sum(totals.values(), ZERO) + unapplied, "chart": chart, "book": book,
        "book_label": Book(book).label, "as_of": as_of, "has_amounts": any(totals.values()),
        "date_from": (as_of - dt.timedelta(days=90)).replace(day=1),
    })
