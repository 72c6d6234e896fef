"""Till closing (交班/日结) through the till push and the API: expected cash from the till's cash sales − refunds ±
float, counted cash, the difference with a required reason, each closing covering the sales since the previous
one, and its 80 mm print. Every story ends with the stock-ledger and partner-ledger checks."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal as D

import pytest
from django.test import Client

from openjxc.core import clock
from openjxc.core import services as core
from openjxc.core.models import AuditRecord, Role
from openjxc.finance.ledger import check_partner_ledger
from openjxc.partners import services as partners
from openjxc.sync import terminals
from openjxc.sync.models import TillClosing
from tests.api.conftest import Api
from tests.conftest import assert_ledger_consistent

pytestmark = pytest.mark.django_db


@pytest.fixture
def till(shop):
    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer", is_walk_in=True)
    terminal, raw = terminals.register_terminal(by=shop.admin, code="POS1", name="一号收银台", kind="pos",
                                                warehouse=shop.store, customer=walk_in)
    return terminal, raw


def _push(raw, *ops):
    body = {"client_time": clock.now().isoformat(), "ops": list(ops)}
    r = Client().post("/api/sync/push", json.dumps(body), content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200, r.content
    assert [x["status"] for x in r.json()["results"]] == ["accepted"] * len(ops), r.json()
    return r.json()["results"]


def _sale(qty, method="cash", price="3.00", **extra):
    return {"id": str(uuid.uuid4()), "seq": 1, "type": "sale", "created_at": clock.now().isoformat(),
            "data": {"lines": [{"item": "W001", "qty": str(qty), "price": price}], "payment": {"method": method},
                     **extra}}


def _checks(shop):
    assert_ledger_consistent(shop.company.pk)
    assert check_partner_ledger(shop.company.pk) == []


def test_expected_cash_is_cash_sales_less_cash_refunds_plus_float_and_a_difference_needs_a_reason(shop, till):
    terminal, raw = till
    first = _sale(4)  # ¥12 cash
    _push(raw, first, _sale(2, method="wechat"), _sale(1))  # ¥6 WeChat, ¥3 cash
    _push(raw, {"id": str(uuid.uuid4()), "seq": 2, "type": "return", "created_at": clock.now().isoformat(),
                "data": {"sale_op": first["id"], "lines": [{"item": "W001", "qty": "1"}],
                         "payment": {"method": "cash", "refund": True}}})  # −¥3 cash
    cashier = core.create_user(by=shop.admin, username="chen", password="pw-chen-123", roles=[Role.CASHIER],
                               warehouses=[shop.store])
    api = Api(cashier)
    exp = api.get("/sync/closings/expected", {"terminal": "POS1"}).json()
    assert (D(exp["cash_sales"]), D(exp["cash_refunds"]), D(exp["expected_without_float"])) == (
        D("15"), D("3"), D("12"))
    assert {m: D(v) for m, v in exp["by_method"].items()} == {"cash": D("12"), "wechat": D("6")}
    # float 100 + 12 expected; 111.50 counted: short by 0.50, refused without a reason, nothing written
    r = api.post("/sync/closings", {"terminal": terminal.pk, "opening_float": "100", "counted": "111.50"})
    assert r.status_code == 422 and r.json()["data"]["field"] == "reason", r.content
    assert not TillClosing.objects.exists()
    r = api.post("/sync/closings", {"terminal": terminal.pk, "opening_float": "100", "counted": "111.50",
                                    "reason": "找零差错"})
    assert r.status_code == 201, r.content
    c = r.json()
    assert (D(c["expected"]), D(c["counted"]), D(c["difference"]), c["cashier"], c["terminal_code"]) == (
        D("112"), D("111.5"), D("-0.5"), cashier.pk, "POS1")
    assert c["number"].startswith("JBD-") and c["sales_count"] == 3
    assert AuditRecord.objects.filter(action="close_till", object_id=str(c["id"]), actor=cashier).exists()
    pdf = api.get(f"/sync/closings/{c['id']}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    _checks(shop)


def test_a_closing_covers_the_sales_since_the_previous_closing_of_that_till_only(shop, till):
    terminal, raw = till
    api = Api(shop.admin)
    _push(raw, _sale(2))  # ¥6
    r = api.post("/sync/closings", {"terminal": "POS1", "counted": "6.00"})
    assert r.status_code == 201 and D(r.json()["difference"]) == 0, r.content
    _push(raw, _sale(5), _sale(1, method="alipay"))  # ¥15 cash, ¥3 Alipay
    # another till's sales are not this till's cash
    _other, raw2 = terminals.register_terminal(by=shop.admin, code="POS2", name="二号收银台", kind="pos",
                                               warehouse=shop.store, customer=terminal.customer)
    _push(raw2, _sale(3))
    r = api.post("/sync/closings", {"terminal": "POS1", "counted": "15.00"})
    assert r.status_code == 201, r.content
    second = r.json()
    assert (D(second["cash_sales"]), D(second["expected"]), second["sales_count"]) == (D("15"), D("15"), 2)
    # nothing sold since: an empty closing expects only the float
    r = api.post("/sync/closings", {"terminal": "POS1", "counted": "50", "opening_float": "50"})
    assert D(r.json()["expected"]) == D("50") and D(r.json()["cash_sales"]) == 0
    listed = api.get("/sync/closings", {"terminal": terminal.pk}).json()["items"]
    assert len(listed) == 3 and [x["number"] for x in listed[:2]] == [r.json()["number"], second["number"]]
    _checks(shop)


def test_a_sale_voided_after_its_closing_lowers_the_next_closing_expected_cash(shop, till):
    _terminal, raw = till
    api = Api(shop.admin)
    (result,) = _push(raw, _sale(2))  # ¥6
    assert api.post("/sync/closings", {"terminal": "POS1", "counted": "6"}).status_code == 201
    r = api.post(f"/documents/{result['document']['id']}/void", {"reason": "顾客退单"})
    assert r.status_code == 200, r.content
    exp = api.get("/sync/closings/expected", {"terminal": "POS1"}).json()
    assert (D(exp["cash_voided"]), D(exp["expected_without_float"])) == (D("6"), D("-6"))
    _checks(shop)


def test_a_keeper_may_not_close_a_till(shop, till):
    keeper = core.create_user(by=shop.admin, username="keep", password="pw-keep-123", roles=[Role.KEEPER])
    r = Api(keeper).post("/sync/closings", {"terminal": "POS1", "counted": "0"})
    assert r.status_code == 403
    assert not TillClosing.objects.exists()
