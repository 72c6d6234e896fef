"""User names are unique per company, not across the server (issue 14, finding 8): two companies may each have a
"wang"; creating one in a company succeeds whatever other companies hold and tells nothing about them; a person
signs in with their company code and user name (remembered in a cookie), and failed sign-ins lock out that
company's "wang" only. API tokens and terminals are unchanged."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from openjxc.core import services as core
from openjxc.core import tokens
from openjxc.core.errors import DomainError
from openjxc.core.models import Role, User
from tests.conftest import Shop

PASSWORD = "Lager-2026-Nord"


@pytest.fixture
def two(db):
    acme, rival = Shop("ACME"), Shop("RIVAL")
    acme.wang = core.create_user(by=acme.admin, username="wang", password=PASSWORD, roles=[Role.KEEPER])
    rival.wang = core.create_user(by=rival.admin, username="wang", password=PASSWORD + "-r", roles=[Role.CASHIER])
    return acme, rival


def _sign_in(company, username, password, *, address="10.1.0.1", client=None):
    client = client or Client(REMOTE_ADDR=address)
    data = {"username": username, "password": password}
    if company is not None:
        data["company"] = company
    return client, client.post("/login/", data)


def _who(client):
    return int(client.session["_auth_user_id"]) if "_auth_user_id" in client.session else None


def test_each_company_may_have_its_own_wang_and_learns_nothing_of_the_other(two):
    acme, rival = two
    assert acme.wang.pk != rival.wang.pk and acme.wang.username == rival.wang.username
    # within one company the name is still taken
    with pytest.raises(DomainError) as info:
        core.create_user(by=acme.admin, username="wang", password=PASSWORD, roles=[])
    assert info.value.code == "user.username_taken"
    # and the database says so too, whoever writes
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="wang", company=acme.company)


def test_sign_in_by_company_code_and_user_name(two):
    acme, rival = two
    client, r = _sign_in("ACME", "wang", PASSWORD)
    assert r.status_code == 302 and _who(client) == acme.wang.pk
    assert r.cookies["jxc_company"].value == "ACME"  # remembered for the next sign-in
    client, r = _sign_in("rival", "wang", PASSWORD + "-r")  # the code in any case
    assert r.status_code == 302 and _who(client) == rival.wang.pk
    # the right password of the other company's wang does not open this one
    client, r = _sign_in("ACME", "wang", PASSWORD + "-r")
    assert r.status_code == 200 and _who(client) is None
    # without a company an ambiguous name gets the answer a wrong password gets
    _c, ambiguous = _sign_in(None, "wang", PASSWORD)
    _c, wrong = _sign_in("ACME", "wang", "not-the-password")
    assert ambiguous.status_code == wrong.status_code == 200
    assert ambiguous.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
    # a name unique on the server signs in without a company code
    client, r = _sign_in(None, "acme-admin", "pw-12345678")
    assert r.status_code == 302 and _who(client) == acme.admin.pk


def test_the_sign_in_page_asks_for_the_company_and_remembers_it(two):
    client = Client()
    page = client.get("/login/").content.decode()
    assert 'name="company"' in page and 'type="hidden" name="company"' not in page
    client.cookies["jxc_company"] = "RIVAL"
    assert 'value="RIVAL"' in client.get("/login/").content.decode()


def test_failures_lock_out_one_companys_wang_only(two, settings):
    acme, rival = two
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in("ACME", "wang", "guess", address=f"10.2.0.{n}")
    _c, r = _sign_in("ACME", "wang", PASSWORD, address="10.2.1.1")
    assert r.status_code == 429
    client, r = _sign_in("RIVAL", "wang", PASSWORD + "-r", address="10.2.1.2")
    assert r.status_code == 302 and _who(client) == rival.wang.pk


def test_api_tokens_work_as_before(two):
    acme, rival = two
    raw = tokens.create_token(by=acme.wang, name="t")[1]
    r = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200 and r.json()["id"] == acme.wang.pk, r.content
