"""The aggregate navigator: which monthly table a query's whole months are read from (decision 0024).

A family's day table and month roll-up (semantic.FAMILIES) answer every query. A narrower roll-up registered here
answers a query whose dimensions, filters, warehouse scope and measures read only columns it keeps: the query's
whole months then come from the narrowest such roll-up (the partial months still from the day table, projected
onto the roll-up's columns; day and week grains still from the days). A roll-up may keep a column a dimension
otherwise reaches through a join (`own`: the item's category), and may refuse to be read at the moment (`usable`:
SalesCategoryMonth while an item's category differs from the one its rows are summed under).

Adding a roll-up (manufacturing, restaurant) is one `Rollup(...)` in ROLLUPS, narrowest first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from openjxc.reports.facts.rollups import recategorised
from openjxc.reports.semantic import DIMENSIONS, PARTNER_COLUMN, Dimension

# the fact column each join of semantic.Dimension.joins reads ("partner": the family's partner column)
JOIN_READS = {"item": "item_id", "store": "warehouse_id", "partner": "partner", "customer_group": "partner"}
SQL_WORDS = {"case", "when", "then", "else", "end", "and", "or", "not", "null", "is", "coalesce", "abs"}
SALES_SUMS = ("qty", "revenue", "tax", "discount", "cogs", "return_qty", "return_revenue", "return_tax", "return_cost")


@dataclass(frozen=True)
class Rollup:
    table: str
    family: str
    keys: tuple[str, ...]  # its dimension columns (besides the month)
    sums: tuple[str, ...]
    day_table: str
    # a dimension column -> (this roll-up's SQL over `f`, the key it reads): read instead of the dimension's joins
    own: dict[str, tuple[str, str]] = field(default_factory=dict)
    # how a day-table row `d` gives a key the day table lacks (and the join that needs)
    from_day: dict[str, str] = field(default_factory=dict)
    day_join: str = ""
    usable: Callable[[int], bool] | None = None  # None: always

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.keys, *self.sums)

    def day_rows(self) -> str:
        """SELECT of the day table's rows (alias d) as this roll-up's columns; placeholders: company, first, last."""
        cols = ", ".join(f"{self.from_day.get(c, 'd.' + c)} AS {c}" for c in self.columns)
        return (f"SELECT d.day AS day, {cols} FROM {self.day_table} d {self.day_join} "
                f"WHERE d.company_id = %s AND d.day >= %s AND d.day <= %s")


def _categories_as_summed(company_id: int) -> bool:
    return not recategorised(company_id, limit=1)


ROLLUPS: dict[str, tuple[Rollup, ...]] = {
    "sales": (
        Rollup("reports_salescategorymonth", "sales", ("warehouse_id", "customer_id", "category_id"), SALES_SUMS,
               "reports_salesday", own={"i.category_id": ("NULLIF(f.category_id, 0)", "category_id")},
               from_day={"category_id": "COALESCE(i.category_id, 0)"},
               day_join="LEFT JOIN catalog_item i ON i.id = d.item_id", usable=_categories_as_summed),
        Rollup("reports_salesitemmonth", "sales", ("warehouse_id", "item_id"), SALES_SUMS, "reports_salesday"),
    ),
}


def _reads(d: Dimension, family: str, rollup: Rollup) -> set[str]:
    """The fact columns dimension `d` reads when the facts come from `rollup`."""
    if d.grain:
        return set()
    if d.column in rollup.own:
        return {rollup.own[d.column][1]}
    partner = PARTNER_COLUMN.get(family, "").removeprefix("f.")
    out = {partner} if d.of_partner else set(re.findall(r"\bf\.(\w+)", d.column))
    out |= {partner if JOIN_READS[j] == "partner" else JOIN_READS[j] for j in d.joins}
    return out


def _words(sql: str) -> set[str]:
    return set(re.findall(r"[a-z_][a-z_0-9]*", sql.lower()))


def navigate(company_id: int, family: str, dims: list[str], filters, scoped: bool, exprs: list[str],
             fine: bool) -> Rollup | None:
    """The narrowest registered roll-up that can give these dimensions, filters (names), a warehouse scope (when
    `scoped`) and summed expressions over whole months; None: the family's own month table."""
    if fine:
        return None
    for rollup in ROLLUPS.get(family, ()):
        have = set(rollup.columns)
        needed: set[str] = {"warehouse_id"} if scoped else set()
        for name in [*dims, *filters]:
            needed |= _reads(DIMENSIONS[name], family, rollup)
        for e in exprs:  # an expression naming anything else (a column it lacks) keeps the family's own table
            needed |= _words(e) - SQL_WORDS
        if needed <= have and (rollup.usable is None or rollup.usable(company_id)):
            return rollup
    return None
