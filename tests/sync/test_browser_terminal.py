"""Browser terminals through the API: a signed-in person gets a PDA token for their phone's outbox; count entries
it pushes are that person's; wrong warehouses, people who may not count there, revoked devices and bad input are
refused with a code."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal as D

import pytest
from django.test import Client

from openjxc.core import clock
from openjxc.core import services as core
from openjxc.core.models import Role
from openjxc.counts import services as counts
from openjxc.counts.models import CountEntry, CountLine
from openjxc.stock import services as stock
from openjxc.sync import terminals
from openjxc.sync.models import Terminal
from tests.conftest import Shop, assert_ledger_consistent

pytestmark = pytest.mark.django_db

DEVICE = "dev-" + "a1b2c3d4e5f6"


def _session(user):
    c = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    c.force_login(user)
    c.get("/counts/")  # the page sets the CSRF cookie, as in the browser
    return c


def _register(c, warehouse, device=DEVICE, **extra):
    return c.post("/api/sync/browser-terminal", json.dumps({"warehouse": warehouse, "device_id": device, **extra}),
                  content_type="application/json", headers={"X-CSRFToken": c.cookies["csrftoken"].value})


def _push(raw, ops):
    body = {"client_time": clock.now().isoformat(), "ops": ops}
    return Client().post("/api/sync/push", json.dumps(body), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {raw}")


def _op(op_type="count_entry", **data):
    return {"id": str(uuid.uuid4()), "seq": 1, "type": op_type, "created_at": clock.now().isoformat(), "data": data}


@pytest.fixture
def counting(shop):
    shop.receive(shop.water, 5, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=True)
    counts.start_count(count, by=shop.admin)
    keeper = shop.user("keeper1", Role.KEEPER, warehouses=[shop.main])
    return count, keeper


def test_a_keeper_registers_their_phone_and_entries_are_theirs(shop, counting):
    count, keeper = counting
    c = _session(keeper)
    r = _register(c, "WH1", name="小王的手机")
    assert r.status_code == 201, r.content
    body = r.json()
    terminal = Terminal.objects.get(pk=body["id"])
    assert body["token"].startswith("jxt_") and body["kind"] == "pda" and body["warehouse_id"] == shop.main.pk
    assert body["operator_id"] == keeper.pk and terminal.operator == keeper and terminal.name == "小王的手机"
    assert body["code"].startswith("WEB-")

    r = _push(body["token"], [_op(count=count.number, entries=[{"barcode": "6920000000017"},
                                                                {"item": "W001", "qty": "2"}])])
    assert r.json()["results"][0]["status"] == "accepted", r.content
    entries = CountEntry.objects.filter(line__count=count)
    assert {e.counted_by_id for e in entries} == {keeper.pk}  # the person, not the terminal's own user
    assert CountLine.objects.get(count=count).counted_quantity == D(3)

    # the same device again (the first answer was lost): the same terminal, a new token; the old one stops
    r2 = _register(c, shop.main.pk)
    assert r2.status_code == 201 and r2.json()["id"] == body["id"] and r2.json()["token"] != body["token"]
    assert _push(body["token"], [_op(count=count.pk, entries=[{"item": "W001", "qty": "1"}])]).status_code == 401
    assert _push(r2.json()["token"], [_op(count=count.pk, entries=[{"item": "W001", "qty": "1"}])]).status_code == 200
    # another device of the same person is another terminal
    r3 = _register(c, "WH1", device="another-device-1")
    assert r3.status_code == 201 and r3.json()["id"] != body["id"]
    assert Terminal.objects.filter(operator=keeper).count() == 2
    # the administrator's terminals page says whose phone each browser terminal is
    admin = Client(headers={"Accept-Language": "zh-hans"})
    admin.force_login(shop.admin)
    page = admin.get("/terminals/").content.decode()
    assert "小王的手机 <small class=\"muted\">· 操作员 keeper1</small>" in page
    counts.finish_count(count, by=shop.admin, uncounted_as_zero=True)
    assert_ledger_consistent()


def test_wrong_warehouses_and_people_who_may_not_count_there(shop, counting):
    count, keeper = counting
    c = _session(keeper)
    r = _register(c, "NOPE")
    assert r.status_code == 404 and r.json()["code"] == "warehouse.not_found"
    r = _register(c, "WH2")  # a warehouse outside the keeper's scope
    assert r.status_code == 403 and r.json()["code"] == "permission.denied"
    closed = stock.create_warehouse(by=shop.admin, code="WH9", name="旧仓")
    stock.update_warehouse(closed, by=shop.admin, is_active=False)
    r = _register(_session(shop.admin), closed.pk)
    assert r.status_code == 422 and r.json()["code"] == "validation.failed"
    other = Shop("OTHER")
    r = _register(_session(other.admin), shop.main.pk)  # another company's warehouse is unknown here
    assert r.status_code == 404 and r.json()["code"] == "warehouse.not_found"
    for bad in ("short", "has spaces in it", "x" * 65):
        r = _register(c, "WH1", device=bad)
        assert r.status_code == 422 and r.json()["code"] in ("validation.failed", "request.invalid"), bad
    # not signed in, or signed in without the CSRF token: no terminal
    r = Client().post("/api/sync/browser-terminal", json.dumps({"warehouse": "WH1", "device_id": DEVICE}),
                      content_type="application/json")
    assert r.status_code == 401 and r.json()["code"] == "auth.required"
    r = c.post("/api/sync/browser-terminal", json.dumps({"warehouse": "WH1", "device_id": DEVICE}),
               content_type="application/json")
    assert r.status_code == 401
    # a terminal cannot register itself a browser terminal with its own token
    _t, raw = terminals.register_terminal(by=shop.admin, code="PDA1", name="", kind="pda", warehouse=shop.main)
    r = Client().post("/api/sync/browser-terminal", json.dumps({"warehouse": "WH1", "device_id": DEVICE}),
                      content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 401
    assert not Terminal.objects.filter(operator__isnull=False).exists()


def test_what_a_browser_terminal_may_push(shop, counting):
    count, keeper = counting
    c = _session(keeper)
    raw = _register(c, "WH1").json()["token"]
    other = counts.create_count(by=shop.admin, warehouse=shop.second, blind=True)
    counts.start_count(other, by=shop.admin)
    results = _push(raw, [
        _op("receipt_scan", supplier="S001", lines=[{"item": "W001", "qty": "1"}]),  # a PDA could; a person's phone not
        _op(count=other.pk, entries=[{"item": "W001", "qty": "1"}]),  # another warehouse's count
        _op(count=count.pk, entries=[{"barcode": "0000000000000"}]),
    ]).json()["results"]
    assert [(x["status"], x["error"]["code"]) for x in results] == [
        ("refused", "terminal.op_not_allowed"), ("refused", "validation.failed"), ("refused", "barcode.unknown")]
    assert not CountEntry.objects.exists()

    # the keeper loses the warehouse: entries arriving afterwards are refused, with the reason
    core.update_user(keeper, by=shop.admin, warehouses=[shop.second])
    r = _push(raw, [_op(count=count.pk, entries=[{"item": "W001", "qty": "1"}])]).json()["results"][0]
    assert r["status"] == "refused" and r["error"]["code"] == "permission.denied"
    # the keeper leaves: their phone's token stops working
    core.update_user(keeper, by=shop.admin, is_active=False)
    assert _push(raw, [_op(count=count.pk, entries=[{"item": "W001", "qty": "1"}])]).status_code == 401
    assert not CountEntry.objects.exists()


def test_a_revoked_browser_terminal_is_not_issued_again(shop, counting):
    count, keeper = counting
    c = _session(keeper)
    body = _register(c, "WH1").json()
    terminals.revoke_terminal(by=shop.admin, terminal_id=body["id"])
    r = _push(body["token"], [_op(count=count.pk, entries=[{"item": "W001", "qty": "1"}])])
    assert r.status_code == 401 and r.json()["code"] == "auth.required"
    r = _register(c, "WH1")
    assert r.status_code == 403 and r.json()["code"] == "terminal.revoked"
    assert "revoked" in r.json()["message"]
    assert not CountEntry.objects.exists()


def test_a_typo_at_the_scan_field_is_not_a_terminal_failure_and_raises_no_alert(shop, counting):
    """An unknown barcode or item code typed on the phone is answered as refused (the page shows why), but
    the terminal is not failing: no refused count, no terminal.refused alert, nothing on its health. An
    entry for another warehouse's count still is a failure."""
    from openjxc.core.models import Event

    count, keeper = counting
    raw = _register(_session(keeper), "WH1").json()["token"]
    results = _push(raw, [_op(count=count.pk, entries=[{"barcode": "69200000000XX"}]),
                          _op(count=count.pk, entries=[{"item": "W00l", "qty": "1"}])]).json()["results"]
    assert [(x["status"], x["error"]["code"]) for x in results] == [
        ("refused", "barcode.unknown"), ("refused", "item.not_found")]
    terminal = Terminal.objects.get(operator=keeper)
    assert terminal.refused_count == 0
    assert not Event.objects.filter(topic="terminal.refused").exists()
    assert "refused" not in terminals.health(terminal)

    other = counts.create_count(by=shop.admin, warehouse=shop.second, blind=True)
    counts.start_count(other, by=shop.admin)
    r = _push(raw, [_op(count=other.pk, entries=[{"item": "W001", "qty": "1"}])]).json()["results"][0]
    assert (r["status"], r["error"]["code"]) == ("refused", "validation.failed")
    terminal.refresh_from_db()
    assert terminal.refused_count == 1
    assert Event.objects.filter(topic="terminal.refused").count() == 1
    assert "refused" in terminals.health(terminal)
