"""API tokens record when they were last used, writing at most once a minute per token."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from openjxc.core import clock
from openjxc.core.models import ApiToken
from openjxc.core.tokens import _touch, create_token, revoke_token

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    def at(moment):
        clock.freeze(moment)

    yield at
    clock.freeze(None)


def _updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE") and "apitoken" in q["sql"]]


def test_last_used_at_is_written_at_most_once_a_minute(shop, frozen):
    token, raw = create_token(by=shop.admin, name="till")
    assert token.last_used_at is None
    till = Client(headers={"Authorization": f"Bearer {raw}"})

    # the first use records the time
    frozen(T0)
    assert till.get("/api/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == T0

    # uses within the minute write nothing: not even an UPDATE is sent
    frozen(T0 + dt.timedelta(seconds=59))
    with CaptureQueriesContext(connection) as ctx:
        assert till.get("/api/me").status_code == 200
    assert _updates(ctx.captured_queries) == []
    token.refresh_from_db()
    assert token.last_used_at == T0

    # a use more than a minute later moves it on, once
    later = T0 + dt.timedelta(seconds=61)
    frozen(later)
    with CaptureQueriesContext(connection) as ctx:
        assert till.get("/api/me").status_code == 200
    assert len(_updates(ctx.captured_queries)) == 1
    token.refresh_from_db()
    assert token.last_used_at == later


def test_the_update_is_conditional_so_a_concurrent_writer_wins_once(shop, frozen):
    # another app server already recorded a later use than the row this request read
    token, raw = create_token(by=shop.admin, name="till")
    frozen(T0)
    newer = T0 + dt.timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=newer)
    stale = ApiToken.objects.get(pk=token.pk)
    stale.last_used_at = None  # what a request that read the row before that write would hold

    _touch(stale)
    token.refresh_from_db()
    assert token.last_used_at == newer  # the WHERE refused to move it back


def test_refused_tokens_record_nothing(shop, frozen):
    token, raw = create_token(by=shop.admin, name="till")
    revoke_token(by=shop.admin, token_id=token.pk)
    frozen(T0)
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/me").status_code == 401
    token.refresh_from_db()
    assert token.last_used_at is None


def test_last_used_at_is_listed(shop, frozen):
    _token, raw = create_token(by=shop.admin, name="till")
    frozen(T0)
    till = Client(headers={"Authorization": f"Bearer {raw}"})
    listed = {t["name"]: t for t in till.get("/api/tokens").json()}
    assert dt.datetime.fromisoformat(listed["till"]["last_used_at"].replace("Z", "+00:00")) == T0
