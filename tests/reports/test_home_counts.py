"""The home page's moves per day: one grouped pass over the (company, business_on) index counts what entered and
left the stocked locations the user may see (issue 15 changed the query's shape: two joined queries → one)."""

import datetime as dt

import pytest

from openjxc.core.models import Role
from openjxc.reports.dashboard import dashboard_figures
from tests.conftest import Shop
from tests.documents.helpers import line


def _series(figures, days_back: int) -> tuple[int, int]:
    chart = figures["chart_moves"]
    ins, outs = (s["data"] for s in chart["series"])
    return ins[-1 - days_back], outs[-1 - days_back]


def test_moves_per_day_count_what_enters_and_leaves_the_visible_stock(shop):
    today = dashboard_figures(shop.admin)["today"]
    shop.receive(shop.flour, 10, "5.00")  # supplier → main: in
    shop.sell(shop.flour, 3)  # main → customer: out
    shop.post("transfer_out", [line(shop.flour, 2)], to_warehouse=shop.store)  # main → in transit: out and in
    shop.post("purchase_receipt", [line(shop.water, 5, "1.00")], partner=shop.supplier,
              business_on=today - dt.timedelta(days=2))  # back-dated: counted on its business day
    shop.receive(shop.water, 4, "1.00", warehouse=shop.second)  # supplier → second warehouse: in
    keeper = shop.user("keeper2", Role.KEEPER, warehouses=[shop.second])

    everything = dashboard_figures(shop.admin)
    # in: the receipts into main and second, the transfer into transit; out: the sale, the transfer out of main
    assert _series(everything, 0) == (3, 2)
    assert _series(everything, 1) == (0, 0)
    assert _series(everything, 2) == (1, 0)
    assert len(everything["chart_moves"]["days"]) == 30
    scoped = dashboard_figures(keeper)
    assert _series(scoped, 0) == (1, 0)  # only what entered the second warehouse
    assert _series(scoped, 2) == (0, 0)


def test_a_keeper_of_a_quiet_store_sees_no_moves(shop):
    shop.receive(shop.flour, 10, "5.00")
    keeper = shop.user("keeper-st", Role.KEEPER, warehouses=[shop.store])
    assert _series(dashboard_figures(keeper), 0) == (0, 0)
    assert _series(dashboard_figures(shop.admin), 0) == (1, 0)


def _chart(figures) -> list[tuple[int, int]]:
    ins, outs = (s["data"] for s in figures["chart_moves"]["series"])
    return list(zip(ins, outs, strict=True))


def _counted_from_the_moves(user) -> list[tuple[int, int]]:
    """The chart as counting the moves gives it: what the roll-up must equal."""
    from openjxc.reports.facts.movecounts import _count_moves
    from openjxc.stock.access import scoped_warehouse_ids

    today = dashboard_figures(user)["today"]
    first = today - dt.timedelta(days=29)
    ins: dict = {}
    outs: dict = {}
    _count_moves(user.company_id, scoped_warehouse_ids(user), first, today, None, ins, outs)
    return [(ins.get(d, 0), outs.get(d, 0)) for d in (first + dt.timedelta(days=i) for i in range(30))]


@pytest.fixture
def committed(wipeable_ledger):
    # the consumer reads only committed events (the feed's stable head): these tests commit for real
    return Shop()


def test_the_chart_from_the_daily_counts_equals_counting_the_moves(committed):
    shop = committed
    from openjxc.reports.facts.check import check_facts
    from openjxc.reports.facts.consumer import consume
    from openjxc.reports.models import MoveCountDay

    today = dashboard_figures(shop.admin)["today"]
    shop.receive(shop.flour, 10, "5.00")
    shop.sell(shop.flour, 3)
    keeper = shop.user("keeper2", Role.KEEPER, warehouses=[shop.second])
    consume(shop.company)  # builds the facts (and the counts), then follows the feed
    assert MoveCountDay.objects.filter(company_id=shop.company.pk).exists()

    # after the cursor: a back-dated receipt and one into the second warehouse, not consumed yet — the page
    # counts the moves of their days instead of showing the stale counts
    shop.post("purchase_receipt", [line(shop.water, 5, "1.00")], partner=shop.supplier,
              business_on=today - dt.timedelta(days=2))
    shop.receive(shop.water, 4, "1.00", warehouse=shop.second)
    shop.post("transfer_out", [line(shop.flour, 2)], to_warehouse=shop.store)
    for user in (shop.admin, keeper):
        assert _chart(dashboard_figures(user)) == _counted_from_the_moves(user)
    assert _series(dashboard_figures(shop.admin), 2) == (1, 0)
    assert _series(dashboard_figures(shop.admin), 0) == (3, 2)
    assert _series(dashboard_figures(keeper), 0) == (1, 0)

    consume(shop.company)  # caught up: the counts alone answer, and they are right
    for user in (shop.admin, keeper):
        assert _chart(dashboard_figures(user)) == _counted_from_the_moves(user)
    assert not [p for p in check_facts(shop.company).problems if p.code == "facts.move_counts"]

    # the page reads the counts once caught up (it does not count the moves behind them): a count lost shows,
    # and check-facts names it
    MoveCountDay.objects.filter(company_id=shop.company.pk, day=today - dt.timedelta(days=2)).delete()
    assert _series(dashboard_figures(shop.admin), 2) == (0, 0)
    assert [p for p in check_facts(shop.company).problems if p.code == "facts.move_counts"]
    # no count at all in the 30 days (never written): the moves are counted, not zeros shown
    MoveCountDay.objects.filter(company_id=shop.company.pk).delete()
    assert _chart(dashboard_figures(shop.admin)) == _counted_from_the_moves(shop.admin)
    assert _series(dashboard_figures(shop.admin), 2) == (1, 0)


def test_the_home_page_takes_its_statements(committed, client):
    shop = committed
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from openjxc.reports.facts.consumer import consume

    shop.receive(shop.flour, 10, "5.00")
    shop.sell(shop.flour, 3)
    client.force_login(shop.admin)

    def statements() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("web:home")).status_code == 200
        return len(ctx.captured_queries)

    statements()
    # facts never built: the chart is the facts cursor (none), the stocked locations, one grouped pass over the
    # moves of the 30 days
    unbuilt = statements()
    consume(shop.company)
    # caught up: the cursor, the stock events after it (none), the counts (their locations in a subquery)
    caught_up = statements()
    shop.receive(shop.flour, 1, "5.00")
    # lagging: + the days of the pending moves, the stocked locations, one grouped pass over those days
    lagging = statements()
    assert (unbuilt, caught_up, lagging) == (HOME, HOME, HOME + 3)


# issue 15: 23 before (four passes over the balances, two statements for the chart), then the counts and the
# balances read twice
HOME = 22
