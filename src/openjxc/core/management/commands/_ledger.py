"""Run the ledger check and describe its problems in sentences a person can act on.

Shared by `jxc check-ledger`, `jxc demo` and the nightly task (core/tasks.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from openjxc.catalog.models import Item
from openjxc.stock.ledger import Problem, check_ledger
from openjxc.stock.models import Location, StockBalance, StockMove, Warehouse


def _sentences() -> dict[str, str]:
    return {
        "ledger.not_zero_sum": _("The ledger does not balance: an item's moves over all locations must sum to zero."),
        "balance.mismatch": _("A stock balance differs from the sum of its ledger moves."),
        "balance.negative": _("A stock balance is negative where negative stock is not allowed."),
        "balance.value_without_stock": _("A warehouse holds stock value for an item it has none of."),
        "valuation.mismatch": _("An item's valuation in a warehouse differs from the sum of its balances."),
        "ledger.not_protected": _("The database triggers that keep the ledger append-only are missing."),
        "ledger.replay_mismatch": _("A value differs from a replay of the ledger in business-date order: a "
                                    "back-dated entry was not re-costed (成本重算)."),
    }


_REF = re.compile(r"\b(item|location|warehouse) (\d+)\b")


def describe(problem: Problem, names: dict[tuple[str, int], str] | None = None) -> str:
    """One problem as a sentence, with item/location/warehouse ids followed by their codes and names."""
    names = names if names is not None else _names([problem])
    sentence = _sentences().get(problem.code, problem.code)
    detail = _REF.sub(lambda m: f"{m[0]} ({names[(m[1], int(m[2]))]})" if (m[1], int(m[2])) in names else m[0],
                      problem.detail)
    return f"[{problem.code}] {sentence} {detail}"


def _names(problems: list[Problem]) -> dict[tuple[str, int], str]:
    wanted: dict[str, set[int]] = {"item": set(), "location": set(), "warehouse": set()}
    for p in problems:
        for kind, pk in _REF.findall(p.detail):
            wanted[kind].add(int(pk))
    out: dict[tuple[str, int], str] = {}
    for kind, model in (("item", Item), ("location", Location), ("warehouse", Warehouse)):
        if wanted[kind]:
            for pk, code, name in model.objects.filter(pk__in=wanted[kind]).values_list("pk", "code", "name"):
                out[(kind, pk)] = f"{code} {name}"
    return out


@dataclass
class LedgerReport:
    moves: int
    balances: int
    problems: list[Problem] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return f"ledger OK: {self.moves} moves, {self.balances} balances checked"
        return f"ledger FAILED: {len(self.problems)} problem(s) in {self.moves} moves, {self.balances} balances"

    def as_payload(self) -> dict:
        return {
            "ok": self.ok,
            "moves": self.moves,
            "balances": self.balances,
            "problems": [{"code": p.code, "detail": p.detail, "message": s}
                         for p, s in zip(self.problems, self.sentences, strict=True)],
        }


def run_check(company_id: int | None = None, *, full: bool = False,
              progress: Callable[[str], None] | None = None) -> LedgerReport:
    """Check the ledger of one company (or all) and describe every problem found. The replay in business-date
    order covers what was posted since the last check, or the whole history with `full` (stock/ledger.py)."""
    scope = {"company_id": company_id} if company_id else {}
    problems = check_ledger(company_id, full=full, progress=progress)
    names = _names(problems)
    return LedgerReport(
        moves=StockMove.objects.filter(**scope).count(),
        balances=StockBalance.objects.filter(**scope).count(),
        problems=problems,
        sentences=[describe(p, names) for p in problems],
    )
