"""The star-schema entities BI tools read: one registry, read by the PostgreSQL `bi` views (bi/schema.py), the
CSV / XLSX / Parquet feeds (bi/feeds.py) and the OData feed (bi/odata/).

Each entity is a SELECT over base tables (the reports' facts and the master data), usable as a subquery on SQLite
and PostgreSQL, giving its declared columns plus `company_id` (when company-scoped). Facts keep the reports' grain
(a day, not a document line) and their figures are the semantic layer's measures (`reports/semantic.py`): the same
SQL, scaled from the facts' integers (fen, 1/10,000 of a unit) to decimals. Sales money is excluding VAT.

Ids join facts to dimensions by the same name (`item_id`, `warehouse_id`, `customer_id` → dim_partner.partner_id,
`day` → dim_date.day); 0 stands for "none" (no lot, no salesperson), as in the facts.

Change a view: edit its entity and raise VERSION (the `bi` schema records it; BI models can check it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openjxc.reports.semantic import MEASURES

VERSION = 1
TYPES = ("string", "int", "decimal", "date", "datetime", "bool")


@dataclass(frozen=True)
class Column:
    name: str  # snake_case, as in the view
    type: str  # "string" | "int" | "decimal" | "date" | "datetime" | "bool"
    label_zh: str
    label_en: str
    cost: bool = False  # a cost/value/margin figure: masked (NULL) for users without the stock.cost right


@dataclass(frozen=True)
class Entity:
    name: str  # "fact_sales_line", "dim_item", ...
    columns: tuple[Column, ...]  # what is exposed (company_id is NOT among them)
    key: tuple[str, ...]  # column names forming a unique key (OData needs a key)
    company_scoped: bool  # False only for dim_date
    description_zh: str
    description_en: str
    body: str = ""  # SELECT … FROM … (without the column list's `company_id` or a WHERE on it)

    def sql(self, vendor: str) -> str:
        """A SELECT giving every column plus `company_id` (when company-scoped): no ORDER BY, no params.

        The same text serves SQLite and PostgreSQL (`vendor` is there for a view that ever needs to differ)."""
        if vendor not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database vendor {vendor!r}")
        return self.body

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def date_column(self) -> str | None:
        """The column `?from=&to=` filters on: the entity's first date column."""
        return next((c.name for c in self.columns if c.type == "date"), None)

    @property
    def has_warehouse(self) -> bool:
        return any(c.name == "warehouse_id" for c in self.columns)


def _money(expr: str) -> str:
    return f"ROUND(({expr}) / 100.0, 2)"


def _qty(expr: str) -> str:
    return f"ROUND(({expr}) / 10000.0, 4)"


def _scaled(measure: str, table: str = "f") -> str:
    """A semantic-layer measure's SQL over one fact row, scaled to a decimal (the measure's own definition)."""
    m = MEASURES[measure]
    expr = m.sql
    for word in sorted({w for w in _words(expr)}, key=len, reverse=True):
        expr = _qualify(expr, word, table)
    return _qty(expr) if m.scale == 10_000 else _money(expr) if m.scale == 100 else expr


def _words(expr: str) -> list[str]:
    return [w for w in re.findall(r"[a-z_]+", expr) if w not in {"case", "when", "then", "else", "end"}]


def _qualify(expr: str, word: str, table: str) -> str:
    return re.sub(rf"(?<![.\w]){word}(?!\w)", f"{table}.{word}", expr)


def _case(column: str, names: dict[int, str]) -> str:
    whens = " ".join(f"WHEN {k} THEN '{v}'" for k, v in names.items())
    return f"CASE {column} {whens} END"


def _select(columns: list[tuple[Column, str]], rest: str, *, company: str | None) -> tuple[tuple[Column, ...], str]:
    parts = [f"{expr} AS {col.name}" for col, expr in columns]
    if company:
        parts.append(f"{company} AS company_id")
    return tuple(c for c, _ in columns), f"SELECT {', '.join(parts)} {rest}"


def C(name, type_, zh, en, cost=False) -> Column:  # noqa: N802 - a short constructor for the tables below
    assert type_ in TYPES, type_
    return Column(name, type_, zh, en, cost)


