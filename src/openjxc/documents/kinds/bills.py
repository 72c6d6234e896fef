"""Supplier bills (采购发票): what the supplier invoices for goods received. They move no stock.

Every line points at a purchase receipt line; billing more than was received less what is already
billed is refused by the document services' source check, per kind. Prices and tax rates come from
the receipt (下推 copies them). Whether a bill or the receipt books the payable is the company's
`payable_from` setting (core/company_settings.py), applied by the partner-ledger hook (finance/effects.py).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import Kind
from .inventory import BUYERS


def no_moves(doc, lines, places):
    return []


PURCHASE_BILL = Kind(
    code="purchase_bill", prefix="CGFP", label=_("Purchase bill"), plan=no_moves, partner_role="supplier",
    sources=("purchase_receipt",), source_required=True, price_default="purchase_price",
    create_roles=BUYERS,
)
