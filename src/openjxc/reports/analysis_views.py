"""The analysis pages: sales, gross margin, sell-through, purchasing, receivables and payables.

Each reads the query layer and the KPI functions (never the ledgers), shows cards, charts and tables built from
them, and answers `?export=xlsx` with the same tables (reports/export.py).
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from openjxc.catalog.models import Item
from openjxc.core.errors import DomainError
from openjxc.reports import kpis
from openjxc.reports.access import may_read_balances
from openjxc.reports.export import download, filename, tables_workbook
from openjxc.reports.kpi_run import compute
from openjxc.reports.pages import (
    Ask,
    Card,
    Col,
    Line,
    Table,
    ask,
    chart,
    drill_url,
    kpi_card,
    kpi_table,
    measure_card,
    query_table,
    with_measures,
)
from openjxc.reports.query import run
from openjxc.reports.semantic import KPIS, MEASURES, formula, label_of
from openjxc.web.pages import company_page

SALES_DIMS = ("item", "customer", "category", "category_1", "region", "region_1", "salesperson", "store",
              "warehouse", "channel", "customer_group")
MARGIN_DIMS = ("item", "category", "category_1", "customer", "salesperson", "store", "warehouse")
PURCHASE_DIMS = ("supplier", "category", "item", "warehouse")
SELL_DIMS = ("store", "warehouse", "category", "category_1")


def respond(request, slug: str, title: str, a: Ask, *, cards=(), tables=(), charts=(), note="", template=None,
            **more):
    """The page, or with `?export=xlsx` its cards and tables as a workbook."""
    period = f"{a.q.start:%Y-%m-%d} – {a.q.end:%Y-%m-%d}"
    if request.GET.get("export") == "xlsx":
        return download(tables_workbook(title, tables, cards, period), filename(slug))
    return render(request, template or "reports/analysis.html", {
        "slug": slug, "title": title, "form": a.form, "cards": cards, "tables": tables, "charts": charts,
        "note": note, "period": period, "narrowed": a.narrowed, **more})


def refused(request, slug: str, title: str, a: Ask, err: DomainError):
    return render(request, "reports/analysis.html", {"slug": slug, "title": title, "form": a.form,
                                                     "error": err.render_message()})


def trend_table(company, a: Ask, measures, *, name="trend", title=None) -> Table:
    res = run(company, with_measures(a.q, measures, [a.grain]))
    t = query_table(res, a.q, name=name, title=title or _("Trend"), family="sales")
    t.lines = [ln for ln in t.lines if not ln.total]
    return t


def series(table: Table, keys, *, line=()) -> list[dict]:
    """Chart series from a table's columns (masked ones left out); `line` keys drawn as lines on a second axis."""
    out = []
    for c in table.cols:
        if c.key in keys and not c.masked:
            out.append({"name": c.label, "data": [ln.values.get(c.key) for ln in table.lines if not ln.total],
                        "type": "line" if c.key in line else "bar", "axis": 1 if c.key in line else 0,
                        "unit": c.unit})
    return out


def stacked(company, a: Ask, measure: str, by: str, title, top: int = 5) -> dict:
    """`measure` by date bucket, stacked by the top values of `by` (the rest as 其他)."""
    res = run(company, with_measures(a.q, [measure], [by, a.grain], top=top, top_by=measure))
    buckets = sorted({r.keys[1] for r in res.rows if not r.subtotal})
    names = {}
    for r in res.rows:
        names.setdefault(r.keys[0], r.labels[0])
    cells = {(r.keys[0], r.keys[1]): r.values.get(measure) for r in res.rows}
    labels = {r.keys[1]: r.labels[1] for r in res.rows}
    return chart("stacked", title, [labels[b] for b in buckets],
                 [{"name": names[k], "data": [cells.get((k, b)) for b in buckets]} for k in names],
                 MEASURES[measure].unit)


def ranking_chart(table: Table, key: str, title, kind="hbar") -> dict:
    lines = [ln for ln in table.lines if not ln.total][:15]
    col = next(c for c in table.cols if c.key == key)
    return chart(kind, title, [ln.label for ln in lines], [{"name": col.label, "data": [ln.values.get(key)
                                                                                      for ln in lines]}], col.unit)


