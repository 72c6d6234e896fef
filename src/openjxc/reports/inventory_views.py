"""The inventory report: stock as of any date, turnover and days, ageing and 呆滞 (with the list of obsolete
stock and slow movers), 可售天数 and the reorder view. One page, four tabs (`?view=`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from openjxc.catalog.models import Item
from openjxc.documents.reorder import reorder_suggestions
from openjxc.reports.analysis_views import ranking_chart, respond
from openjxc.reports.kpi_run import compute
from openjxc.reports.labels import labels_for
from openjxc.reports.pages import (
    Col,
    Line,
    Table,
    ask,
    chart,
    kpi_card,
    kpi_table,
    measure_card,
    query_table,
    with_measures,
)
from openjxc.reports.query import Row, run
from openjxc.reports.querysql import subtree
from openjxc.reports.semantic import KPIS, formula, label_of
from openjxc.web.pages import company_page

VIEWS = (("stock", gettext_lazy("Stock as of a date")), ("turnover", gettext_lazy("Turnover")),
         ("ageing", gettext_lazy("Ageing and obsolete stock")), ("supply", gettext_lazy("Days of supply and reorder")))
DIMS = {"stock": ("item", "category", "category_1", "warehouse"),
        "turnover": ("item", "category", "category_1", "warehouse", "store"),
        "ageing": ("warehouse", "category", "item"),
        "supply": ("item", "warehouse", "store")}
NARROW = ("item", "category")  # what a KPI alert's link (f_<dim>) narrows every tab to
BUCKETS = ("0-30", "31-90", "91-180", "181-365", "365+")


def _labels(company, pairs) -> tuple[dict, dict]:
    """Warehouse and item labels of (warehouse, item) pairs."""
    rows = [Row(keys=(w, i), values={}) for w, i in pairs]
    wh, items = labels_for(company, ["warehouse", "item"], rows)
    return wh, items


@company_page
def inventory(request):
    view = request.GET.get("view") if request.GET.get("view") in DIMS else "stock"
    omit = ("grain", "order") if view != "stock" else ("grain", "order", "start")
    a = ask(request, dims=DIMS[view], default_by=DIMS[view][0] if view != "stock" else "category", omit=omit,
            narrow=tuple(dict.fromkeys((*DIMS[view], *NARROW))))
    company, q, by = request.user.company, a.q, a.by
    if view == "stock":
        a.form.fields["end"].label = _("As of")
    title = _("Inventory")
    tabs = [{"key": k, "label": label, "active": k == view} for k, label in VIEWS]
    build = {"stock": _stock, "turnover": _turnover, "ageing": _ageing, "supply": _supply}[view]
    cards, tables, charts = build(company, a, q, by, request.user)
    return respond(request, f"inventory-{view}", f"{title} · {dict(VIEWS)[view]}", a, cards=cards, tables=tables,
                   charts=charts, tabs=tabs, view=view)


def _stock(company, a, q, by, user):
    """Quantity and value on hand at the end of the day asked for (`end`)."""
    q = replace(q, start=q.end)
    res = run(company, with_measures(q, ["stock_qty", "stock_value"], [by], subtotals="rollup"))
    table = query_table(res, q, name="stock", title=_("Stock on %(day)s") % {"day": f"{q.end:%Y-%m-%d}"},
                        family="stock", order_by="stock_value" if q.show_cost else "stock_qty", limit=a.top)
    cards = [measure_card("stock_qty", res, q), measure_card("stock_value", res, q)]
    charts = [ranking_chart(table, "stock_value" if q.show_cost else "stock_qty", table.title, kind="donut")]
    return cards, [table], charts


def _turnover(company, a, q, by, user):
    res = compute(company, "turnover", q, by=by)
    lang = get_language()
    masked = KPIS["turnover"].cost and not q.show_cost
    cols = [Col("turnover", str(KPIS["turnover"].label), "times", formula(KPIS["turnover"], lang), masked),
            Col("days", str(KPIS["turnover_days"].label), "days", formula(KPIS["turnover_days"], lang), masked),
            Col("cogs", _("Cost of goods sold"), "money", masked=masked),
            Col("average_stock", _("Average stock cost"), "money", masked=masked)]
    table = kpi_table(res, name="turnover", title=_("Turnover"), head=label_of(by), cols=cols, masked=masked,
                      values=lambda r: {"turnover": r.value, "days": r.parts["days"], "cogs": r.parts["cogs"],
                                        "average_stock": r.parts["average_stock"]})
    _rank(table, "days", a.top)
    cards = [kpi_card(company, "turnover", q), kpi_card(company, "turnover_days", q)]
    return cards, [table], [ranking_chart(table, "days", cols[1].label)]


def _rank(table: Table, key: str, top: int) -> None:
    """Rows with the figure first, highest first, at most `top`; the total last."""
    detail = [ln for ln in table.lines if not ln.total]
    total = [ln for ln in table.lines if ln.total]
    detail.sort(key=lambda ln: (ln.values.get(key) is None, -(ln.values.get(key) or 0)))
    table.lines = detail[:top] + total


def _ageing(company, a, q, by, user):
    lang = get_language()
    masked = not q.show_cost
    age = compute(company, "ageing", q, by=by) if not masked else None
    cols = [Col("value", _("Stock cost"), "money", formula(KPIS["ageing"], lang), masked),
            *[Col(b, _("%(bucket)s days") % {"bucket": b}, "money", masked=masked) for b in BUCKETS],
            Col("obsolete_value", _("Obsolete stock"), "money", formula(KPIS["obsolete_rate"], lang), masked),
            Col("obsolete_rate", str(KPIS["obsolete_rate"].label), "percent", formula(KPIS["obsolete_rate"], lang),
                masked)]
    tables, charts = [], []
    if age is not None:
        table = kpi_table(age, name="ageing", title=_("Stock by age"), head=label_of(by), cols=cols,
                          values=lambda r: {"value": r.value, **r.parts["buckets"],
                                            "obsolete_value": r.parts["obsolete_value"],
                                            "obsolete_rate": r.parts["obsolete_rate"]})
        _rank(table, "value", a.top)
        lines = [ln for ln in table.lines if not ln.total]
        charts.append(chart("stacked", table.title, [ln.label for ln in lines],
                            [{"name": c.label, "data": [ln.values.get(c.key) for ln in lines]} for c in cols[1:6]]))
        wh, items = _labels(company, [(o["warehouse"], o["item"]) for o in age.extra["obsolete"]])
        obsolete = Table("obsolete", _("Obsolete stock (呆滞)"), _("Item"), [
            Col("warehouse", _("Warehouse"), "text"), Col("qty", _("On hand"), "qty"),
            Col("value", _("Stock cost"), "money"), Col("obsolete_qty", _("Obsolete quantity"), "qty"),
            Col("obsolete_value", _("Obsolete stock"), "money")],
            [Line(items.get(o["item"], str(o["item"])), {**o, "warehouse": wh.get(o["warehouse"], "")}, o["item"])
             for o in sorted(age.extra["obsolete"], key=lambda o: -o["obsolete_value"])])
        slow = compute(company, "slow_moving", q)
        wh, items = _labels(company, [(o["warehouse"], o["item"]) for o in slow.extra["items"]])
        slow_table = Table("slow", _("Slow-moving stock (滞销)"), _("Item"), [
            Col("warehouse", _("Warehouse"), "text"), Col("qty", _("On hand"), "qty"),
            Col("value", _("Stock cost"), "money"), Col("last_sale", _("Last sale"), "text"),
            Col("days", _("No sale for (days)"), "count")],
            [Line(items.get(o["item"], str(o["item"])), {**o, "warehouse": wh.get(o["warehouse"], ""),
                                                        "last_sale": o["last_sale"] or "—"}, o["item"])
             for o in sorted(slow.extra["items"], key=lambda o: -o["value"])])
        tables = [table, obsolete, slow_table]
    cards = [kpi_card(company, "ageing", q, label=_("Stock cost")),
             kpi_card(company, "ageing", q, pick=lambda r: r.total.parts["obsolete_value"], label=_("Obsolete stock"),
                        key="obsolete_value"),
             kpi_card(company, "obsolete_rate", q), kpi_card(company, "slow_moving", q)]
    return cards, tables, charts


def _supply(company, a, q, by, user):
    lang = get_language()
    supply = compute(company, "days_of_supply", q, by=by)
    ratio = {r.key: r for r in compute(company, "stock_to_sales", q, by=by).rows}
    cols = [Col("on_hand", _("On hand"), "qty"), Col("daily_sales", _("Average daily sales (28 days)"), "qty"),
            Col("days", str(KPIS["days_of_supply"].label), "days", formula(KPIS["days_of_supply"], lang)),
            Col("stock_to_sales", str(KPIS["stock_to_sales"].label), "times", formula(KPIS["stock_to_sales"], lang))]
    table = kpi_table(supply, name="supply", title=_("Days of supply"), head=label_of(by), cols=cols,
                      values=lambda r: {**r.parts, "days": r.value,
                                        "stock_to_sales": ratio[r.key].value if r.key in ratio else None})
    # fewest days first: what runs out soonest
    detail = [ln for ln in table.lines if not ln.total]
    detail.sort(key=lambda ln: (ln.values.get("days") is None, ln.values.get("days") or 0))
    table.lines = detail[:a.top] + [ln for ln in table.lines if ln.total]
    tables = [table, _reorder(company, q)]
    cards = [kpi_card(company, "days_of_supply", q), kpi_card(company, "stock_to_sales", q)]
    lines = [ln for ln in table.lines if not ln.total and ln.values.get("days") is not None][:15]
    charts = [chart("hbar", table.title, [ln.label for ln in lines],
                    [{"name": cols[2].label, "data": [ln.values["days"] for ln in lines]}], "days")]
    return cards, tables, charts


def _narrowed_items(company, q) -> set[int]:
    """The items the page's item and category filters (a category with its sub-categories) leave."""
    items = Item.objects.filter(company_id=company.pk)
    if q.filters.get("item"):
        items = items.filter(pk__in=q.filters["item"])
    if q.filters.get("category"):
        items = items.filter(category_id__in=subtree(company.pk, "category", q.filters["category"]))
    return set(items.values_list("id", flat=True))


