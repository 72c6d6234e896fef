"""The terminals page (admin): list with health, register (token shown once), one-time code, revoke, review."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from openjxc.core import clock
from openjxc.partners import services as partners
from openjxc.sync import protocol, terminals
from openjxc.sync.models import Terminal

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, shop):
    client.force_login(shop.admin)
    return client


def test_admin_registers_a_terminal_on_the_page_and_sees_its_token_once(admin_client, shop):
    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer")
    r = admin_client.post("/terminals/", {"new-code": "POS7", "new-name": "七号", "new-kind": "pos",
                                          "new-warehouse": shop.store.pk, "new-customer": walk_in.pk,
                                          "action": "register"})
    assert r.status_code == 200
    terminal = Terminal.objects.get(code="POS7")
    token = r.context["new_token"]
    assert token.startswith("jxt_") and token in r.content.decode()
    assert terminals.terminal_for_token(token) == terminal
    page = admin_client.get("/terminals/").content.decode()
    assert "POS7" in page and token not in page  # never shown again
    r = admin_client.post("/terminals/", {"new-code": "", "new-kind": "pda", "new-warehouse": shop.main.pk,
                                          "action": "code"})
    assert r.context["code_shown"] and len(r.context["code_shown"]) == 20


def test_page_shows_problems_and_alerts_and_revoke_works(admin_client, shop):
    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer")
    terminal, _raw = terminals.register_terminal(by=shop.admin, code="POS1", name="一号", kind="pos",
                                                 warehouse=shop.store, customer=walk_in)
    protocol.push(terminal, ops=[{"id": str(uuid.uuid4()), "type": "sale", "data": {"lines": [{"item": "NOPE",
                                                                                                  "qty": "1"}]}}])
    page = admin_client.get("/terminals/").content.decode()
    assert "terminal.refused" in page and "operations refused in the last 24 hours" in page
    detail = admin_client.get(f"/terminals/{terminal.pk}/?status=refused").content.decode()
    assert "item.not_found" in detail
    r = admin_client.post(f"/terminals/{terminal.pk}/revoke/")
    assert r.status_code == 302
    terminal.refresh_from_db()
    assert terminal.revoked_at is not None and not terminal.user.is_active


def test_a_cashier_cannot_open_the_page(client, shop):
    client.force_login(shop.user("cashier1", "cashier"))
    assert client.get("/terminals/").status_code == 403


def test_the_alerts_engine_evaluates_terminal_health(shop):
    from openjxc.alerts.rule_models import AlertKind
    from openjxc.alerts.rules import EVALUATORS, Scope

    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer")
    terminal, _raw = terminals.register_terminal(by=shop.admin, code="POS1", name="一号", kind="pos",
                                                 warehouse=shop.store, customer=walk_in)
    evaluate = EVALUATORS[AlertKind.TERMINAL]
    assert evaluate(Scope(company_id=shop.company.pk), {}) == {}
    clock.freeze(clock.now() + dt.timedelta(hours=2))
    try:
        found = evaluate(Scope(company_id=shop.company.pk), {})
    finally:
        clock.freeze(None)
    assert list(found) == [f"terminal:{terminal.pk}:silent"]
    assert found[f"terminal:{terminal.pk}:silent"].data["terminal"] == "POS1"


def test_the_periodic_task_raises_silent_terminals(shop):
    from openjxc.core.models import Event
    from openjxc.sync.tasks import periodic_terminal_check

    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer")
    terminals.register_terminal(by=shop.admin, code="POS1", name="一号", kind="pos", warehouse=shop.store,
                                customer=walk_in)
    clock.freeze(clock.now() + dt.timedelta(hours=2))
    try:
        periodic_terminal_check.call_local()
    finally:
        clock.freeze(None)
    assert Event.objects.filter(topic="terminal.silent").count() == 1
