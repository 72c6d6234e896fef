"""SQLite: what a posting costs on a new connection, with and without the together view (decision 0022).

    python bench/sqlite_new_connection.py [N] [ROUNDS]

Production SQLite runs with CONN_MAX_AGE=0 under uvicorn (a new thread per request): every request opens a new
connection, and its first posting makes the view, its guard and one trigger per write shape, then prepares the
INSERT through the view (every trigger's program compiled into it). quick.py measures one warm connection.
Here four modes alternate in rounds, N 3-line deliveries (create_document advance_to="posted") each:
warm/new connection × through the view/one statement per write (core.sql._sqlite_together bypassed).
Prints CPU ms per document (process time: this process only; SQLite runs in it) and the statements of one.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import posting  # noqa: E402  (bench/posting.py: the same world and delivery)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    data_dir = tempfile.mkdtemp(prefix="openjxc-newconn-")
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "openjxc.config.settings.prod", "SECRET_KEY": secrets.token_urlsafe(48),
        "JXC_INSECURE_COOKIES": "1", "JXC_DATA_DIR": data_dir, "JXC_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{data_dir}/newconn.sqlite3",
    })
    posting.ITEMS = 200
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openjxc.core import sql
    from openjxc.core.models import User

    together = sql._sqlite_together
    try:
        call_command("migrate", verbosity=0)
        world = posting.build_world()
        rng = random.Random(1)

        def run(new: bool, view: bool, count: int) -> tuple[float, int]:
            sql._sqlite_together = together if view else (lambda todo: todo)  # type: ignore[assignment]
            cpu = 0.0
            stmts = 0
            for _ in range(count):
                if new:
                    connection.close()
                by = User.objects.select_related("company").get(pk=world["admin_id"])  # a request reads its user
                connection.queries_log.clear()  # its 9000-entry deque, full, would capture nothing
                c0 = time.process_time()
                with CaptureQueriesContext(connection) as ctx:
                    posting.deliver(by, world, rng, one_tx=True, advance_to=True)
                cpu += time.process_time() - c0
                stmts = len(ctx.captured_queries)
            return cpu / count * 1000, stmts

        modes = [(False, True), (True, True), (False, False), (True, False)]
        for m in modes:
            run(*m, 20)  # warm the per-process caches
        totals: dict = {m: [] for m in modes}
        for _ in range(rounds):
            for m in modes:
                totals[m].append(run(*m, n))
        for (new, view), got in totals.items():
            ms = sorted(g[0] for g in got)
            print(f"{'new' if new else 'warm'} connection, {'view' if view else 'one by one'}: "
                  f"{ms[len(ms) // 2]:.2f} ms CPU/doc (median of {rounds} rounds: {', '.join(f'{x:.2f}' for x in ms)}), "
                  f"{got[-1][1]} statements")
        print(f"load {os.getloadavg()[0]:.1f}")
    finally:
        sql._sqlite_together = together  # type: ignore[assignment]
        connection.close()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
