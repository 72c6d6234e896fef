"""What changed most between two periods, and who made it change: the top movers by category and warehouse and
the generated summary of the weekly / monthly report ("毛利率 −2.1 pt：饮料 分类，上海总仓").

A change is split over a dimension from the facts through the semantic layer: an additive or balance measure by
each group's own change; a ratio N ÷ D (毛利率 = 毛利 ÷ 销售收入) by each group's share of it,
N_g,now ÷ D_now − N_g,before ÷ D_before, which adds up over the groups to exactly the ratio's change.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.reports.labels import OTHER
from openjxc.reports.query import run
from openjxc.reports.semantic import MEASURES, RATIO

TOP_MOVERS = 10
SUMMARY_LINES = 4
HEADLINE = ("revenue", "gross_margin")  # always told first when they changed
DIMENSIONS = (("category", gettext_lazy("category")), ("warehouse", gettext_lazy("warehouse")))
MINUS = "\u2212"


@dataclass
class Mover:
    key: object
    label: str
    value: Decimal | None
    previous: Decimal | None

    @property
    def change(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass
class MoverTable:
    dimension: str
    title: str
    measure: str
    unit: str
    rows: list[Mover]


def _by(r, measures: list[str], dim: str, period) -> tuple[dict, dict, dict]:
    """{key: {measure: value}} per value of `dim`, the grand total, and the labels."""
    res = run(r.company, r.q(period, measures=measures, dimensions=[dim], subtotals="rollup"))
    rows, labels, total = {}, {}, {}
    for row in res.rows:
        if row.subtotal:
            total = row.values
        elif row.keys[0] != OTHER:
            rows[row.keys[0]] = row.values
            labels[row.keys[0]] = row.labels[0]
    return rows, total, labels


def movers(r, period, previous) -> list[MoverTable]:
    """Revenue and gross profit by category and by warehouse, the largest changes first (costs only when shown)."""
    out = []
    for measure in ("revenue", "gross_profit"):
        if MEASURES[measure].cost and not r.show_cost:
            continue
        for dim, _label in DIMENSIONS:
            now, _t, labels = _by(r, [measure], dim, period)
            before, _t2, labels2 = _by(r, [measure], dim, previous)
            zero = Decimal("0.00")  # both measures are money
            rows = [Mover(k, labels.get(k) or labels2.get(k, str(k)), (now.get(k) or {}).get(measure) or zero,
                          (before.get(k) or {}).get(measure) or zero) for k in set(now) | set(before)]
            rows.sort(key=lambda m: (-abs(m.change or 0), m.label))
            title = _("%(measure)s by %(dimension)s") % {"measure": MEASURES[measure].label,
                                                         "dimension": dict(DIMENSIONS)[dim]}
            out.append(MoverTable(dim, title, measure, MEASURES[measure].unit, rows[:TOP_MOVERS]))
    return out


def contributions(r, measure: str, dim: str, period, previous) -> list[tuple[str, Decimal]]:
    """Each value of `dim`'s part of `measure`'s change from `previous` to `period` (they add up to it)."""
    m = MEASURES[measure]
    if m.kind == RATIO:
        parts = [m.numerator, m.denominator]
        now, t_now, labels = _by(r, parts, dim, period)
        before, t_before, labels2 = _by(r, parts, dim, previous)
        d_now, d_before = t_now.get(m.denominator) or 0, t_before.get(m.denominator) or 0

        def share(row, den) -> Decimal:
            return Decimal((row or {}).get(m.numerator) or 0) / den * m.factor if den else Decimal(0)

        values = {k: share(now.get(k), d_now) - share(before.get(k), d_before) for k in set(now) | set(before)}
    else:
        now, _t, labels = _by(r, [measure], dim, period)
        before, _t2, labels2 = _by(r, [measure], dim, previous)
        values = {k: Decimal((now.get(k) or {}).get(measure) or 0) - Decimal((before.get(k) or {}).get(measure) or 0)
                  for k in set(now) | set(before)}
    return sorted(((labels.get(k) or labels2.get(k, str(k)), v) for k, v in values.items()),
                  key=lambda kv: (-abs(kv[1]), kv[0]))


def _signed(value: Decimal, places: str) -> str:
    sign = "+" if value > 0 else MINUS if value < 0 else "±"
    return f"{sign}{abs(value):,.{places}f}"


def change_text(figure) -> str:
    """A figure's change as the summary writes it: −2.1 pt, +1,234.50 (+12.3%), +3."""
    change = figure.change
    if figure.unit == "percent":
        return f"{_signed(change, '1')} pt"
    if figure.unit in ("money", "price"):
        pct = figure.change_pct
        return _signed(change, "2") + (f" ({_signed(pct, '1')}%)" if pct is not None else "")
    if figure.unit == "count":
        return _signed(change, "0")
    return _signed(change, "1")


def _score(figure) -> Decimal:
    """How much a figure changed: a percentage by its points (÷ 100), another figure relative to where it was
    (one from nothing as if it had doubled)."""
    if figure.unit == "percent":
        return abs(figure.change) / 100
    if not figure.previous:
        return Decimal(1)
    return abs(figure.change) / abs(Decimal(figure.previous))


def summarize(r, report) -> dict[str, list[str]]:
    """Revenue and 毛利率, then the other figures that changed most, each with its largest contributor by category
    and by warehouse (in the direction of the change), in zh and en."""
    changed = [f for s in report.sections for f in s.figures if f.change is not None and f.change != 0]
    changed.sort(key=lambda f: (f.key not in HEADLINE, HEADLINE.index(f.key) if f.key in HEADLINE else 0,
                                -_score(f)))
    top = changed[:SUMMARY_LINES]
    causes: dict[str, list[tuple[str, str]]] = {}
    for f in top:
        found = []
        if f.measure:
            for dim, _label in DIMENSIONS:
                parts = contributions(r, f.measure, dim, report.period, report.previous)
                same = [name for name, v in parts if v and (v > 0) == (f.change > 0)]
                if same:
                    found.append((dim, same[0]))
        causes[f.key] = found
    out = {}
    for lang, code in (("zh", "zh-hans"), ("en", "en")):
        with translation.override(code):
            lines = []
            for f in top:
                text = f"{f.lazy_label} {change_text(f)}"
                if causes[f.key]:
                    parts = [f"{name} {dict(DIMENSIONS)[dim]}" if dim == "category" else name
                             for dim, name in causes[f.key]]
                    text += _(": ") + _(", ").join(parts)
                lines.append(text)
            out[lang] = lines or [_("No change from the previous period.")]
    return out
