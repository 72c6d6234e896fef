"""core.sql's shortcuts give what the ORM gives: `new_object` the instance `model(**values)` makes, the column
adapters what each field's get_db_prep_save returns, and SQLite's cursor the query text Django's conversion makes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openjxc.core import instances, sql
from openjxc.core.models import AuditRecord, Event
from openjxc.documents.models import DocumentTransition
from openjxc.stock.models import StockMove

pytestmark = pytest.mark.django_db


def _columns(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_new_object_is_the_instance_keywords_make(shop):
    now = timezone.now()
    values = {"company_id": shop.company.pk, "item": shop.flour, "lot": None, "from_location": shop.main.locations.first(),
              "to_location": None, "quantity": Decimal("-2.5000"), "unit_cost": Decimal("3.000000"),
              "value": Decimal("-7.50"), "business_on": dt.date(2026, 12, 7), "posted_at": now,
              "posted_by": shop.admin}
    fast, slow = instances.new_object(StockMove, values), StockMove(**values)
    assert _columns(fast) == _columns(slow)
    assert fast._state.adding and fast.pk is None
    # a foreign key given by object is cached: reading it asks nothing
    with CaptureQueriesContext(connection) as ctx:
        assert fast.item is shop.flour and fast.posted_by is shop.admin and fast.lot is None
    assert ctx.captured_queries == []
    # columns not given take their defaults, as with keywords (a db_default column too)
    event = instances.new_object(Event, {"company_id": shop.company.pk, "topic": "t"})
    assert _columns(event).keys() == _columns(Event(company_id=shop.company.pk, topic="t")).keys()
    assert event.payload == {} and event.object_id == "" and event.actor_id is None
    assert type(event.txid).__name__ == type(Event(company_id=1, topic="t").txid).__name__


def test_new_object_refuses_what_keywords_refuse(shop):
    with pytest.raises(TypeError, match="no column"):
        instances.new_object(Event, {"company_id": shop.company.pk, "nonsense": 1})
    with pytest.raises(ValueError, match="must be a"):
        instances.new_object(StockMove, {"item": shop.main})


def test_the_adapters_give_what_get_db_prep_save_gives(shop):
    conn = connections["default"]
    aware = timezone.now()
    rows = {
        Event: [{"company_id": shop.company.pk, "topic": "t", "actor_id": None, "object_type": "x",
                 "object_id": "1", "payload": {"n": [1, "二"], "d": "3.50"}, "created_at": aware},
                {"company_id": shop.company.pk, "topic": "t", "actor_id": shop.admin.pk, "object_type": "x",
                 "object_id": "1", "payload": [1, 2], "created_at": aware.astimezone(dt.timezone(dt.timedelta(hours=8)))}],
        AuditRecord: [{"company_id": shop.company.pk, "actor_id": None, "action": "a", "object_type": "x",
                       "object_id": "1", "before": None, "after": "just a string", "at": aware}],
        DocumentTransition: [{"company_id": shop.company.pk, "kind": "k", "action": "post", "from_status": "a",
                              "to_status": "b", "at": aware, "age": dt.timedelta(seconds=3, microseconds=7),
                              "waited": dt.timedelta(0), "step": None}],
        StockMove: [{"company_id": shop.company.pk, "quantity": Decimal("1.5"), "unit_cost": 3,
                     "value": Decimal("NaN"), "business_on": dt.date(2026, 12, 7), "posted_at": aware},
                    {"company_id": shop.company.pk, "quantity": Decimal("-0.0001"), "unit_cost": Decimal("2.25"),
                     "value": 1.5, "business_on": dt.date(2026, 1, 1), "posted_at": aware}],
    }
    for model, given in rows.items():
        for values in given:
            fields = tuple(values)
            meta = model._meta
            if any(isinstance(v, Decimal) and not v.is_finite() for v in values.values()):
                with pytest.raises(Exception):  # noqa: B017 (the field refuses it: so must the adapter)
                    [meta.get_field(f).get_db_prep_save(v, conn) for f, v in values.items()]
                with pytest.raises(Exception):  # noqa: B017
                    sql.prepare(model, fields, list(values.values()))
                continue
            expected = [meta.get_field(f).get_db_prep_save(v, conn) for f, v in values.items()]
            got = sql.prepare(model, fields, list(values.values()))
            assert [(type(v), str(v)) for v in got] == [(type(v), str(v)) for v in expected], model.__name__


def test_sqlite_cursor_converts_each_text_as_django_does(shop):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's cursor")
    with connection.cursor() as cur:
        for _ in range(2):  # converted, then remembered
            cur.execute("SELECT %s || '%%s' || %s", ["a", "b"])
            assert cur.fetchone() == ("a%sb",)
        cur.execute("SELECT %(x)s || %(y)s", {"x": "p", "y": "q"})  # "pyformat": named, never remembered
        assert cur.fetchone() == ("pq",)
