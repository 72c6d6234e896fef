"""The ledger check's replay since the company's checkpoint (issue 15; docs/decisions/0019).

The nightly check replays only the (item, warehouse) pairs with moves above the checkpoint, from the earliest
business date among them; `full` replays the whole history. Damage is done the way a faulty code path would:
a wrongly valued move written with balances and valuation to match, so that only the replay can see it.
"""

from decimal import Decimal as D

import psycopg
import pytest
from django.db import connection
from django.db.models import F, Max

from openjxc.core import clock
from openjxc.core.sql import insert_objects
from openjxc.documents import services as docs
from openjxc.stock import services as stock
from openjxc.stock.checkpoints import final_moves
from openjxc.stock.ledger import ReplayStats, check_ledger
from openjxc.stock.locations import virtual_locations
from openjxc.stock.models import ItemValuation, LedgerCheckpoint, LocationKind, StockBalance, StockMove
from tests.documents.helpers import line
from tests.stock.dated import days_ago, receive_on, sell_on


def check(shop, *, full=False):
    stats: list[ReplayStats] = []
    problems = check_ledger(shop.company.pk, full=full, stats=stats)
    return problems, stats[0]


def last_move_id():
    return StockMove.objects.aggregate(m=Max("id"))["m"]


def checkpoint(shop):
    return LedgerCheckpoint.objects.filter(company=shop.company).values_list("last_move_id", flat=True).first()


def wrong_value(shop, doc, delta, warehouse):
    """A correction of `doc`'s move by `delta` that no replay gives, with the balance and valuation to match."""
    move = StockMove.objects.get(document=doc, corrects__isnull=True)
    insert_objects([StockMove(
        company_id=shop.company.pk, item_id=move.item_id, from_location_id=move.from_location_id,
        to_location_id=move.to_location_id, quantity=D(0), unit_cost=D(0), value=D(delta), document=doc,
        line_id=move.line_id, corrects_id=move.pk, is_adjustment=True, business_on=move.business_on,
        posted_at=clock.now(), posted_by=shop.admin)])
    StockBalance.objects.filter(item_id=move.item_id, location_id=move.from_location_id).update(
        value=F("value") - D(delta))
    ItemValuation.objects.filter(item_id=move.item_id, warehouse=warehouse).update(value=F("value") - D(delta))
    return move


def test_the_first_check_replays_everything_and_the_next_only_what_was_posted_since(shop):
    receive_on(shop, days_ago(shop, 5), shop.flour, 10, 100)
    receive_on(shop, days_ago(shop, 5), shop.water, 10, 20, warehouse=shop.second)
    sell_on(shop, days_ago(shop, 3), shop.flour, 4)
    # the first check of the company has no checkpoint: the whole history, and the checkpoint is written
    problems, run = check(shop)
    assert problems == [] and run.full and run.pairs == 2 and run.moves == StockMove.objects.count()
    assert checkpoint(shop) == last_move_id() and run.advanced
    # nothing posted since: nothing replayed
    problems, run = check(shop)
    assert problems == [] and not run.full and (run.pairs, run.moves) == (0, 0)
    # one sale of flour today: the flour of the main warehouse alone, from today (the history before is not read)
    shop.sell(shop.flour, 1)
    problems, run = check(shop)
    assert problems == [] and (run.pairs, run.moves) == (1, 1)
    assert checkpoint(shop) == last_move_id()
    # the full replay still reads everything, and moves the checkpoint too
    problems, run = check(shop, full=True)
    assert problems == [] and run.full and run.moves == StockMove.objects.count()
    assert LedgerCheckpoint.objects.get(company=shop.company).full_at is not None


def test_a_wrong_value_on_a_new_move_is_found_and_holds_the_checkpoint(shop):
    receive_on(shop, days_ago(shop, 5), shop.flour, 10, 100)
    sell_on(shop, days_ago(shop, 3), shop.flour, 2)
    assert check(shop)[0] == []
    verified = checkpoint(shop)
    sale = shop.sell(shop.flour, 5)
    issue = wrong_value(shop, sale, "7.00", shop.main)
    problems, run = check(shop)
    assert [p.code for p in problems] == ["ledger.replay_mismatch"]
    assert f"move {issue.pk} " in problems[0].detail and "507.00" in problems[0].detail
    assert "gives 500.00" in problems[0].detail
    # not verified: the checkpoint stays, so the next night reports it again
    assert checkpoint(shop) == verified and not run.advanced
    assert [p.code for p in check(shop)[0]] == ["ledger.replay_mismatch"]


def test_a_wrong_value_on_an_old_move_is_found_only_by_the_full_replay(shop):
    receive_on(shop, days_ago(shop, 5), shop.flour, 10, 100)
    sale = sell_on(shop, days_ago(shop, 3), shop.flour, 5)
    issue = wrong_value(shop, sale, "10.00", shop.main)
    # a checkpoint beyond the damage (written by a check that ran before it was done, or restored with a backup):
    # what lies below the checkpoint is what the nightly check takes as verified
    LedgerCheckpoint.objects.create(company=shop.company, last_move_id=last_move_id(), checked_at=clock.now())
    shop.receive(shop.water, 3, 20)  # posted since, of another item
    problems, run = check(shop)
    assert problems == [] and run.pairs == 1  # the sums agree; only water was replayed
    problems, run = check(shop, full=True)
    assert [p.code for p in problems] == ["ledger.replay_mismatch"]
    assert f"move {issue.pk} " in problems[0].detail and "510.00" in problems[0].detail


