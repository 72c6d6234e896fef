"""The till's browser tests start alike: a store with water on its shelf, 门店散客, a cashier and a registration code;
then the till page opened and registered as POS1 with its catalogue cached."""

from __future__ import annotations

from openjxc.core.models import Role
from openjxc.partners import services as partners
from openjxc.sync import terminals
from tests.conftest import Shop


def cash_till_shop():
    """(shop, walk-in customer, cashier, registration code) of a store with 20 water at 1.20."""
    shop = Shop()
    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer", is_walk_in=True)
    shop.receive(shop.water, 20, "1.2", warehouse=shop.store)
    cashier = shop.user("cashier1", Role.CASHIER, warehouses=[shop.store])
    _rc, code = terminals.create_registration_code(by=shop.admin, kind="pos", warehouse=shop.store, customer=walk_in)
    return shop, walk_in, cashier, code


def open_registered_till(page, url: str, code: str) -> None:
    """Open the till page, register it as POS1 and wait until its catalogue is cached (locator waits: the page's
    Content-Security-Policy forbids string predicates)."""
    page.goto(f"{url}/pos/")
    page.wait_for_selector("body[data-ready='1']")
    page.fill("input[name=registration_code]", code)
    page.fill("input[name=code]", "POS1")
    page.click("#register-form button[type=submit]")
    page.wait_for_selector("#pos-till:not([hidden])")
    page.locator("#catalogue-state", has_text="已缓存").wait_for()