def _entity(name, key, zh, en, columns, rest, *, company: str | None = "f.company_id") -> Entity:
    cols, body = _select(columns, rest, company=company)
    return Entity(name, cols, tuple(key), company is not None, zh, en, body)


FLOWS = {1: "purchase", 2: "sale", 3: "transfer", 4: "production", 5: "count", 6: "gain", 7: "write_off",
         8: "opening", 9: "other", 10: "adjustment", 11: "internal"}
CHANNELS = {1: "order", 2: "till", 3: "terminal"}
BOOKS = {1: "receivable", 2: "payable"}


def _sales_line() -> Entity:
    m = [(C(n, "decimal", zh, en, MEASURES[n].cost), _scaled(n)) for n, zh, en in (
        ("sales_qty", "销售数量", "Sales quantity"),
        ("return_qty", "退货数量", "Returned quantity"),
        ("net_qty", "净销量", "Net sales quantity"),
        ("gross_sales", "销售额(不含税)", "Gross sales (excl. VAT)"),
        ("returns", "退货额(不含税)", "Returns (excl. VAT)"),
        ("revenue", "销售收入(不含税)", "Revenue (excl. VAT)"),
        ("sales_tax", "销项税额", "Output VAT"),
        ("discount", "折扣额(不含税)", "Discount (excl. VAT)"),
        ("cogs", "销售成本", "Cost of goods sold"),
        ("gross_profit", "毛利", "Gross profit"))]
    return _entity(
        "fact_sales_line", ("day", "warehouse_id", "item_id", "customer_id", "salesperson_id", "channel"),
        "销售事实：每日按商品、客户、业务员、仓库、渠道汇总的销售行（金额不含税；作废在作废日冲减）",
        "Sales facts: sales lines of a day by item, customer, salesperson, warehouse and channel (money excl. VAT; "
        "voids subtract on the day of the void)",
        [(C("day", "date", "日期", "Day"), "f.day"),
         (C("warehouse_id", "int", "仓库ID", "Warehouse id"), "f.warehouse_id"),
         (C("item_id", "int", "商品ID", "Item id"), "f.item_id"),
         (C("customer_id", "int", "客户ID", "Customer id"), "f.customer_id"),
         (C("salesperson_id", "int", "业务员ID（0 = 无）", "Salesperson id (0 = none)"), "f.salesperson_id"),
         (C("channel", "string", "渠道", "Channel"), _case("f.channel", CHANNELS)), *m],
        "FROM reports_salesday f")


def _stock_day() -> Entity:
    return _entity(
        "fact_stock_day", ("day", "warehouse_id", "item_id", "lot_id", "flow"),
        "库存事实：每日按仓库、商品、批次、出入库类型的出入库数量和成本（期末结存 = 截至当日的净数量累计）",
        "Stock facts: quantity and cost in and out of a day by warehouse, item, lot and movement type (closing stock "
        "= the running sum of the net quantity up to the day)",
        [(C("day", "date", "日期", "Day"), "f.day"),
         (C("warehouse_id", "int", "仓库ID", "Warehouse id"), "f.warehouse_id"),
         (C("item_id", "int", "商品ID", "Item id"), "f.item_id"),
         (C("lot_id", "int", "批次ID（0 = 无批次）", "Lot id (0 = none)"), "f.lot_key"),
         (C("flow", "string", "出入库类型", "Movement type"), _case("f.flow", FLOWS)),
         (C("qty_in", "decimal", "入库数量", "Quantity in"), _scaled("qty_in")),
         (C("qty_out", "decimal", "出库数量", "Quantity out"), _scaled("qty_out")),
         (C("net_qty", "decimal", "净入库数量", "Net quantity"), _qty("f.qty_in - f.qty_out")),
         (C("value_in", "decimal", "入库成本", "Cost in", True), _scaled("value_in")),
         (C("value_out", "decimal", "出库成本", "Cost out", True), _scaled("value_out")),
         (C("net_value", "decimal", "净入库成本", "Net cost", True), _money("f.value_in - f.value_out"))],
        "FROM reports_stockday f")


