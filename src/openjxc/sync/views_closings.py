"""The till closing page (交班 / 日结): pick a till, see the cash it should hold, enter the counted cash and the
reason of any difference; the list of closings; one closing with its print on the 80 mm roll."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core import permissions
from openjxc.core.errors import DomainError
from openjxc.finance.counter import METHODS
from openjxc.sync import closing as tills
from openjxc.sync.closing_print import closing_pdf, closing_rows, method_rows
from openjxc.sync.models import Terminal, TerminalKind, TillClosing
from openjxc.web.form_pages import show_error
from openjxc.web.pages import company_page
from openjxc.web.paging import keyset_page


def may_close(user) -> bool:
    return permissions.allowed(user, "till.close", tills.CLOSE_ROLES)


class ClosingForm(forms.Form):
    terminal = forms.TypedChoiceField(label=gettext_lazy("Till"), coerce=int)
    opening_float = forms.DecimalField(label=gettext_lazy("Float"), max_digits=18, decimal_places=2, min_value=0,
                                       initial=Decimal("0.00"), required=False,
                                       widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    counted = forms.DecimalField(label=gettext_lazy("Counted cash"), max_digits=18, decimal_places=2, min_value=0,
                                 widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    reason = forms.CharField(label=gettext_lazy("Reason of a difference"), max_length=500, required=False)

    def __init__(self, company_id, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["terminal"].choices = [
            (t.pk, f"{t.code} {t.name}") for t in Terminal.objects.filter(
                company_id=company_id, kind=TerminalKind.POS, revoked_at__isnull=True).order_by("code")]


@company_page
def closing_list(request):
    user = request.user
    if not may_close(user):
        raise PermissionDenied(_("You may not close tills."))
    form = ClosingForm(user.company_id, request.POST or None,
                       initial={"terminal": request.GET.get("terminal")})
    error = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            c = tills.close_till(by=user, terminal=d["terminal"], counted=d["counted"],
                                 opening_float=d["opening_float"] or Decimal(0), reason=d["reason"])
        except DomainError as exc:
            error = show_error(form, exc)
        else:
            messages.success(request, _("Till closed: %(number)s.") % {"number": c.number})
            return redirect("web:till_closing", pk=c.pk)
    chosen = form.data.get("terminal") if form.is_bound else request.GET.get("terminal")
    choices = [pk for pk, _label in form.fields["terminal"].choices]
    terminal_pk = int(chosen) if str(chosen or "").isdigit() and int(chosen) in choices else (choices or [None])[0]
    exp = tills.expected_cash(Terminal.objects.get(pk=terminal_pk)) if terminal_pk else None
    if exp is not None and not form.is_bound:
        form.initial["terminal"] = terminal_pk
    qs = TillClosing.objects.filter(company_id=user.company_id).select_related("terminal", "cashier")
    page = keyset_page(request, qs.order_by("-id"), ["-id"])
    return render(request, "sync/closings.html", {"form": form, "exp": exp, "page": page, "query": page.query, "error": error,
                                                  "methods": exp and [(METHODS.get(m, m), v) for m, v in sorted(exp.by_method.items())],
                                                  "expected_cash": exp and exp.expected(Decimal(0))})


def _closing(request, pk) -> TillClosing:
    if not may_close(request.user):
        raise PermissionDenied(_("You may not close tills."))
    c = TillClosing.objects.select_related("terminal", "cashier", "company").filter(
        company_id=request.user.company_id, pk=pk).first()
    if c is None:
        raise Http404(_("No such till closing."))
    return c


@company_page
def closing_detail(request, pk: int):
    c = _closing(request, pk)
    return render(request, "sync/closing_detail.html", {"c": c, "rows": closing_rows(c), "methods": method_rows(c)})


@company_page
def closing_print(request, pk: int):
    c = _closing(request, pk)
    return HttpResponse(closing_pdf(c), content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{c.number}.pdf"'})
