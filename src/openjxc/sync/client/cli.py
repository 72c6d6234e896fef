"""`jxc terminal …`: a terminal from the command line (and the reference use of TerminalClient).

    jxc terminal register --server URL --registration-code CODE --code POS1 [--name 一号收银台]
    jxc terminal register --server URL --token jxt_…             (a token the administrator created)
    jxc terminal sell W001:2 6920000000017:1@2.50 [--payment cash] (queued; uploaded by push/sync)
    jxc terminal push                                               (upload the outbox once)
    jxc terminal pull                                               (refresh the catalogue cache)
    jxc terminal sync [--watch]                                     (push + pull; --watch keeps going)
    jxc terminal status

The local file is --db (default $JXC_TERMINAL_DB or ./jxc-terminal.sqlite3). Exit status 0 on success,
2 when the server is unreachable (nothing lost: the outbox keeps everything), 1 when it refused.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from openjxc.sync.client.terminal import ServerUnavailable, TerminalClient, TerminalError


def _parse_line(spec: str) -> dict:
    """ITEM[:QTY][@PRICE] — ITEM is an item code or a barcode (digits)."""
    price = None
    if "@" in spec:
        spec, price = spec.rsplit("@", 1)
    ref, _sep, qty = spec.partition(":")
    line = {"barcode" if ref.isdigit() and len(ref) >= 8 else "item": ref, "qty": qty or "1"}
    if price:
        line["price"] = price
    return line


def _print(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jxc terminal", description="An offline OpenJXC terminal (POS / PDA).")
    p.add_argument("--db", default=os.environ.get("JXC_TERMINAL_DB", "jxc-terminal.sqlite3"),
                   help="the terminal's local SQLite file")
    p.add_argument("--timeout", type=float, default=15.0, help="HTTP timeout in seconds")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("register", help="register this terminal with the server")
    r.add_argument("--server", required=True)
    r.add_argument("--registration-code")
    r.add_argument("--token", help="a token an administrator created for this terminal")
    r.add_argument("--code", help="this terminal's code (with --registration-code)")
    r.add_argument("--name", default="")
    s = sub.add_parser("sell", help="queue a sale: ITEM[:QTY][@PRICE] …")
    s.add_argument("lines", nargs="+")
    s.add_argument("--payment", default="cash", help="payment method (cash, wechat, alipay, card, …)")
    s.add_argument("--amount", help="amount paid")
    s.add_argument("--customer", help="customer code (default: the terminal's walk-in customer)")
    s.add_argument("--push", action="store_true", help="try to upload at once")
    sub.add_parser("push", help="upload the outbox")
    sub.add_parser("pull", help="refresh the catalogue cache from the server")
    w = sub.add_parser("sync", help="push then pull")
    w.add_argument("--watch", action="store_true", help="keep syncing, with back-off while the server is away")
    w.add_argument("--interval", type=float, default=30.0)
    sub.add_parser("status", help="local outbox, cache and connection state")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    client = TerminalClient(args.db, timeout=args.timeout)
    try:
        return _run(client, args)
    except ServerUnavailable as exc:
        print(f"server unreachable, nothing lost ({client.store.backlog()['count']} waiting): {exc}",
              file=sys.stderr)
        return 2
    except TerminalError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()


def _run(client: TerminalClient, args) -> int:
    if args.command == "register":
        if args.token:
            client.use_token(args.server, args.token)
            _print(client.heartbeat())
        elif args.registration_code and args.code:
            _print(client.register(args.server, registration_code=args.registration_code, code=args.code,
                                   name=args.name))
        else:
            print("give --token, or --registration-code and --code", file=sys.stderr)
            return 1
        return 0
    if args.command == "sell":
        payment = {"method": args.payment}
        if args.amount:
            payment["amount"] = args.amount
        op = client.sell([_parse_line(s) for s in args.lines], payment=payment, customer=args.customer)
        out = {"queued": op["id"], "seq": op["seq"]}
        if args.push:
            try:
                client.push()
                out["result"] = client.result(op["id"])
            except ServerUnavailable as exc:
                out["offline"] = str(exc)
        _print(out)
        return 0
    if args.command == "push":
        _print(client.push())
        return 0
    if args.command == "pull":
        _print(client.pull())
        return 0
    if args.command == "sync":
        if not args.watch:
            _print(client.sync())
            return 0
        while True:  # until interrupted
            try:
                _print(client.sync())
                client.failures = 0
                time.sleep(args.interval)
            except ServerUnavailable as exc:
                client.failures += 1
                delay = client.backoff_delay()
                print(f"server unreachable ({exc}); retrying in {delay:.1f}s", file=sys.stderr)
                time.sleep(delay)
    if args.command == "status":
        _print(client.status())
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
