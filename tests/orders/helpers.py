"""Small helpers the order tests share (writes go through the services)."""

from __future__ import annotations

from decimal import Decimal

from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.finance.ledger import check_partner_ledger

D = Decimal


def ln(item, quantity, price=None, **kw) -> LineInput:
    return LineInput(item=item.pk, quantity=D(str(quantity)), unit_price=None if price is None else D(str(price)), **kw)


def confirm(shop, kind, lines, *, partner=None, by=None, **kw):
    """Create a document of `kind` and carry it to posted (for orders: confirmed)."""
    return docs.create_document(by=by or shop.admin, kind=kind, warehouse=kw.pop("warehouse", shop.main),
                                partner=partner, lines=lines, advance_to="posted", **kw)


def set_company_setting(company, **values) -> None:
    company.settings = {**(company.settings or {}), **values}
    company.save(update_fields=["settings"])


def assert_partner_ledger_consistent() -> None:
    problems = check_partner_ledger(None)
    assert problems == [], "\n".join(map(str, problems))