def _purchase_line() -> Entity:
    # company first: the receipts' unique key (company, line_id, day) is the index that finds a line's receipts
    received = ("(SELECT COALESCE(SUM(r.qty), 0) FROM reports_purchaselinereceipt r "
                "WHERE r.company_id = f.company_id AND r.line_id = f.line_id{})")
    by_due = received.format(" AND r.day <= f.promised_on")
    return _entity(
        "fact_purchase_line", ("line_id",),
        "采购订单行事实：承诺到货日、订货量、累计到货量、承诺日前到货量和是否准时（容差 2%，无宽限）",
        "Purchase order line facts: promised date, ordered, received, received by the promised date and whether "
        "on time (tolerance 2 %, no grace days)",
        [(C("line_id", "int", "订单行ID", "Order line id"), "f.line_id"),
         (C("order_id", "int", "采购订单ID", "Purchase order id"), "f.order_id"),
         (C("order_number", "string", "采购订单号", "Purchase order number"), "d.number"),
         (C("warehouse_id", "int", "仓库ID", "Warehouse id"), "f.warehouse_id"),
         (C("item_id", "int", "商品ID", "Item id"), "f.item_id"),
         (C("supplier_id", "int", "供应商ID", "Supplier id"), "f.supplier_id"),
         (C("promised_on", "date", "承诺到货日", "Promised on"), "f.promised_on"),
         (C("closed_on", "date", "关闭/作废日", "Closed or voided on"), "f.closed_on"),
         (C("ordered_qty", "decimal", "订货数量", "Ordered quantity"), _qty("f.ordered")),
         (C("received_qty", "decimal", "到货数量", "Received quantity"), _qty(received.format(""))),
         (C("received_by_promised_qty", "decimal", "承诺日前到货数量", "Received by the promised date"),
          _qty(by_due)),
         (C("is_on_time", "bool", "准时到货", "On time"),
          f"CASE WHEN f.promised_on IS NULL THEN NULL WHEN {by_due} * 100 >= f.ordered * 98 THEN TRUE "
          f"ELSE FALSE END")],
        "FROM reports_purchaseline f LEFT JOIN documents_document d ON d.id = f.order_id")


def _purchase_day() -> Entity:
    return _entity(
        "fact_purchase_day", ("day", "warehouse_id", "item_id", "supplier_id"),
        "采购事实：每日按商品、供应商、仓库的采购入库与采购退货（金额不含税）",
        "Purchase facts: receipts and returns to suppliers of a day by item, supplier and warehouse (excl. VAT)",
        [(C("day", "date", "日期", "Day"), "f.day"),
         (C("warehouse_id", "int", "仓库ID", "Warehouse id"), "f.warehouse_id"),
         (C("item_id", "int", "商品ID", "Item id"), "f.item_id"),
         (C("supplier_id", "int", "供应商ID", "Supplier id"), "f.supplier_id"),
         (C("received_qty", "decimal", "采购入库数量", "Quantity received"), _qty("f.qty")),
         (C("return_qty", "decimal", "采购退货数量", "Quantity returned"), _qty("f.return_qty")),
         (C("purchase_qty", "decimal", "净采购数量", "Net quantity purchased"), _scaled("purchase_qty")),
         (C("received_amount", "decimal", "采购入库金额(不含税)", "Receipts (excl. VAT)", True), _money("f.amount")),
         (C("return_amount", "decimal", "采购退货金额(不含税)", "Returns (excl. VAT)", True), _scaled("purchase_returns")),
         (C("purchase_amount", "decimal", "采购额(不含税)", "Purchases (excl. VAT)", True), _scaled("purchase_amount")),
         (C("purchase_tax", "decimal", "进项税额", "Input VAT", True), _money("f.tax"))],
        "FROM reports_purchaseday f")


