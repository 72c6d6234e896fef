"""Orders: progress of order lines, the 上查/下推 trail, on-time receipts, reservations, credit limits.

Selectors read; `close_order` writes through the lifecycle seam (documents/lifecycle.py); the `check_*`
functions are posting hooks (documents/hooks.py), registered in documents/apps.py, that run under
the posted document's row lock and refuse with a DomainError before anything is written.

Quantities "net" of returns: an order line counts as received (delivered) by the posted receipts
(deliveries) made from it minus the posted returns of those; what was returned may be received
again, and over-receipt / over-delivery are judged on the net quantity (documents/sources.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from openjxc.core import permissions
from openjxc.core.company_settings import locked_company, save_settings, tracks_stock
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.models import User
from openjxc.core.quantities import ZERO, money, qty
from openjxc.documents import hooks
from openjxc.documents.kinds import get_kind
from openjxc.documents.kinds.orders import FULFILLED_BY, ORDER_KINDS
from openjxc.documents.lifecycle import Changes, lock_document, transition
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.documents.pushdown import push_down
from openjxc.documents.sources import fulfilled_by_line
from openjxc.stock.models import STOCKED_KINDS, StockBalance

# order-line status codes and their labels (purchase / sales wording)
LINE_STATUS_LABELS = {
    "purchase_order": {
        "open": _("Not received"), "partial": _("Partly received"), "done": _("Completed"), "closed": _("Closed"),
    },
    "sales_order": {
        "open": _("Not delivered"), "partial": _("Partly delivered"), "done": _("Completed"), "closed": _("Closed"),
    },
}


# ---------------------------------------------------------------- progress


@dataclass
class LineProgress:
    line_id: int
    line_no: int
    item_id: int
    ordered: Decimal
    fulfilled: Decimal  # received (purchase) or delivered (sales), gross
    returned: Decimal
    billed: Decimal
    promised_on: dt.date | None
    status: str
    status_label: str
    line: DocumentLine | None = None  # the order line itself, when a reader attaches it (selectors.order_lines)

    @property
    def net(self) -> Decimal:
        return self.fulfilled - self.returned

    @property
    def remaining(self) -> Decimal:
        return max(self.ordered - self.net, ZERO)


def billed_by_line(order: Document) -> dict[int, Decimal]:
    """Quantities billed per order line, as the book that bills them (finance) provides; none without it."""
    return hooks.read("billed_quantities", order) or {}


def order_progress(order: Document) -> list[LineProgress]:
    """Per line of a purchase or sales order: ordered / received (delivered) / returned / billed and a status."""
    if order.kind not in FULFILLED_BY:
        raise DomainError(
            "document.not_an_order", _("Document %(number)s is not a purchase or sales order."), http_status=422,
            number=order.number,
        )
    done = fulfilled_by_line([order.pk], FULFILLED_BY[order.kind])
    billed = billed_by_line(order)
    labels = LINE_STATUS_LABELS[order.kind]
    out = []
    for ln in order.lines.all():
        fulfilled, returned = done.get(ln.pk, (ZERO, ZERO))
        net = fulfilled - returned
        if order.status == Status.CLOSED:
            status = "closed"
        elif net >= ln.quantity:
            status = "done"
        elif net > 0:
            status = "partial"
        else:
            status = "open"
        out.append(LineProgress(
            line_id=ln.pk, line_no=ln.line_no, item_id=ln.item_id, ordered=ln.quantity, fulfilled=fulfilled,
            returned=returned, billed=billed.get(ln.pk, ZERO), promised_on=ln.promised_on, status=status,
            status_label=str(labels[status]),
        ))
    return out


def order_status(order: Document) -> str:
    """The order's own progress: open / partial / done / closed (from its lines)."""
    states = {p.status for p in order_progress(order)}
    if "closed" in states:  # closing closes every line
        return "closed"
    if states == {"done"}:
        return "done"
    return "open" if states == {"open"} else "partial"


# ---------------------------------------------------------------- 上查 / 下推 trail


def _brief(doc: Document) -> dict:
    return {
        "id": doc.pk, "number": doc.number, "kind": doc.kind, "status": doc.status, "business_on": doc.business_on,
        "total_quantity": doc.total_quantity, "total_amount": doc.total_amount,
    }