def _growth_cols() -> list[Col]:
    f = formula(KPIS["growth"], get_language())
    return [Col("year_on_year", _("Year on year %"), "percent", f), Col("period_on_period", _("Period on period %"),
                                                                        "percent", f)]


@company_page
def sales(request):
    a = ask(request, dims=SALES_DIMS, default_by="item")
    company, q, by = request.user.company, a.q, a.by
    title = _("Sales analysis")
    measures = ["net_qty", "revenue", "discount", "returns", "gross_profit", "margin"]
    res = run(company, with_measures(q, measures, [by], subtotals="rollup"))
    growth = kpis.growth(company, q, by)
    extra = {r.key: {"year_on_year": r.parts["year_on_year"], "period_on_period": r.parts["period_on_period"]}
             for r in growth.rows}
    ranking = query_table(res, q, name="ranking", title=_("Ranking"), family="sales", order_by="revenue",
                          descending=not a.bottom, limit=a.top, extra_cols=_growth_cols(), extra=extra)
    trend = trend_table(company, a, ["revenue", "gross_profit", "margin"])
    growth_total = next(r for r in growth.rows if r.key is None)
    f = formula(KPIS["growth"], get_language())
    cards = [measure_card("revenue", res, q), kpi_card(company, "gross_profit", q),
             kpi_card(company, "gross_margin", q), kpi_card(company, "tickets", q),
             kpi_card(company, "average_ticket", q), kpi_card(company, "returns_rate", q),
             Card("year_on_year", _("Year on year"), growth_total.parts["year_on_year"], "percent", f),
             Card("period_on_period", _("Period on period"), growth_total.parts["period_on_period"], "percent", f)]
    charts = [chart("barline", _("Revenue and gross profit"), [ln.label for ln in trend.lines],
                    series(trend, ("revenue", "gross_profit", "margin"), line=("margin",))),
              ranking_chart(ranking, "revenue", _("Revenue by %(dim)s") % {"dim": ranking.head}),
              stacked(company, a, "revenue", by, _("Revenue by %(dim)s over time") % {"dim": ranking.head})]
    share = run(company, with_measures(q, ["revenue"], [by], top=8, top_by="revenue"))
    charts.append(chart("donut", _("Share of revenue"), [r.labels[0] for r in share.rows],
                        [{"name": str(MEASURES["revenue"].label), "data": [r.values["revenue"] for r in share.rows]}]))
    return respond(request, "sales", title, a, cards=cards, tables=[ranking, trend], charts=charts)


@company_page
def margin(request):
    a = ask(request, dims=MARGIN_DIMS, default_by="category")
    company, q, by = request.user.company, a.q, a.by
    title = _("Gross margin")
    res = run(company, with_measures(q, ["revenue", "cogs", "gross_profit", "margin", "markup"], [by],
                                     subtotals="rollup"))
    table = query_table(res, q, name="margin", title=_("Gross margin"), family="sales",
                        order_by="gross_profit" if q.show_cost else "revenue", descending=not a.bottom, limit=a.top)
    trend = trend_table(company, a, ["revenue", "gross_profit", "margin", "markup"])
    cards = [measure_card("revenue", res, q), kpi_card(company, "gross_profit", q),
             kpi_card(company, "gross_margin", q), kpi_card(company, "markup", q)]
    charts = [chart("barline", _("Gross profit and margin"), [ln.label for ln in trend.lines],
                    series(trend, ("gross_profit", "margin"), line=("margin",))),
              ranking_chart(table, "gross_profit" if q.show_cost else "revenue",
                            _("By %(dim)s") % {"dim": table.head})]
    note = "" if q.show_cost else _("Costs are hidden for your role: gross profit and margins are not shown.")
    return respond(request, "margin", title, a, cards=cards, tables=[table, trend], charts=charts, note=note)


