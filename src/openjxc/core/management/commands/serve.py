"""jxc serve: the ASGI web server (uvicorn) plus the background worker (huey) as a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from openjxc.core.management.commands._setup import collect_static, migrate, static_needed

WORKER_STOP_SECONDS = 15


class _Stop(Exception):
    """SIGTERM arrived: leave the server loop and stop the worker."""


class Command(BaseCommand):
    help = "Serve the web app with uvicorn and run the background worker (stops both on Ctrl-C/SIGTERM)."
    requires_system_checks = "__all__"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--no-worker", action="store_true", help="do not start the huey worker")
        parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])

    def handle(self, *args, host, port, no_worker, log_level, **options):
        import uvicorn

        applied = migrate()
        if applied:
            self.stdout.write(f"applied {applied} database migration(s)")
        if static_needed():
            if collect_static():
                self.stdout.write(f"collected static files into {settings.STATIC_ROOT}")
        else:
            # DEBUG: whitenoise serves straight from the finders; an existing root keeps it from warning
            Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)

        # whitenoise hands Django a file iterator that is synchronous; under ASGI Django reads it in a
        # thread and warns on every static file. Harmless, and whitenoise has no async path yet.
        warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")
        worker = None if no_worker else self._start_worker()
        server = uvicorn.Server(uvicorn.Config(
            "openjxc.config.asgi:application", host=host, port=port, lifespan="off", log_level=log_level,
            # open live-screen streams (Server-Sent Events) never finish by themselves: give requests in
            # flight a few seconds, then end the streams (browsers reconnect elsewhere with Last-Event-ID)
            timeout_graceful_shutdown=5,
        ))

        def on_term(signum, frame):
            raise _Stop()

        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler in
        # place before it started: ours, so we get the chance to stop the worker too
        previous = signal.signal(signal.SIGTERM, on_term)
        self.stdout.write(f"OpenJXC on http://{host}:{port}/  (API docs: /api/docs; Ctrl-C to stop)", ending="\n")
        self.stdout.flush()
        try:
            server.run()
            if not server.started:
                raise CommandError(f"The web server could not start on {host}:{port} (is the port in use?).")
        except (KeyboardInterrupt, _Stop):
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            if worker is not None:
                self._stop_worker(worker)
        self.stdout.write("stopped")

    def _start_worker(self) -> subprocess.Popen:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE))
        proc = subprocess.Popen([sys.executable, "-m", "openjxc.cli", "worker"], env=env)
        self.stdout.write(f"background worker (huey) started, pid {proc.pid}")
        return proc

    def _stop_worker(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # huey: SIGINT = finish running tasks, then exit
            try:
                proc.wait(WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.stdout.write(f"background worker stopped (exit code {proc.returncode})")