def document_trail(doc: Document) -> dict:
    """What `doc` was created from (nearest first) and what was created from it (a tree)."""
    upstream = []
    seen = {doc.pk}
    src = doc.source
    while src is not None and src.pk not in seen:
        seen.add(src.pk)
        upstream.append(_brief(src))
        src = src.source

    def children(parent_id: int, depth: int) -> list[dict]:
        if depth > 10:
            return []
        out = []
        for child in Document.objects.filter(source_id=parent_id).order_by("business_on", "pk"):
            if child.pk in seen:
                continue
            seen.add(child.pk)
            out.append({**_brief(child), "derived": children(child.pk, depth + 1)})
        return out

    return {"document": _brief(doc), "upstream": upstream, "downstream": children(doc.pk, 0)}


# ---------------------------------------------------------------- purchase receipts against promised dates
# (the on-time rate: documents/on_time.py)


def receipt_timeliness(company_id: int, *, date_from=None, date_to=None, supplier_id=None) -> list[dict]:
    """Per posted receipt line made from an order line with a promised date: promised vs received date."""
    qs = DocumentLine.objects.filter(
        document__company_id=company_id, document__kind="purchase_receipt", document__status=Status.POSTED,
        source_line__document__kind="purchase_order", source_line__promised_on__isnull=False,
    )
    if date_from:
        qs = qs.filter(document__business_on__gte=date_from)
    if date_to:
        qs = qs.filter(document__business_on__lte=date_to)
    if supplier_id:
        qs = qs.filter(document__partner_id=supplier_id)
    rows = qs.values_list("id", "document_id", "document__number", "document__partner_id", "item_id", "quantity",
                          "source_line__promised_on", "document__business_on").order_by("document__business_on", "id")
    return [
        {"line": lid, "document": did, "number": num, "supplier": sup, "item": item, "quantity": q,
         "promised_on": promised, "received_on": received, "on_time": promised is None or received <= promised,
         "days_late": max((received - promised).days, 0) if promised is not None else 0}
        for lid, did, num, sup, item, q, promised, received in rows
    ]


# ---------------------------------------------------------------- reservations and availability


def _open_order_lines(company_id: int, kind: str, *, item_id=None, warehouse_id=None, partner_id=None,
                      exclude_doc=None):
    qs = DocumentLine.objects.filter(document__company_id=company_id, document__kind=kind,
                                     document__status=Status.POSTED)
    if item_id is not None:
        qs = qs.filter(item_id=item_id)
    if warehouse_id is not None:
        qs = qs.filter(document__warehouse_id=warehouse_id)
    if partner_id is not None:
        qs = qs.filter(document__partner_id=partner_id)
    if exclude_doc is not None:
        qs = qs.exclude(document_id=exclude_doc)
    return list(qs.values_list("id", "document_id", "item_id", "document__warehouse_id", "quantity",
                               "amount_with_tax", "amount"))


def open_quantities(company_id: int, kind: str, **filters) -> list[tuple]:
    """(line id, item, warehouse, quantity not yet received/delivered, its value with tax) of open orders."""
    rows = _open_order_lines(company_id, kind, **filters)
    if not rows:
        return []
    done = fulfilled_by_line({r[1] for r in rows}, FULFILLED_BY[kind])
    out = []
    for line_id, _doc, item, wh, ordered, with_tax, amount in rows:
        got, back = done.get(line_id, (ZERO, ZERO))
        left = max(ordered - (got - back), ZERO)
        if left > 0:
            out.append((line_id, item, wh, left, money((with_tax or amount) * left / ordered)))
    return out


def reserved(company_id: int, item_id: int, warehouse_id: int, *, exclude_doc=None) -> Decimal:
    """Quantity of the item promised to customers by confirmed (posted, not closed) sales orders, not yet delivered."""
    return sum((r[3] for r in open_quantities(company_id, "sales_order", item_id=item_id, warehouse_id=warehouse_id,
                                              exclude_doc=exclude_doc)), ZERO)


def on_hand(item_id: int, warehouse_id: int) -> Decimal:
    total = StockBalance.objects.filter(
        item_id=item_id, location__warehouse_id=warehouse_id, location__kind__in=STOCKED_KINDS
    ).aggregate(q=Sum("quantity"))["q"]
    return qty(total or 0)


def available(item, warehouse, *, exclude_doc=None) -> dict:
    """On hand, reserved and available (= on hand − reserved) of an item in a warehouse."""
    item_id, warehouse_id = getattr(item, "pk", item), getattr(warehouse, "pk", warehouse)
    company_id = item.company_id if hasattr(item, "company_id") else warehouse.company_id
    have = on_hand(item_id, warehouse_id)
    held = reserved(company_id, item_id, warehouse_id, exclude_doc=exclude_doc)
    return {"item": item_id, "warehouse": warehouse_id, "on_hand": have, "reserved": held, "available": have - held}


# ---------------------------------------------------------------- credit


