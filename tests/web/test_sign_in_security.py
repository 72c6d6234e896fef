"""Sign-in throttling and lockout (django-axes), the password page, and what one company can learn of another's
user names: issue 14 item 8 and item 11. Real requests through the test client, the lockout counted in the database."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from openjxc.core import services as core
from openjxc.core.errors import DomainError
from openjxc.core.models import Role
from openjxc.sync import terminals
from tests.api.conftest import Api
from tests.conftest import Shop

LOGIN = "/login/"
PASSWORD = "pw-12345678"


def sign_in(username, password, *, address="10.0.0.1"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": username, "password": password})
    return client, response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def shop(db):
    return Shop()


def test_a_user_name_is_locked_after_five_failures_even_from_many_addresses(shop, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for n in range(4):
        _c, r = sign_in(shop.admin.username, "wrong-password", address=f"10.0.1.{n}")
        assert r.status_code == 200  # the form again, "wrong user name or password"
    _c, r = sign_in(shop.admin.username, "wrong-password", address="10.0.1.5")
    assert r.status_code == 429  # the fifth failure locks
    client, r = sign_in(shop.admin.username, PASSWORD, address="10.0.9.9")
    assert r.status_code == 429 and not signed_in(client)
    assert b"auth.locked_out" in r.content


def test_an_address_is_locked_after_five_failures_on_different_names(shop):
    for n in range(5):
        sign_in(f"guess{n}", "wrong-password", address="10.0.2.1")
    client, r = sign_in(shop.admin.username, PASSWORD, address="10.0.2.1")
    assert r.status_code == 429 and not signed_in(client)
    # the user is not locked: from another address the right password works
    client, r = sign_in(shop.admin.username, PASSWORD, address="10.0.2.2")
    assert r.status_code == 302 and signed_in(client)


def test_a_success_resets_the_count_of_failures(shop):
    for _n in range(4):
        sign_in(shop.admin.username, "wrong-password")
    client, r = sign_in(shop.admin.username, PASSWORD)
    assert r.status_code == 302 and signed_in(client)
    for _n in range(4):
        sign_in(shop.admin.username, "wrong-password")
    client, r = sign_in(shop.admin.username, PASSWORD)
    assert r.status_code == 302 and signed_in(client)


def test_guessing_the_current_password_on_the_password_page_locks_the_user(shop):
    client, _r = sign_in(shop.admin.username, PASSWORD, address="10.0.3.1")
    url = reverse("web:password_change")
    wrong = {"old_password": "guess-0001", "new_password1": "N3w-pass-word!", "new_password2": "N3w-pass-word!"}
    for _n in range(4):
        assert client.post(url, wrong).status_code == 200
    assert client.post(url, wrong).status_code == 429  # the fifth wrong current password locks
    right = dict(wrong, old_password=PASSWORD)
    r = client.post(url, right)
    assert r.status_code == 429
    shop.admin.refresh_from_db()
    assert shop.admin.check_password(PASSWORD)  # not changed
    # and the sign-in page refuses the user name too, from anywhere
    other, r = sign_in(shop.admin.username, PASSWORD, address="10.0.3.2")
    assert r.status_code == 429 and not signed_in(other)


def test_sign_in_answers_alike_for_another_companys_user_and_an_unknown_name(shop):
    rival = Shop("RIVAL")
    _c, known = sign_in(rival.admin.username, "wrong-password", address="10.0.4.1")
    _c, unknown = sign_in("nobody-at-all", "wrong-password", address="10.0.4.2")
    assert known.status_code == unknown.status_code == 200
    error = known.context["form"].non_field_errors()
    assert error == unknown.context["form"].non_field_errors() and error
    # an inactive user with the right password gets the same answer (nothing tells the name exists)
    core.update_user(rival.admin, by=core.create_user(by=None, company=rival.company, username="rival-2",
                                                      password=PASSWORD, roles=[Role.ADMIN]), is_active=False)
    _c, inactive = sign_in(rival.admin.username, PASSWORD, address="10.0.4.3")
    assert inactive.status_code == 200 and inactive.context["form"].non_field_errors() == error


def test_api_user_creation_applies_the_web_forms_password_rules(shop):
    api = Api(shop.admin)
    r = api.post("/users", {"username": "weak", "password": "password1", "roles": ["keeper"]})
    assert r.status_code == 422, r.content
    assert r.json()["code"] == "validation.failed" and r.json()["data"]["field"] == "password"
    r = api.post("/users", {"username": "strong", "password": "Lager-2026-Nord", "roles": ["keeper"]})
    assert r.status_code == 201


def test_an_administrator_cannot_take_the_user_name_of_another_companys_terminal(shop):
    rival = Shop("RIVAL")
    with pytest.raises(DomainError) as err:
        core.create_user(by=shop.admin, username="terminal.rival.pos1", password="Lager-2026-Nord", roles=[])
    assert err.value.data["field"] == "username"
    # the rival company's till registers as POS1 as planned
    terminal, _raw = terminals.register_terminal(by=rival.admin, code="POS1", name="till", kind="pos",
                                                 warehouse=rival.store, customer=rival.customer)
    assert terminal.user.username == "terminal.rival.pos1"
