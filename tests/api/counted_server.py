"""The real ASGI app under uvicorn on a SQLite file, counting the database connections it opens and the
statements it runs (used by tests/api/test_sqlite_connections.py and bench/sqlite_new_connection.py --http).

    python tests/api/counted_server.py DATA_DIR PORT [WORKERS]

Migrates DATA_DIR/db.sqlite3 (settings from the environment: DJANGO_SETTINGS_MODULE, JXC_*), writes a small
shop (a warehouse with 20 items in stock, a customer) and an API token to DATA_DIR/world.json, then serves
`openjxc.config.asgi:application`. One path is the launcher's, not the app's: GET /__counts answers, for the
process that serves it, {"pid", "connections": raw SQLite connections opened (each counted once, by Django's
connection_created signal: a pooled connection handed out again is the same one), "statements": statements run
through Django's cursors, "recent": the beginnings of the last 40}. With WORKERS > 1 each worker process counts its own.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections import deque
from pathlib import Path

ITEMS = 20

_lock = threading.Lock()
_raw: dict[int, object] = {}  # id -> the raw connection (held, so that an id is never reused)
_statements = 0
_recent: deque[str] = deque(maxlen=40)  # the last statements' beginnings, for a failing test's message


def _count_statement(execute, sql, params, many, context):
    global _statements
    with _lock:
        _statements += 1
        _recent.append(sql[:100])
    return execute(sql, params, many, context)


def _on_connection(sender, connection, **kwargs):
    with _lock:
        _raw.setdefault(id(connection.connection), connection.connection)
    if _count_statement not in connection.execute_wrappers:  # a wrapper lives as long as its request's context
        connection.execute_wrappers.append(_count_statement)


def counts() -> dict:
    with _lock:
        return {"pid": os.getpid(), "connections": len(_raw), "statements": _statements, "recent": list(_recent)}


def _counting():
    from django.db.backends.signals import connection_created

    connection_created.connect(_on_connection, dispatch_uid="counted_server")


def app_factory():
    """The ASGI app of one server process: ours, with /__counts in front."""
    import django

    django.setup()
    _counting()
    from openjxc.config.asgi import application

    async def app(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/__counts":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": json.dumps(counts()).encode()})
            return
        await application(scope, receive, send)

    return app


def build(data_dir: Path) -> dict:
    """Migrate the database and write the shop the requests use."""
    from decimal import Decimal as D

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from openjxc.catalog import services as catalog
    from openjxc.core import services as core
    from openjxc.core.models import Role
    from openjxc.core.tokens import create_token
    from openjxc.documents import services as docs
    from openjxc.documents.services import LineInput
    from openjxc.partners import services as partners
    from openjxc.stock import services as stock

    call_command("migrate", verbosity=0)
    company = core.create_company(code="CONN", name="连接测试有限公司")
    admin = core.create_user(by=None, company=company, username="conn-admin", password="pw-12345678",
                             roles=[Role.ADMIN])
    pcs = catalog.create_unit(by=admin, code="PCS", name="件")
    wh = stock.create_warehouse(by=admin, code="WH1", name="总仓")
    supplier = partners.create_partner(by=admin, code="S001", name="供应商", kind="supplier")
    customer = partners.create_partner(by=admin, code="C001", name="客户", kind="customer")
    items = [catalog.create_item(by=admin, code=f"I{n:03d}", name=f"商品 {n}", base_unit=pcs,
                                 purchase_price=D("5"), sale_price=D("8")).pk for n in range(ITEMS)]
    docs.create_document(by=admin, kind="purchase_receipt", warehouse=wh, partner=supplier, advance_to="posted",
                         lines=[LineInput(item=i, quantity=D(100000), unit_price=D("5")) for i in items])
    _token, raw = create_token(by=admin, name="connections")
    world = {"token": raw, "warehouse": wh.pk, "customer": customer.pk, "items": items}
    connection.close()
    return world


def main() -> None:
    import uvicorn

    data_dir, port = Path(sys.argv[1]), int(sys.argv[2])
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    world_file = data_dir / "world.json"
    if not world_file.exists():
        world = build(data_dir)
        world_file.write_text(json.dumps(world))
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # `tests` importable in spawned workers
    # the listening socket as IPPROTO_TCP, so that several workers set TCP_NODELAY
    from bench.serve import run

    run(uvicorn.Config("tests.api.counted_server:app_factory", factory=True, host="127.0.0.1", port=port,
                       workers=workers, lifespan="off", access_log=False, log_level="warning"))


if __name__ == "__main__":
    main()
