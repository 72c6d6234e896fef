"""Books beyond the stock ledger that `jxc check-ledger` and the nightly check verify too.

An app above core registers a check here (in its AppConfig.ready): `register("facts", fn)` (finance registers
the partner ledger, reports the facts) where
`fn(company_id: int | None)` returns a list of problems, each with `.code` and `.detail` (empty when right).
"""

from __future__ import annotations

from collections.abc import Callable

CHECKS: dict[str, Callable] = {}
LABELS: dict[str, str] = {}


def register(name: str, check: Callable, *, label: str = "") -> None:
    """`name` keys the nightly check's payload (`<name>_problems`); `label` names the book in `jxc check-ledger`."""
    CHECKS[name] = check
    LABELS[name] = label or name


def label(name: str) -> str:
    return LABELS.get(name, name)


def run_checks(company_id: int | None) -> dict[str, list]:
    """Every registered check's problems, by the name it was registered under."""
    return {name: list(check(company_id)) for name, check in CHECKS.items()}