def receivable_outstanding(company_id: int, partner_id: int) -> tuple[Decimal, str]:
    """What the customer owes now, and where the figure came from ("finance" or "deliveries")."""
    balance = hooks.read("receivable_balance", company_id, partner_id)
    if balance is not None:  # the partner ledger (finance) keeps it
        return money(balance), "finance"
    # without the partner ledger: posted deliveries less posted sales returns, at their amounts with tax
    signed = ZERO
    for kind, sign in (("sales_delivery", 1), ("sales_return", -1)):
        total = Document.objects.filter(company_id=company_id, partner_id=partner_id, kind=kind,
                                        status=Status.POSTED).aggregate(t=Sum("total_with_tax"))["t"]
        signed += sign * money(total or 0)
    return signed, "deliveries"


def credit_exposure(company_id: int, partner_id: int, *, exclude_doc=None) -> Decimal:
    """Receivable outstanding plus the value of confirmed sales orders not yet delivered."""
    owed, _source = receivable_outstanding(company_id, partner_id)
    open_value = sum((r[4] for r in open_quantities(company_id, "sales_order", partner_id=partner_id,
                                                    exclude_doc=exclude_doc)), ZERO)
    return owed + open_value


def _doc_total(doc: Document) -> Decimal:
    return doc.total_with_tax or doc.total_amount


# ---------------------------------------------------------------- posting hooks


def _setting(company, name: str, default):
    return (company.settings or {}).get(name, default)


def over_receipt_tolerance(company) -> Decimal:
    """How far (in percent of the ordered quantity) a purchase order line may be over-received (default 0)."""
    return Decimal(str(_setting(company, "over_receipt_tolerance", 0)))


def refuses_sales_beyond_available(company) -> bool:
    """Whether confirming a sales order beyond available stock (on hand − reserved) is refused (default no)."""
    return bool(_setting(company, "refuse_sales_beyond_available", False)) and tracks_stock(company)


@transaction.atomic
def set_order_settings(*, by: User, over_receipt_tolerance=None, refuse_sales_beyond_available=None):
    """Change the company's order settings (only the ones given); audited like every settings change."""
    permissions.require(by, "users.manage")
    company = locked_company(by)
    changes: dict[str, object] = {}
    if over_receipt_tolerance is not None:
        try:
            tol = Decimal(str(over_receipt_tolerance))
        except ArithmeticError:
            tol = Decimal(-1)
        if not tol.is_finite() or not (0 <= tol <= 100) or tol != tol.quantize(Decimal("0.01")):
            raise ValidationFailed(field="over_receipt_tolerance", reason=_("must be a percentage from 0 to 100"))
        changes["over_receipt_tolerance"] = str(tol)
    if refuse_sales_beyond_available is not None:
        changes["refuse_sales_beyond_available"] = bool(refuse_sales_beyond_available)
    before = {k: (company.settings or {}).get(k) for k in changes}
    return save_settings(company, by=by, changes=changes, before=before)


def check_sales_order(doc: Document, lines, by: User) -> None:
    """Confirming a sales order: refuse beyond the credit limit, and (if the company says so) beyond stock."""
    partner = doc.partner
    if partner is not None and partner.credit_limit is not None:
        outstanding = credit_exposure(doc.company_id, partner.pk, exclude_doc=doc.pk)
        amount = _doc_total(doc)
        if outstanding + amount > partner.credit_limit:
            raise DomainError(
                "partner.credit_limit_exceeded",
                _("%(partner)s would owe %(total)s, over the credit limit of %(limit)s "
                  "(outstanding %(outstanding)s, this order %(amount)s)."),
                http_status=409, partner=partner.name, limit=partner.credit_limit, outstanding=outstanding,
                amount=amount, total=outstanding + amount,
            )
    if refuses_sales_beyond_available(doc.company):
        wanted: dict[int, Decimal] = defaultdict(lambda: ZERO)
        names = {}
        for ln in lines:
            wanted[ln.item_id] += ln.quantity
            names[ln.item_id] = ln.item
        for item_id, want in sorted(wanted.items()):
            left = available(names[item_id], doc.warehouse, exclude_doc=doc.pk)["available"]
            if want > left:
                raise DomainError(
                    "document.reservation_exceeds",
                    _("%(item)s: %(requested)s ordered but only %(available)s available (on hand less reserved)."),
                    http_status=409, item=names[item_id], requested=want, available=left,
                )