def _reorder(company, q) -> Table:
    """Items below their reorder point (documents/reorder.py), with their days of supply at that warehouse."""
    scope = None if q.warehouse_ids is None else set(q.warehouse_ids)
    if q.filters.get("warehouse"):
        scope = set(q.filters["warehouse"]) & (scope if scope is not None else set(q.filters["warehouse"]))
    found = reorder_suggestions(company.pk, warehouse_ids=scope)
    if q.filters.get("item") or q.filters.get("category"):
        found = [s for s in found if s.item_id in _narrowed_items(company, q)]
    days: dict = defaultdict(dict)
    for warehouse in {s.warehouse_id for s in found}:
        one = replace(q, filters={**q.filters, "warehouse": [warehouse]})
        days[warehouse] = {r.key: r.value for r in compute(company, "days_of_supply", one, by="item").rows}
    wh, items = _labels(company, [(s.warehouse_id, s.item_id) for s in found])
    cols = [Col("warehouse", _("Warehouse"), "text"), Col("on_hand", _("On hand"), "qty"),
            Col("reserved", _("Reserved"), "qty"), Col("on_order", _("On order"), "qty"),
            Col("reorder_point", _("Reorder point"), "qty"), Col("max_stock", _("Maximum"), "qty"),
            Col("quantity", _("Suggested quantity"), "qty"), Col("days", _("Days of supply"), "days")]
    lines = [Line(items.get(s.item_id, ""), {
        "warehouse": wh.get(s.warehouse_id, ""), "on_hand": s.on_hand, "reserved": s.reserved, "on_order": s.on_order,
        "reorder_point": s.reorder_point, "max_stock": s.max_stock, "quantity": s.quantity,
        "days": days[s.warehouse_id].get(s.item_id)}, s.item_id) for s in found]
    return Table("reorder", _("Reorder"), _("Item"), cols, lines)
