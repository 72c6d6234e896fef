"""Order kinds: requests, orders and quotes. They move no stock; "posted" means confirmed, in force.

Receipts and deliveries are created from them (下推); the order's progress is read from those
(documents/orders.py), and the checks that guard it (over-receipt, over-delivery, credit limit,
reservations) are posting hooks registered in documents/apps.py.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .base import Kind
from .inventory import BUYERS, SELLERS


def no_moves(doc, lines, places):
    return []


PURCHASE_REQUEST = Kind(
    code="purchase_request", prefix="QGD", label=_("Purchase request"), plan=no_moves,
    price_default="purchase_price", create_roles=BUYERS | SELLERS,
)
PURCHASE_ORDER = Kind(
    code="purchase_order", prefix="CGDD", label=_("Purchase order"), plan=no_moves, partner_role="supplier",
    sources=("purchase_request",), price_default="purchase_price", fulfilled_by="purchase_receipt",
    create_roles=BUYERS,
)
SALES_QUOTE = Kind(
    code="sales_quote", prefix="XSBJ", label=_("Sales quote"), plan=no_moves, partner_role="customer", price_list=True,
    price_default="sale_price", create_roles=SELLERS,
)
SALES_ORDER = Kind(
    code="sales_order", prefix="XSDD", label=_("Sales order"), plan=no_moves, partner_role="customer", price_list=True,
    sources=("sales_quote",), price_default="sale_price", fulfilled_by="sales_delivery", create_roles=SELLERS,
)

ORDER_KINDS = frozenset({PURCHASE_REQUEST.code, PURCHASE_ORDER.code, SALES_QUOTE.code, SALES_ORDER.code})
# the kind that fulfils each order kind (also in the registry: documents.kinds.FULFILLED_BY)
FULFILLED_BY: dict[str, str] = {k.code: k.fulfilled_by or "" for k in (PURCHASE_ORDER, SALES_ORDER)}
