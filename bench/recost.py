"""Re-costing benchmark (issue 13 item 7): a receipt back-dated ahead of N later moves of one item re-costs them.

    python bench/recost.py [--db sqlite|postgres] [--moves 10000]

On a fresh database (a SQLite file, or the PostgreSQL database `openjxc_bench_recost`, dropped and created): one
item, a receipt of N + 100 on day 1, then N issues of one unit each on the following days (deliveries of 500
lines each), all posted. Then a receipt of 100 at a higher cost dated day 2 (before every issue) is posted and
timed: its posting re-costs all N issues in the same transaction (one cost-only correction move each). Prints
the wall and CPU time of that posting, the number of corrections written, and runs both ledger checks (the stock
ledger's replay in business-date order included). Target: ≤ 2 s on PostgreSQL at 10,000 later moves.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import time
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _fresh import fresh_database, machine_line, pg_url  # noqa: E402

PER_DOC = 500
TARGET_S = 2.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="postgres", choices=["sqlite", "postgres"])
    ap.add_argument("--moves", type=int, default=10_000)
    args = ap.parse_args()
    data_dir = fresh_database("jxc-recost-", pg_url(os.environ.get("BENCH_RECOST_DB", "openjxc_bench_recost")) if args.db == "postgres" else None)
    try:
        run(args.db, args.moves)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(engine: str, n: int) -> None:
    from openjxc.catalog import services as catalog
    from openjxc.core import services as core
    from openjxc.core.models import Role
    from openjxc.documents import services as docs
    from openjxc.documents.services import LineInput
    from openjxc.finance.ledger import check_partner_ledger
    from openjxc.partners import services as partners
    from openjxc.stock import services as stock
    from openjxc.stock.ledger import check_ledger
    from openjxc.stock.models import StockMove

    company = core.create_company(code="RC", name="重算公司")
    by = core.create_user(by=None, company=company, username="rc-admin", password="pw-12345678", roles=[Role.ADMIN])
    kg = catalog.create_unit(by=by, code="KG", name="千克")
    wh = stock.create_warehouse(by=by, code="WH1", name="总仓")
    item = catalog.create_item(by=by, code="F001", name="面粉", base_unit=kg, purchase_price=D("100"),
                               sale_price=D("150"))
    supplier = partners.create_partner(by=by, code="S001", name="面粉厂", kind="supplier")
    customer = partners.create_partner(by=by, code="C001", name="好运超市", kind="customer")
    day1 = dt.date.today() - dt.timedelta(days=n // PER_DOC + 30)

    def post(kind, partner, on, lines):
        doc = docs.create_document(by=by, kind=kind, warehouse=wh, partner=partner, business_on=on, lines=lines)
        return docs.advance_document(doc, by=by, to="posted")

    t = time.perf_counter()
    post("purchase_receipt", supplier, day1, [LineInput(item=item.pk, quantity=D(n + 100), unit_price=D("100"))])
    for k in range(0, n, PER_DOC):
        on = day1 + dt.timedelta(days=2 + k // PER_DOC)
        post("sales_delivery", customer, on, [LineInput(item=item.pk, quantity=D(1), unit_price=D("150"))
                                              for _ in range(min(PER_DOC, n - k))])
    built = time.perf_counter() - t
    before = StockMove.objects.filter(company=company).count()

    w0, c0 = time.perf_counter(), time.process_time()
    post("purchase_receipt", supplier, day1 + dt.timedelta(days=1),
         [LineInput(item=item.pk, quantity=D(100), unit_price=D("130"))])
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    corrections = StockMove.objects.filter(company=company, corrects__isnull=False).count()
    ledger = check_ledger(company.pk)
    partner = check_partner_ledger(company.pk)
    verdict = (f"target ≤ {TARGET_S:.0f} s: {'met' if wall <= TARGET_S else 'NOT met'}" if engine == "postgres"
               else "the target is set for PostgreSQL")
    print(machine_line())
    print(f"{engine}: {n} later issues built in {built:.0f} s ({before} moves); back-dated receipt posted and "
          f"re-costed in {wall:.2f} s wall / {cpu:.2f} s CPU, {corrections} correction moves "
          f"({verdict}); "
          f"ledger {'OK' if not ledger else 'FAILED'}, partner ledger {'OK' if not partner else 'FAILED'}")


if __name__ == "__main__":
    main()
