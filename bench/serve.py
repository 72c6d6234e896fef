"""uvicorn with N worker processes and TCP_NODELAY on every connection (used by bench/posting.py).

    python bench/serve.py HOST PORT WORKERS

`uvicorn --workers N` (N > 1) binds its listening socket with proto 0; accepted connections
inherit it and asyncio only sets TCP_NODELAY when proto is IPPROTO_TCP, so Nagle's algorithm
stays on and every keep-alive response waits ~40 ms for the client's delayed ACK
(https://github.com/Kludex/uvicorn/issues/3149). This launcher does what `uvicorn.run` does for
several workers, with the listening socket re-wrapped as IPPROTO_TCP.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess


def run(config: uvicorn.Config) -> None:
    """Serve `config` (its `workers` processes) with the listening socket as IPPROTO_TCP."""
    bound = config.bind_socket()
    sock = socket.socket(bound.family, socket.SOCK_STREAM, socket.IPPROTO_TCP, fileno=bound.detach())
    if config.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        config.load_app()
        uvicorn.Server(config).run(sockets=[sock])


def free_port() -> int:
    """A free TCP port on the loopback address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a server process: SIGTERM, and SIGKILL if it has not exited within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and its children (a server's workers)."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for q in procs:
        try:
            t = q.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def main() -> None:
    host, port, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    run(uvicorn.Config("openjxc.config.asgi:application", host=host, port=port, workers=workers,
                       access_log=False, log_level="warning"))


if __name__ == "__main__":
    main()
