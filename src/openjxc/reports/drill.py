"""Drill-down: the documents behind one cell of a report (its dimension values, within the period and filters).

A document is behind a cell when it counts in it: posted with its business date in the cell's dates, or voided
on one of them (a void counts on its own day). Salesperson and channel are derived per document (facts/docinfo.py)
and are matched after the query.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Q

from openjxc.documents.models import Document, Status
from openjxc.finance.models import PartnerEntry
from openjxc.reports.facts.docinfo import DocInfo
from openjxc.reports.facts.legs import FLOW_OF_KIND
from openjxc.reports.facts.months import as_date
from openjxc.reports.query import Query
from openjxc.reports.querysql import bucket_of, subtree
from openjxc.reports.semantic import DIMENSIONS, FAMILIES
from openjxc.stock.models import StockMove

LIMIT = 200
KINDS = {"sales": ("sales_delivery", "sales_return"), "tickets": ("sales_delivery", "sales_return"),
         "purchases": ("purchase_receipt", "purchase_return")}


def _dates(q: Query, cell: dict) -> tuple[dt.date, dt.date]:
    start, end = q.start, q.end
    for name, value in cell.items():
        d = DIMENSIONS[name]
        if d.grain and value is not None:
            first = bucket_of(d.grain, as_date(value))
            last = {"day": first, "week": first + dt.timedelta(days=6)}.get(d.grain)
            if last is None:
                step = {"month": 1, "quarter": 3, "year": 12}[d.grain]
                month = first.month - 1 + step
                last = dt.date(first.year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
            start, end = max(start, first), min(end, last)
    return start, end


def _values(company_id: int, name: str, values) -> list:
    d = DIMENSIONS[name]
    values = [int(v) for v in values if v is not None]
    return subtree(company_id, d.tree, values) if d.tree else values


def drill(company, q: Query, family: str, cell: dict) -> list[dict]:
    """The documents behind `cell` ({dimension: value}) of a `family` report over `q` (period, filters, scope)."""
    if family not in FAMILIES:
        raise KeyError(family)
    start, end = _dates(q, cell)
    wanted = {**{k: list(v) for k, v in q.filters.items()},
              **{k: [v] for k, v in cell.items() if not DIMENSIONS[k].grain}}
    tz = zoneinfo.ZoneInfo(company.time_zone)
    since = dt.datetime.combine(start, dt.time.min, tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz)
    if family == "partner":
        return _partner(company, q, start, end, wanted)
    if family == "stock":
        moves = StockMove.objects.filter(company_id=company.pk, business_on__gte=start, business_on__lte=end)
        for name, values in wanted.items():
            ids = _values(company.pk, name, values)
            if name == "item":
                moves = moves.filter(item_id__in=ids)
            elif DIMENSIONS[name].tree == "category":
                moves = moves.filter(item__category_id__in=ids)
            elif name in ("warehouse", "store"):
                moves = moves.filter(Q(from_location__warehouse_id__in=ids) | Q(to_location__warehouse_id__in=ids))
            elif name == "flow":
                kinds = [k for k, f in FLOW_OF_KIND.items() if int(f) in ids]
                moves = moves.filter(Q(from_location__kind__in=kinds) | Q(to_location__kind__in=kinds))
        if q.warehouse_ids is not None:
            scope = sorted(q.warehouse_ids)
            moves = moves.filter(Q(from_location__warehouse_id__in=scope) | Q(to_location__warehouse_id__in=scope))
        ids = moves.exclude(document__isnull=True).values_list("document_id", flat=True).distinct()[:LIMIT]
        return _out(Document.objects.filter(pk__in=list(ids)))
    docs = Document.objects.filter(company_id=company.pk, kind__in=KINDS[family]).filter(
        Q(status__in=[Status.POSTED, Status.VOIDED], business_on__gte=start, business_on__lte=end)
        | Q(status=Status.VOIDED, voided_at__gte=since, voided_at__lt=until))
    derived = {}
    for name, values in wanted.items():
        ids = _values(company.pk, name, values)
        d = DIMENSIONS[name]
        if name == "item":
            docs = docs.filter(lines__item_id__in=ids)
        elif d.tree == "category":
            docs = docs.filter(lines__item__category_id__in=ids)
        elif d.tree == "region":
            docs = docs.filter(partner__region_id__in=ids)
        elif name in ("warehouse", "store"):
            docs = docs.filter(warehouse_id__in=ids)
        elif d.of_partner:
            docs = docs.filter(partner_id__in=ids)
        elif name == "customer_group":
            docs = docs.filter(partner__customer_groups__in=ids)
        elif name in ("salesperson", "channel"):
            derived[name] = set(ids)
    if q.warehouse_ids is not None:
        docs = docs.filter(warehouse_id__in=sorted(q.warehouse_ids))
    docs = list(docs.distinct().order_by("business_on", "pk")[:LIMIT * 5])
    if derived:
        info = DocInfo(company.pk, company.time_zone)
        info.load([d.pk for d in docs])
        keep = []
        for d in docs:
            _customer, person, channel = info.sales_key(d.pk)
            if person in derived.get("salesperson", {person}) and channel in derived.get("channel", {channel}):
                keep.append(d)
        docs = keep
    return _out(docs[:LIMIT])


def _partner(company, q: Query, start, end, wanted) -> list[dict]:
    rows = PartnerEntry.objects.filter(company_id=company.pk, business_on__gte=start, business_on__lte=end)
    for name in ("customer", "supplier"):
        if wanted.get(name):
            rows = rows.filter(partner_id__in=_values(company.pk, name, wanted[name]))
    if wanted.get("region"):
        rows = rows.filter(partner__region_id__in=_values(company.pk, "region", wanted["region"]))
    out = []
    for e in rows.select_related("document", "settlement").order_by("business_on", "id")[:LIMIT]:
        src = e.document or e.settlement
        out.append({"id": src.pk, "type": "document" if e.document_id else "settlement", "number": src.number,
                    "kind": src.kind, "business_on": e.business_on, "status": src.status,
                    "partner": e.partner_id, "amount": e.amount})
    return out


def _out(docs) -> list[dict]:
    return [{"id": d.pk, "type": "document", "number": d.number, "kind": d.kind, "business_on": d.business_on,
             "status": d.status, "partner": d.partner_id, "amount": d.total_amount} for d in docs]
