"""Prices and tax: the line arithmetic (pure), price lists and the last purchase price (queries).

Rounding: amounts to 0.01, unit prices to 0.000001, ROUND_HALF_UP. A line's amount excluding tax,
its tax and its amount with tax always satisfy amount + tax == amount_with_tax, and document
totals are sums of the rounded line figures, so a document always adds up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import CustomerGroup, Item, ItemUnit, PriceList, PriceListItem
from openjxc.core import permissions
from openjxc.core.errors import ValidationFailed
from openjxc.core.events import record_audit, record_event
from openjxc.core.masterdata import apply_changes, save_master, snapshot
from openjxc.core.quantities import parse_decimal
from openjxc.partners.models import Partner

ZERO = Decimal("0")
CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.000001")

# China's VAT rates (增值税税率 13% / 9% / 6%, 征收率 3%, 零税率 / 免税 0), as data.
VAT_RATES: tuple[Decimal, ...] = (Decimal("0.13"), Decimal("0.09"), Decimal("0.06"), Decimal("0.03"), ZERO)


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_price(value: Decimal) -> Decimal:
    return value.quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)


def check_tax_rate(rate, field: str = "tax_rate") -> Decimal:
    """The rate as a Decimal if it is one of VAT_RATES (0.13, not 13), else ValidationFailed."""
    d = parse_decimal(rate, field)
    if d not in VAT_RATES:
        raise ValidationFailed(field=field, reason=_("must be one of the VAT rates 0.13, 0.09, 0.06, 0.03 or 0"))
    return d.quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class LineAmounts:
    amount: Decimal  # excluding tax
    tax_amount: Decimal
    amount_with_tax: Decimal
    discount_amount: Decimal = ZERO  # taken off before tax, in the price's terms (with or without tax)


def check_discount_rate(rate, field: str = "discount_rate") -> Decimal:
    """A discount as a fraction (0.05 for 5% off), from 0 up to 1, at most 4 decimal places."""
    d = parse_decimal(rate, field, negative=True)
    if not (0 <= d <= 1) or d != d.quantize(Decimal("0.0001")):
        raise ValidationFailed(field=field, reason=_("must be a fraction from 0 to 1 (0.05 is 5 percent off)"))
    return d


def line_amounts(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, *, tax_inclusive: bool,
                 discount_rate: Decimal = ZERO) -> LineAmounts:
    """A line's figures from its quantity, unit price and discount, the price entered with or without tax.

    net = round(q × p) − round(round(q × p) × discount).
    Tax-exclusive: amount = net, tax = round(amount × rate).
    Tax-inclusive: with_tax = net, amount = round(with_tax / (1 + rate)), tax = with_tax − amount.
    """
    gross = round_money(quantity * unit_price)
    discount = round_money(gross * discount_rate)
    net = gross - discount
    if tax_inclusive:
        amount = round_money(net / (1 + tax_rate))
        return LineAmounts(amount, net - amount, net, discount)
    tax = round_money(net * tax_rate)
    return LineAmounts(net, tax, net + tax, discount)


def document_totals(lines) -> LineAmounts:
    """Sums of the (already rounded) line figures: the totals always add up."""
    amount = sum((ln.amount for ln in lines), ZERO)
    tax = sum((ln.tax_amount for ln in lines), ZERO)
    with_tax = sum((ln.amount_with_tax for ln in lines), ZERO)
    return LineAmounts(amount, tax, with_tax)


def price_excluding_tax(price: Decimal, tax_rate: Decimal) -> Decimal:
    return round_price(price / (1 + tax_rate))


def price_including_tax(price: Decimal, tax_rate: Decimal) -> Decimal:
    return round_price(price * (1 + tax_rate))


# ---------------------------------------------------------------- price lists (queries)


@dataclass(frozen=True)
class Price:
    unit_price: Decimal
    tax_inclusive: bool
    unit_id: int
    price_list_id: int | None  # None: the item's default sale price
    min_quantity: Decimal
    tax_rate: Decimal  # the item's rate, to put on the line


def price_for(company, partner, item, quantity, on: dt.date, *, unit=None) -> Price:
    """The sale price of `quantity` of `item` (in `unit`, default the base unit) for `partner` on `on`.

    The most specific active list valid on `on` wins: the customer's own, then one of their
    customer groups', then a list for everyone; among lists alike, the latest `valid_from`. Within
    the list, the highest quantity break not above `quantity`. No list: the item's sale price
    (tax-inclusive, as shops quote it).
    """
    company_id = getattr(company, "pk", company)
    unit_id = getattr(unit, "pk", unit) or item.base_unit_id
    partner_id = getattr(partner, "pk", partner)
    rows = (
        PriceListItem.objects.filter(
            price_list__company_id=company_id, price_list__is_active=True, item_id=item.pk, unit_id=unit_id,
            min_quantity__lte=quantity,
        )
        .filter(Q(price_list__valid_from__isnull=True) | Q(price_list__valid_from__lte=on))
        .filter(Q(price_list__valid_to__isnull=True) | Q(price_list__valid_to__gte=on))
        .filter(
            Q(price_list__partner_id=partner_id)
            | Q(price_list__customer_group__members=partner_id)
            | Q(price_list__partner__isnull=True, price_list__customer_group__isnull=True)
        )
        .values_list("price", "tax_inclusive", "price_list_id", "min_quantity", "price_list__partner_id",
                     "price_list__customer_group_id", "price_list__valid_from")
        .distinct()
    )
    best = None
    for price, inclusive, list_id, min_q, list_partner, list_group, valid_from in rows:
        specific = 2 if list_partner is not None else 1 if list_group is not None else 0
        key = (specific, valid_from or dt.date.min, list_id, min_q)
        if best is None or key > best[0]:
            best = (key, Price(price, inclusive, unit_id, list_id, min_q, item.tax_rate))
    if best is not None:
        return best[1]
    factor = Decimal(1)
    if unit_id != item.base_unit_id:
        factor = ItemUnit.objects.filter(item=item, unit_id=unit_id).values_list("factor", flat=True).first() or 1
    return Price(round_price(item.sale_price * factor), True, unit_id, None, ZERO, item.tax_rate)


# ---------------------------------------------------------------- price list services


@dataclass
class PriceInput:
    item: int
    price: Decimal
    unit: int | None = None  # default the item's base unit
    min_quantity: Decimal = ZERO
    tax_inclusive: bool = True


PRICE_LIST_FIELDS = ["name", "partner", "customer_group", "valid_from", "valid_to", "is_active"]


def _check_price_list(pl) -> None:
    if pl.partner_id and pl.customer_group_id:
        raise ValidationFailed(field="customer_group", reason=_("give a customer or a customer group, not both"))
    if pl.valid_from and pl.valid_to and pl.valid_to < pl.valid_from:
        raise ValidationFailed(field="valid_to", reason=_("is before the start of validity"))
    if pl.partner_id and pl.partner.company_id != pl.company_id:
        raise ValidationFailed(field="partner", reason=_("is not a partner of this company"))
    if pl.customer_group_id and pl.customer_group.company_id != pl.company_id:
        raise ValidationFailed(field="customer_group", reason=_("is not a customer group of this company"))


def _price_rows(pl, prices: list[PriceInput]):
    items = {i.pk: i for i in Item.objects.filter(company_id=pl.company_id, pk__in=[p.item for p in prices])}
    seen = set()
    rows = []
    for n, p in enumerate(prices, start=1):
        item = items.get(p.item)
        if item is None:
            raise ValidationFailed(field=f"items[{n}].item", reason=_("is not an item of this company"))
        unit_id = p.unit or item.base_unit_id
        if unit_id != item.base_unit_id and not ItemUnit.objects.filter(item=item, unit_id=unit_id).exists():
            raise ValidationFailed(field=f"items[{n}].unit", reason=_("is not a unit of this item"))
        if p.price < 0 or p.min_quantity < 0:
            raise ValidationFailed(field=f"items[{n}]", reason=_("must not be negative"))
        key = (item.pk, unit_id, p.min_quantity)
        if key in seen:
            raise ValidationFailed(field=f"items[{n}]", reason=_("repeats a quantity break of this item"))
        seen.add(key)
        rows.append(PriceListItem(price_list=pl, item=item, unit_id=unit_id, min_quantity=p.min_quantity,
                                  price=round_price(p.price), tax_inclusive=p.tax_inclusive))
    return rows


def create_price_list(*, by, name: str, prices: list[PriceInput] = (), **fields):
    """A price list with its prices (quantity breaks); for one customer, a customer group, or everyone."""
    pl = PriceList(company_id=by.company_id, name=name)
    apply_changes(pl, fields, PRICE_LIST_FIELDS)
    _check_price_list(pl)
    with transaction.atomic():
        save_master(pl, by=by, fields=PRICE_LIST_FIELDS, action="create", topic="price_list.created")
        PriceListItem.objects.bulk_create(_price_rows(pl, list(prices)))
    return pl


def update_price_list(pl, *, by, prices: list[PriceInput] | None = None, **fields):
    """Change a price list's header; with `prices`, replace all its prices."""
    before = snapshot(pl, PRICE_LIST_FIELDS)
    apply_changes(pl, fields, PRICE_LIST_FIELDS)
    _check_price_list(pl)
    with transaction.atomic():
        save_master(pl, by=by, fields=PRICE_LIST_FIELDS, action="update", topic="price_list.updated", before=before)
        if prices is not None:
            rows = _price_rows(pl, list(prices))
            pl.items.all().delete()
            PriceListItem.objects.bulk_create(rows)
    return pl


