"""`TerminalClient`: what a till or handheld embeds to work offline against an OpenJXC server.

    client = TerminalClient("/var/lib/till/jxc.sqlite3")
    client.register("http://server:8000", registration_code="A1B2C3-…", code="POS1", name="一号收银台")
    op = client.sell([{"item": "W001", "qty": "2"}], payment={"method": "cash", "amount": "4.00"})
    client.start()            # uploads in the background, with back-off while the server is away
    ...
    client.result(op["id"])   # the server's answer once it arrived (document number), else None
    client.stop()

Selling never needs the network: an operation is written to the local SQLite outbox and the call
returns. Uploading sends the oldest operations first, in batches; an operation is deleted from the
outbox only when the server has answered it (accepted, duplicate or refused), so a lost answer only
means it is sent again — the server recognises it by its id and answers with the first result.
"""

from __future__ import annotations

import logging
import random
import threading
from pathlib import Path

import httpx

from openjxc.sync.client.store import LocalStore, utcnow

log = logging.getLogger("openjxc.terminal")

FINAL = {"accepted", "held", "duplicate", "refused"}  # held: kept on the server for a manager's review
USER_AGENT = "openjxc-terminal/1"


class TerminalError(Exception):
    """A refusal from the server for the whole request (bad token, bad request): {code, message, data}."""

    def __init__(self, status: int, body: dict | None):
        self.status = status
        self.body = body or {}
        self.code = self.body.get("code", f"http.{status}")
        super().__init__(f"{self.code}: {self.body.get('message', '')}")


class ServerUnavailable(Exception):
    """The server could not be reached or could not answer now; nothing was lost, try again later."""


