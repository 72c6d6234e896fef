"""Each role's view of the money (finance/access.py FINANCE_VIEW, issue 14 item 9), checked row by row against the
API and the pages: a cashier records and sees their own receipts, applies one to a customer's open documents, and
sees neither company-wide balances, statements or aging nor anybody else's receipts, drafts included."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.test import Client

from openjxc.core.models import Role
from openjxc.finance import services as fin
from openjxc.finance.access import FINANCE_VIEW, view_of
from tests.api.conftest import Api

ROLES = [Role.ADMIN, Role.MANAGER, Role.FINANCE, Role.SALESPERSON, Role.PURCHASER, Role.CASHIER, Role.KEEPER]


def test_the_table_names_every_role():
    assert set(FINANCE_VIEW) == {r.value for r in Role}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_what_its_row_says(books, role):
    user = books.user(f"u-{role}", role)
    view = FINANCE_VIEW[role]
    draft = fin.create_settlement(by=books.admin, kind="receipt", partner=books.customer, amount=D("50"))
    mine = None
    if role in fin.ROLES["finance.record"][0]:
        mine = fin.create_settlement(by=user, kind="receipt", partner=books.customer, amount=D("20"))
    api = Api(user)
    c = Client()
    c.force_login(user)
    pk = books.customer.pk

    def status(path):
        return api.get(path).status_code

    listed = api.get("/finance/settlements")
    if view.settlements == "none":
        assert listed.status_code == 403
    else:
        ids = {s["id"] for s in listed.json()["items"]}
        assert (draft.pk in ids) == (view.settlements == "all")
        assert status(f"/finance/settlements/{draft.pk}") == (200 if view.settlements == "all" else 404 if
                                                              view.settlements == "own" else 403)
        if mine is not None:
            assert mine.pk in ids and status(f"/finance/settlements/{mine.pk}") == 200
            assert c.get(f"/finance/settlements/{mine.pk}/").status_code == 200
        assert c.get(f"/finance/settlements/{draft.pk}/").status_code == (200 if view.settlements == "all" else 404)

    def allowed(flag):
        return 200 if flag else 403

    assert status(f"/finance/partners/{pk}/balance") == allowed(view.books)
    assert status(f"/finance/partners/{pk}/ledger") == allowed(view.books)
    assert status(f"/finance/partners/{pk}/statement?date_from=2026-01-01&date_to=2026-12-31") == allowed(view.books)
    assert status("/finance/aging") == allowed(view.aging)
    assert status(f"/finance/partners/{pk}/open-documents") == allowed(view.open_items)
    pages = {"/finance/balances/": view.books, "/finance/aging/": view.aging,
             "/finance/statement/": view.books}
    for url, may in pages.items():
        assert c.get(url).status_code == allowed(may), url
    nav = c.get("/finance/settlements/").content.decode() if view.settlements != "none" else ""
    if view.settlements != "none":
        assert ('href="/finance/aging/"' in nav) == view.aging


def test_a_user_with_two_roles_gets_the_wider_view(books):
    both = books.user("cash-and-sales", Role.CASHIER, Role.SALESPERSON)
    assert view_of(both) == FINANCE_VIEW[Role.SALESPERSON]