def delete_price_list(pl, *, by) -> None:
    """Delete a price list and its prices (documents keep the prices they were given)."""
    permissions.require(by, "masterdata.edit")
    with transaction.atomic():
        record_event(company=pl.company_id, topic="price_list.deleted", by=by, obj=pl,
                     payload=snapshot(pl, PRICE_LIST_FIELDS))
        record_audit(company=pl.company_id, action="delete", obj=pl, by=by, before=snapshot(pl, PRICE_LIST_FIELDS))
        pl.delete()


def create_customer_group(*, by, code: str, name: str, members=()):
    """A group of customers that price lists can be given to."""
    group = CustomerGroup(company_id=by.company_id, code=code, name=name)
    with transaction.atomic():
        save_master(group, by=by, fields=["code", "name"], action="create", topic="customer_group.created")
        set_group_members(group, by=by, members=members)
    return group


def set_group_members(group, *, by, members) -> None:
    """Replace the customers of a group (audited)."""
    permissions.require(by, "masterdata.edit")
    ids = [getattr(m, "pk", m) for m in members]
    found = list(Partner.objects.filter(company_id=group.company_id, pk__in=ids))
    if len(found) != len(set(ids)):
        raise ValidationFailed(field="members", reason=_("must be partners of this company"))
    with transaction.atomic():
        before = sorted(group.members.values_list("id", flat=True))
        group.members.set(found)
        after = sorted(p.pk for p in found)
        record_event(company=group.company_id, topic="customer_group.members", by=by, obj=group,
                     payload={"members": after})
        record_audit(company=group.company_id, action="update", obj=group, by=by, before={"members": before},
                     after={"members": after})
