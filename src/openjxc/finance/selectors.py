"""Read the partner ledger: balances, open documents, unapplied credits, statements (对账单), aging (账龄).

Selectors never write. Every figure is a sum of append-only rows, so any of them can be asked
"as of" a past date and gives the answer it would have given then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from openjxc.core.quantities import ZERO, money, qty
from openjxc.documents.kinds import get_kind
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.documents.sources import fulfilled_by_line
from openjxc.finance.models import Allocation, Book, PartnerEntry, Settlement

BUCKETS = ("0-30", "31-60", "61-90", "90+")


def partner_balance(company_id: int, partner_id: int, book: str, *, as_of: dt.date | None = None) -> Decimal:
    """What the partner owes us (receivable) or we owe them (payable), net of every credit, on `as_of`."""
    entries = PartnerEntry.objects.filter(company_id=company_id, partner_id=partner_id, book=book)
    if as_of is not None:
        entries = entries.filter(business_on__lte=as_of)
    return money(entries.aggregate(s=Sum("amount"))["s"] or ZERO)


def receivable_balance(company_id: int, partner_id: int, *, as_of: dt.date | None = None) -> Decimal:
    """What the customer owes us now (or on `as_of`): deliveries − returns − receipts. Negative: prepaid."""
    return partner_balance(company_id, partner_id, Book.RECEIVABLE, as_of=as_of)


def payable_balance(company_id: int, partner_id: int, *, as_of: dt.date | None = None) -> Decimal:
    """What we owe the supplier now (or on `as_of`): receipts − returns − payments. Negative: prepaid."""
    return partner_balance(company_id, partner_id, Book.PAYABLE, as_of=as_of)


# ---------------------------------------------------------------- open items


@dataclass
class OpenItem:
    """A document still (partly) owed, or a credit (money received / paid, a return) not yet applied."""

    kind: str  # a document kind, "receipt" or "payment"
    id: int
    number: str
    business_on: dt.date
    due_on: dt.date
    amount: Decimal  # what the item is worth in the book, as a positive number
    allocated: Decimal
    partner_id: int = 0
    is_credit: bool = False

    @property
    def open(self) -> Decimal:
        return self.amount - self.allocated


def _sums(qs, key: str) -> dict[int, Decimal]:
    return {k: money(v or ZERO) for k, v in qs.values_list(key).annotate(s=Sum("amount")).values_list(key, "s")}


def open_items(company_id: int, book: str, *, partner_id: int | None = None, as_of: dt.date | None = None,
               include_settled: bool = False) -> list[OpenItem]:
    """Every document and credit of the book with its amount, what is applied to it and what is left open."""
    entries = PartnerEntry.objects.filter(company_id=company_id, book=book)
    allocations = Allocation.objects.filter(company_id=company_id, book=book)
    if partner_id is not None:
        entries = entries.filter(partner_id=partner_id)
        allocations = allocations.filter(partner_id=partner_id)
    if as_of is not None:
        entries = entries.filter(business_on__lte=as_of)
        allocations = allocations.filter(business_on__lte=as_of)

    doc_amounts = _sums(entries.filter(document__isnull=False), "document_id")
    settlement_amounts = _sums(entries.filter(settlement__isnull=False), "settlement_id")
    applied_to_doc = _sums(allocations, "document_id")
    applied_from_settlement = _sums(allocations.filter(settlement__isnull=False), "settlement_id")
    applied_from_doc = _sums(allocations.filter(credit_document__isnull=False), "credit_document_id")
    due = dict(
        entries.filter(reverses__isnull=True, document__isnull=False).values_list("document_id", "due_on")
    )

    # a refund given at the counter settles the return it was given for (finance/counter.py)
    refunds = Settlement.objects.filter(pk__in=settlement_amounts, kind="refund", document__isnull=False)
    for pk, doc_id in refunds.values_list("pk", "document_id"):
        applied_from_doc[doc_id] = applied_from_doc.get(doc_id, ZERO) + settlement_amounts.pop(pk)

    items: list[OpenItem] = []
    docs = Document.objects.filter(pk__in=doc_amounts).values_list("pk", "kind", "number", "business_on", "partner_id")
    for pk, kind, number, business_on, pid in docs:
        amount = doc_amounts[pk]
        if amount >= 0:
            item = OpenItem(kind, pk, number, business_on, due.get(pk, business_on), amount,
                            applied_to_doc.get(pk, ZERO), pid)
        else:
            item = OpenItem(kind, pk, number, business_on, due.get(pk, business_on), -amount,
                            applied_from_doc.get(pk, ZERO), pid, is_credit=True)
        items.append(item)
    rows = Settlement.objects.filter(pk__in=settlement_amounts).values_list(
        "pk", "kind", "number", "business_on", "partner_id"
    )
    for pk, kind, number, business_on, pid in rows:
        items.append(OpenItem(kind, pk, number, business_on, business_on, -settlement_amounts[pk],
                              applied_from_settlement.get(pk, ZERO), pid, is_credit=True))
    if not include_settled:
        items = [i for i in items if i.open != 0]
    items.sort(key=lambda i: (i.business_on, i.number))
    return items


def open_documents(company_id: int, partner_id: int, book: str, *, as_of: dt.date | None = None) -> list[OpenItem]:
    """Documents the partner still owes on (or we owe on), oldest first, with their open amounts."""
    return [i for i in open_items(company_id, book, partner_id=partner_id, as_of=as_of) if not i.is_credit]


def open_credits(company_id: int, partner_id: int, book: str, *, as_of: dt.date | None = None) -> list[OpenItem]:
    """Money received or paid, and returns, not yet applied to a document (prepayments, credits)."""
    return [i for i in open_items(company_id, book, partner_id=partner_id, as_of=as_of) if i.is_credit]


# ---------------------------------------------------------------- statement (对账单)


@dataclass
class StatementLine:
    business_on: dt.date
    number: str
    kind: str
    amount: Decimal
    balance: Decimal
    is_reversal: bool


@dataclass
class Statement:
    partner_id: int
    book: str
    date_from: dt.date
    date_to: dt.date
    opening: Decimal
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def closing(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening

    @property
    def increases(self) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.amount > 0), ZERO)

    @property
    def decreases(self) -> Decimal:
        return sum((-ln.amount for ln in self.lines if ln.amount < 0), ZERO)


def statement(company_id: int, partner_id: int, book: str, date_from: dt.date, date_to: dt.date) -> Statement:
    """对账单: the balance before `date_from`, each entry of the period with a running balance, the closing."""
    opening = partner_balance(company_id, partner_id, book, as_of=date_from - dt.timedelta(days=1))
    st = Statement(partner_id, book, date_from, date_to, opening)
    rows = (
        PartnerEntry.objects.filter(company_id=company_id, partner_id=partner_id, book=book,
                                    business_on__gte=date_from, business_on__lte=date_to)
        .order_by("business_on", "id")
        .values_list("business_on", "amount", "reverses_id", "document__number", "document__kind",
                     "settlement__number", "settlement__kind")
    )
    running = opening
    for business_on, amount, reverses_id, doc_number, doc_kind, s_number, s_kind in rows:
        running += amount
        st.lines.append(StatementLine(business_on, doc_number or s_number, doc_kind or s_kind, amount, running,
                                      reverses_id is not None))
    return st


# ---------------------------------------------------------------- aging (账龄)


@dataclass
class AgingRow:
    partner_id: int
    buckets: dict[str, Decimal]
    unapplied: Decimal  # credits not yet applied to a document, as a negative number

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO) + self.unapplied


def bucket_of(days: int) -> str:
    """0–30 (including documents not yet due), 31–60, 61–90, over 90 days."""
    if days <= 30:
        return BUCKETS[0]
    if days <= 60:
        return BUCKETS[1]
    if days <= 90:
        return BUCKETS[2]
    return BUCKETS[3]


def aging(company_id: int, book: str, as_of: dt.date, *, basis: str = "due",
          partner_id: int | None = None) -> list[AgingRow]:
    """Open amounts per partner by age on `as_of`, counted from the due date (basis "due") or the business
    date (basis "business"). Unapplied credits are shown apart, so each row's total is the partner's balance."""
    rows: dict[int, AgingRow] = {}
    for item in open_items(company_id, book, partner_id=partner_id, as_of=as_of):
        row = rows.setdefault(item.partner_id, AgingRow(item.partner_id, {b: ZERO for b in BUCKETS}, ZERO))
        if item.is_credit:
            row.unapplied -= item.open
        else:
            start = item.due_on if basis == "due" else item.business_on
            row.buckets[bucket_of((as_of - start).days)] += item.open
    return [rows[k] for k in sorted(rows)]


def partner_entries(company_id: int, partner_id: int, book: str):
    """The partner's ledger entries, oldest first (the raw 往来明细)."""
    return (
        PartnerEntry.objects.filter(company_id=company_id, partner_id=partner_id, book=book)
        .filter(Q(document__isnull=False) | Q(settlement__isnull=False))
        .select_related("document", "settlement")
        .order_by("business_on", "id")
    )


