"""core.sql.write_together: writes to several tables in one statement, exactly the rows asked for.

On SQLite they go through the connection's TEMP view and its INSTEAD OF triggers (decision 0022). Those objects
go away with a rolled-back transaction that created them; the next write must make them again and write
every row once, never drop one silently.
"""

from __future__ import annotations

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
