"""Build the demo company: master data, then months of business replayed day by day up to today.

Deterministic for a given seed and day (one `random.Random`), so two builds give the same books. Built in one
transaction, only through the services, as the people whose job it is.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from openjxc.core import clock
from openjxc.core.models import Company
from openjxc.counts.models import Count

from . import finance, masterdata, order_states, purchasing, sales, setup, stock
from .catalogue import catalogue_size
from .context import Demo

DEMO_CODE = "DEMO"
DEMO_NAME = "示例商贸有限公司"
DEFAULT_PASSWORD = "demo12345"
DEFAULT_SEED = 20240601


@dataclass
class DemoResult:
    company: Company
    users: list[tuple[str, str, str]]  # username, role, display name
    password: str
    items: int
    partners: int
    documents: Counter = field(default_factory=Counter)  # (kind, status) -> count
    settlements: Counter = field(default_factory=Counter)  # receipt / payment -> count
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    till: str = ""  # the registered till's code
    till_code: str = ""  # the one-time code that registers a browser as the second till
    counts: list = field(default_factory=list)  # (number, status label)


def business_day(demo: Demo, n: int) -> None:
    """One day: goods arrive and orders go out in the morning, sales during the day, money and the odd
    adjustment now and then."""
    weekday = demo.day.weekday()
    # morning: what was ordered arrives, yesterday's transfers are received, orders due go out
    purchasing.receive_orders(demo)
    if n % 3 == 0:
        purchasing.fresh_dairy(demo)
    stock.receive_transfers(demo)
    sales.deliver_orders(demo)
    # day: sales, and purchase orders for what runs low
    busy = 1 if weekday < 5 else 0
    for _ in range(demo.rng.randint(1, 2) + busy):
        sales.wholesale(demo, demo.main, demo.customers["EC"] + demo.customers["other"] + [demo.both])
    for _ in range(demo.rng.randint(0, 1) + busy):
        sales.wholesale(demo, demo.second, demo.customers["SC"])
    sales.retail(demo)
    if n % 3 == 1:
        purchasing.replenish(demo, demo.main, share=1.0)
    if n % 4 == 2:
        purchasing.replenish(demo, demo.second, share=0.6)
    # now and then: transfers, returns, write-offs, gains, a count, a voided document
    if n % 7 == 3:
        stock.transfer(demo, demo.main, demo.store, share=0.5, memo="门店补货")
    if n % 14 == 8:
        stock.transfer(demo, demo.main, demo.second, share=0.3, memo="分仓调拨")
    if n % 9 == 5:
        sales.sales_return(demo)
    if n % 20 == 11:
        purchasing.purchase_return(demo)
    if n % 7 == 6:
        for wh in (demo.main, demo.second, demo.store):
            stock.write_off_expired(demo, wh)
    if n % 10 == 4:
        stock.write_off_damaged(demo)
    if n % 15 == 7:
        stock.gain(demo)
    if n == max(2, demo.days * 4 // 9):
        sales.voided_delivery(demo)
    if n == max(3, demo.days * 2 // 3):
        stock.finished_count(demo)
    if n == max(4, demo.days // 2):
        finance.prepayment(demo)
    # evening: money
    finance.close_till(demo)
    if weekday == 4 or n == demo.days:
        finance.collect_from_customers(demo)
    if n % 10 == 5:
        finance.pay_suppliers(demo)


def build(demo: Demo) -> DemoResult:
    assert transaction.get_connection().in_atomic_block, "build the demo inside one transaction"
    total = demo.days + 6
    frozen = clock.frozen_at()  # a test's frozen clock is put back afterwards
    try:
        demo.at(demo.first_day - dt.timedelta(days=1))
        demo.progress(0, total, "company and users")
        masterdata.company_and_users(demo)
        setup.preset(demo)  # approval flows, alert rules, settings: as a company set up for real starts
        demo.progress(1, total, "units and categories")
        masterdata.units_and_categories(demo)
        demo.progress(2, total, "items")
        masterdata.items(demo)
        demo.progress(3, total, "partners and warehouses")
        masterdata.partners_and_warehouses(demo)
        masterdata.terms_and_price_lists(demo)
        finance.payment_habits(demo)
        setup.till(demo)
        demo.at(demo.first_day)
        demo.progress(4, total, "opening balances")
        stock.opening(demo)
        for n in range(1, demo.days + 1):
            day = demo.first_day + dt.timedelta(days=n)
            demo.at(day)
            business_day(demo, n)
            demo.progress(4 + n, total, f"{day:%Y-%m-%d}")
        demo.progress(demo.days + 5, total, "today's open work")
        _analyze_history()
        stock.count_in_progress(demo)
        order_states.orders_in_every_state(demo)
        setup.open_work(demo)
        setup.second_till_code(demo)
    finally:
        clock.freeze(frozen)
    setup.first_alert_scan(demo)
    demo.progress(total, total, "done")
    return DemoResult(
        company=demo.company, users=demo.user_list, password=demo.password, items=len(demo.items),
        partners=len(demo.suppliers) + len(demo.all_customers()) + 1, documents=demo.docs,
        settlements=demo.settlements, first_day=demo.first_day, last_day=demo.today, till=demo.till.code,
        till_code=demo.till_code,
        counts=[(c.number, c.name, c.get_status_display())
                for c in Count.objects.filter(pk__in=[c.pk for c in demo.counts]).order_by("pk")],
    )


def _analyze_history() -> None:
    """On PostgreSQL, gather the planner's statistics of the history just written, as autovacuum would after a bulk
    load (its turn comes later, after the transaction). Without them today's open work is planned on the statistics
    of a nearly empty database: each order's progress scanned every document line (the demo took minutes instead of
    seconds on a database that had been used before). ANALYZE inside the transaction counts its own rows."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")


def demo_exists(code: str = DEMO_CODE) -> bool:
    return Company.objects.filter(code=code).exists()


def build_demo(*, items: int = 200, days: int = 90, seed: int = DEFAULT_SEED, password: str = DEFAULT_PASSWORD,
               code: str = DEMO_CODE, name: str = DEMO_NAME, now: dt.datetime | None = None,
               progress: Callable[[int, int, str], None] | None = None) -> DemoResult:
    """Build the demo company in one transaction: all of it, or nothing."""
    if items < 10 or items > catalogue_size():
        raise ValueError(f"the demo has between 10 and {catalogue_size()} items")
    if days < 7:
        raise ValueError("the demo needs at least 7 days of history")
    with transaction.atomic():
        return build(Demo(items=items, days=days, seed=seed, password=password, code=code, name=name, now=now,
                          progress=progress))
