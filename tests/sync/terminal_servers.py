"""Real servers for the terminal fault tests and the bench: a database of their own, uvicorn processes, a proxy.

The servers run as separate processes (uvicorn, `openjxc.config.asgi`) on loopback against a database
made for the test: a copy of a migrated SQLite file, or a PostgreSQL database created from a migrated
template. Data is seeded and checked by running this module in a subprocess against that database
(`python -m tests.sync.terminal_servers seed|verify`), so the test process never shares a connection
with the servers. `FaultProxy` is a TCP proxy that can refuse connections or drop a response before
it reaches the client (the "server committed, the terminal never heard" case).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- databases


class Database:
    """A database for one test: `url` for the servers; made from a migrated template, dropped by `drop`."""

    def __init__(self, engine: str, tmp_path: Path, template: str, name: str = "faults"):
        self.engine = engine
        self.tmp_path = tmp_path
        if engine == "sqlite":
            path = tmp_path / f"{name}.sqlite3"
            shutil.copy(template, path)
            self.url = f"sqlite:///{path}"
        else:
            base = urlparse(template)
            self.name = f"{base.path.lstrip('/').removesuffix('_tpl')}_{name}_{os.getpid()}"
            _pg_admin(template, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            _pg_admin(template, f'CREATE DATABASE "{self.name}" TEMPLATE "{base.path.lstrip("/")}"')
            self.url = base._replace(path=f"/{self.name}").geturl()

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("JXC_TESTING", "DJANGO_SETTINGS_MODULE")}
        env.update(DATABASE_URL=self.url, JXC_DATA_DIR=str(self.tmp_path), JXC_DEBUG="0",
                   DJANGO_SETTINGS_MODULE="openjxc.config.settings.dev", PYTHONPATH=str(ROOT))
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def run(self, *args, stdin: str | None = None) -> dict:
        """Run `python -m tests.sync.terminal_servers ARGS` against this database; its JSON answer."""
        proc = subprocess.run([sys.executable, "-m", "tests.sync.terminal_servers", *args], cwd=ROOT,
                              env=self.env(), input=stdin, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise AssertionError(f"{args[0]} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def drop(self) -> None:
        if self.engine == "postgresql":
            _pg_admin(self.url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    u = urlparse(url)
    with psycopg.connect(host=u.hostname or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
                         password=u.password, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql)


def engine() -> str:
    """The engine of the test run: sqlite or postgresql."""
    from django.conf import settings

    return "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"


def pg_url() -> str | None:
    """The run's PostgreSQL server and database name (without pytest-django's test_ prefix); None on SQLite."""
    from django.conf import settings

    if engine() != "postgresql":
        return None
    db = settings.DATABASES["default"]
    auth = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        auth += ":" + db["PASSWORD"]
    name = (db.get("NAME") or "jxc").removeprefix("test_")
    return f"postgresql://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def drop_template(template: str) -> None:
    if template.startswith("postgresql://"):
        _pg_admin(template, f'DROP DATABASE IF EXISTS "{urlparse(template).path.lstrip("/")}" WITH (FORCE)')


def make_template(engine: str, tmp_dir: Path, pg_url: str | None = None) -> str:
    """A migrated, empty database to copy: a SQLite file path, or a PostgreSQL URL (`…_tpl`)."""
    if engine == "sqlite":
        path = tmp_dir / "template.sqlite3"
        url = f"sqlite:///{path}"
    else:
        u = urlparse(pg_url)
        name = f"{u.path.lstrip('/')}_terminals_tpl"
        _pg_admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(pg_url, f'CREATE DATABASE "{name}"')
        url = u._replace(path=f"/{name}").geturl()
    env = {k: v for k, v in os.environ.items() if k not in ("JXC_TESTING",)}
    env.update(DATABASE_URL=url, JXC_DATA_DIR=str(tmp_dir), DJANGO_SETTINGS_MODULE="openjxc.config.settings.dev")
    proc = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise AssertionError(f"migrate failed:\n{proc.stdout}\n{proc.stderr}")
    return str(path) if engine == "sqlite" else url


# ---------------------------------------------------------------- servers


class Server:
    """One uvicorn process serving `db` on a free loopback port; `stop(kill=True)` is a crash."""

    def __init__(self, db: Database, *, port: int | None = None, **env):
        self.db = db
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = db.tmp_path / f"server-{self.port}-{time.monotonic_ns()}.log"
        self.env = env
        self.proc = None
        self.start()

    def start(self) -> None:
        self.log = open(self.log_path, "w+b")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "openjxc.config.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--no-access-log"],
            cwd=ROOT, env=self.db.env(**self.env), stdout=self.log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> Server:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"server exited at start:\n{self.output()}"
            try:
                httpx.get(f"{self.url}/api/sync/catalogue", timeout=2)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"server not ready after {START_TIMEOUT}s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def wait_exit(self, timeout: float = 30) -> int:
        return self.proc.wait(timeout)

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.proc = None


# ---------------------------------------------------------------- the fault-injecting proxy


class FaultProxy:
    """A TCP proxy on loopback in front of `upstream` (host, port).

    mode "pass": forward both ways. "refuse": close every new connection at once and cut the open
    ones (the service is down). "drop_response": forward the request, but when the upstream starts
    answering, cut the client's connection instead of delivering the answer (`drops` times, then pass).
    """

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.mode = "pass"
        self.drops = 0
        self.dropped = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode: str, drops: int = 0) -> None:
        with self._lock:
            self.mode, self.drops = mode, drops
            if mode == "refuse":
                for s in list(self._conns):
                    _close(s)
                self._conns.clear()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._conns.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, is_response: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if is_response:
                    with self._lock:
                        drop = self.mode == "drop_response" and self.dropped < self.drops
                        if drop:
                            self.dropped += 1
                    if drop:  # the server has answered (so it committed); the client never hears it
                        break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(src)
            _close(dst)
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)

    def close(self) -> None:
        self._closed = True
        _close(self._listener)
        self.set("refuse")


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass


# ---------------------------------------------------------------- seed and verify (run in a subprocess)


def _seed(terminals: int, stock: str) -> dict:
    from decimal import Decimal

    from openjxc.core.tokens import create_token
    from openjxc.partners import services as partners
    from openjxc.sync import terminals as terms
    from tests.conftest import Shop

    shop = Shop(code="FT")
    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer")
    if Decimal(stock):
        shop.receive(shop.water, stock, "1.20", warehouse=shop.store)
        shop.receive(shop.flour, stock, "5.00", warehouse=shop.store)
    tokens = []
    for n in range(terminals):
        _t, raw = terms.register_terminal(by=shop.admin, code=f"POS{n + 1:02d}", name=f"收银台{n + 1}", kind="pos",
                                          warehouse=shop.store, customer=walk_in)
        tokens.append(raw)
    _tok, admin = create_token(by=shop.admin, name="faults")
    return {"tokens": tokens, "admin_token": admin, "received": stock}


def _verify(expected_ops: list[str]) -> dict:
    """Every expected op exactly once (one op row, one posted document each), stock equal to the ledger."""
    from collections import Counter
    from decimal import Decimal

    from django.db.models import Sum

    from openjxc.documents.models import Document, DocumentLine
    from openjxc.finance.ledger import check_partner_ledger
    from openjxc.stock.ledger import check_ledger
    from openjxc.stock.models import StockBalance
    from openjxc.sync.models import TerminalOperation

    ops = list(TerminalOperation.objects.filter(op_id__in=expected_ops).values_list("op_id", "status", "document_id"))
    per_op = Counter(op for op, _s, _d in ops)
    docs = [d for _o, _s, d in ops if d]
    sales = Document.objects.filter(kind="sales_delivery")
    sold = DocumentLine.objects.filter(document__kind="sales_delivery", document__status="posted").aggregate(
        q=Sum("quantity"))["q"] or Decimal(0)
    store_qty = StockBalance.objects.filter(location__warehouse__code="ST1").aggregate(q=Sum("quantity"))["q"] \
        or Decimal(0)
    return {
        "missing": sorted(set(expected_ops) - set(per_op)),
        "repeated": sorted(op for op, n in per_op.items() if n > 1),
        "not_accepted": sorted(op for op, s, _d in ops if s != "accepted"),
        "documents_distinct": len(set(docs)) == len(docs),
        "sales_documents": sales.count(),
        "posted_sales": sales.filter(status="posted").count(),
        "all_ops": TerminalOperation.objects.count(),
        "sold": str(sold),
        "store_qty": str(store_qty),
        "ledger_problems": [str(p) for p in check_ledger(None)],
        "partner_problems": [f"{p.code} {p.detail}" for p in check_partner_ledger(None)],
    }


def main(argv: list[str]) -> None:
    import django

    django.setup()
    if argv[0] == "seed":
        out = _seed(int(argv[1]), argv[2] if len(argv) > 2 else "1000")
    elif argv[0] == "verify":
        out = _verify(json.loads(sys.stdin.read()))
    else:
        raise SystemExit(f"unknown command {argv[0]}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