def _partner_day() -> Entity:
    return _entity(
        "fact_partner_day", ("day", "book", "partner_id", "due_on"),
        "往来事实：每日按往来单位、到期日的应收/应付发生、退货、收付款和核销（含税）；余额 = 发生 − 退货 − 收付款的累计",
        "Partner ledger facts: receivables / payables of a day by partner and due date (with VAT); balance = the "
        "running sum of debit − credit − settled",
        [(C("day", "date", "日期", "Day"), "f.day"),
         (C("book", "string", "账簿（应收/应付）", "Book (receivable / payable)"), _case("f.book", BOOKS)),
         (C("partner_id", "int", "往来单位ID", "Partner id"), "f.partner_id"),
         (C("due_on", "date", "到期日", "Due on"), "f.due_on"),
         (C("debit", "decimal", "发生额", "Debit (documents owed)"), _money("f.debit")),
         (C("credit", "decimal", "退货冲减", "Credit (returns)"), _money("f.credit")),
         (C("settled", "decimal", "收付款", "Settled (money)"), _money("f.settled")),
         (C("applied", "decimal", "核销到该到期日", "Applied to this due date"), _money("f.applied")),
         (C("balance_change", "decimal", "余额变动", "Change of balance"),
          _money("f.debit - f.credit - f.settled"))],
        "FROM reports_partnerday f")


def _tree(name: str, table: str, zh: str, en: str) -> Entity:
    """A tree (categories, regions) with its depth and the names of its first three levels."""
    levels = [(C(f"{name}_{n}", "string", f"{zh}{n}级", f"{en} level {n}"), f"t.l{n}") for n in (1, 2, 3)]
    return _entity(
        f"dim_{name}", (f"{name}_id",), f"{zh}维度（树：上级、层级、各级名称）",
        f"{en} dimension (a tree: parent, level, the name of each level)",
        [(C(f"{name}_id", "int", f"{zh}ID", f"{en} id"), "c.id"),
         (C("code", "string", "编码", "Code"), "c.code"),
         (C("name", "string", "名称", "Name"), "c.name"),
         (C("parent_id", "int", f"上级{zh}ID", f"Parent {en.lower()} id"), "c.parent_id"),
         (C("level", "int", "层级（1 = 顶级）", "Level (1 = top)"), "t.lvl"), *levels],
        f"FROM {table} c JOIN (WITH RECURSIVE tr(id, lvl, l1, l2, l3) AS ("
        f"SELECT id, 1, CAST(name AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT) FROM {table} "
        f"WHERE parent_id IS NULL UNION ALL SELECT k.id, tr.lvl + 1, tr.l1, "
        f"CASE WHEN tr.lvl = 1 THEN CAST(k.name AS TEXT) ELSE tr.l2 END, "
        f"CASE WHEN tr.lvl = 2 THEN CAST(k.name AS TEXT) ELSE tr.l3 END "
        f"FROM {table} k JOIN tr ON k.parent_id = tr.id) SELECT id, lvl, l1, l2, l3 FROM tr) t ON t.id = c.id",
        company="c.company_id")


def _item() -> Entity:
    return _entity(
        "dim_item", ("item_id",), "商品维度", "Item dimension",
        [(C("item_id", "int", "商品ID", "Item id"), "i.id"),
         (C("code", "string", "商品编码", "Item code"), "i.code"),
         (C("name", "string", "商品名称", "Item name"), "i.name"),
         (C("spec", "string", "规格", "Specification"), "i.spec"),
         (C("category_id", "int", "分类ID", "Category id"), "i.category_id"),
         (C("unit", "string", "基本单位", "Base unit"), "u.name"),
         (C("tracking", "string", "批次/序列号管理", "Tracking"), "i.tracking"),
         (C("sale_price", "decimal", "销售价", "Sale price"), "i.sale_price"),
         (C("purchase_price", "decimal", "采购价", "Purchase price", True), "i.purchase_price"),
         (C("standard_cost", "decimal", "标准成本", "Standard cost", True), "i.standard_cost"),
         (C("tax_rate", "decimal", "税率", "Tax rate"), "i.tax_rate"),
         (C("is_active", "bool", "启用", "Active"), "i.is_active")],
        "FROM catalog_item i JOIN catalog_unit u ON u.id = i.base_unit_id", company="i.company_id")