def _lock_order(doc: Document) -> Document | None:
    """The order `doc` is made from, row-locked: concurrent receipts/deliveries of one order queue here."""
    if not doc.source_id:
        return None
    order = Document.objects.select_for_update(of=("self",)).get(pk=doc.source_id)
    if order.kind not in FULFILLED_BY:
        return None
    if order.status == Status.CLOSED:
        raise DomainError(
            "document.order_closed", _("Order %(number)s is closed: nothing more can be taken from it."),
            http_status=409, number=order.number,
        )
    return order


def order_allowance(doc: Document) -> dict[int, tuple[Decimal, Decimal]]:
    """For a draft receipt (delivery) made from an order: per order line, (what is left, what may still come
    with the over-receipt tolerance), both in the item's base unit: the page warns before saving with these."""
    order = doc.source
    if order is None or order.kind not in FULFILLED_BY or FULFILLED_BY[order.kind] != doc.kind:
        return {}
    done = fulfilled_by_line([order.pk], doc.kind, exclude_doc=doc.pk)
    purchase = get_kind(doc.kind).partner_role == "supplier"
    tolerance = over_receipt_tolerance(doc.company) if purchase else ZERO
    out = {}
    for ln in order.lines.all():
        got, back = done.get(ln.pk, (ZERO, ZERO))
        net = got - back
        out[ln.pk] = (max(ln.quantity - net, ZERO), max(qty(ln.quantity * (1 + tolerance / 100)) - net, ZERO))
    return out


def check_against_order(doc: Document, lines, by: User) -> None:
    """A receipt (delivery) made from an order: its lines must be the order's and must not take more than
    is left, beyond the company's over-receipt tolerance (deliveries: no tolerance)."""
    order = _lock_order(doc)
    if order is None:
        return
    order_lines = {ln.pk: ln for ln in order.lines.all()}
    # posted documents made from the order, read after taking the lock: they include any that just committed
    done = fulfilled_by_line([order.pk], doc.kind, exclude_doc=doc.pk)
    asked: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for n, ln in enumerate(lines, start=1):
        if ln.source_line_id is None:
            continue
        src = order_lines.get(ln.source_line_id)
        if src is None:
            raise ValidationFailed(field=f"lines[{n}].source_line", reason=_("must be a line of the source document"))
        if src.item_id != ln.item_id:
            raise ValidationFailed(field=f"lines[{n}].item", reason=_("must be the item of the source line"))
        asked[src.pk] += ln.quantity
    purchase = get_kind(doc.kind).partner_role == "supplier"  # receipts may take the tolerance, deliveries not
    tolerance = over_receipt_tolerance(doc.company) if purchase else ZERO
    for line_id, want in sorted(asked.items()):
        src = order_lines[line_id]
        got, back = done.get(line_id, (ZERO, ZERO))
        allowed = qty(src.quantity * (1 + tolerance / 100))
        left = allowed - (got - back)
        if want > left:
            raise DomainError(
                "document.over_receipt" if purchase else "document.over_delivery",
                _("%(item)s: %(requested)s requested but only %(remaining)s left on order %(number)s."),
                http_status=409, item=src.item, requested=want, remaining=max(left, ZERO), number=order.number,
                ordered=src.quantity, tolerance_percent=tolerance,
            )


def register_hooks() -> None:
    hooks.register(kinds={"sales_order"}, before_post=check_sales_order)
    hooks.register(kinds={"purchase_receipt", "sales_delivery"}, before_post=check_against_order)


# ---------------------------------------------------------------- services


@transaction.atomic
def close_order(order: Document | int, *, by: User, reason: str) -> Document:
    """Close a confirmed order short: what is left is no longer expected, reserved or deliverable."""
    permissions.require(by, "document.approve")
    if not reason or not reason.strip():
        raise ValidationFailed(field="reason", reason=_("is required to close an order"))
    doc = lock_document(order, by)
    if doc.kind not in ORDER_KINDS:
        raise DomainError(
            "document.not_an_order", _("Document %(number)s is not a purchase or sales order."), http_status=422,
            number=doc.number,
        )
    changes = Changes(doc)
    transition(doc, "close", by=by, reason=reason.strip(), changes=changes)
    doc.closed_at, doc.closed_by, doc.close_reason = doc.updated_at, by, reason.strip()[:500]
    changes.fields |= {"closed_at", "closed_by", "close_reason"}
    return changes.flush()


__all__ = [
    "FULFILLED_BY", "LINE_STATUS_LABELS", "LineProgress", "available", "billed_by_line", "check_against_order",
    "check_sales_order", "close_order", "credit_exposure", "document_trail", "fulfilled_by_line", "on_hand",
    "open_quantities", "order_allowance", "order_progress", "order_status", "push_down", "receipt_timeliness",
    "receivable_outstanding", "register_hooks", "reserved", "set_order_settings",
]