def test_a_back_dated_move_brings_the_later_history_of_its_item_and_warehouse_into_the_check(shop):
    day1, day2, day3 = days_ago(shop, 5), days_ago(shop, 4), days_ago(shop, 3)
    receive_on(shop, day1, shop.flour, 10, 100)
    sale = sell_on(shop, day3, shop.flour, 5)  # 500 at the day-1 average
    assert check(shop)[0] == []
    # a receipt of 10 at 130 dated day 2, written without re-costing (as a faulty import would), books to match
    supplier = virtual_locations(shop.company)[LocationKind.SUPPLIER]
    into = StockMove.objects.get(document=sale, corrects__isnull=True).from_location_id
    insert_objects([StockMove(
        company_id=shop.company.pk, item_id=shop.flour.pk, from_location_id=supplier.pk, to_location_id=into,
        quantity=D(10), unit_cost=D(130), value=D("1300.00"), business_on=day2, posted_at=clock.now(),
        posted_by=shop.admin)])
    StockBalance.objects.filter(item=shop.flour, location_id=into).update(quantity=F("quantity") + 10,
                                                                          value=F("value") + D("1300.00"))
    ItemValuation.objects.filter(item=shop.flour, warehouse=shop.main).update(quantity=F("quantity") + 10,
                                                                              value=F("value") + D("1300.00"))
    # then the check since the checkpoint replays from day 2, and the day-3 sale (below the checkpoint) is wrong:
    # at the day-2 average it is 575.00
    problems, run = check(shop)
    issue = StockMove.objects.get(document=sale, corrects__isnull=True)
    assert [p.code for p in problems] == ["ledger.replay_mismatch"]
    assert f"move {issue.pk} of {day3}" in problems[0].detail and "gives 575.00" in problems[0].detail
    assert run.pairs == 1 and run.moves == 2


def test_an_issue_without_stock_since_the_checkpoint_is_replayed_at_the_last_cost_before_it(shop):
    # the state before the new moves has no stock: the replay needs the last receipt's cost from the history
    stock.update_warehouse(shop.store, by=shop.admin, allow_negative=True)
    receive_on(shop, days_ago(shop, 5), shop.flour, 10, "5.00", warehouse=shop.store)
    sell_on(shop, days_ago(shop, 4), shop.flour, 10, warehouse=shop.store)
    receive_on(shop, days_ago(shop, 3), shop.water, 10, "2.00", warehouse=shop.store)
    assert check(shop)[0] == []
    sale = shop.sell(shop.flour, 4, warehouse=shop.store)  # -4 at the last cost: 20.00
    assert sale.lines.get().cost_amount == D("20.00")
    assert check(shop)[0] == []
    later = shop.sell(shop.flour, 2, warehouse=shop.store)
    wrong_value(shop, later, "3.00", shop.store)
    problems = check(shop)[0]
    assert [p.code for p in problems] == ["ledger.replay_mismatch"] and "gives 10.00" in problems[0].detail


def test_transfers_returns_and_voids_checked_night_after_night_agree_with_the_full_replay(shop):
    receive_on(shop, days_ago(shop, 6), shop.flour, 10, 100)
    assert check(shop)[0] == []
    out = shop.post("transfer_out", [line(shop.flour, 4)], to_warehouse=shop.second, business_on=days_ago(shop, 5))
    docs.advance_document(docs.create_from(out, by=shop.admin, kind="transfer_in", business_on=days_ago(shop, 4)),
                          by=shop.admin, to="posted")
    assert check(shop)[0] == []
    sale = sell_on(shop, days_ago(shop, 3), shop.flour, 3, warehouse=shop.second)
    ret = docs.advance_document(docs.create_from(sale, by=shop.admin, kind="sales_return"), by=shop.admin,
                                to="posted")
    assert check(shop)[0] == []
    receive_on(shop, days_ago(shop, 5), shop.flour, 10, 130)  # back-dated: re-costs the transfer and what followed
    assert check(shop)[0] == []
    docs.void_document(ret, by=shop.admin, reason="退错了")
    assert check(shop)[0] == []
    docs.void_document(sale, by=shop.admin, reason="重复")
    problems, run = check(shop)
    assert problems == [] and not run.full
    assert check(shop, full=True)[0] == []
    assert checkpoint(shop) == last_move_id()


@pytest.mark.postgres_only
def test_a_checkpoint_waits_for_a_transaction_that_may_still_add_moves_below_the_highest_id(shop):
    # PostgreSQL draws a move's id before the commit: while another transaction holds the moves' insert lock, a
    # move below the highest visible id may still appear, so the checkpoint may not move past it
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a second connection holding the moves' insert lock")
    shop.receive(shop.flour, 1, 5)
    high = last_move_id()
    db = connection.settings_dict
    with psycopg.connect(host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432, dbname=db["NAME"],
                         user=db.get("USER") or "postgres", password=db.get("PASSWORD") or None) as other:
        other.execute("LOCK TABLE stock_stockmove IN ROW EXCLUSIVE MODE")  # what an INSERT of moves holds
        assert final_moves(shop.company.pk) == (high, False)
        other.rollback()
        assert final_moves(shop.company.pk) == (high, True)
        other.execute("SELECT pg_current_xact_id()")  # writing elsewhere (the facts build): does not hold it back
        assert final_moves(shop.company.pk) == (high, True)
        other.rollback()
