"""A terminal's own user has the `terminal` role (issue 14, finding 4): the protocol's rights and nothing else. It
is never an approver, a stand-in or an alert recipient, cannot sign in to the web UI, hold an API token, or be
given a password or roles by an administrator; the data migration moves existing terminal users to the role."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import uuid

import pytest
from django.apps import apps as django_apps
from django.test import Client

from openjxc.alerts import engine
from openjxc.alerts.rule_models import AlertKind
from openjxc.core import clock, permissions, tokens
from openjxc.core import services as core
from openjxc.core.errors import DomainError
from openjxc.core.models import Role, User
from openjxc.partners import services as partners
from openjxc.sync import terminals
from openjxc.workflow import approvers, delegation
from tests.conftest import assert_ledger_consistent

pytestmark = pytest.mark.django_db
PASSWORD = "Till-Pa55word-x"


def _terminal(shop, code="POS1"):
    walk_in = partners.create_partner(by=shop.admin, code=f"W-{code}", name="散客", kind="customer")
    return terminals.register_terminal(by=shop.admin, code=code, name=code, kind="pos", warehouse=shop.store,
                                       customer=walk_in)


def test_a_registered_terminal_user_has_only_the_terminal_role_and_still_sells(shop):
    terminal, raw = _terminal(shop)
    user = terminal.user
    assert user.roles == [Role.TERMINAL]
    assert permissions.allowed(user, "document.post")
    for action in ("users.manage", "alerts.view", "tokens.manage", "reports.view", "settings.view", "stock.cost",
                   "document.void", "masterdata.edit", "period.close", "terminal.review"):
        assert not permissions.allowed(user, action), action
    # the rights it has are the protocol's: a sale pushed with its token is posted
    shop.receive(shop.water, 5, "1.2", warehouse=shop.store)
    body = {"client_time": clock.now().isoformat(), "ops": [{"id": str(uuid.uuid4()), "type": "sale",
                                                            "created_at": clock.now().isoformat(),
                                                            "data": {"lines": [{"item": "W001", "qty": "2"}]}}]}
    r = Client().post("/api/sync/push", json.dumps(body), content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.json()["results"][0]["status"] == "accepted", r.content
    assert_ledger_consistent()


def test_a_terminal_user_is_never_an_approver_a_stand_in_or_an_alert_recipient(shop):
    terminal, _raw = _terminal(shop)
    manager = shop.user("mgr", Role.MANAGER)
    spec = {"approvers": [{"type": "role", "role": "manager"}, {"type": "role", "role": "cashier"},
                          {"type": "role", "role": "terminal"}, {"type": "user", "user": terminal.user_id}]}
    found = approvers.resolve(shop.company.pk, spec, None, shop.admin)
    assert manager.pk in found and terminal.user_id not in found
    assert terminal.user_id not in approvers.active_people(shop.company.pk)
    with pytest.raises(DomainError) as info:  # nor does it stand in for anyone
        delegation.create_delegation(by=manager, delegate=terminal.user_id, starts_at=clock.now(),
                                     ends_at=clock.now() + dt.timedelta(days=1))
    assert info.value.code == "validation.failed"
    rule = engine.save_rule(by=shop.admin, kind=AlertKind.LOW_STOCK, recipient_roles=["manager", "terminal"])
    recipients = {u.pk for u in engine.recipients_of(rule)}
    assert manager.pk in recipients and terminal.user_id not in recipients
    with pytest.raises(DomainError):  # and cannot be named as a recipient
        engine.save_rule(by=shop.admin, rule=rule, recipients=[terminal.user_id])


def test_a_terminal_user_cannot_sign_in_even_with_a_password(shop):
    terminal, _raw = _terminal(shop)
    user = terminal.user
    user.set_password(PASSWORD)  # whatever set it (it has none): the web sign-in still refuses it
    user.save(update_fields=["password"])
    client = Client()
    r = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert r.status_code == 200 and "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
    # a person signs in on the same page
    shop.user("clerk", Role.CASHIER)
    assert Client().post("/login/", {"username": "clerk", "password": "pw-12345678"}).status_code == 302


def test_no_api_token_password_or_role_for_a_terminal_user(shop):
    terminal, raw = _terminal(shop)
    with pytest.raises(DomainError) as info:
        tokens.create_token(by=None, name="sneak", user=terminal.user)
    assert info.value.code == "token.terminal_user"
    with pytest.raises(DomainError) as info:
        core.reset_password(terminal.user, by=shop.admin, password=PASSWORD)
    assert info.value.code == "user.is_terminal"
    with pytest.raises(DomainError) as info:
        core.update_user(terminal.user, by=shop.admin, roles=[Role.MANAGER])
    assert info.value.code == "user.is_terminal"
    clerk = shop.user("clerk", Role.CASHIER)
    with pytest.raises(DomainError) as info:  # and no person is given the terminal role
        core.update_user(clerk, by=shop.admin, roles=[Role.TERMINAL])
    assert info.value.code == "validation.failed"
    # its terminal token is not an API token: the general API refuses it
    assert Client().get("/api/documents", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert Client().get("/api/sync/pull", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_the_data_migration_moves_existing_terminal_users_to_the_terminal_role(shop):
    terminal, _raw = _terminal(shop)
    User.objects.filter(pk=terminal.user_id).update(roles=[Role.CASHIER, Role.MANAGER])  # as registered before
    person = shop.user("mgr", Role.MANAGER)
    migration = importlib.import_module("openjxc.sync.migrations.0005_terminal_users_role")
    migration.to_terminal_role(django_apps, None)
    assert User.objects.get(pk=terminal.user_id).roles == [Role.TERMINAL]
    assert User.objects.get(pk=person.pk).roles == [Role.MANAGER]
