"""core.sql.write_together: writes to several tables in one statement, exactly the rows asked for.

On SQLite they go through the connection's TEMP view and its INSTEAD OF triggers (decision 0022). Those objects
go away with a rolled-back transaction that created them; the next write must make them again and write
every row once, never drop one silently.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from openjxc.core import sql
from openjxc.core.events import make_audit, make_event
from openjxc.core.models import AuditRecord, Event

pytestmark = pytest.mark.django_db


def _writes(shop, topic: str, *, update_by=None):
    event = make_event(company=shop.company, topic=topic, by=shop.admin, obj=shop.main, payload={"n": 1})
    audit = make_audit(company=shop.company, action=topic, obj=shop.main, by=shop.admin, after={"n": 1})
    writes = [("insert", *sql.object_rows([event]), (), ()), ("insert", *sql.object_rows([audit, audit]), (), ())]
    if update_by is not None:  # a third shape: an UPDATE of one row
        shop.main.name = update_by
        writes.append(("update", shop.main, ["name"]))
    return writes


def _written(topic: str) -> tuple[int, int]:
    return Event.objects.filter(topic=topic).count(), AuditRecord.objects.filter(action=topic).count()


def test_several_tables_in_one_statement(shop):
    sql.write_together(*_writes(shop, "t.warm", update_by="总仓"))
    with CaptureQueriesContext(connection) as ctx:
        sql.write_together(*_writes(shop, "t.one", update_by="总仓一"))
    assert len(ctx.captured_queries) == 1
    assert _written("t.one") == (1, 2)
    shop.main.refresh_from_db()
    assert shop.main.name == "总仓一"
    event = Event.objects.get(topic="t.one")
    assert event.payload == {"n": 1} and event.actor_id == shop.admin.pk and event.object_id == str(shop.main.pk)


def test_a_rollback_takes_the_view_away_and_nothing_is_lost(shop):
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():  # the first use on this connection, then rolled back
        sql.drop_together()
        sql.write_together(*_writes(shop, "t.gone"))
        raise Undo
    assert _written("t.gone") == (0, 0)
    sql.write_together(*_writes(shop, "t.after"))  # the view and triggers went with the rollback: made again
    assert _written("t.after") == (1, 2)


def test_a_trigger_gone_undoes_the_statement_and_it_is_written_once(shop):
    class Undo(Exception):
        pass

    sql.drop_together()
    sql.write_together(*_writes(shop, "t.first"))  # the view and two shapes' triggers, kept
    with pytest.raises(Undo), transaction.atomic():  # a third shape's trigger, rolled back with its savepoint
        sql.write_together(*_writes(shop, "t.rolled", update_by="x"))
        raise Undo
    with CaptureQueriesContext(connection) as ctx:
        sql.write_together(*_writes(shop, "t.again", update_by="总仓二"))
    if connection.vendor == "sqlite":  # the guard refused the first attempt, the trigger was made again
        assert [q["sql"].split(" (")[0] for q in ctx.captured_queries].count("INSERT INTO jxc_together") == 2
    assert _written("t.again") == (1, 2)  # not twice: the guard undid the first attempt whole
    shop.main.refresh_from_db()
    assert shop.main.name == "总仓二"


def test_a_new_shape_after_the_view_went_with_a_rollback(shop):
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        sql.drop_together()
        sql.write_together(*_writes(shop, "t.gone"))  # the view and two triggers, then rolled back
        raise Undo
    sql.write_together(*_writes(shop, "t.new", update_by="总仓三"))  # a third shape: its trigger needs the view
    assert _written("t.new") == (1, 2)
    shop.main.refresh_from_db()
    assert shop.main.name == "总仓三"


def test_the_view_state_is_each_connections_own_not_shared_between_threads(shop):
    """Each thread has its own connection (ASGI, threaded servers): another thread's first write must not make this
    one believe its view is gone (the state sat on the shared `connection` proxy: every switch of thread made the
    view and all its triggers again, a dozen statements)."""
    if connection.vendor != "sqlite":
        pytest.skip("the view is SQLite's")
    import threading

    from django.db import connections

    sql.write_together(*_writes(shop, "t.warm"))

    def other():  # what another thread's first write_together does before it writes (no write here: the lock)
        try:
            connection.ensure_connection()
            sql._together_state()
        finally:
            connections.close_all()

    t = threading.Thread(target=other)
    t.start()
    t.join()
    with CaptureQueriesContext(connection) as ctx:
        sql.write_together(*_writes(shop, "t.mine"))
    assert len(ctx.captured_queries) == 1
    assert _written("t.mine") == (1, 2)


def _balance_rows(shop, quantity, value) -> list:
    from openjxc.stock.locations import default_location

    return [(shop.company.pk, shop.flour.pk, default_location(shop.main).pk, None, 0, quantity, value)]


def test_values_reach_their_tables_exactly_as_written_one_by_one(shop):
    """The view's columns have no affinity: Decimals at the fields' scale (SQLite keeps 15 significant digits,
    the plain INSERT too), large and negative values, NULLs, text
    with quotes, JSON, dates and aware datetimes are stored as the plain INSERT stores them (SQLite: typeof too)."""
    from openjxc.stock.locations import default_location
    from openjxc.stock.models import StockBalance

    fields = ("company", "item", "location", "lot", "lot_key", "quantity", "value")
    loc = default_location(shop.main).pk
    rows = [
        (shop.company.pk, shop.flour.pk, loc, None, 1, Decimal("12345678901.2345"), Decimal("-9999999999999.99")),
        (shop.company.pk, shop.flour.pk, loc, None, 2, Decimal("0.0001"), Decimal("0.01")),
        (shop.company.pk, shop.flour.pk, loc, None, 3, Decimal("-0.0001"), Decimal("0")),
    ]
    event = make_event(company=shop.company, topic="t.'quoted' \"x\"; --", by=None, obj=shop.main,
                       payload={"s": "it's \"q\" \\ 汉字", "n": None, "d": "2026-12-07T23:59:59+08:00"})
    sql.write_together(("insert", StockBalance, fields, rows, (), ()), ("insert", *sql.object_rows([event]), (), ()))
    direct = [(*r[:4], r[4] + 10, *r[5:]) for r in rows]
    sql.insert_rows(StockBalance, fields, direct)
    sql.insert_rows(*sql.object_rows([event]))

    def stored(where: str) -> list:
        types = "typeof(quantity), typeof(value), " if connection.vendor == "sqlite" else ""
        with connection.cursor() as cur:
            cur.execute(f"SELECT {types}quantity, value, lot_id FROM stock_stockbalance WHERE {where} ORDER BY lot_key")
            return cur.fetchall()

    assert stored("lot_key BETWEEN 1 AND 3") == stored("lot_key BETWEEN 11 AND 13")
    got = {b.lot_key: (b.quantity, b.value) for b in StockBalance.objects.filter(lot_key__in=[1, 2, 3])}
    assert got == {1: (Decimal("12345678901.2345"), Decimal("-9999999999999.99")),
                   2: (Decimal("0.0001"), Decimal("0.01")), 3: (Decimal("-0.0001"), Decimal("0"))}
    a, b = Event.objects.filter(topic=event.topic).order_by("pk")
    assert (a.payload, a.created_at, a.actor_id, a.object_id) == (b.payload, b.created_at, b.actor_id, b.object_id)
    assert a.payload == event.payload and a.created_at == event.created_at


def test_a_refused_row_undoes_every_row_of_the_statement(shop):
    """A row its table refuses (a unique constraint, inside its trigger) fails the whole statement: the rows before
    it in the statement are not written either, and the error is the constraint's."""
    from django.db import IntegrityError

    from openjxc.stock.models import StockBalance

    fields = ("company", "item", "location", "lot", "lot_key", "quantity", "value")
    row = _balance_rows(shop, Decimal("1"), Decimal("2"))
    sql.insert_rows(StockBalance, fields, row)
    with pytest.raises(IntegrityError), transaction.atomic():
        sql.write_together(*_writes(shop, "t.refused", update_by="不该写入"), ("insert", StockBalance, fields, row, (), ()))
    assert _written("t.refused") == (0, 0)
    shop.main.refresh_from_db()
    assert shop.main.name == "总仓"
    assert StockBalance.objects.filter(item=shop.flour, lot_key=0).count() == 1


def test_foreign_keys_are_checked_for_rows_written_through_the_view(shop):
    from django.db import IntegrityError

    event = make_event(company=shop.company, topic="t.fk", by=None, obj=shop.main)
    event.actor_id = 987654321  # no such user
    with pytest.raises(IntegrityError), transaction.atomic():
        sql.write_together(*_writes(shop, "t.fk.ok"), ("insert", *sql.object_rows([event]), (), ()))
        connection.check_constraints()
    assert _written("t.fk.ok") == (0, 0)


def test_rows_given_as_a_generator_are_all_written(shop):
    """`insert_rows` takes any iterable of rows; write_together read a write's rows twice (and again when it fell
    back to one statement per write), so rows given as a generator were silently left out on both engines."""
    shop.second.name = "二号仓新"
    rows = ((w.name, w.pk) for w in [shop.second])
    event = make_event(company=shop.company, topic="t.gen", by=shop.admin, obj=shop.main)
    sql.write_together(("update_rows", type(shop.second), ("name",), rows),
                       ("insert", *sql.object_rows([event])[:2], (r for r in sql.object_rows([event])[2]), (), ()))
    shop.second.refresh_from_db()
    assert shop.second.name == "二号仓新"
    assert _written("t.gen") == (1, 0)
