"""Till closing (交班 / 日结): the cash a till should hold, what the cashier counted, the difference and why.

A closing covers the receipts and refunds the till took since its previous closing (finance.Settlement rows
with `till` = the terminal's code, recorded when its sales and returns are posted, finance/counter.py):

    expected cash = float + cash sales − cash refunds − cash of earlier-closed sales voided since then

The range is kept as settlement ids (after_settlement < id <= up_to_settlement). Closing locks the terminal
row, and so does every sale or return the till pushes (sync/protocol.py) before it records money: no receipt
can commit below a closing's upper bound after the closing has read it. A difference other than zero needs
a reason. Closings are written once; a correction is the next closing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import NotFound, ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.models import Role, User
from openjxc.core.numbering import next_number
from openjxc.core.permissions import company_of, require
from openjxc.core.quantities import ZERO, money, parse_decimal
from openjxc.finance.models import Settlement, SettlementKind, SettlementStatus
from openjxc.sync.models import Terminal, TerminalKind, TillClosing

PREFIX = "JBD"  # 交班单
CLOSE_ROLES = {Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.CASHIER}


@dataclass
class Expected:
    """What a till should hold now: the figures of the closing that would be made."""

    terminal: Terminal
    after_settlement: int
    up_to_settlement: int
    since: object  # the previous closing's time, or None
    cash_sales: Decimal = ZERO
    cash_refunds: Decimal = ZERO
    cash_voided: Decimal = ZERO
    sales_count: int = 0
    by_method: dict[str, Decimal] = field(default_factory=dict)

    def expected(self, opening_float: Decimal) -> Decimal:
        return money(opening_float + self.cash_sales - self.cash_refunds - self.cash_voided)


def till_of(company, ref) -> Terminal:
    pk = ref.pk if isinstance(ref, Terminal) else ref
    qs = Terminal.objects.filter(company=company, kind=TerminalKind.POS)
    t = qs.filter(pk=pk).first() if isinstance(pk, int) and not isinstance(pk, bool) else qs.filter(code=pk).first()
    if t is None:
        raise NotFound("terminal", pk)
    return t


def expected_cash(terminal: Terminal) -> Expected:
    """The till's money since its previous closing (read only; close_till reads it again under the lock)."""
    prev = TillClosing.objects.filter(terminal=terminal).order_by("-id").first()
    after = prev.up_to_settlement if prev else 0
    mine = Settlement.objects.filter(company_id=terminal.company_id, till=terminal.code)
    up_to = mine.filter(pk__gt=after).aggregate(m=Max("pk"))["m"] or after
    out = Expected(terminal, after, up_to, prev.closed_at if prev else None)
    posted = mine.filter(pk__gt=after, pk__lte=up_to, status=SettlementStatus.POSTED)
    for method, kind, total in posted.values_list("method", "kind").annotate(s=Sum("amount")).values_list(
            "method", "kind", "s"):
        sign = 1 if kind == SettlementKind.RECEIPT else -1
        out.by_method[method] = out.by_method.get(method, ZERO) + sign * money(total)
        if method == "cash":
            if kind == SettlementKind.RECEIPT:
                out.cash_sales += money(total)
            else:
                out.cash_refunds += money(total)
    out.sales_count = posted.filter(kind=SettlementKind.RECEIPT).values("document_id").distinct().count()
    if prev is not None:  # counted in an earlier closing, voided since: the cash went back to the customer
        for kind, total in (mine.filter(pk__lte=after, method="cash", status=SettlementStatus.VOIDED,
                                        voided_at__gt=prev.closed_at)
                            .values_list("kind").annotate(s=Sum("amount")).values_list("kind", "s")):
            out.cash_voided += money(total) if kind == SettlementKind.RECEIPT else -money(total)
    return out


@transaction.atomic
def close_till(*, by: User, terminal, counted, opening_float=ZERO, reason: str = "") -> TillClosing:
    """Close the till: record expected and counted cash and their difference (with a reason when not zero)."""
    require(by, "till.close", CLOSE_ROLES)
    company = company_of(by)
    t = till_of(company, terminal)
    counted_cash = parse_decimal(counted, "counted", places=2)
    float_cash = parse_decimal(opening_float if opening_float not in (None, "") else ZERO, "opening_float", places=2)
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ValidationFailed(field="reason", reason=_("is longer than 500 characters"))
    Terminal.objects.select_for_update().filter(pk=t.pk).first()  # one closing at a time; sales wait (see above)
    exp = expected_cash(t)
    expected = exp.expected(float_cash)
    difference = money(counted_cash - expected)
    if difference != 0 and not reason:
        raise ValidationFailed(field="reason",
                               reason=_("is required: the counted cash differs from the expected by %(d)s")
                               % {"d": difference})
    now = clock.now()
    day = clock.today(company.time_zone)
    closing = TillClosing.objects.create(
        company=company, number=next_number(company, PREFIX, day), terminal=t, cashier=by, business_on=day,
        closed_at=now, after_settlement=exp.after_settlement, up_to_settlement=exp.up_to_settlement,
        opening_float=float_cash, cash_sales=exp.cash_sales, cash_refunds=exp.cash_refunds,
        cash_voided=exp.cash_voided, expected=expected, counted=counted_cash, difference=difference, reason=reason,
        by_method={m: str(v) for m, v in sorted(exp.by_method.items())}, sales_count=exp.sales_count,
    )
    payload = {"number": closing.number, "terminal": t.code, "expected": str(expected), "counted": str(counted_cash),
               "difference": str(difference), "reason": reason}
    record_event(company=company, topic="till.closed", by=by, obj=closing, payload=payload)
    record_audit(company=company, action="close_till", obj=closing, by=by, after=payload)
    return closing
