"""What a printout of a document shows, decided once for the PDF and the HTML layouts.

Prices of sales documents are what the customer pays and print for everyone; the prices, amounts
and costs of every other kind print only for users allowed to see stock values ("stock.cost").
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from openjxc.core import permissions
from openjxc.core.display import format_money as money
from openjxc.core.display import format_quantity as qty
from openjxc.core.display import format_unit_amount as price
from openjxc.documents.kinds import get_kind
from openjxc.documents.models import VALUED_AT_COST, Document, Status


@dataclass
class PrintLine:
    no: int
    code: str
    name: str
    lot: str
    quantity: str
    unit: str
    price: str = ""
    amount: str = ""
    cost: str = ""


@dataclass
class Printout:
    company: str
    company_lines: list[str]
    title: str
    number: str
    status: str
    is_final: bool  # posted: a real, binding document; anything else is marked on every page
    facts: list[tuple[str, str]]
    lines: list[PrintLine]
    total_quantity: str
    total_amount: str
    show_prices: bool
    show_costs: bool
    total_cost: str = ""
    printed: str = ""
    signatures: list[str] = field(default_factory=list)


def _name(user) -> str:
    if user is None:
        return ""
    return getattr(user, "display_name", "") or user.get_username()


def document_printout(doc: Document, user) -> Printout:
    """The printout of `doc` as `user` may see it (the caller has already checked they may see the document)."""
    kind = get_kind(doc.kind)
    is_sales = kind.partner_role == "customer"
    may_see_values = permissions.allowed(user, "stock.cost")
    show_prices = is_sales or may_see_values
    show_costs = may_see_values and not is_sales and doc.status in (Status.POSTED, Status.VOIDED)
    tz = zoneinfo.ZoneInfo(doc.company.time_zone)

    def at(value) -> str:
        return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M") if value else ""

    warehouse = doc.warehouse.name if doc.warehouse else "—"
    if doc.to_warehouse:
        warehouse = f"{warehouse} → {doc.to_warehouse.name}"
    facts = [(_("Business date"), doc.business_on.strftime("%Y-%m-%d")), (_("Warehouse"), warehouse)]
    if doc.partner:
        facts.append((_("Partner"), f"{doc.partner.name} ({doc.partner.code})"))
    if doc.source:
        facts.append((_("Created from"), doc.source.number))
    facts.append((_("Created by"), f"{_name(doc.created_by)} {at(doc.created_at)}"))
    if doc.posted_by:
        facts.append((_("Posted by"), f"{_name(doc.posted_by)} {at(doc.posted_at)}"))
    if doc.voided_by:
        facts.append((_("Voided by"), f"{_name(doc.voided_by)} {at(doc.voided_at)}"))
        facts.append((_("Void reason"), doc.void_reason))
    if doc.memo:
        facts.append((_("Memo"), doc.memo))

    if show_costs and doc.kind in VALUED_AT_COST and doc.cost_total is not None:
        label = _("Amount at cost") if doc.status in (Status.POSTED, Status.VOIDED) else _("Amount at cost (estimate)")
        facts.append((label, f"¥{money(doc.cost_total)}"))

    lines, total_cost = [], None
    for ln in doc.lines.select_related("item", "unit", "lot").order_by("line_no"):
        lot = ln.lot_code or (ln.lot.code if ln.lot else "")
        expires_on = ln.expires_on or (ln.lot.expires_on if ln.lot else None)
        if expires_on:
            lot = f"{lot} {expires_on:%Y-%m-%d}".strip()
        row = PrintLine(
            no=ln.line_no, code=ln.item.code,
            name=f"{ln.item.name} {ln.item.spec}".strip(), lot=lot,
            quantity=qty(ln.unit_quantity), unit=ln.unit.name,
        )
        if show_prices:
            row.price, row.amount = price(ln.unit_price), money(ln.amount)
        if show_costs and ln.cost_amount is not None:
            row.cost = money(ln.cost_amount)
            total_cost = (total_cost or 0) + ln.cost_amount
        lines.append(row)

    company = doc.company
    extra = company.settings if isinstance(company.settings, dict) else {}
    company_lines = [str(extra[k]) for k in ("address", "phone", "tax_id") if extra.get(k)]
    return Printout(
        company=company.name, company_lines=company_lines, title=str(kind.label), number=doc.number,
        status=str(Status(doc.status).label), is_final=doc.status == Status.POSTED, facts=facts, lines=lines,
        total_quantity=qty(doc.total_quantity), total_amount=money(doc.total_amount) if show_prices else "",
        show_prices=show_prices, show_costs=show_costs, total_cost=money(total_cost) if total_cost is not None else "",
        printed=_("Printed %(at)s by %(user)s") % {"at": at(timezone.now()), "user": _name(user)},
        signatures=[_("Prepared by"), _("Checked by"), _("Received by")],
    )
