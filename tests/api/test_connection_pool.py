"""Connection reuse under ASGI (docs/decisions/0014-connection-pool.md): a server answering many requests keeps
using a few PostgreSQL sessions instead of opening one per request (each ASGI request runs in a new thread)."""

from __future__ import annotations

import httpx
import pytest
from django.db import connection

from openjxc.core.tokens import create_token
from tests.api.test_two_servers import Servers, _ledger_protected_after_flush, postgres  # noqa: F401 (fixtures)
from tests.conftest import Shop

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

REQUESTS = 50


def _sessions_opened(dbname: str) -> int:
    """Sessions ever established to the database (PostgreSQL 14+ keeps the count in pg_stat_database)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [dbname])
        return cur.fetchone()[0]


@pytest.mark.usefixtures("postgres")
def test_fifty_api_requests_to_a_real_server_reuse_a_few_database_sessions(tmp_path):
    # given a company with an API token and one uvicorn server on the (committed) test database
    shop = Shop()
    _token, raw = create_token(by=shop.admin, name="pool")
    headers = {"Authorization": f"Bearer {raw}"}
    dbname = connection.settings_dict["NAME"]
    servers = Servers(tmp_path, n=1)
    try:
        servers.wait_ready(raw)
        before = _sessions_opened(dbname)
        # when 50 requests each read the database (token, user, the balances page)
        with httpx.Client(base_url=servers.urls[0], headers=headers, timeout=10) as client:
            for _ in range(REQUESTS):
                r = client.get("/api/stock/balances", params={"warehouse": shop.main.pk})
                assert r.status_code == 200, (r.status_code, r.text[:300])
        opened = _sessions_opened(dbname) - before
    finally:
        servers.stop()
    # then the server opened a handful of sessions, not one per request
    assert opened <= 5, f"{opened} PostgreSQL sessions for {REQUESTS} requests"