def _partner() -> Entity:
    return _entity(
        "dim_partner", ("partner_id",), "往来单位维度（客户与供应商；事实表的 customer_id / supplier_id / partner_id）",
        "Partner dimension (customers and suppliers: the facts' customer_id, supplier_id, partner_id)",
        [(C("partner_id", "int", "往来单位ID", "Partner id"), "p.id"),
         (C("code", "string", "编码", "Code"), "p.code"),
         (C("name", "string", "名称", "Name"), "p.name"),
         (C("kind", "string", "类型（客户/供应商/两者）", "Kind (customer / supplier / both)"), "p.kind"),
         (C("region_id", "int", "地区ID", "Region id"), "p.region_id"),
         (C("is_walk_in", "bool", "散客", "Walk-in customer"), "p.is_walk_in"),
         (C("is_active", "bool", "启用", "Active"), "p.is_active")],
        "FROM partners_partner p", company="p.company_id")


def _warehouse() -> Entity:
    return _entity(
        "dim_warehouse", ("warehouse_id",), "仓库与门店维度", "Warehouse and store dimension",
        [(C("warehouse_id", "int", "仓库ID", "Warehouse id"), "w.id"),
         (C("code", "string", "编码", "Code"), "w.code"),
         (C("name", "string", "名称", "Name"), "w.name"),
         (C("kind", "string", "类型", "Kind"), "w.kind"),
         (C("is_store", "bool", "门店", "Store"), "CASE WHEN w.kind = 'store' THEN TRUE ELSE FALSE END"),
         (C("is_active", "bool", "启用", "Active"), "w.is_active")],
        "FROM stock_warehouse w", company="w.company_id")


DATE_COLUMNS = (
    C("day", "date", "日期", "Day"), C("year", "int", "年", "Year"), C("quarter", "int", "季度", "Quarter"),
    C("month", "int", "月", "Month"), C("day_of_month", "int", "日", "Day of month"),
    C("iso_year", "int", "ISO 周所属年", "ISO year"), C("iso_week", "int", "ISO 周", "ISO week"),
    C("weekday", "int", "星期（1 = 周一）", "Weekday (1 = Monday)"), C("weekday_zh", "string", "星期", "Weekday (zh)"),
    C("is_weekend", "bool", "周末", "Weekend"), C("year_month", "string", "年月", "Year-month"),
    C("month_zh", "string", "月份", "Month (zh)"), C("quarter_zh", "string", "季度名称", "Quarter (zh)"),
    C("lunar_year", "int", "农历年", "Lunar year"), C("lunar_month", "int", "农历月", "Lunar month"),
    C("lunar_day", "int", "农历日", "Lunar day"), C("is_leap_month", "bool", "闰月", "Leap month"),
    C("lunar_year_zh", "string", "农历年（干支）", "Lunar year (sexagenary)"),
    C("zodiac_zh", "string", "生肖", "Zodiac"), C("lunar_month_zh", "string", "农历月份", "Lunar month (zh)"),
    C("lunar_day_zh", "string", "农历日期", "Lunar day (zh)"),
    C("festival_zh", "string", "传统节日", "Traditional festival"),
    C("solar_term_zh", "string", "节气", "Solar term"))


def _date() -> Entity:
    cols = [(c, f"d.{c.name}" if c.name not in ("festival_zh", "solar_term_zh") else f"NULLIF(d.{c.name}, '')")
            for c in DATE_COLUMNS]
    return _entity("dim_date", ("day",), "日期维度（公历、ISO 周、星期、农历、传统节日、节气）",
                   "Date dimension (calendar, ISO week, weekday, lunar calendar, traditional festivals, solar terms)",
                   cols, "FROM bi_datedim d", company=None)


ENTITIES: dict[str, Entity] = {e.name: e for e in (
    _sales_line(), _stock_day(), _purchase_line(), _purchase_day(), _partner_day(),
    _item(), _tree("category", "catalog_category", "分类", "Category"), _partner(),
    _tree("region", "partners_region", "地区", "Region"), _warehouse(), _date(),
)}

for _e in ENTITIES.values():
    assert set(_e.key) <= {c.name for c in _e.columns}, _e.name
