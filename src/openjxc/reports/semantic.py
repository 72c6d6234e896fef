"""The semantic layer: every dimension, measure and KPI reports may use, declared once.

Pages, charts, pivots, exports, the cockpit, scheduled reports and feeds read these declarations (through
reports/query.py and reports/kpis.py), so a figure means the same everywhere. A measure says how it
aggregates:

  additive  a sum of fact columns: adds up over any dimension and any period (quantities, revenue, cost);
  last      a balance: the value at the end of each period (stock on hand), never summed over time;
  ratio     numerator ÷ denominator, both additive, computed after summing (never an average of ratios);
  distinct  a count of distinct things meeting a condition in the period (SKUs sold): never summed.

Adding a measure is one `Measure(...)` in MEASURES (its SQL is over the fact family's columns); adding a
dimension is one `Dimension(...)`; a KPI is one `Kpi(...)` in KPIS plus its function in reports/kpis.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# fact families: the tables a measure reads (day table, month roll-up) and their date column
FAMILIES = {
    "sales": ("reports_salesday", "reports_salesmonth"),
    "tickets": ("reports_salesticketday", None),
    "purchases": ("reports_purchaseday", None),
    "stock": ("reports_stockday", "reports_stockmonth"),
    "partner": ("reports_partnerday", None),
}
GRAINS = ("day", "week", "month", "quarter", "year")
ADDITIVE, LAST, RATIO, DISTINCT = "additive", "last", "ratio", "distinct"


@dataclass(frozen=True)
class Dimension:
    name: str
    label: object
    families: frozenset[str]
    column: str  # SQL over the fact row `f` and the joins named in `joins`
    joins: tuple[str, ...] = ()
    tree: str | None = None  # "category" / "region": `column` is the leaf; `level` picks an ancestor
    level: int | None = None
    grain: str | None = None  # date dimensions
    of_partner: bool = False  # the partner column of the family (customer for sales, supplier for purchases)


@dataclass(frozen=True)
class Measure:
    name: str
    label: object
    family: str
    kind: str
    sql: str = ""  # additive: a SQL expression over fact columns, summed
    numerator: str = ""  # ratio: measure names
    denominator: str = ""
    factor: int = 1  # ratio: 100 for a percentage
    unit: str = "money"  # money, qty, count, percent, days, times
    cost: bool = False  # shows cost: masked for users without stock.cost
    scale: int = 1  # the fact scale of an additive measure (100 money, 10000 quantities, 1 counts)
    formula_zh: str = ""
    formula_en: str = ""


@dataclass(frozen=True)
class Kpi:
    name: str
    label: object
    unit: str
    formula_zh: str
    formula_en: str
    cost: bool = False
    by: tuple[str, ...] = ()  # dimensions it can be broken down by
    params: dict = field(default_factory=dict)  # the parameters it takes, with their defaults


def _dims() -> dict[str, Dimension]:
    every = frozenset(FAMILIES)
    stocked = frozenset({"sales", "tickets", "purchases", "stock"})
    items = frozenset({"sales", "purchases", "stock"})
    out = [Dimension(g, label, every, "f.day", grain=g) for g, label in (
        ("day", _("Day")), ("week", _("Week")), ("month", _("Month")), ("quarter", _("Quarter")),
        ("year", _("Year")))]
    out += [
        Dimension("item", _("Item"), items, "f.item_id"),
        Dimension("category", _("Category"), items, "i.category_id", joins=("item",), tree="category"),
        Dimension("warehouse", _("Warehouse"), stocked, "f.warehouse_id"),
        Dimension("store", _("Store"), stocked, "f.warehouse_id", joins=("store",)),
        Dimension("customer", _("Customer"), frozenset({"sales", "tickets", "partner"}), "", of_partner=True),
        Dimension("customer_group", _("Customer group"), frozenset({"sales", "tickets", "partner"}), "cg.grp",
                  joins=("customer_group",)),
        Dimension("region", _("Region"), frozenset({"sales", "tickets", "purchases", "partner"}), "p.region_id",
                  joins=("partner",), tree="region"),
        Dimension("supplier", _("Supplier"), frozenset({"purchases", "partner"}), "", of_partner=True),
        Dimension("salesperson", _("Salesperson"), frozenset({"sales", "tickets"}), "f.salesperson_id"),
        Dimension("channel", _("Channel"), frozenset({"sales", "tickets"}), "f.channel"),
        Dimension("flow", _("Movement type"), frozenset({"stock"}), "f.flow"),
        Dimension("book", _("Book"), frozenset({"partner"}), "f.book"),
    ]
    for tree, base, label in (("category", "category", _("Category")), ("region", "region", _("Region"))):
        src = next(d for d in out if d.name == base)
        for level in (1, 2, 3):
            out.append(Dimension(f"{tree}_{level}", format_lazy("{} L{}", label, level), src.families, src.column,
                                 src.joins, tree=tree, level=level))
    return {d.name: d for d in out}


DIMENSIONS = _dims()
PARTNER_COLUMN = {"sales": "f.customer_id", "tickets": "f.customer_id", "purchases": "f.supplier_id",
                  "partner": "f.partner_id"}

M, Q = 100, 10_000
MEASURES: dict[str, Measure] = {m.name: m for m in (
    # sales (SalesDay / SalesMonth)
    Measure("sales_qty", _("Sales quantity"), "sales", ADDITIVE, "qty", unit="qty", scale=Q,
            formula_zh="销售出库数量（作废在作废日冲减）", formula_en="quantity delivered to customers (voids subtract)"),
    Measure("return_qty", _("Returned quantity"), "sales", ADDITIVE, "return_qty", unit="qty", scale=Q,
            formula_zh="销售退货数量", formula_en="quantity returned by customers"),
    Measure("net_qty", _("Net sales quantity"), "sales", ADDITIVE, "qty - return_qty", unit="qty", scale=Q,
            formula_zh="净销量 = 销售出库数量 − 销售退货数量", formula_en="net sales = delivered − returned"),
    Measure("gross_sales", _("Gross sales"), "sales", ADDITIVE, "revenue", scale=M,
            formula_zh="销售额（不含税，未扣退货）", formula_en="sales excluding VAT, before returns"),
    Measure("returns", _("Returns"), "sales", ADDITIVE, "return_revenue", scale=M,
            formula_zh="退货额（不含税）", formula_en="returns excluding VAT"),
    Measure("revenue", _("Revenue"), "sales", ADDITIVE, "revenue - return_revenue", scale=M,
            formula_zh="销售收入 = 销售额 − 退货额（不含税）", formula_en="revenue = sales − returns, excluding VAT"),
    Measure("sales_tax", _("Output VAT"), "sales", ADDITIVE, "tax - return_tax", scale=M,
            formula_zh="销项税额（扣退货）", formula_en="VAT on sales less returns"),
    Measure("discount", _("Discount"), "sales", ADDITIVE, "discount", scale=M,
            formula_zh="折扣额（不含税）", formula_en="discounts given, excluding VAT"),
    Measure("cogs", _("Cost of goods sold"), "sales", ADDITIVE, "cogs - return_cost", scale=M, cost=True,
            formula_zh="销售成本 = 发往客户的出库成本 − 客户退货按原成本退回的成本",
            formula_en="COGS = cost of moves to customers − cost of customer returns (at the cost they came back at)"),
    Measure("gross_profit", _("Gross profit"), "sales", ADDITIVE,
            "revenue - return_revenue - cogs + return_cost", scale=M, cost=True,
            formula_zh="毛利 = 销售收入(不含税) − 销售成本", formula_en="gross profit = revenue excl. VAT − COGS"),
    Measure("margin", _("Gross margin %"), "sales", RATIO, numerator="gross_profit", denominator="revenue",
            factor=100, unit="percent", cost=True,
            formula_zh="毛利率 = 毛利 ÷ 销售收入 × 100%", formula_en="gross margin = gross profit ÷ revenue × 100%"),
    Measure("markup", _("Markup % (on cost)"), "sales", RATIO, numerator="gross_profit", denominator="cogs",
            factor=100, unit="percent", cost=True,
            formula_zh="成本毛利率（加成率）= 毛利 ÷ 销售成本 × 100%",
            formula_en="markup = gross profit ÷ COGS × 100% (not the gross margin)"),
    Measure("returns_rate", _("Returns rate %"), "sales", RATIO, numerator="returns", denominator="gross_sales",
            factor=100, unit="percent",
            formula_zh="退货率 = 退货额 ÷ 销售额 × 100%", formula_en="returns rate = returns ÷ gross sales × 100%"),
    Measure("skus_sold", _("SKUs sold"), "sales", DISTINCT, "qty - return_qty", unit="count",
            formula_zh="期内净销量 > 0 的 SKU 数", formula_en="SKUs with net sales > 0 in the period"),
    # tickets (SalesTicketDay)
    Measure("tickets", _("Tickets"), "tickets", ADDITIVE, "tickets", unit="count",
            formula_zh="客流 = 销售单据数（作废冲减）", formula_en="tickets = sales documents (voids subtract)"),
    Measure("avg_ticket", _("Average ticket"), "tickets", RATIO, numerator="revenue", denominator="tickets",
            formula_zh="客单价 = 销售收入 ÷ 客流", formula_en="average ticket = revenue ÷ tickets"),
    # purchases (PurchaseDay)
    Measure("purchase_qty", _("Purchased quantity"), "purchases", ADDITIVE, "qty - return_qty", unit="qty", scale=Q,
            formula_zh="采购入库数量 − 采购退货数量", formula_en="quantity received − returned to suppliers"),
    Measure("purchase_amount", _("Purchases"), "purchases", ADDITIVE, "amount - return_amount", scale=M,
            cost=True, formula_zh="采购额 = 采购入库金额 − 采购退货金额（不含税）",
            formula_en="purchases = receipts − returns to suppliers, excluding VAT"),
    Measure("purchase_price", _("Average purchase price"), "purchases", RATIO, numerator="purchase_amount",
            denominator="purchase_qty", unit="price", cost=True,
            formula_zh="平均采购单价 = 采购额 ÷ 采购数量（不含税，扣退货）",
            formula_en="average purchase price = purchases ÷ quantity purchased (excl. VAT, net of returns)"),
    Measure("purchase_returns", _("Purchase returns"), "purchases", ADDITIVE, "return_amount", scale=M, cost=True,
            formula_zh="采购退货金额（不含税）", formula_en="returns to suppliers, excluding VAT"),
    # stock flows (StockDay / StockMonth)
    Measure("qty_in", _("Quantity in"), "stock", ADDITIVE, "qty_in", unit="qty", scale=Q,
            formula_zh="入库数量（按出入库类型）", formula_en="quantity in (by movement type)"),
    Measure("qty_out", _("Quantity out"), "stock", ADDITIVE, "qty_out", unit="qty", scale=Q,
            formula_zh="出库数量（按出入库类型）", formula_en="quantity out (by movement type)"),
    Measure("value_in", _("Value in"), "stock", ADDITIVE, "value_in", scale=M, cost=True,
            formula_zh="入库成本", formula_en="cost of stock in"),
    Measure("value_out", _("Value out"), "stock", ADDITIVE, "value_out", scale=M, cost=True,
            formula_zh="出库成本", formula_en="cost of stock out"),
    Measure("stock_qty", _("Stock on hand"), "stock", LAST, "qty_in - qty_out", unit="qty", scale=Q,
            formula_zh="期末库存数量（期间最后一天的结存）", formula_en="quantity on hand at the end of the period"),
    Measure("stock_value", _("Stock value"), "stock", LAST, "value_in - value_out", scale=M, cost=True,
            formula_zh="期末库存成本（期间最后一天的结存）", formula_en="stock cost at the end of the period"),
    # partner ledger (PartnerDay): receivables (book 1) and payables (book 2)
    Measure("receivable_invoiced", _("Invoiced to customers"), "partner", ADDITIVE,
            "CASE WHEN book = 1 THEN debit ELSE 0 END", scale=M,
            formula_zh="应收发生额（发货，含税）", formula_en="deliveries owed by customers, with VAT"),
    Measure("receipts", _("Money received"), "partner", ADDITIVE, "CASE WHEN book = 1 THEN settled ELSE 0 END",
            scale=M, formula_zh="收款金额", formula_en="money received from customers"),
    Measure("receivable_balance", _("Receivables"), "partner", LAST,
            "CASE WHEN book = 1 THEN debit - credit - settled ELSE 0 END", scale=M,
            formula_zh="应收余额 = 发货 − 退货 − 收款（期末，含税）",
            formula_en="receivables = deliveries − returns − receipts, at the end (with VAT)"),
    Measure("payable_invoiced", _("Owed to suppliers"), "partner", ADDITIVE,
            "CASE WHEN book = 2 THEN debit ELSE 0 END", scale=M,
            formula_zh="应付发生额（入库或发票，含税）", formula_en="receipts or bills owed to suppliers, with VAT"),
    Measure("payments", _("Money paid"), "partner", ADDITIVE, "CASE WHEN book = 2 THEN settled ELSE 0 END",
            scale=M, formula_zh="付款金额", formula_en="money paid to suppliers"),
    Measure("payable_balance", _("Payables"), "partner", LAST,
            "CASE WHEN book = 2 THEN debit - credit - settled ELSE 0 END", scale=M,
            formula_zh="应付余额 = 入库/发票 − 退货 − 付款（期末，含税）",
            formula_en="payables = receipts or bills − returns − payments, at the end (with VAT)"),
)}


def measure(name: str) -> Measure:
    return MEASURES[name]


def family_of(names) -> set[str]:
    return {MEASURES[n].family for n in names}


def parts_of(name: str) -> list[str]:
    """The additive measures a measure is computed from (itself when additive, last or distinct)."""
    m = MEASURES[name]
    if m.kind == RATIO:
        return [*parts_of(m.numerator), *parts_of(m.denominator)]
    return [name]


def label_of(name: str) -> str:
    return str(MEASURES[name].label) if name in MEASURES else str(DIMENSIONS[name].label)


def formula(entry, language: str | None) -> str:
    """The formula text of a measure or KPI in `language` (zh… → Chinese, anything else English)."""
    return entry.formula_zh if (language or "").lower().startswith("zh") else entry.formula_en


KPIS: dict[str, Kpi] = {k.name: k for k in (
    Kpi("gross_profit", _("Gross profit"), "money", cost=True, by=("warehouse", "store", "category", "customer",
                                                                     "salesperson", "item"),
        formula_zh="毛利 = 销售收入(不含税) − 销售成本；销售成本 = 发往客户的出库成本 − 客户退货成本（按退回时的成本）",
        formula_en="gross profit = revenue excl. VAT − COGS; COGS = cost of moves to customers − cost of customer "
                   "returns (at the cost they came back at)"),
    Kpi("revenue", _("Sales (revenue)"), "money", by=("warehouse", "store", "category", "customer", "salesperson",
                                                      "item"),
        formula_zh="销售收入 = 销售额 − 退货额（不含税）", formula_en="revenue = sales − returns, excluding VAT"),
    Kpi("gross_margin", _("Gross margin"), "percent", cost=True, by=("warehouse", "store", "category", "customer",
                                                                       "salesperson", "item"),
        formula_zh="毛利率 = 毛利 ÷ 销售收入 × 100%", formula_en="gross margin = gross profit ÷ revenue × 100%"),
    Kpi("markup", _("Markup on cost"), "percent", cost=True, by=("warehouse", "store", "category", "item"),
        formula_zh="成本毛利率 = 毛利 ÷ 销售成本 × 100%（不是毛利率）",
        formula_en="markup = gross profit ÷ COGS × 100% (not the gross margin)"),
    Kpi("sell_through_breadth", _("Active SKU rate (动销率)"), "percent",
        by=("warehouse", "store", "category", "category_1"),
        formula_zh="动销率 = 期内净销量 > 0 的 SKU 数 ÷ 期内在售 SKU 数 × 100%；在售 = 启用且（期初库存 > 0 或期内有入库或期内有销售）",
        formula_en="active SKU rate = SKUs with net sales > 0 ÷ SKUs on sale × 100%; on sale = active and (opening "
                   "stock > 0 or received or sold in the period)"),
    Kpi("sell_through", _("Sell-through (售罄率)"), "percent",
        by=("warehouse", "store", "category", "category_1", "item"),
        formula_zh="售罄率 = 期内销量 ÷ (期初库存 + 期内入库量) × 100%",
        formula_en="sell-through = net sales quantity ÷ (opening stock + quantity received) × 100%"),
    Kpi("turnover", _("Stock turnover"), "times", cost=True,
        by=("warehouse", "store", "category", "category_1", "item"),
        params={"raw_materials": False},
        formula_zh="库存周转率(次) = 期内销售成本 ÷ 平均库存成本；平均库存成本 = 期内每日期末库存成本的平均值；原材料用出库成本（销售 + 生产领用）",
        formula_en="turnover = COGS in the period ÷ average stock cost; average = mean of the daily closing stock "
                   "cost; raw materials: total issue cost (sales + production issues)"),
    Kpi("turnover_days", _("Days of stock (周转天数)"), "days", cost=True,
        by=("warehouse", "store", "category", "category_1", "item"),
        params={"raw_materials": False},
        formula_zh="周转天数 = 期内天数 ÷ 周转率 = 平均库存成本 × 期内天数 ÷ 期内销售成本",
        formula_en="turnover days = days in the period ÷ turnover = average stock cost × days ÷ COGS"),
    Kpi("days_of_supply", _("Days of supply (可售天数)"), "days", by=("warehouse", "store", "item"),
        formula_zh="可售天数 = 当前库存 ÷ 近 28 日日均销量", formula_en="days of supply = on hand ÷ average daily "
                                                                  "net sales of the last 28 days"),
    Kpi("stock_to_sales", _("Stock-to-sales ratio (库销比)"), "times", by=("warehouse", "store", "category", "item"),
        formula_zh="库销比 = 期末库存数量 ÷ 期内净销量", formula_en="stock-to-sales = closing quantity ÷ net sales "
                                                               "quantity in the period"),
    Kpi("slow_moving", _("Slow-moving stock (滞销)"), "percent", cost=True, by=("warehouse", "store", "category"),
        params={"days": 90},
        formula_zh="滞销品 = 库存 > 0 且 N 天（默认 90，可按分类设置）无销售；滞销库存占比 = 滞销品库存成本 ÷ 库存总成本 × 100%",
        formula_en="slow mover = stock > 0 and no sale for N days (default 90, per category); share = slow movers' "
                   "stock cost ÷ total stock cost × 100%"),
    Kpi("ageing", _("Stock ageing (库龄)"), "money", cost=True, by=("warehouse", "store", "category", "item"),
        params={"obsolete_age": 180, "obsolete_idle": 180},
        formula_zh="库龄按先进先出的入库批次计算（仅用于库龄，成本仍为移动加权平均）；区间 0–30 / 31–90 / 91–180 / 181–365 / >365 天",
        formula_en="age of each remaining unit by FIFO receipt layers (ageing only; costing stays moving average); "
                   "buckets 0–30 / 31–90 / 91–180 / 181–365 / >365 days"),
    Kpi("obsolete_rate", _("Obsolete stock rate (呆滞率)"), "percent", cost=True, by=("warehouse", "store", "category"),
        params={"obsolete_age": 180, "obsolete_idle": 180},
        formula_zh="呆滞 = 库龄 > 180 天且 180 天内无任何出库；呆滞率 = 呆滞库存成本 ÷ 期末库存总成本 × 100%",
        formula_en="obsolete = age > 180 days and no outbound move of any kind in 180 days; rate = obsolete stock "
                   "cost ÷ total stock cost × 100%"),
    Kpi("on_time_rate", _("Purchase on-time rate (采购到货准时率)"), "percent", by=("supplier", "warehouse"),
        params={"grace_days": 0, "tolerance": "0.02"},
        formula_zh="准时率 = 承诺到货日在期内的采购订单行中，截至承诺日(+宽限天数)累计到货 ≥ 订货量 × (1 − 容差 2%) 的行数 ÷ 行数（期前已关闭或作废的行不计）；另有按数量加权",
        formula_en="on-time rate = purchase order lines promised in the period whose receipts by the promised date "
                   "(+ grace) reach ordered × (1 − tolerance, 2%) ÷ those lines (lines closed or voided before their "
                   "date excluded); also quantity-weighted"),
    Kpi("receivables", _("Receivables (应收余额)"), "money", by=("customer", "region"),
        formula_zh="应收余额 = 发货 − 退货 − 收款（来自往来账，含税）；逾期 = 已过到期日未收部分（未核销的收款、退货先冲最早的单据，逾期不超过余额），按账龄区间",
        formula_en="receivables = deliveries − returns − receipts (partner ledger, with VAT); overdue = open past the "
                   "due date, unapplied receipts and returns settling the oldest documents first, by ageing bucket"),
    Kpi("dso", _("Days sales outstanding (DSO)"), "days",
        formula_zh="DSO = 期末应收余额 ÷ 期内应收发生额（含税，与应收同口径）× 期内天数",
        formula_en="DSO = receivables at the end ÷ invoiced in the period (with VAT, the receivables' basis) × days"),
    Kpi("growth", _("Sales growth (同比/环比)"), "percent", by=("warehouse", "store", "category"),
        formula_zh="同比 = 本期销售收入 ÷ 去年同期 − 1；环比 = 本期 ÷ 上期(等长) − 1",
        formula_en="year on year = revenue ÷ the same period last year − 1; period on period = revenue ÷ the "
                   "previous period of equal length − 1"),
    Kpi("average_ticket", _("Average ticket (客单价)"), "money", by=("warehouse", "store", "channel"),
        formula_zh="客单价 = 销售收入 ÷ 客流（销售单据数）", formula_en="average ticket = revenue ÷ tickets (sales documents)"),
    Kpi("tickets", _("Tickets (客流)"), "count", by=("warehouse", "store", "channel"),
        formula_zh="客流 = 期内销售单据数（作废冲减）", formula_en="tickets = sales documents in the period (voids subtract)"),
    Kpi("returns_rate", _("Returns rate"), "percent", by=("warehouse", "store", "category", "customer", "item"),
        formula_zh="退货率 = 退货额 ÷ 销售额 × 100%（不含税）", formula_en="returns rate = returns ÷ gross sales × 100% "
                                                                 "(excl. VAT)"),
)}