@company_page
def sell_through(request):
    a = ask(request, dims=SELL_DIMS, default_by="store", omit=("top", "order", "grain"))
    company, q, by = request.user.company, a.q, a.by
    title = _("Sell-through")
    breadth = compute(company, "sell_through_breadth", q, by=by)
    through = compute(company, "sell_through", q, by=by)
    lang = get_language()
    cols = [Col("skus_sold", _("SKUs sold"), "count"), Col("skus_on_sale", _("SKUs on sale"), "count"),
            Col("breadth", str(KPIS["sell_through_breadth"].label), "percent",
                formula(KPIS["sell_through_breadth"], lang)),
            Col("sold", _("Net sales quantity"), "qty"), Col("opening", _("Opening stock"), "qty"),
            Col("received", _("Quantity received"), "qty"),
            Col("rate", str(KPIS["sell_through"].label), "percent", formula(KPIS["sell_through"], lang))]
    b, t = {r.key: r for r in breadth.rows}, {r.key: r for r in through.rows}
    keys = [k for k in dict.fromkeys([*b, *t]) if k is not None] + [None]
    lines = []
    for key in keys:
        values = {}
        if key in b:
            values.update(skus_sold=b[key].parts["skus_sold"], skus_on_sale=b[key].parts["skus_on_sale"],
                          breadth=b[key].value)
        if key in t:
            values.update(sold=t[key].parts["sold"], opening=t[key].parts["opening"],
                          received=t[key].parts["received"], rate=t[key].value)
        label = (b.get(key) or t.get(key)).label if key is not None else _("Total")
        lines.append(Line(label, values, key, drill_url("sales", {by: key} if key else {}, q), total=key is None))
    table = Table("sell_through", title, label_of(by), cols, lines)
    cards = [kpi_card(company, "sell_through_breadth", q), kpi_card(company, "sell_through", q)]
    lines = [ln for ln in table.lines if not ln.total]
    charts = [chart("bar", title, [ln.label for ln in lines],
                    [{"name": cols[2].label, "data": [ln.values.get("breadth") for ln in lines]},
                     {"name": cols[6].label, "data": [ln.values.get("rate") for ln in lines]}], "percent")]
    return respond(request, "sell_through", title, a, cards=cards, tables=[table], charts=charts)


def _price_item(request, company, q) -> Item | None:
    """The item whose purchase price trend is shown: the one asked for, else the most bought in the period."""
    raw = request.GET.get("item", "")
    if raw.isdigit():
        item = Item.objects.filter(company_id=company.pk, pk=int(raw)).first()
        if item is not None:
            return item
    res = run(company, with_measures(q, ["purchase_qty"], ["item"], top=1, top_by="purchase_qty"))
    first = next((r.keys[0] for r in res.rows if isinstance(r.keys[0], int)), None)
    return Item.objects.filter(company_id=company.pk, pk=first).first() if first else None


@company_page
def purchasing(request):
    a = ask(request, dims=PURCHASE_DIMS, default_by="supplier")
    company, q, by = request.user.company, a.q, a.by
    title = _("Purchasing")
    res = run(company, with_measures(q, ["purchase_qty", "purchase_amount", "purchase_returns", "purchase_price"],
                                     [by], subtotals="rollup"))
    table = query_table(res, q, name="spend", title=_("Spend"), family="purchases",
                        order_by="purchase_amount" if q.show_cost else "purchase_qty", descending=not a.bottom,
                        limit=a.top)
    on_time = compute(company, "on_time_rate", q, by="supplier")
    f = formula(KPIS["on_time_rate"], get_language())
    ot_cols = [Col("lines", _("Order lines due"), "count"), Col("on_time", _("On time"), "count"),
               Col("rate", _("On-time rate %"), "percent", f), Col("ordered", _("Ordered"), "qty"),
               Col("received_on_time", _("Received on time"), "qty"),
               Col("qty_rate", _("On-time rate by quantity %"), "percent", f)]
    ot_table = kpi_table(on_time, name="on_time", title=_("On-time delivery by supplier"), head=_("Supplier"),
                         cols=ot_cols, values=lambda r: {**r.parts, "rate": r.value})
    tables = [table, ot_table]
    charts = []
    if q.show_cost:
        charts.append(stacked(company, a, "purchase_amount", "supplier", _("Purchases by supplier over time")))
    item = _price_item(request, company, q)
    if item is not None:
        item_q = with_measures(q, ["purchase_price", "purchase_qty"], [a.grain],
                               filters={**q.filters, "item": [item.pk]})
        prices = query_table(run(company, item_q), item_q, name="price", family="purchases",
                             title=_("Purchase price of %(item)s") % {"item": f"{item.code} {item.name}"})
        prices.lines = [ln for ln in prices.lines if not ln.total]
        tables.append(prices)
        charts.append(chart("line", prices.title, [ln.label for ln in prices.lines],
                            series(prices, ("purchase_price",)), "price"))
    charts.append(chart("bar", ot_table.title, [ln.label for ln in ot_table.lines if not ln.total],
                        [{"name": ot_cols[2].label, "data": [ln.values.get("rate") for ln in ot_table.lines
                                                               if not ln.total]}], "percent"))
    cards = [measure_card("purchase_amount", res, q), measure_card("purchase_returns", res, q),
             kpi_card(company, "on_time_rate", q),
             kpi_card(company, "on_time_rate", q, pick=lambda r: r.total.parts["qty_rate"],
                      label=_("On-time rate by quantity"), key="on_time_qty")]
    return respond(request, "purchasing", title, a, cards=cards, tables=tables, charts=charts,
                   price_item=item)


