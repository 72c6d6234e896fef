"""A terminal stays in its store (issue 14, finding 4), through the real protocol endpoints: the customers a till
may name, quantity bounds from the company's settings, the business date from the till's clock corrected by its
measured skew, and the review queue for operations dated too long ago, in a closed month or ahead."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo

import pytest
from django.test import Client

from openjxc.core import clock, tokens
from openjxc.core.models import AuditRecord, Role
from openjxc.documents.models import Document
from openjxc.partners import services as partners
from openjxc.stock import period_close, periods
from openjxc.stock import services as stock
from openjxc.sync import customers, terminals
from openjxc.sync.models import OpStatus, TerminalOperation, TerminalReview
from tests.conftest import assert_ledger_consistent

pytestmark = pytest.mark.django_db


def _register(shop, warehouse, code):
    walk_in = partners.create_partner(by=shop.admin, code=f"W-{code}", name="散客", kind="customer")
    return terminals.register_terminal(by=shop.admin, code=code, name=code, kind="pos", warehouse=warehouse,
                                       customer=walk_in)[1]


def _push(raw, *ops, client_time="now"):
    body: dict = {"ops": list(ops)}
    if client_time is not None:
        body["client_time"] = (clock.now() if client_time == "now" else client_time).isoformat()
    r = Client().post("/api/sync/push", json.dumps(body), content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200, r.content
    return r.json()["results"]


def _sale(at=None, **data):
    data.setdefault("lines", [{"item": "W001", "qty": "1"}])
    return {"id": str(uuid.uuid4()), "type": "sale", "created_at": (at or clock.now()).isoformat(), "data": data}


def _local_date(shop, at: dt.datetime) -> dt.date:
    return at.astimezone(zoneinfo.ZoneInfo(shop.company.time_zone)).date()


def _api(user):
    raw = tokens.create_token(by=user, name="t")[1]

    def call(method, path, body=None):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        if method == "get":
            return client.get(path)
        return client.post(path, json.dumps(body or {}), content_type="application/json")
    return call


# ---------------------------------------------------------------- customers


def test_a_till_names_only_customers_of_its_store(shop):
    other_store = stock.create_warehouse(by=shop.admin, code="ST2", name="二号门店", kind="store")
    shop.receive(shop.water, 20, "1.2", warehouse=shop.store)
    raw = _register(shop, shop.store, "POS1")
    theirs = partners.create_partner(by=shop.admin, code="C-ST2", name="二号店会员", kind="customer")
    ours = partners.create_partner(by=shop.admin, code="C-ST1", name="一号店会员", kind="customer")
    customers.set_customer_stores(by=shop.admin, customer=theirs.pk, stores=[other_store.pk])
    customers.set_customer_stores(by=shop.admin, customer=ours.code, stores=["ST1"])
    refused = _push(raw, _sale(customer="C-ST2"))[0]
    assert refused["status"] == "refused" and refused["error"]["code"] == "terminal.customer_not_allowed", refused
    assert refused["error"]["message"]
    supplier = _push(raw, _sale(customer=shop.supplier.code))[0]
    assert supplier["error"]["code"] == "terminal.customer_not_allowed"
    # the op is kept (refused, with its answer): a retry gets the same answer, not a sale
    row = TerminalOperation.objects.get(op_id=refused["id"])
    assert row.status == OpStatus.REFUSED and row.result["error"]["code"] == "terminal.customer_not_allowed"
    assert not Document.objects.filter(kind="sales_delivery").exists()
    # its store's customer, a customer of every store (not limited) and the walk-in customer are sold to
    for customer in ("C-ST1", shop.customer.code, None):
        answer = _push(raw, _sale(**({"customer": customer} if customer else {})))[0]
        assert answer["status"] == "accepted", answer
    assert_ledger_consistent()


# ---------------------------------------------------------------- quantities


@pytest.mark.parametrize(("qty", "setting"), [("1e11", {}), ("1.23456", {}), ("11", {"max_line_quantity": 10}),
                                              ("1.5", {"quantity_decimals": 0})])
def test_quantities_beyond_the_company_bounds_are_refused_and_kept(shop, qty, setting):
    if setting:
        terminals.set_terminal_settings(by=shop.admin, **setting)
    raw = _register(shop, shop.store, "POS1")
    result = _push(raw, _sale(lines=[{"item": "W001", "qty": qty}]))[0]
    assert result["status"] == "refused" and result["error"]["code"] == "validation.failed", result
    assert result["error"]["data"]["field"] == "lines[1].qty"
    assert TerminalOperation.objects.get(op_id=result["id"]).status == OpStatus.REFUSED
    assert not Document.objects.filter(kind="sales_delivery").exists()


# ---------------------------------------------------------------- the business date


def test_an_offline_sale_keeps_its_date_corrected_by_the_measured_skew(shop):
    shop.receive(shop.water, 20, "1.2", warehouse=shop.store)
    raw = _register(shop, shop.store, "POS1")
    behind = dt.timedelta(hours=20)  # the till's clock is 20 hours slow
    made = clock.now() - dt.timedelta(days=2)  # the sale was made offline two days ago
    answer = _push(raw, _sale(at=made - behind), client_time=clock.now() - behind)[0]
    assert answer["status"] == "accepted", answer
    doc = Document.objects.get(pk=answer["document"]["id"])
    assert doc.business_on == _local_date(shop, made)
    # a later push without its clock: the skew measured last is applied
    made = clock.now() - dt.timedelta(days=3)
    answer = _push(raw, _sale(at=made - behind), client_time=None)[0]
    assert Document.objects.get(pk=answer["document"]["id"]).business_on == _local_date(shop, made)
    assert_ledger_consistent()


def test_an_old_sale_waits_for_review_and_is_posted_with_its_date_when_accepted(shop):
    shop.receive(shop.water, 20, "1.2", warehouse=shop.store)
    raw = _register(shop, shop.store, "POS1")
    manager = shop.user("mgr", Role.MANAGER)
    made = clock.now() - dt.timedelta(days=10)
    op = _sale(at=made, lines=[{"item": "W001", "qty": "3"}])
    held = _push(raw, op)[0]
    assert held["status"] == "held" and held["review"]["reason"] == "too_old", held
    assert held["review"]["business_on"] == _local_date(shop, made).isoformat()
    assert not Document.objects.filter(kind="sales_delivery").exists()
    # the till hears it again as held (never lost, never applied twice); its pull lists it as waiting
    assert _push(raw, op)[0]["first"]["status"] == "held"
    pulled = Client().get("/api/sync/pull", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert [(r["op_id"], r["status"]) for r in pulled["reviews"]] == [(op["id"], "pending")]
    # the manager sees it and accepts it: posted with the till's (corrected) date
    api = _api(manager)
    queue = api("get", "/api/sync/reviews").json()
    assert [(r["op_id"], r["reason"]) for r in queue] == [(op["id"], "too_old")]
    r = api("post", f"/api/sync/reviews/{queue[0]['id']}/accept")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted"
    doc = Document.objects.get(kind="sales_delivery")
    assert doc.business_on == _local_date(shop, made) and doc.status == "posted"
    assert doc.created_by_id == TerminalReview.objects.get().terminal.user_id  # the till's sale, as it was
    # the till learns the outcome: its op answers accepted with the document, and the pull says accepted
    again = _push(raw, op)[0]
    assert again["status"] == "duplicate" and again["first"]["document"]["number"] == doc.number
    pulled = Client().get("/api/sync/pull", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert pulled["reviews"][0]["status"] == "accepted"
    assert AuditRecord.objects.filter(action="terminal.review_accepted", actor=manager).exists()
    # decided once
    assert api("post", f"/api/sync/reviews/{queue[0]['id']}/accept").json()["code"] == "terminal.review_decided"
    assert_ledger_consistent()


def test_an_accepted_held_sale_below_zero_is_flagged_like_a_pushed_one(shop):
    """Acceptance runs the push's own path (protocol.post_operation + record_accepted): the sale that takes the
    store below zero is flagged on its answer, counted on its terminal and raised as terminal.negative_stock."""
    from openjxc.core.models import Event
    from openjxc.sync.models import Terminal

    shop.receive(shop.water, 1, "1.2", warehouse=shop.store)
    raw = _register(shop, shop.store, "POS1")
    op = _sale(at=clock.now() - dt.timedelta(days=10), lines=[{"item": "W001", "qty": "3"}])
    assert _push(raw, op)[0]["status"] == "held"
    review = TerminalReview.objects.get()
    r = _api(shop.admin)("post", f"/api/sync/reviews/{review.pk}/accept")
    assert r.status_code == 200, r.content
    row = TerminalOperation.objects.get(op_id=op["id"])
    assert row.status == OpStatus.ACCEPTED and row.is_negative
    assert row.result["flags"] == ["negative_stock"] and row.result["review"]["id"] == review.pk
    assert _push(raw, op)[0]["first"]["flags"] == ["negative_stock"]  # what the till hears again
    terminal = Terminal.objects.get(code="POS1")
    assert (terminal.accepted_count, terminal.negative_count) == (1, 1)
    event = Event.objects.get(topic="terminal.negative_stock")
    assert event.payload["op_id"] == op["id"] and event.payload["number"] == row.document.number
    assert event.payload["negative"], event.payload  # what went below zero, as on a push
    # a held sale that stays above zero is accepted without the flag
    op2 = _sale(at=clock.now() - dt.timedelta(days=10), lines=[{"item": "W001", "qty": "1"}])
    shop.receive(shop.water, 10, "1.2", warehouse=shop.store)
    _push(raw, op2)
    review2 = TerminalReview.objects.get(status="pending")
    assert _api(shop.admin)("post", f"/api/sync/reviews/{review2.pk}/accept").status_code == 200
    assert TerminalOperation.objects.get(op_id=op2["id"]).result["flags"] == []
    terminal.refresh_from_db()
    assert (terminal.accepted_count, terminal.negative_count) == (2, 1)
    assert_ledger_consistent()


def test_a_sale_dated_in_a_closed_month_is_held_then_redated(shop):
    today = clock.today(shop.company.time_zone)
    month = periods.month_start(periods.month_start(today) - dt.timedelta(days=1))
    shop.receive(shop.water, 20, "1.2", warehouse=shop.store)
    period_close.close_period(by=shop.admin, month=month)
    raw = _register(shop, shop.store, "POS1")
    terminals.set_terminal_settings(by=shop.admin, review_days=3660)  # not too old: only the closed month holds it
    made = dt.datetime.combine(month.replace(day=15), dt.time(12), zoneinfo.ZoneInfo(shop.company.time_zone))
    held = _push(raw, _sale(at=made))[0]
    assert held["status"] == "held" and held["review"]["reason"] == "closed_period", held
    review = TerminalReview.objects.get()
    api = _api(shop.admin)
    # accepting it with its own date is refused while its month is closed; the review still waits
    refused = api("post", f"/api/sync/reviews/{review.pk}/accept")
    assert refused.status_code == 409 and refused.json()["code"] == "period.closed", refused.content
    review.refresh_from_db()
    assert review.status == "pending" and not Document.objects.filter(kind="sales_delivery").exists()
    r = api("post", f"/api/sync/reviews/{review.pk}/redate", {"business_on": today.isoformat(), "reason": "补录"})
    assert r.status_code == 200, r.content
    doc = Document.objects.get(kind="sales_delivery")
    assert doc.business_on == today and r.json()["posted_on"] == today.isoformat()
    audit = AuditRecord.objects.get(action="terminal.review_redated")
    assert audit.before["business_on"] == month.replace(day=15).isoformat()
    assert audit.after["posted_on"] == today.isoformat() and audit.after["note"] == "补录"
    assert_ledger_consistent()


def test_a_rejected_operation_is_kept_and_the_till_learns_why(shop):
    raw = _register(shop, shop.store, "POS1")
    manager = shop.user("mgr", Role.MANAGER)
    op = _sale(at=clock.now() - dt.timedelta(days=30))
    assert _push(raw, op)[0]["status"] == "held"
    api = _api(manager)
    review = TerminalReview.objects.get()
    assert api("post", f"/api/sync/reviews/{review.pk}/reject", {"reason": ""}).status_code == 422
    r = api("post", f"/api/sync/reviews/{review.pk}/reject", {"reason": "测试数据"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    review.refresh_from_db()
    assert review.data == op["data"]  # the payload is kept
    answer = _push(raw, op)[0]["first"]
    assert answer["status"] == "refused" and answer["error"]["code"] == "terminal.review_rejected"
    assert "测试数据" in answer["error"]["message"]
    assert not Document.objects.filter(kind="sales_delivery").exists()


def test_a_sale_dated_ahead_of_the_posting_tolerance_is_held(shop):
    raw = _register(shop, shop.store, "POS1")
    ahead = _sale(at=clock.now() + dt.timedelta(days=3))
    held = _push(raw, ahead, client_time=None)[0]  # no clock sent, none measured: the date cannot be corrected
    assert held["status"] == "held" and held["review"]["reason"] == "future", held


def test_an_invalid_old_operation_is_refused_not_held(shop):
    raw = _register(shop, shop.store, "POS1")
    answer = _push(raw, _sale(at=clock.now() - dt.timedelta(days=30), lines=[{"item": "NOPE", "qty": "1"}]))[0]
    assert answer["status"] == "refused" and answer["error"]["code"] == "item.not_found", answer
    assert not TerminalReview.objects.exists()


def test_reviews_are_for_managers_of_the_terminals_warehouse(shop):
    raw = _register(shop, shop.store, "POS1")
    _push(raw, _sale(at=clock.now() - dt.timedelta(days=30)))
    review = TerminalReview.objects.get()
    cashier = shop.user("cash", Role.CASHIER, warehouses=[shop.store])
    elsewhere = shop.user("mgr2", Role.MANAGER, warehouses=[shop.main])
    assert _api(cashier)("post", f"/api/sync/reviews/{review.pk}/accept").status_code == 403
    assert _api(elsewhere)("get", "/api/sync/reviews").json() == []
    assert _api(elsewhere)("post", f"/api/sync/reviews/{review.pk}/accept").status_code == 404


def test_the_review_page_and_the_inbox_show_held_operations_in_chinese_and_english(shop):
    from openjxc.workflow.todo import waiting_work

    raw = _register(shop, shop.store, "POS1")
    manager = shop.user("mgr", Role.MANAGER)
    op = _sale(at=clock.now() - dt.timedelta(days=12))
    _push(raw, op)
    review = TerminalReview.objects.get()
    assert waiting_work(manager).counts["terminal_reviews"] == 1
    assert waiting_work(shop.user("cash", Role.CASHIER)).counts["terminal_reviews"] == 0
    client = Client()
    client.force_login(manager)
    page = client.get("/terminals/reviews/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "待审核的终端操作" in page and f'data-review="{review.pk}"' in page
    assert "Terminal operations to review" in client.get("/terminals/reviews/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    r = client.post(f"/terminals/reviews/{review.pk}/", {"action": "reject", "reason": "重复"})
    assert r.status_code == 302
    review.refresh_from_db()
    assert review.status == "rejected" and review.note == "重复"
    assert waiting_work(manager).counts["terminal_reviews"] == 0
