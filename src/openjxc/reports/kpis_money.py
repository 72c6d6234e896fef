"""KPIs of purchasing and of the partner ledger: purchase on-time rate, receivables and overdue, DSO."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection

from openjxc.finance.selectors import BUCKETS, bucket_of
from openjxc.partners.models import Partner
from openjxc.reports.facts.months import as_date
from openjxc.reports.kpis import KpiResult, KpiRow, _labelled, _money, _qty, _ratio
from openjxc.reports.models import Book
from openjxc.reports.query import Query, run
from openjxc.reports.querysql import p, subtree


def _due_plus(grace: int) -> str:
    if connection.vendor == "postgresql":
        return f"(l.promised_on + {int(grace)})"
    return f"date(l.promised_on, '+{int(grace)} days')"


def _in(col: str, values) -> tuple[str, list]:
    values = list(values)
    if not values:
        return "1 = 0", []
    return f"{col} IN ({', '.join(['%s'] * len(values))})", values


def on_time_lines(company, q: Query, *, grace_days: int = 0) -> list[tuple]:
    """Purchase order lines promised in the period and not closed or voided before their date:
    (line, supplier, warehouse, ordered, received by the promised date + grace), scaled quantities. Filters:
    supplier, warehouse, item, category (with its sub-categories)."""
    conds = ["l.company_id = %s", "l.promised_on >= %s", "l.promised_on <= %s",
             "(l.closed_on IS NULL OR l.closed_on >= l.promised_on)"]
    params: list = [company.pk, p(q.start), p(q.end)]
    if q.warehouse_ids is not None:
        ids = sorted(q.warehouse_ids) or [0]
        conds.append(f"l.warehouse_id IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    for name, col in (("supplier", "l.supplier_id"), ("warehouse", "l.warehouse_id"), ("item", "l.item_id")):
        if q.filters.get(name):
            vals = list(q.filters[name])
            conds.append(f"{col} IN ({', '.join(['%s'] * len(vals))})")
            params += vals
    if q.filters.get("category"):
        cond, vals = _in("c.category_id", subtree(company.pk, "category", [int(v) for v in q.filters["category"]]))
        conds.append(f"l.item_id IN (SELECT c.id FROM catalog_item c WHERE {cond})")
        params += vals
    sql = (f"SELECT l.line_id, l.supplier_id, l.warehouse_id, l.ordered, "
           f"(SELECT COALESCE(SUM(r.qty), 0) FROM reports_purchaselinereceipt r WHERE r.line_id = l.line_id "
           f"AND r.day <= {_due_plus(grace_days)}) FROM reports_purchaseline l WHERE {' AND '.join(conds)} "
           f"ORDER BY l.line_id")
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return [tuple(int(x) for x in row) for row in cur.fetchall()]


def on_time_rate(company, q, by=None, *, grace_days: int = 0, tolerance="0.02"):
    """采购到货准时率: lines whose receipts by the promised date (+ grace) reach ordered × (1 − tolerance) ÷ lines
    promised in the period; `qty_rate`: quantity received on time (at most the ordered) ÷ ordered."""
    tol = Decimal(str(tolerance))
    groups: dict = defaultdict(lambda: [0, 0, 0, 0])  # lines, on time, ordered, received on time
    for _line, supplier, warehouse, ordered, received in on_time_lines(company, q, grace_days=grace_days):
        key = supplier if by == "supplier" else warehouse if by == "warehouse" else None
        on_time = Decimal(received) >= Decimal(ordered) * (1 - tol)
        for g in {key, None}:
            acc = groups[g]
            acc[0] += 1
            acc[1] += 1 if on_time else 0
            acc[2] += ordered
            acc[3] += min(max(received, 0), ordered)
    groups.setdefault(None, [0, 0, 0, 0])
    rows = [KpiRow(g, _ratio(v[1], v[0], 100), {"lines": v[0], "on_time": v[1], "ordered": _qty(v[2]),
                                               "received_on_time": _qty(v[3]), "qty_rate": _ratio(v[3], v[2], 100)})
            for g, v in sorted(groups.items(), key=lambda kv: (kv[0] is None, str(kv[0])))]
    return KpiResult("on_time_rate", _labelled(company, by, rows))


def receivables(company, q, by=None):
    """应收余额 at the end of the period, what of it is overdue, and what is owed by ageing bucket (the finance
    aging's: 0–30 days past due including not yet due, 31–60, 61–90, over 90). A customer's unapplied credits
    (receipts or returns not yet allocated) settle its oldest documents first, so overdue ≤ balance."""
    conds = ["company_id = %s", "book = %s", "day <= %s"]
    params: list = [company.pk, int(Book.RECEIVABLE), p(q.end)]
    if q.filters.get("customer"):
        cond, vals = _in("partner_id", q.filters["customer"])
        conds.append(cond)
        params += vals
    if q.filters.get("region"):
        regions = subtree(company.pk, "region", [int(v) for v in q.filters["region"]])
        cond, vals = _in("partner_id", Partner.objects.filter(company_id=company.pk, region_id__in=regions)
                         .values_list("id", flat=True))
        conds.append(cond)
        params += vals
    with connection.cursor() as cur:
        cur.execute(f"SELECT partner_id, due_on, SUM(debit - credit - settled), SUM(debit - applied) "
                    f"FROM reports_partnerday WHERE {' AND '.join(conds)} GROUP BY partner_id, due_on", params)
        rows = cur.fetchall()
    region = dict(Partner.objects.filter(company_id=company.pk).values_list("id", "region_id")) if by == "region" else {}
    partners: dict = defaultdict(lambda: [0, []])  # partner → [balance, [(due_on, open_debit)]]
    for partner, due_on, balance, open_debit in rows:
        partners[partner][0] += int(balance)
        if open_debit:
            partners[partner][1].append((as_date(due_on), int(open_debit)))
    groups: dict = defaultdict(lambda: {"balance": 0, "open": 0, "overdue": 0, "buckets": dict.fromkeys(BUCKETS, 0)})
    for partner, (balance, items) in partners.items():
        key = partner if by == "customer" else region.get(partner) if by == "region" else None
        # money received (or returned) but not yet applied to a document pays the oldest documents first, so the
        # overdue part and the buckets never exceed what the customer owes
        unapplied = max(0, sum(v for _, v in items) - balance)
        for g in {key, None}:
            groups[g]["balance"] += balance
            groups[g]["open"] += sum(v for _, v in items)
        for due_on, open_debit in sorted(items):
            net = max(0, open_debit - unapplied)
            unapplied -= open_debit - net
            if not net:
                continue
            for g in {key, None}:
                groups[g]["buckets"][bucket_of((q.end - due_on).days)] += net
                if due_on < q.end:
                    groups[g]["overdue"] += net
    groups.setdefault(None, {"balance": 0, "open": 0, "overdue": 0, "buckets": dict.fromkeys(BUCKETS, 0)})
    out = []
    for g, acc in sorted(groups.items(), key=lambda kv: (kv[0] is None, str(kv[0]))):
        if g is not None and not acc["balance"] and not acc["open"]:
            continue
        out.append(KpiRow(g, _money(acc["balance"]), {
            "overdue": _money(acc["overdue"]), "open_documents": _money(acc["open"]),
            "unapplied_credits": _money(acc["balance"] - acc["open"]),
            # what stays of the credits once they settled the oldest documents (a prepayment, a credit balance):
            # buckets + credit_balance = balance
            "credit_balance": _money(acc["balance"] - sum(acc["buckets"].values())),
            "buckets": {b: _money(v) for b, v in acc["buckets"].items()}}))
    return KpiResult("receivables", _labelled(company, by, out))


def dso(company, q, by=None):
    """DSO = receivables at the end ÷ invoiced (with VAT) in the period × days in the period; narrowed to the
    customers or regions filtered on."""
    balance = receivables(company, q).total.value
    filters = {k: v for k, v in q.filters.items() if k in ("customer", "region")}
    res = run(company, Query(measures=["receivable_invoiced"], start=q.start, end=q.end, filters=filters,
                             warehouse_ids=None, show_cost=True))
    invoiced = res.rows[0].values["receivable_invoiced"] if res.rows else Decimal(0)
    days = (q.end - q.start).days + 1
    value = _ratio(balance * days, invoiced) if invoiced else None
    return KpiResult("dso", [KpiRow(None, value, {"receivables": balance, "invoiced": invoiced, "days": days})])