BUCKET_KEYS = ("0-30", "31-60", "61-90", "90+")


@company_page
def receivables(request):
    a = ask(request, omit=("by", "top", "order", "warehouse"), narrow=("customer", "region"))
    company, q = request.user.company, a.q
    title = _("Receivables and payables")
    if not may_read_balances(request.user):
        return render(request, "reports/analysis.html", {"slug": "receivables", "title": title, "form": a.form,
                                                         "error": _("Partner balances are kept for the whole "
                                                                    "company: ask a manager or finance.")})
    ar = compute(company, "receivables", q, by="customer")
    f = formula(KPIS["receivables"], get_language())
    cols = [Col("balance", _("Receivables"), "money", f), Col("overdue", _("Overdue"), "money", f),
            # the first bucket holds what is not yet due too: the columns are ages, not overdue amounts
            *[Col(b, _("Aged %(bucket)s days") % {"bucket": b}, "money") for b in BUCKET_KEYS],
            Col("credit_balance", _("Credits not applied"), "money")]
    ar_table = kpi_table(ar, name="receivables", title=_("Receivables by customer"), head=_("Customer"), cols=cols,
                         values=lambda r: {"balance": r.value, "overdue": r.parts["overdue"], **r.parts["buckets"],
                                           "credit_balance": r.parts["credit_balance"]})
    coll = run(company, with_measures(q, ["receivable_invoiced", "receipts", "payable_invoiced", "payments"],
                                      [a.grain]))
    coll_table = query_table(coll, q, name="collections", title=_("Invoiced and collected"), family="partner")
    coll_table.lines = [ln for ln in coll_table.lines if not ln.total]
    ap = run(company, with_measures(q, ["payable_balance", "payable_invoiced", "payments"], ["supplier"],
                                    subtotals="rollup"))
    ap_table = query_table(ap, q, name="payables", title=_("Payables by supplier"), family="partner",
                           order_by="payable_balance")
    ap_table.lines = [ln for ln in ap_table.lines if ln.total or any(ln.values.values())]
    total = ar.total
    cards = [kpi_card(company, "receivables", q),
             kpi_card(company, "receivables", q, pick=lambda r: r.total.parts["overdue"], label=_("Overdue"),
                        key="overdue"),
             kpi_card(company, "dso", q), measure_card("payable_balance", ap, q)]
    charts = [chart("barline", coll_table.title, [ln.label for ln in coll_table.lines],
                    series(coll_table, ("receivable_invoiced", "receipts"))),
              chart("donut", _("Receivables by age"), [c.label for c in cols[2:6]],
                    [{"name": cols[0].label, "data": [total.parts["buckets"][b] for b in BUCKET_KEYS]}])]
    return respond(request, "receivables", title, a, cards=cards, tables=[ar_table, ap_table, coll_table],
                   charts=charts)

