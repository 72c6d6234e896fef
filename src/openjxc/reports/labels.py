"""What a dimension value is called on screen: item code and name, category, warehouse, partner, person, date."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils.translation import gettext as _

from openjxc.catalog.models import Category, CustomerGroup, Item
from openjxc.core.models import User
from openjxc.partners.models import Partner, Region
from openjxc.reports.models import Book, Channel, Flow
from openjxc.reports.semantic import DIMENSIONS
from openjxc.stock.models import Warehouse

OTHER = "__other__"


def _names(model, company_id: int, ids: set, fields: tuple[str, ...], fmt) -> dict:
    """{id: fmt(*fields)} of the rows of `model` with these ids (plain values: no model instances). The ids are
    ints (others are dropped), written into the statement as literals: the ORM adapting 10,000 `IN` parameters one
    by one cost more than the query (turnover by SKU labels 10,000 items)."""
    ids = sorted(i for i in ids if isinstance(i, int) and not isinstance(i, bool) and i)
    meta = model._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    pk = connection.ops.quote_name(meta.pk.column)
    out: dict = {}
    with connection.cursor() as cur:
        for start in range(0, len(ids), 5000):
            chunk = ", ".join(str(int(i)) for i in ids[start:start + 5000])
            cur.execute(f"SELECT {pk}, {columns} FROM {connection.ops.quote_name(meta.db_table)} "
                        f"WHERE company_id = %s AND {pk} IN ({chunk})", [company_id])
            out.update({row[0]: fmt(*row[1:]) for row in cur.fetchall()})
    return out


def channel_label(value: int) -> str:
    return {Channel.ORDER: _("Back office / orders"), Channel.TILL: _("Till"),
            Channel.TERMINAL: _("Terminal")}.get(value, str(value))


def flow_label(value: int) -> str:
    return {Flow.PURCHASE: _("Purchase"), Flow.SALE: _("Sale"), Flow.TRANSFER: _("Transfer"),
            Flow.PRODUCTION: _("Production"), Flow.COUNT: _("Count difference"), Flow.GAIN: _("Stock gain"),
            Flow.WRITE_OFF: _("Write-off"), Flow.OPENING: _("Opening balance"), Flow.OTHER: _("Other in/out"),
            Flow.ADJUSTMENT: _("Cost adjustment"), Flow.INTERNAL: _("Between locations")}.get(value, str(value))


def date_label(grain: str, day: dt.date) -> str:
    if not isinstance(day, dt.date):
        return str(day)
    if grain == "week":
        year, week, _d = day.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{day:%Y-%m}"
    if grain == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if grain == "year":
        return str(day.year)
    return day.isoformat()


def labels_for(company, dims: list[str], rows) -> list[dict]:
    """Per dimension position: {value: label} for the values in `rows`."""
    out = []
    for pos, name in enumerate(dims):
        d = DIMENSIONS[name]
        values = {r.keys[pos] for r in rows} - {None}
        labels: dict = {OTHER: _("Others")} if OTHER in values else {}
        values.discard(OTHER)
        cid = company.pk
        if d.grain:
            labels.update({v: date_label(d.grain, v) for v in values})
        elif name == "item":
            labels.update(_names(Item, cid, values, ("code", "name"), lambda code, name: f"{code} {name}"))
        elif d.tree == "category":
            labels.update(_names(Category, cid, values, ("name",), str))
        elif d.tree == "region":
            labels.update(_names(Region, cid, values, ("name",), str))
        elif name in ("warehouse", "store"):
            labels.update(_names(Warehouse, cid, values, ("name",), str))
        elif d.of_partner:
            labels.update(_names(Partner, cid, values, ("name",), str))
        elif name == "customer_group":
            labels.update(_names(CustomerGroup, cid, values, ("name",), str))
        elif name == "salesperson":
            labels.update(_names(User, cid, values, ("display_name", "username"), lambda d, u: d or u))
        elif name == "channel":
            labels.update({v: channel_label(v) for v in values})
        elif name == "flow":
            labels.update({v: flow_label(v) for v in values})
        elif name == "book":
            labels.update({v: _("Receivable") if v == Book.RECEIVABLE else _("Payable") for v in values})
        for v in values:
            if v not in labels:
                labels[v] = _("(none)") if not v else str(v)
        out.append(labels)
    return out
