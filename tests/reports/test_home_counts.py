"""The home page's moves per day: one grouped pass over the (company, business_on) index counts what entered and
left the stocked locations the user may see (issue 15 changed the query's shape: two joined queries → one)."""

import datetime as dt

from openjxc.core.models import Role
from openjxc.reports.dashboard import dashboard_figures
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