# ---------------------------------------------------------------- billed quantities of order lines


def billed_quantities(order: Document) -> dict[int, Decimal]:
    """Per line of a purchase or sales order: the quantity billed (documents/orders.order_progress reads it).

    Purchase order: the posted supplier bills' quantities on receipt lines made from the order line.
    Returns reduce what was received, not what was billed, so they are not subtracted.
    Sales order: there is no sales invoice; a delivery bills the customer (it books the receivable),
    so billed is what was delivered less what was returned, posted documents only.
    """
    fulfilled_by = get_kind(order.kind).fulfilled_by
    if fulfilled_by is None:
        return {}
    if get_kind(order.kind).partner_role == "supplier":
        rows = (
            DocumentLine.objects.filter(
                document__kind="purchase_bill", document__status=Status.POSTED,
                source_line__source_line__document_id=order.pk,
            )
            .values_list("source_line__source_line_id")
            .annotate(q=Sum("quantity"))
        )
        return {line_id: qty(q or 0) for line_id, q in rows}
    return {line_id: delivered - returned
            for line_id, (delivered, returned) in fulfilled_by_line([order.pk], fulfilled_by).items()}


# ---------------------------------------------------------------- takings (收款汇总)


@dataclass
class Takings:
    method: str
    received: Decimal
    refunded: Decimal
    count: int

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


def takings(company_id: int, date_from: dt.date, date_to: dt.date, *, till: str | None = None) -> list[Takings]:
    """Money taken from customers between two business dates (inclusive) by method: posted receipts less posted
    refunds (voided ones count nowhere), optionally of one till; methods in name order."""
    qs = Settlement.objects.filter(company_id=company_id, status="posted", kind__in=["receipt", "refund"],
                                   business_on__gte=date_from, business_on__lte=date_to)
    if till is not None:
        qs = qs.filter(till=till)
    out: dict[str, Takings] = {}
    for method, kind, total, n in (qs.values_list("method", "kind").annotate(s=Sum("amount"), n=Count("id"))
                                   .values_list("method", "kind", "s", "n")):
        row = out.setdefault(method, Takings(method, ZERO, ZERO, 0))
        if kind == "receipt":
            row.received += money(total)
        else:
            row.refunded += money(total)
        row.count += n
    return [out[m] for m in sorted(out)]