class TerminalClient:
    """A terminal's local outbox and catalogue cache, and the calls that sync them with the server."""

    def __init__(self, path: str | Path, *, server: str | None = None, timeout: float = 15.0,
                 batch_size: int = 200, backoff_base: float = 1.0, backoff_max: float = 60.0,
                 transport: httpx.BaseTransport | None = None):
        self.store = LocalStore(path)
        if server:
            self.store.set(server=server.rstrip("/"))
        self.timeout = timeout
        self.batch_size = batch_size
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._transport = transport
        self._http: httpx.Client | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._push_lock = threading.Lock()
        self.failures = 0  # consecutive failed uploads (drives the back-off)
        self.last_error = ""

    # ------------------------------------------------------------ set-up

    @property
    def server(self) -> str | None:
        return self.store.get("server")

    @property
    def registered(self) -> bool:
        return bool(self.store.get("token"))

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout, transport=self._transport,
                                      headers={"User-Agent": USER_AGENT})
        return self._http

    def _request(self, method: str, path: str, *, auth=True, **kw) -> dict:
        if not self.server:
            raise TerminalError(0, {"code": "terminal.no_server", "message": "No server configured."})
        headers = {"Authorization": f"Bearer {self.store.get('token')}"} if auth else {}
        try:
            r = self._client().request(method, self.server + path, headers=headers, **kw)
        except httpx.HTTPError as exc:  # refused, reset, timed out, DNS, ...: the network, not the request
            raise ServerUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if r.status_code >= 500 or r.status_code in (408, 429):
            raise ServerUnavailable(f"HTTP {r.status_code}: {r.text[:200]}")
        try:
            body = r.json()
        except ValueError:
            raise ServerUnavailable(f"HTTP {r.status_code}: not JSON: {r.text[:200]}") from None
        if r.status_code >= 400:
            raise TerminalError(r.status_code, body)
        return body

    def register(self, server: str, *, registration_code: str, code: str, name: str = "") -> dict:
        """Register this device with a one-time code from the administrator; keeps the token locally."""
        self.store.set(server=server.rstrip("/"))
        body = self._request("POST", "/api/sync/register", auth=False,
                             json={"registration_code": registration_code, "code": code, "name": name})
        self.store.set(token=body["token"], terminal_id=body["id"], code=body["code"], kind=body["kind"],
                       warehouse_id=body["warehouse_id"])
        return {k: v for k, v in body.items() if k != "token"}

    def use_token(self, server: str, token: str) -> None:
        """Use a token an administrator registered for this device (instead of `register`)."""
        self.store.set(server=server.rstrip("/"), token=token)

    # ------------------------------------------------------------ making operations (offline)

    def enqueue(self, op_type: str, data: dict, *, op_id: str | None = None) -> dict:
        """Queue any operation (sale, return, receipt_scan, count_entry); durable when this returns."""
        op = self.store.enqueue(op_type, data, op_id=op_id)
        self._wake.set()
        return op

    def sell(self, lines: list[dict], *, payment: dict | None = None, customer: str | None = None,
             memo: str = "", op_id: str | None = None) -> dict:
        """Queue a sale. `lines`: [{"item": code or "barcode": scan, "qty": "2", "price": "3.50"?}]."""
        data: dict = {"lines": [self._line(ln) for ln in lines]}
        if payment is not None:
            data["payment"] = payment
        if customer:
            data["customer"] = customer
        if memo:
            data["memo"] = memo
        return self.enqueue("sale", data, op_id=op_id)

    def return_sale(self, sale_op_id: str, lines: list[dict], *, memo: str = "") -> dict:
        """Queue a return against an earlier sale made on this terminal (by that sale's op id)."""
        data = {"sale_op": sale_op_id, "lines": [self._line(ln) for ln in lines]}
        if memo:
            data["memo"] = memo
        return self.enqueue("return", data)

    def _line(self, line: dict) -> dict:
        out = {k: (str(v) if k in ("qty", "price", "discount_rate") else v) for k, v in line.items()
               if v is not None}
        if "item" not in out and "barcode" in out:  # resolve a plain barcode from the cache when possible
            cached = self.store.find_item(out["barcode"])
            if cached is not None and not any(b.get("unit") for b in cached.get("barcodes", [])
                                              if b["code"] == out["barcode"]):
                out = {"item": cached["code"], **{k: v for k, v in out.items() if k != "barcode"}}
        return out

    # ------------------------------------------------------------ uploading

    def push(self) -> dict:
        """Upload the outbox once, batch after batch, until it is empty or the server stops answering.

        Returns {"sent", "acked", "refused", "pending"}; raises ServerUnavailable when the server
        cannot be reached (nothing is lost) and TerminalError when it refuses the request itself.
        """
        sent = acked = refused = 0
        with self._push_lock:
            while True:
                ops = self.store.pending(self.batch_size)
                if not ops:
                    break
                backlog = self.store.backlog()
                try:
                    body = self._request("POST", "/api/sync/push", json={
                        "client_time": utcnow().isoformat(), "backlog": backlog, "ops": ops,
                    })
                except (ServerUnavailable, TerminalError) as exc:
                    self.store.note_failure([o["id"] for o in ops], str(exc))
                    raise
                sent += len(ops)
                answers = [a for a in body.get("results", []) if a.get("status") in FINAL and a.get("id")]
                self.store.acknowledge(answers)
                acked += len(answers)
                refused += sum(1 for a in answers if a["status"] == "refused"
                               or (a["status"] == "duplicate" and (a.get("first") or {}).get("status") == "refused"))
                if len(answers) < len(ops):  # some answered "retry": the server is struggling, stop here
                    raise ServerUnavailable("the server asked to retry some operations later")
        return {"sent": sent, "acked": acked, "refused": refused, "pending": self.store.backlog()["count"]}

    def result(self, op_id: str) -> dict | None:
        """The server's answer to a queued operation, or None while it is still waiting to be uploaded."""
        return self.store.result(op_id)

    # ------------------------------------------------------------ pulling

    def pull(self, *, max_pages: int = 1000) -> dict:
        """Refresh the catalogue cache: a full snapshot the first time, then the change feed by cursor."""
        pages = changes = 0
        cursor = self.store.get("cursor")
        if cursor is None:
            after, first_cursor = 0, None
            while True:
                page = self._request("GET", "/api/sync/catalogue", params={"after": after, "limit": 500})
                first_cursor = first_cursor or page.get("cursor")
                self.store.upsert_items(page["items"])
                changes += len(page["items"])
                after = page["next_after"]
                if not page["has_more"]:
                    break
            cursor = first_cursor or ""
            self.store.set(cursor=cursor)  # only after the whole snapshot is stored
        while pages < max_pages:
            page = self._request("GET", "/api/sync/pull", params={"cursor": cursor, "limit": 500})
            for event in page["events"]:
                self._apply(event)
            changes += len(page["events"])
            cursor = page["next_cursor"]
            self.store.set(cursor=cursor)  # advanced only after the page is applied
            pages += 1
            if not page["has_more"]:
                break
        return {"changes": changes, "cursor": cursor, "items": self.store.item_count()}

    def _apply(self, event: dict) -> None:
        topic, payload = event["topic"], event.get("payload") or {}
        if not topic.startswith("item.") or not event.get("object_id", "").isdigit():
            return
        item_id = int(event["object_id"])
        if payload.get("is_active") in (False, "False"):
            self.store.remove_item(item_id)
            return
        if "code" in payload and "name" in payload:
            known = self.store.item(item_id) or {}
            merged = {**known, **{k: v for k, v in payload.items() if k in ("code", "name", "spec", "sale_price",
                                                                         "tax_rate", "tracking")}}
            merged["id"] = item_id
            self.store.upsert_items([merged])

    # ------------------------------------------------------------ status and heartbeat

    def heartbeat(self) -> dict:
        """Tell the server this terminal is alive, its clock and its backlog; answers the server's view."""
        return self._request("POST", "/api/sync/heartbeat", json={
            "client_time": utcnow().isoformat(), "backlog": self.store.backlog(), "client_version": USER_AGENT,
        })

    def status(self) -> dict:
        """Local state: server, terminal code, outbox backlog, refused operations, cached items, cursor."""
        return {
            "server": self.server, "terminal": self.store.get("code"), "registered": self.registered,
            "backlog": self.store.backlog(), "refused": len(self.store.acked("refused")),
            "items": self.store.item_count(), "cursor": self.store.get("cursor"),
            "failures": self.failures, "last_error": self.last_error,
        }

    def sync(self) -> dict:
        """Push everything waiting, then pull; raises ServerUnavailable when the server is away."""
        pushed = self.push()
        pulled = self.pull()
        return {"push": pushed, "pull": pulled}

    # ------------------------------------------------------------ background uploading

    def backoff_delay(self) -> float:
        """Seconds to wait after `failures` consecutive failures: exponential, capped, with jitter."""
        if self.failures == 0:
            return 0.0
        delay = min(self.backoff_max, self.backoff_base * (2 ** (self.failures - 1)))
        return delay * random.uniform(0.5, 1.0)

    def start(self, *, idle_interval: float = 30.0) -> None:
        """Upload in a background thread: at once when an operation is queued, every `idle_interval`
        seconds otherwise, backing off exponentially while the server is unreachable."""
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(idle_interval,), name="jxc-terminal-upload",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
        if self._http is not None:
            self._http.close()
        self.store.close()

    def _run(self, idle_interval: float) -> None:
        self._wake.set()  # a restart with a non-empty outbox uploads at once
        while not self._stop.is_set():
            if self.failures:  # back off: new sales wait in the outbox, they do not hurry a struggling server
                self._stop.wait(self.backoff_delay())
            else:
                self._wake.wait(idle_interval)
                self._wake.clear()
            if self._stop.is_set():
                break
            try:
                if self.store.backlog()["count"]:
                    self.push()
                self.failures, self.last_error = 0, ""
            except ServerUnavailable as exc:
                self.failures += 1
                self.last_error = str(exc)
                log.info("upload failed (%s), next try in about %.1fs", exc, self.backoff_delay())
            except TerminalError as exc:  # e.g. revoked: keep everything, keep trying slowly
                self.failures = max(self.failures + 1, 6)
                self.last_error = str(exc)
                log.warning("server refused the upload: %s", exc)

    def wait_until_empty(self, timeout: float = 30.0) -> bool:
        """Block until the outbox is empty (True) or `timeout` passes (False); for tests and shutdown."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.store.backlog()["count"] == 0:
                return True
            time.sleep(0.05)
        return False
