"""The browser terminal's outbox (static/sync/outbox.js) in a real Chromium against a live server: ops are
kept in IndexedDB while offline, uploaded oldest first when the network is back, deleted only once the server
answered them, refused ones kept for the user, and a revoked terminal stops uploading without losing anything."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openjxc.counts import services as counts
from openjxc.counts.models import CountEntry, CountLine
from openjxc.sync import terminals
from openjxc.sync.models import TerminalOperation
from tests.browser import NEEDS_CHROMIUM, wait_for
from tests.conftest import Shop, assert_ledger_consistent

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = NEEDS_CHROMIUM


def _page(browser, live_server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.add_script_tag(url=f"{live_server.url}/static/sync/outbox.js")
    assert page.evaluate("typeof window.JxcOutbox") == "object"
    return context, page


def _setup(shop):
    shop.receive(shop.water, 3, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=True)
    counts.start_count(count, by=shop.admin)
    terminal, raw = terminals.register_terminal(by=shop.admin, code="PDA1", name="手持一号", kind="pda",
                                                warehouse=shop.main)
    return count, terminal, raw


OPEN = """async ([token, terminalId]) => {
  window.ob = await JxcOutbox.open("test");
  window.results = [];
  window.changes = [];
  ob.on("result", (r, op) => results.push({status: r.status, id: op.id, type: op.type}));
  ob.on("change", s => changes.push(s));
  await ob.setTerminal({id: terminalId, code: "PDA1", kind: "pda", warehouse_id: 1, token: token, extra: [1, 2]});
  return await ob.terminal();
}"""


def test_ops_wait_offline_and_upload_exactly_once(live_server, wipeable_ledger, browser):
    shop = Shop()
    count, terminal, raw = _setup(shop)
    context, page = _page(browser, live_server)
    stored = page.evaluate(OPEN, [raw, terminal.pk])
    assert stored["token"] == raw and stored["extra"] == [1, 2]  # anything the caller keeps comes back

    context.set_offline(True)
    ids = page.evaluate("""async (count) => {
      const ids = [];
      for (const qty of ["2", "3"]) ids.push(await ob.add("count_entry", {count, entries: [{item: "W001", qty}]}));
      ids.push(await ob.add("count_entry", {count, entries: [{barcode: "6920000000017"}]}));
      return ids;
    }""", count.number)
    assert len(set(ids)) == 3
    summary = page.evaluate("ob.flush()")
    assert summary["error"]["code"] in ("network.error", "network.timeout") and summary["accepted"] == 0
    assert page.evaluate("ob.pending()") == 3
    ops = page.evaluate("ob.ops()")
    assert [o["seq"] for o in ops] == sorted(o["seq"] for o in ops) and [o["id"] for o in ops] == ids
    assert ops[0]["created_at"][19:] and ops[0]["created_at"][-6] in "+-"  # the device clock, with its offset
    assert not TerminalOperation.objects.exists()

    # a new page (nothing uploads: the outbox is not started): the ops are on disk, not in the page
    context.set_offline(False)
    page.reload()
    page.add_script_tag(url=f"{live_server.url}/static/sync/outbox.js")
    page.evaluate(OPEN, [raw, terminal.pk])
    assert page.evaluate("ob.pending()") == 3

    summary = page.evaluate("ob.flush()")
    assert summary == {"accepted": 3, "duplicate": 0, "refused": 0, "retry": 0, "error": None}
    assert page.evaluate("ob.pending()") == 0
    assert page.evaluate("results.map(r => r.id)") == ids  # oldest first
    assert page.evaluate("changes[changes.length - 1]")["pending"] == 0
    line = CountLine.objects.get(count=count)
    assert line.counted_quantity == Decimal(6) and CountEntry.objects.filter(line=line).count() == 3
    assert TerminalOperation.objects.filter(op_id__in=ids, status="accepted").count() == 3
    # nothing left to send: a second flush sends nothing
    assert page.evaluate("ob.flush()") == {"accepted": 0, "duplicate": 0, "refused": 0, "retry": 0, "error": None}
    assert_ledger_consistent()
    context.close()


def test_lost_answer_is_resent_and_answered_duplicate(live_server, wipeable_ledger, browser):
    shop = Shop()
    count, terminal, raw = _setup(shop)
    context, page = _page(browser, live_server)
    page.evaluate(OPEN, [raw, terminal.pk])
    lost = []

    def lose_answer(route):
        response = route.fetch()  # the server applies the batch ...
        lost.append(response.status)
        route.abort("connectionreset")  # ... and the answer never reaches the browser

    page.route("**/api/sync/push", lose_answer)
    op_id = page.evaluate("c => ob.add('count_entry', {count: c, entries: [{item: 'W001', qty: '4'}]})", count.pk)
    summary = page.evaluate("ob.flush()")
    assert lost == [200] and summary["error"]["code"] == "network.error"
    assert page.evaluate("ob.pending()") == 1  # kept: the browser does not know it was applied
    page.unroute("**/api/sync/push")
    summary = page.evaluate("ob.flush()")
    assert summary["duplicate"] == 1 and summary["accepted"] == 0
    assert page.evaluate("ob.pending()") == 0 and page.evaluate("results") == [
        {"status": "duplicate", "id": op_id, "type": "count_entry"}]
    line = CountLine.objects.get(count=count)
    assert line.counted_quantity == Decimal(4) and CountEntry.objects.filter(line=line).count() == 1
    context.close()


def test_refused_ops_are_kept_for_the_user_and_the_rest_go_through(live_server, wipeable_ledger, browser):
    shop = Shop()
    count, terminal, raw = _setup(shop)
    context, page = _page(browser, live_server)
    page.evaluate(OPEN, [raw, terminal.pk])
    page.evaluate("""async (count) => {
      await ob.add("count_entry", {count, entries: [{barcode: "0000000000000"}]});
      await ob.add("sale", {lines: [{item: "W001", qty: "1"}]});   // a PDA does not sell
      await ob.add("count_entry", {count, entries: [{item: "W001", qty: "1"}]});
    }""", count.pk)
    summary = page.evaluate("ob.flush()")
    assert (summary["accepted"], summary["refused"], summary["error"]) == (1, 2, None)
    assert page.evaluate("ob.pending()") == 0
    refused = page.evaluate("ob.refused()")
    assert [(r["type"], r["error"]["code"]) for r in refused] == [
        ("count_entry", "barcode.unknown"), ("sale", "terminal.op_not_allowed")]
    assert all(r["error"]["message"] for r in refused) and refused[0]["data"]["entries"][0]["barcode"]
    page.evaluate("id => ob.dismissRefused(id)", refused[0]["id"])
    assert len(page.evaluate("ob.refused()")) == 1
    assert CountLine.objects.get(count=count).counted_quantity == Decimal(1)
    context.close()


def test_a_revoked_terminal_stops_uploading_and_keeps_its_ops(live_server, wipeable_ledger, browser):
    shop = Shop()
    count, terminal, raw = _setup(shop)
    context, page = _page(browser, live_server)
    page.evaluate(OPEN, [raw, terminal.pk])
    terminals.revoke_terminal(by=shop.admin, terminal_id=terminal.pk)
    pushes = []
    page.on("request", lambda r: pushes.append(r.url) if r.url.endswith("/api/sync/push") else None)
    page.evaluate("c => ob.add('count_entry', {count: c, entries: [{item: 'W001', qty: '1'}]})", count.pk)
    page.evaluate("ob.start({minDelayMs: 50, maxDelayMs: 100, periodMs: 100})")
    wait_for(page, "changes.some(c => c.last_error && c.last_error.status === 401)")
    state = page.evaluate("ob.status()")
    assert state["pending"] == 1 and state["blocked"] and state["last_error"]["code"] == "auth.required"
    page.wait_for_timeout(600)  # several back-off periods: no more uploads with the revoked token
    assert len(pushes) == 1
    # a reload remembers it: still no upload with that token
    page.reload()
    page.add_script_tag(url=f"{live_server.url}/static/sync/outbox.js")
    page.evaluate(OPEN, [raw, terminal.pk])
    page.evaluate("ob.start({minDelayMs: 50, maxDelayMs: 100, periodMs: 100})")
    page.wait_for_timeout(400)
    summary = page.evaluate("ob.flush()")
    assert summary["error"]["code"] == "auth.required" and len(pushes) == 1
    assert page.evaluate("ob.pending()") == 1 and not CountEntry.objects.exists()

    # registered again (a new token): the kept op goes through
    terminal2, raw2 = terminals.register_terminal(by=shop.admin, code="PDA2", kind="pda", name="",
                                                  warehouse=shop.main)
    page.evaluate("t => ob.setTerminal({id: t[1], code: 'PDA2', kind: 'pda', token: t[0]})", [raw2, terminal2.pk])
    wait_for(page, "results.length === 1")
    assert page.evaluate("results[0].status") == "accepted" and page.evaluate("ob.pending()") == 0
    assert CountLine.objects.get(count=count).counted_quantity == Decimal(1)
    page.evaluate("ob.stop()")
    context.close()
