"""Seeding and checking a database of its own for the consumer fault test, run in a subprocess:

    python -m tests.reports.facts_proc seed N     a company, its facts built, then N documents posted after
    python -m tests.reports.facts_proc verify     after the consumer has caught up: the facts against the ledgers

Each prints one JSON line. The test process never shares a connection with the consumer it kills.
"""

from __future__ import annotations

import json
import os
import random
import sys


def _seed(n: int) -> dict:
    from decimal import Decimal as D

    from openjxc.core.models import Event
    from openjxc.documents import services as docs
    from openjxc.documents.services import LineInput
    from openjxc.finance import services as finance
    from openjxc.reports.facts.rebuild import rebuild
    from tests.conftest import Shop

    shop = Shop("KILL")
    rebuild(shop.company)
    rng = random.Random(7)
    items = [shop.flour, shop.water]
    for item in items:
        shop.receive(item, 100_000, "2.00")
    sales = []
    for k in range(n):
        item = rng.choice(items)
        if k % 10 == 9 and sales:
            docs.void_document(sales.pop(rng.randrange(len(sales))), by=shop.admin, reason="test")
        elif k % 7 == 6:
            finance.create_settlement(by=shop.admin, kind="receipt", partner=shop.customer, amount=D("5.00"),
                                      post=True)
        else:
            sales.append(shop.post("sales_delivery", [
                LineInput(item=item.pk, quantity=D(rng.randint(1, 5)), unit_price=D("3.50"), tax_rate=D("0.13"))],
                partner=shop.customer))
    return {"company": shop.company.code, "events": Event.objects.filter(company=shop.company).count()}


def _verify() -> dict:
    from django.db.models import Sum

    from openjxc.core.models import Company
    from openjxc.finance.models import Allocation, PartnerEntry
    from openjxc.reports.facts.check import check_facts
    from openjxc.reports.models import FactCursor, PartnerRowSeen, SalesDay
    from openjxc.stock.models import StockMove
    from openjxc.sync.feed import stable_head

    company = Company.objects.get(code="KILL")
    report = check_facts(company)
    state = FactCursor.objects.get(company=company)
    head = stable_head(company.pk)
    rows = PartnerEntry.objects.filter(company=company).count() + Allocation.objects.filter(company=company).count()
    sold = sum(r for r in SalesDay.objects.filter(company=company).values_list("qty", flat=True))
    moved = StockMove.objects.filter(company=company, to_location__kind="customer").aggregate(q=Sum("quantity"))["q"]
    back = StockMove.objects.filter(company=company, from_location__kind="customer").aggregate(q=Sum("quantity"))["q"]
    return {"problems": [str(p) for p in report.problems], "caught_up": report.caught_up, "cursor": state.cursor,
            "head": f"{head[0]}-{head[1]}" if head else "0-0", "seen": PartnerRowSeen.objects.filter(
                company=company).count(), "partner_rows": rows, "sold_units": sold,
            "ledger_units": str((moved or 0) - (back or 0))}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openjxc.config.settings.dev")
    import django

    django.setup()
    if argv[0] == "seed":
        out = _seed(int(argv[1]))
    elif argv[0] == "verify":
        out = _verify()
    else:
        raise SystemExit(f"unknown command {argv[0]}")
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
