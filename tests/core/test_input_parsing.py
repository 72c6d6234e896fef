"""The one decimal-input parser and the one "no company" refusal every app's services use."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openjxc.core.errors import NoCompany, ValidationFailed
from openjxc.core.models import Role, User
from openjxc.core.permissions import company_id_of, company_of
from openjxc.core.quantities import parse_decimal
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.finance import services as fin

D = Decimal


def _reason(call) -> str:
    with pytest.raises(ValidationFailed) as err:
        call()
    return str(err.value.data["reason"])


@pytest.mark.parametrize("raw, expected", [
    ("12.50", D("12.50")), (3, D("3")), (0.1, D("0.1")), (D("7"), D("7")), (" 4 ", D("4")),
])
def test_parse_decimal_reads_text_numbers_and_floats_exactly(raw, expected):
    assert parse_decimal(raw, "x") == expected


@pytest.mark.parametrize("raw", ["abc", "", None, True, "NaN", "Infinity", [1], "1e"])
def test_parse_decimal_refuses_what_is_not_a_finite_number(raw):
    assert _reason(lambda: parse_decimal(raw, "x")) == "is not a number"


def test_parse_decimal_refuses_by_sign_size_and_places_naming_the_field():
    with pytest.raises(ValidationFailed) as err:
        parse_decimal("-1", "lines[2].quantity")
    assert err.value.data["field"] == "lines[2].quantity"
    assert _reason(lambda: parse_decimal("-1", "x")) == "must not be negative"
    assert _reason(lambda: parse_decimal("0", "x", zero=False)) == "must be greater than zero"
    assert _reason(lambda: parse_decimal("-1", "x", zero=False)) == "must be greater than zero"
    assert _reason(lambda: parse_decimal("0", "x", negative=True, zero=False)) == "must not be zero"
    assert parse_decimal("-2.5", "x", negative=True, zero=False) == D("-2.5")
    assert _reason(lambda: parse_decimal("1" + "0" * 14, "x")) == "is too large"
    assert _reason(lambda: parse_decimal("-1" + "0" * 14, "x", negative=True)) == "is too large"
    assert "at most 2" in _reason(lambda: parse_decimal("1.005", "x", places=2))
    assert parse_decimal("1.50", "x", places=2) == D("1.5")


@pytest.mark.django_db
def test_services_of_every_app_refuse_a_user_without_a_company_alike(shop):
    lonely = User(username="lonely", roles=[Role.ADMIN], company=None)  # e.g. a superuser made on the command line
    with pytest.raises(NoCompany) as err:
        company_of(lonely)
    assert err.value.code == "user.no_company" and err.value.http_status == 403
    with pytest.raises(NoCompany):
        company_id_of(None)
    assert company_of(shop.admin) == shop.company and company_id_of(shop.admin) == shop.company.pk
    with pytest.raises(NoCompany):
        docs.create_document(by=lonely, kind="purchase_receipt", warehouse=shop.main.pk, partner=shop.supplier.pk,
                             lines=[LineInput(item=shop.flour.pk, quantity=1)])
    with pytest.raises(NoCompany):
        fin.create_settlement(by=lonely, kind="receipt", partner=shop.customer.pk, amount="10")


@pytest.mark.django_db
def test_document_and_settlement_amounts_are_parsed_by_the_shared_parser(shop):
    with pytest.raises(ValidationFailed) as err:
        docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main.pk,
                             partner=shop.supplier.pk, lines=[LineInput(item=shop.flour.pk, quantity="1.00001")])
    assert err.value.data["field"] == "lines[1].quantity" and "at most 4" in str(err.value.data["reason"])
    with pytest.raises(ValidationFailed) as err:
        fin.create_settlement(by=shop.admin, kind="receipt", partner=shop.customer.pk, amount="0")
    assert err.value.data == {"field": "amount", "reason": err.value.data["reason"]}
    assert str(err.value.data["reason"]) == "must be greater than zero"
