"""The terminal protocol through the HTTP API: register, push (accepted / duplicate / refused), pull, revoke."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal as D

import pytest
from django.test import Client

from openjxc.core import clock
from openjxc.core.models import Event
from openjxc.core.tokens import create_token
from openjxc.documents.models import Document
from openjxc.partners import services as partners
from openjxc.stock.models import StockBalance
from openjxc.sync import protocol, terminals
from openjxc.sync.models import Terminal, TerminalOperation
from tests.conftest import assert_ledger_consistent

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk_in(shop):
    return partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer")


@pytest.fixture
def pos(shop, walk_in):
    terminal, raw = terminals.register_terminal(by=shop.admin, code="POS1", name="一号收银台", kind="pos",
                                                warehouse=shop.store, customer=walk_in)
    return terminal, raw


def _push(client, raw, ops, **extra):
    body = {"client_time": clock.now().isoformat(), "ops": ops, **extra}
    return client.post("/api/sync/push", json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {raw}")


def _sale(qty="2", item="W001", op_id=None, **data):
    return {"id": op_id or str(uuid.uuid4()), "seq": 1, "type": "sale", "created_at": clock.now().isoformat(),
            "data": {"lines": [{"item": item, "qty": qty}], **data}}


def _store_qty(shop, item):
    return sum((b.quantity for b in StockBalance.objects.filter(item=item, location__warehouse=shop.store)), D(0))


def test_admin_registers_a_pos_and_the_token_is_stored_hashed(shop, pos, client):
    terminal, raw = pos
    assert raw.startswith("jxt_") and raw not in (terminal.token_hash, terminal.token_prefix + "x")
    assert terminals.terminal_for_token(raw) == terminal
    assert terminals.terminal_for_token(raw + "x") is None
    # the store's default location now allows negative stock: an offline sale is a fact
    assert shop.store.locations.get(is_default=True).allow_negative
    # the terminal acts through its own user, which cannot sign in
    assert not terminal.user.has_usable_password()
    assert list(terminal.user.warehouses.all()) == [shop.store]


def test_a_pos_must_be_bound_to_a_store(shop, walk_in):
    with pytest.raises(Exception) as exc:
        terminals.register_terminal(by=shop.admin, code="POS2", name="x", kind="pos", warehouse=shop.main,
                                    customer=walk_in)
    assert exc.value.code == "validation.failed"


def test_registration_with_a_one_time_code_over_http(shop, walk_in):
    _rc, code = terminals.create_registration_code(by=shop.admin, kind="pos", warehouse=shop.store,
                                                   customer=walk_in)
    c = Client()
    r = c.post("/api/sync/register", json.dumps({"registration_code": code, "code": "POS9", "name": "九号"}),
               content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["token"].startswith("jxt_") and body["kind"] == "pos" and body["warehouse_id"] == shop.store.pk
    # the code is single-use
    r2 = c.post("/api/sync/register", json.dumps({"registration_code": code, "code": "POS10"}),
                content_type="application/json")
    assert r2.status_code == 403 and r2.json()["code"] == "terminal.code_invalid"
    # the token works for push
    r3 = _push(c, body["token"], [_sale()])
    assert r3.status_code == 200 and r3.json()["results"][0]["status"] == "accepted"


def test_push_accepts_a_sale_and_a_repeat_is_a_duplicate_with_the_first_result(shop, pos):
    terminal, raw = pos
    shop.receive(shop.water, 10, "1.20", warehouse=shop.store)
    c = Client()
    op = _sale("3", payment={"method": "cash", "amount": "6.00"})
    first = _push(c, raw, [op]).json()["results"][0]
    assert first["status"] == "accepted" and first["flags"] == []
    doc = Document.objects.get(pk=first["document"]["id"])
    assert doc.number == first["document"]["number"] and doc.kind == "sales_delivery" and doc.status == "posted"
    assert doc.warehouse_id == shop.store.pk and doc.custom["payment"]["method"] == "cash"
    again = _push(c, raw, [op]).json()["results"][0]
    assert again == {"id": op["id"], "status": "duplicate", "first": first}
    assert Document.objects.filter(kind="sales_delivery").count() == 1
    assert _store_qty(shop, shop.water) == D("7")
    assert_ledger_consistent()


def test_same_id_with_a_different_payload_is_refused_and_changes_nothing(shop, pos):
    _terminal, raw = pos
    c = Client()
    op = _sale("1")
    assert _push(c, raw, [op]).json()["results"][0]["status"] == "accepted"
    changed = {**op, "data": {"lines": [{"item": "W001", "qty": "5"}]}}
    answer = _push(c, raw, [changed]).json()["results"][0]
    assert answer["status"] == "refused" and answer["error"]["code"] == "terminal.op_id_reused"
    assert Document.objects.filter(kind="sales_delivery").count() == 1
    assert TerminalOperation.objects.get(op_id=op["id"]).status == "accepted"


def test_one_bad_operation_never_blocks_the_others(shop, pos):
    terminal, raw = pos
    c = Client()
    ops = [_sale("1"), _sale("1", item="NOPE"), {"id": "x" * 65, "type": "sale", "data": {}}, _sale("2"),
           {"id": str(uuid.uuid4()), "type": "teleport", "data": {}}, _sale("-1")]
    results = _push(c, raw, ops).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "refused", "refused", "accepted", "refused", "refused"]
    assert results[1]["error"]["code"] == "item.not_found"
    assert results[2]["error"]["code"] == "validation.failed"
    assert results[4]["error"]["code"] == "terminal.op_type_unknown"
    assert results[5]["error"]["code"] == "validation.failed"
    assert Document.objects.filter(kind="sales_delivery", status="posted").count() == 2
    terminal.refresh_from_db()
    assert terminal.accepted_count == 2 and terminal.refused_count == 3  # the over-long id is not stored
    refused = Event.objects.filter(topic="terminal.refused").get()
    assert {r["code"] for r in refused.payload["refused"]} == {"item.not_found", "validation.failed",
                                                                "terminal.op_type_unknown"}
    # a refused op is remembered too: sending it again replays the refusal instead of re-trying it
    again = _push(c, raw, [ops[1]]).json()["results"][0]
    assert again["status"] == "duplicate" and again["first"]["status"] == "refused"
    assert_ledger_consistent()


def test_offline_sale_below_zero_is_accepted_and_flagged(shop, pos):
    terminal, raw = pos
    shop.receive(shop.water, 1, "1.20", warehouse=shop.store)
    c = Client()
    a = _push(c, raw, [_sale("1")]).json()["results"][0]
    b = _push(c, raw, [_sale("2")]).json()["results"][0]  # the second till sold what was not there
    assert a["status"] == b["status"] == "accepted"
    assert a["flags"] == [] and b["flags"] == ["negative_stock"]
    assert _store_qty(shop, shop.water) == D("-2")
    event = Event.objects.get(topic="terminal.negative_stock")
    assert event.payload["terminal"] == "POS1" and event.payload["number"] == b["document"]["number"]
    terminal.refresh_from_db()
    assert terminal.negative_count == 1
    assert_ledger_consistent()


def test_clock_skew_is_recorded_flagged_and_corrects_the_business_date(shop, pos):
    terminal, raw = pos
    shop.receive(shop.water, 10, "1.20", warehouse=shop.store)
    c = Client()
    ahead = clock.now() + dt.timedelta(days=2)
    op = _sale("1")
    op["created_at"] = (ahead - dt.timedelta(minutes=5)).isoformat()
    body = {"client_time": ahead.isoformat(), "ops": [op]}
    r = c.post("/api/sync/push", json.dumps(body), content_type="application/json",
               HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert r["clock_skewed"] is True and r["clock_skew_seconds"] > 2 * 86400 - 60
    assert r["results"][0]["flags"] == ["clock_skew"]
    terminal.refresh_from_db()
    assert terminal.clock_skew_seconds > 2 * 86400 - 60
    assert "clock_skew" in terminals.health(terminal)
    assert Event.objects.filter(topic="terminal.clock_skew").count() == 1
    # the device's date is two days ahead; the server files the sale under the corrected (real) date
    doc = Document.objects.get(pk=r["results"][0]["document"]["id"])
    assert doc.business_on == clock.today(shop.company.time_zone)
    # a second skewed push does not raise the alert again
    _push(c, raw, [_sale("1")], client_time=ahead.isoformat())
    assert Event.objects.filter(topic="terminal.clock_skew").count() == 1


def test_return_against_an_earlier_sale_of_the_terminal(shop, pos):
    _terminal, raw = pos
    shop.receive(shop.water, 10, "1.20", warehouse=shop.store)
    c = Client()
    sale = _sale("4")
    assert _push(c, raw, [sale]).json()["results"][0]["status"] == "accepted"
    ret = {"id": str(uuid.uuid4()), "type": "return", "created_at": clock.now().isoformat(),
           "data": {"sale_op": sale["id"], "lines": [{"item": "W001", "qty": "1"}]}}
    too_much = {"id": str(uuid.uuid4()), "type": "return", "created_at": clock.now().isoformat(),
                "data": {"sale_op": sale["id"], "lines": [{"item": "W001", "qty": "9"}]}}
    results = _push(c, raw, [ret, too_much]).json()["results"]
    assert results[0]["status"] == "accepted" and results[0]["document"]["kind"] == "sales_return"
    assert results[1]["status"] == "refused"
    assert _store_qty(shop, shop.water) == D("7")
    assert_ledger_consistent()


def test_pda_receipt_scan_by_barcode(shop):
    terminal, raw = terminals.register_terminal(by=shop.admin, code="PDA1", name="手持", kind="pda",
                                                warehouse=shop.main)
    c = Client()
    op = {"id": str(uuid.uuid4()), "type": "receipt_scan", "created_at": clock.now().isoformat(),
          "data": {"supplier": "S001", "lines": [{"barcode": "6920000000017", "qty": "24", "price": "1.10"}]}}
    sale = _sale("1")
    results = _push(c, raw, [op, sale]).json()["results"]
    assert results[0]["status"] == "accepted" and results[0]["document"]["kind"] == "purchase_receipt"
    assert results[1]["error"]["code"] == "terminal.op_not_allowed"  # a PDA does not sell
    assert sum(b.quantity for b in StockBalance.objects.filter(item=shop.water, location__warehouse=shop.main)) == 24
    # a stock count of the warehouse: the PDA uploads what it counted (two scans and a typed quantity)
    from openjxc.counts import services as counts
    from openjxc.counts.models import CountEntry

    count = counts.create_count(by=shop.admin, warehouse=shop.main)
    entry = {"id": str(uuid.uuid4()), "type": "count_entry", "created_at": clock.now().isoformat(),
             "data": {"count": count.number, "entries": [{"barcode": "6920000000017"}, {"barcode": "6920000000017"},
                                                         {"item": "F001", "qty": "3"}]}}
    not_started = _push(c, raw, [entry]).json()["results"][0]
    assert not_started["status"] == "refused"  # the count is not started yet: refused, remembered
    counts.start_count(count, by=shop.admin)
    entry["id"] = str(uuid.uuid4())
    done = _push(c, raw, [entry, {**entry, "id": str(uuid.uuid4()), "data": {"count": "NOPE", "entries": []}}])
    done = done.json()["results"]
    assert done[0]["status"] == "accepted" and done[0]["count"]["number"] == count.number
    assert done[0]["entries"] == 3 and done[1]["error"]["code"] == "count.not_found"
    assert CountEntry.objects.filter(line__count=count).count() == 3
    assert_ledger_consistent()


def test_unknown_or_revoked_token_is_401_and_admin_endpoints_need_an_admin(shop, pos):
    terminal, raw = pos
    c = Client()
    assert _push(c, "jxt_nope", [_sale()]).status_code == 401
    _tok, admin_raw = create_token(by=shop.admin, name="admin")
    adm = {"HTTP_AUTHORIZATION": f"Bearer {admin_raw}"}
    listing = c.get("/api/sync/terminals", **adm)
    assert listing.status_code == 200 and [t["code"] for t in listing.json()] == ["POS1"]
    # a terminal's token is not an admin token, and a cashier is not an admin
    assert c.get("/api/sync/terminals", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    cashier = shop.user("cashier1", "cashier")
    _t, cashier_raw = create_token(by=cashier, name="c")
    assert c.get("/api/sync/terminals", HTTP_AUTHORIZATION=f"Bearer {cashier_raw}").status_code == 403
    r = c.post(f"/api/sync/terminals/{terminal.pk}/revoke", **adm)
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert _push(c, raw, [_sale()]).status_code == 401
    assert Document.objects.count() == 0


def test_other_company_cannot_see_or_revoke_a_terminal(shop, pos):
    from tests.conftest import Shop

    terminal, _raw = pos
    other = Shop(code="OTHER")
    _t, raw = create_token(by=other.admin, name="o")
    c = Client()
    h = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert c.get("/api/sync/terminals", **h).json() == []
    assert c.post(f"/api/sync/terminals/{terminal.pk}/revoke", **h).status_code == 404
    assert Terminal.objects.get(pk=terminal.pk).revoked_at is None


def test_heartbeat_reports_backlog_and_the_periodic_check_raises_alerts_once(shop, pos):
    terminal, raw = pos
    c = Client()
    old = clock.now() - dt.timedelta(hours=2)
    r = c.post("/api/sync/heartbeat", json.dumps({"client_time": clock.now().isoformat(),
                                                  "backlog": {"count": 3, "oldest_at": old.isoformat()}}),
               content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200 and r.json()["backlog_count"] == 3 and "backlog_old" in r.json()["problems"]
    # raised by the contact itself, once; the periodic check does not raise it again
    assert Event.objects.filter(topic="terminal.backlog_old").count() == 1
    assert terminals.check_terminals() == []
    # later: silent for longer than configured
    terminals.set_terminal_settings(by=shop.admin, silent_minutes=10)
    clock.freeze(clock.now() + dt.timedelta(minutes=11))
    try:
        assert [e["topic"] for e in terminals.check_terminals()] == ["terminal.silent"]
        assert terminals.check_terminals() == []
    finally:
        clock.freeze(None)
    # contact clears both; a push with an empty backlog clears the backlog alert
    _push(c, raw, [], backlog={"count": 0})
    terminal.refresh_from_db()
    assert terminal.silent_alerted_at is None and terminal.backlog_alerted_at is None
    assert terminal.backlog_count == 0 and "backlog_old" not in terminals.health(terminal)


@pytest.mark.django_db(transaction=True)
def test_catalogue_snapshot_and_pull_follow_the_feed(wipeable_ledger, shop, pos):
    # committing: on PostgreSQL the feed only hands out events of finished transactions
    from openjxc.catalog import services as catalog

    _terminal, raw = pos
    c = Client()
    h = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    page = c.get("/api/sync/catalogue?limit=2", **h).json()
    assert [i["code"] for i in page["items"]] == ["F001", "W001"] and page["has_more"] is True
    assert page["items"][1]["barcodes"] == [{"code": "6920000000017", "unit": None}]
    rest = c.get(f"/api/sync/catalogue?after={page['next_after']}", **h).json()
    assert [i["code"] for i in rest["items"]] == ["M001"] and rest["has_more"] is False
    cursor = page["cursor"]
    catalog.create_item(by=shop.admin, code="N001", name="新品", base_unit=shop.pcs, sale_price=D("9"))
    shop.receive(shop.water, 5, "1.2", warehouse=shop.main)  # another warehouse: not this terminal's business
    shop.receive(shop.water, 5, "1.2", warehouse=shop.store)
    pulled = c.get(f"/api/sync/pull?cursor={cursor}", **h).json()
    topics = [e["topic"] for e in pulled["events"]]
    assert "item.created" in topics
    stock = [e for e in pulled["events"] if e["topic"] == "stock.changed"]
    assert len(stock) == 1 and stock[0]["warehouses"] == [shop.store.pk]
    assert all("value" not in b for b in stock[0]["payload"]["balances"])  # a till does not see cost
    assert c.get(f"/api/sync/pull?cursor={pulled['next_cursor']}", **h).json()["events"] == []


def test_a_device_registered_again_still_dedupes_its_old_queue(shop, pos, walk_in):
    terminal, raw = pos
    c = Client()
    op = _sale("1")
    first = _push(c, raw, [op]).json()["results"][0]
    assert first["status"] == "accepted"
    # the till is reset: revoked, registered again as a new terminal, and replays its old outbox
    terminals.revoke_terminal(by=shop.admin, terminal_id=terminal.pk)
    _new, raw2 = terminals.register_terminal(by=shop.admin, code="POS1B", name="一号（重装）", kind="pos",
                                             warehouse=shop.store, customer=walk_in)
    again = _push(c, raw2, [op]).json()["results"][0]
    assert again == {"id": op["id"], "status": "duplicate", "first": first}
    assert Document.objects.filter(kind="sales_delivery").count() == 1


def test_the_local_outbox_keeps_an_operation_answered_retry(tmp_path):
    from openjxc.sync.client.store import LocalStore

    store = LocalStore(tmp_path / "till.sqlite3")
    a = store.enqueue("sale", {"lines": [{"item": "W001", "qty": "1"}]})
    b = store.enqueue("sale", {"lines": [{"item": "W001", "qty": "2"}]})
    store.acknowledge([{"id": a["id"], "status": "accepted"}, {"id": b["id"], "status": "retry"}])
    assert [o["id"] for o in store.pending()] == [b["id"]] and store.result(a["id"])["status"] == "accepted"
    store.close()
    reopened = LocalStore(tmp_path / "till.sqlite3")  # survives a restart
    assert [o["id"] for o in reopened.pending()] == [b["id"]]


def test_a_database_error_mid_batch_answers_retry_for_everything_not_committed(shop, pos, monkeypatch):
    # decision 0029: on PostgreSQL each op commits on its own, so those before the failure stay accepted; on SQLite
    # the ops of a group commit together, so the whole group is rolled back and answered retry. Either way no op
    # is answered accepted unless it committed, and sending the batch again applies each op exactly once.
    from django.db import OperationalError, connection

    _terminal, raw = pos
    c = Client()
    ops = [_sale("1"), _sale("1"), _sale("1")]
    documents = []
    monkeypatch.setattr(protocol, "GROUP_SECONDS", 600)  # one group on SQLite however slow the machine

    def second_document_fails(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "documents_document"'):
            documents.append(sql)
            if len(documents) == 2:
                raise OperationalError("disk I/O error")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(second_document_fails):
        results = _push(c, raw, ops).json()["results"]
    grouped = connection.vendor == "sqlite"
    assert [r["status"] for r in results] == (["retry"] * 3 if grouped else ["accepted", "retry", "retry"])
    assert {r["error"]["code"] for r in results if r["status"] == "retry"} == {"server.unavailable"}
    stored = TerminalOperation.objects.filter(op_id__in=[op["id"] for op in ops])
    assert stored.count() == (0 if grouped else 1)
    assert Document.objects.filter(kind="sales_delivery").count() == (0 if grouped else 1)

    again = [r["status"] for r in _push(c, raw, ops).json()["results"]]
    assert again == (["accepted"] * 3 if grouped else ["duplicate", "accepted", "accepted"])
    assert Document.objects.filter(kind="sales_delivery", status="posted").count() == 3
    assert_ledger_consistent()
