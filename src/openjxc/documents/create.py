"""Creating and editing documents: header and line checks, prices, units, lots, totals, the number.

`create_document` and `update_document` refuse bad input with a DomainError before anything is written;
`create_document(advance_to=…)` carries the new document on through the lifecycle (documents/transitions.py)
in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Item, ItemUnit, Tracking, Unit
from openjxc.catalog.pricing import (
    check_discount_rate,
    check_tax_rate,
    document_totals,
    line_amounts,
    price_excluding_tax,
    price_for,
    price_including_tax,
)
from openjxc.core import clock, permissions
from openjxc.core.company_settings import applies_vat
from openjxc.core.errors import DomainError, InvalidTransition, NotFound, ValidationFailed
from openjxc.core.events import make_audit, make_event, record_audit, record_event
from openjxc.core.instances import new_object
from openjxc.core.models import User
from openjxc.core.numbering import next_number
from openjxc.core.quantities import MAX_VALUE, ZERO, cost, parse_decimal, qty
from openjxc.core.sql import columns_of, fetch_objects, insert_objects, object_from
from openjxc.documents import search
from openjxc.documents.dates import refuse_before_source
from openjxc.documents.kinds import Kind, get_kind
from openjxc.documents.lifecycle import ACTION_LABELS, Changes, lock_document, log_document_transition
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.documents.sources import check_quantities_left
from openjxc.documents.transitions import advance
from openjxc.documents.valuation import refresh_estimate
from openjxc.documents.warehouse_read import forget, read_warehouse
from openjxc.partners.models import Partner
from openjxc.stock.access import require_warehouse
from openjxc.stock.models import STOCKED_KINDS, Location, Lot, Warehouse, WarehouseKind

MAX_LINES = 10_000


@dataclass
class LineInput:
    item: object  # Item, id or code
    quantity: object
    unit: object = None  # Unit, id or code; default the item's base unit
    unit_price: object = None
    lot_code: str = ""
    produced_on: dt.date | None = None
    expires_on: dt.date | None = None
    location: object = None  # Location or id
    source_line: object = None  # DocumentLine or id
    memo: str = ""
    tax_rate: object = None  # VAT rate (0.13); default the item's on documents with a partner, else 0
    discount_rate: object = None  # 0.05 for 5% off, taken off before tax
    promised_on: dt.date | None = None  # orders: promised (purchase) or requested (sales) date


# ---------------------------------------------------------------- input checking


def _by_pk_or_code(model, company_id, ref, what: str):
    if isinstance(ref, model):
        if ref.company_id != company_id:
            raise NotFound(what, ref.pk)
        return ref
    # a plain SELECT (core/sql.py): this runs twice per document, the ORM's compiler costs more than the query
    if isinstance(ref, int) and not isinstance(ref, bool):
        found = fetch_objects(model, "company_id = %s AND id = %s", [company_id, ref]) if -2**63 <= ref < 2**63 else []
    elif isinstance(ref, str) and ref:
        found = fetch_objects(model, "company_id = %s AND code = %s", [company_id, ref], order_by="id", limit=1)
    else:
        found = []
    obj = found[0] if found else None
    if obj is None:
        raise NotFound(what, ref)
    return obj


def _resolve_warehouse(company_id, ref, field: str) -> Warehouse:
    wh = _by_pk_or_code(Warehouse, company_id, ref, "warehouse")
    if not wh.is_active or wh.kind == WarehouseKind.TRANSIT:
        raise ValidationFailed(field=field, reason=_("is not an active warehouse or store"))
    return wh


def _check_header(kind: Kind, doc: Document, *, company, source):
    """Refuse a header the kind cannot take: partner role, transfer destination, source, the kind's own check."""
    warehouse, partner, to_warehouse = doc.warehouse, doc.partner, doc.to_warehouse
    if kind.partner_role:
        if partner is None:
            raise ValidationFailed(field="partner", reason=_("is required for this kind of document"))
        if not partner.plays(kind.partner_role) or not partner.is_active:
            raise DomainError(
                "partner.wrong_role", _("%(partner)s is not an active %(role)s."), http_status=422,
                partner=partner.name, role=str(_("supplier") if kind.partner_role == "supplier" else _("customer")),
            )
    if kind.needs_to_warehouse:
        if to_warehouse is None:
            raise ValidationFailed(field="to_warehouse", reason=_("is required for a transfer"))
        if warehouse is not None and to_warehouse.pk == warehouse.pk:
            raise ValidationFailed(field="to_warehouse", reason=_("must differ from the source warehouse"))
    if source is not None:
        if source.company_id != company.pk:
            raise NotFound("document", source.pk)
        if source.kind not in kind.sources:
            raise DomainError(
                "document.source_kind", _("A %(kind)s cannot be created from a %(source_kind)s."), http_status=422,
                kind=str(kind.label), source_kind=str(get_kind(source.kind).label),
            )
        if source.status != Status.POSTED:
            raise DomainError(
                "document.source_not_posted", _("Source document %(number)s is not posted."), http_status=409,
                number=source.number,
            )
        refuse_before_source(kind, doc, source)
        # a transit leg (transfer in): the follow-up takes the warehouse its source sends the goods to
        if kind.source_warehouse != "warehouse" and getattr(source, f"{kind.source_warehouse}_id") != getattr(
                warehouse, "pk", None):
            raise ValidationFailed(field="warehouse", reason=_("must be the warehouse %(number)s sends its goods to")
                                   % {"number": source.number})
    elif kind.source_required or kind.needs_source:
        raise ValidationFailed(field="source", reason=_("is required: this document refers to an earlier one"))
    if kind.check is not None:
        kind.check(doc)


def _build_lines(kind: Kind, doc: Document, inputs: list[LineInput], company) -> list[DocumentLine]:
    if not inputs:
        raise ValidationFailed(field="lines", reason=_("must have at least one line"))
    if len(inputs) > MAX_LINES:
        raise ValidationFailed(field="lines", reason=_("has too many lines"))
    item_refs = [i.item for i in inputs]
    ids = [r.pk if isinstance(r, Item) else r for r in item_refs if isinstance(r, Item | int) and not isinstance(r, bool)]
    codes = [r for r in item_refs if isinstance(r, str)]
    items: dict[object, Item] = {i.pk: i for i in _items(company.pk, "id", ids)}
    items_by_code = {i.code: i for i in _items(company.pk, "code", codes)} if codes else {}
    source_lines: dict[object, DocumentLine] = {}
    if doc.source_id:
        source_lines = {
            ln.pk: ln for ln in DocumentLine.objects.filter(document_id=doc.source_id).select_related("lot", "item")
        }
    lines = []
    for n, li in enumerate(inputs, start=1):
        field = f"lines[{n}]"
        ref = li.item
        item = items_by_code.get(ref) if isinstance(ref, str) else items.get(ref.pk if isinstance(ref, Item) else ref)
        if item is None:
            raise NotFound("item", getattr(ref, "pk", ref))
        if not item.is_active:
            raise DomainError("item.inactive", _("Item %(item)s is no longer active."), http_status=422, item=item)
        unit_qty = parse_decimal(li.quantity, f"{field}.quantity", places=4, zero=False)
        unit, factor = _resolve_unit(item, li.unit, field)
        base_qty = qty(unit_qty * factor)
        src_ref = li.source_line.pk if isinstance(li.source_line, DocumentLine) else li.source_line
        known_source = source_lines.get(src_ref) if src_ref is not None else None
        if (li.unit_price is None or li.unit_price == "") and known_source is not None and known_source.quantity:
            # a line made from an earlier one (a bill from a receipt) takes that line's price per unit
            basis = known_source.amount_with_tax if doc.prices_include_tax else known_source.amount
            price = cost(basis / known_source.quantity * factor)
        elif li.unit_price is None or li.unit_price == "":
            price = _default_price(kind, doc, item, unit, unit_qty, factor, company)
        else:
            price = parse_decimal(li.unit_price, f"{field}.unit_price", places=6)
        if li.tax_rate is None or li.tax_rate == "":
            rate = item.tax_rate if kind.partner_role and applies_vat(company) else ZERO
        else:
            rate = check_tax_rate(li.tax_rate, f"{field}.tax_rate")
        discount = ZERO if li.discount_rate in (None, "") else check_discount_rate(li.discount_rate,
                                                                                     f"{field}.discount_rate")
        figures = line_amounts(unit_qty, price, rate, tax_inclusive=doc.prices_include_tax, discount_rate=discount)
        line = new_object(DocumentLine, {
            "document": doc, "line_no": n, "item": item, "unit": unit, "unit_quantity": unit_qty, "factor": factor,
            "quantity": base_qty, "unit_price": price, "amount": figures.amount, "tax_rate": rate,
            "tax_amount": figures.tax_amount, "amount_with_tax": figures.amount_with_tax,
            "discount_rate": discount, "discount_amount": figures.discount_amount,
            "promised_on": li.promised_on, "memo": (li.memo or "")[:300],
        })
        # quantity x factor x price can outgrow the columns (max_digits=18) even when each input fits
        if line.quantity > MAX_VALUE or line.amount_with_tax > MAX_VALUE:
            raise ValidationFailed(field=field, reason=_("is too large"))
        if li.location is not None:
            loc = _by_pk_or_code(Location, company.pk, li.location, "location")
            if loc.warehouse_id != doc.warehouse_id or loc.kind not in STOCKED_KINDS:
                raise ValidationFailed(field=f"{field}.location", reason=_("is not a location of this warehouse"))
            line.location = loc
        if kind.source_required:
            src = source_lines.get(src_ref) if src_ref is not None else None
            if src is None:
                raise ValidationFailed(field=f"{field}.source_line", reason=_("must be a line of the source document"))
            if src.item_id != item.pk:
                raise ValidationFailed(field=f"{field}.item", reason=_("must be the item of the source line"))
            line.source_line = src
            line.lot = src.lot
        elif li.source_line is not None:  # optional (a receipt line from an order line), but then it must fit
            if known_source is None:
                raise ValidationFailed(field=f"{field}.source_line", reason=_("must be a line of the source document"))
            if known_source.item_id != item.pk:
                raise ValidationFailed(field=f"{field}.item", reason=_("must be the item of the source line"))
            line.source_line = known_source
        _attach_lot(kind, item, line, li, field)
        lines.append(line)
    return lines


def _items(company_id: int, column: str, keys: list) -> list[Item]:
    """The company's items whose `column` (id or code) is in `keys`, each with its base unit: plain SELECTs built
    once per process (core/sql.py), not a queryset compiled for every document."""
    keys = list(dict.fromkeys(k for k in keys if column != "id" or -2**63 <= k < 2**63))
    if not keys:
        return []
    q = connection.ops.quote_name
    item_cols, n = columns_of(Item, "i")
    unit_cols, _m = columns_of(Unit, "u")
    out = []
    for start in range(0, len(keys), 5000):  # SQLite's bound-parameter limit
        chunk = keys[start:start + 5000]
        sql = (f"SELECT {item_cols}, {unit_cols} FROM {q(Item._meta.db_table)} i JOIN {q(Unit._meta.db_table)} u "
               f"ON u.id = i.base_unit_id WHERE i.company_id = %s AND i.{column} IN ({', '.join(['%s'] * len(chunk))})")
        with connection.cursor() as cur:
            cur.execute(sql, [company_id, *chunk])
            rows = cur.fetchall()
        for row in rows:
            item = object_from(Item, row[:n])
            item.base_unit = object_from(Unit, row[n:])
            out.append(item)
    return out


def _default_price(kind: Kind, doc: Document, item: Item, unit: Unit, quantity: Decimal, factor: Decimal,
                   company) -> Decimal:
    """A line's price when none is given: the customer's price list (quotes, orders), else the item's."""
    if kind.price_list and doc.partner_id:
        found = price_for(company, doc.partner, item, quantity, doc.business_on, unit=unit)
        if found.price_list_id is not None:
            if found.tax_inclusive == bool(doc.prices_include_tax):
                return found.unit_price
            convert = price_excluding_tax if found.tax_inclusive else price_including_tax
            return convert(found.unit_price, found.tax_rate)
    return getattr(item, kind.price_default) * factor if kind.price_default else ZERO


def _resolve_unit(item: Item, ref, field: str) -> tuple[Unit, Decimal]:
    base = item.base_unit
    if ref is None or ref == "" or ref == base.pk or ref == base.code or ref == base:
        return base, Decimal(1)
    for iu in ItemUnit.objects.filter(item=item).select_related("unit"):
        if ref in (iu.unit, iu.unit.pk, iu.unit.code, iu.unit.name):
            return iu.unit, iu.factor
    raise ValidationFailed(field=f"{field}.unit", reason=_("is not a unit of this item"))


def _attach_lot(kind: Kind, item: Item, line: DocumentLine, li: LineInput, field: str) -> None:
    code = (li.lot_code or "").strip()
    if line.lot is not None:
        return
    if not item.tracks_lots:
        if code:
            raise ValidationFailed(field=f"{field}.lot_code", reason=_("given for an item without lots"))
        return
    if kind.inbound:
        if not code:
            raise DomainError("lot.required", _("Item %(item)s is tracked by lot: enter the lot."), http_status=422, item=item)
        expires = li.expires_on
        if expires is None and item.tracking == Tracking.LOT_EXPIRY and li.produced_on and item.shelf_life_days:
            expires = li.produced_on + dt.timedelta(days=item.shelf_life_days)
        if item.tracking == Tracking.LOT_EXPIRY and expires is None:
            raise DomainError(
                "lot.expiry_required", _("Item %(item)s needs an expiry date for lot %(lot)s."), http_status=422,
                item=item, lot=code,
            )
        if li.produced_on and expires and li.produced_on > expires:
            raise ValidationFailed(field=f"{field}.expires_on", reason=_("is before the production date"))
        line.lot_code, line.produced_on, line.expires_on = code[:64], li.produced_on, expires
    elif code:
        lot = Lot.objects.filter(item=item, code=code).first()
        if lot is None:
            raise NotFound("lot", code)
        line.lot, line.lot_code = lot, lot.code


def _totals(doc: Document, lines: list[DocumentLine]) -> None:
    doc.total_quantity = sum((ln.quantity for ln in lines), ZERO)
    totals = document_totals(lines)  # sums of rounded line figures: they always add up
    doc.total_amount, doc.tax_total, doc.total_with_tax = totals.amount, totals.tax_amount, totals.amount_with_tax
    if doc.total_quantity > MAX_VALUE or doc.total_with_tax > MAX_VALUE:
        raise ValidationFailed(field="lines", reason=_("add up to too large a total"))


def _snapshot(doc: Document) -> dict:
    return {
        "number": doc.number, "kind": doc.kind, "status": doc.status, "warehouse": doc.warehouse_id,
        "partner": doc.partner_id, "business_on": str(doc.business_on),
        "total_quantity": str(doc.total_quantity), "total_amount": str(doc.total_amount),
    }


# ---------------------------------------------------------------- create and edit


def create_document_here(
    *,
    by: User,
    kind: str,
    warehouse=None,
    lines: list[LineInput],
    partner=None,
    to_warehouse=None,
    source=None,
    business_on: dt.date | None = None,
    memo: str = "",
    custom: dict | None = None,
    advance_to: str | None = None,
    prices_include_tax: bool = False,
) -> Document:
    """Create a draft document with its lines and its number; refuse bad input before writing.

    With `advance_to` (submitted / approved / posted) the new document is carried on through the
    lifecycle in the same transaction, each step checked as in `advance_document`.
    """
    k = get_kind(kind)
    company = permissions.company_of(by)
    permissions.require(by, "document.create", roles=set(k.create_roles))
    source = find_source(company, source)
    if source is not None and warehouse is None:  # a follow-up takes its source's warehouse (a transit leg's)
        warehouse = getattr(source, k.source_warehouse)
    if warehouse is None:
        raise ValidationFailed(field="warehouse", reason=_("is required"))
    if advance_to or not isinstance(warehouse, Warehouse):
        # one statement: the warehouse, the user's scope, its default location and the probes (decision 0017)
        wh = read_warehouse(company.pk, warehouse, field="warehouse", user=by, kind=k.code, partner=partner)
    else:  # a draft of a warehouse already loaded: nothing to read, nothing to ask
        wh = _resolve_warehouse(company.pk, warehouse, "warehouse")
        require_warehouse(by, wh)
    to_wh = _resolve_warehouse(company.pk, to_warehouse, "to_warehouse") if to_warehouse is not None else None
    if "jxc_partner" in wh.__dict__:  # the partner given by id, read with the warehouse
        p = wh.__dict__["jxc_partner"]
        if p is None:
            raise NotFound("partner", partner)
    else:
        p = _by_pk_or_code(Partner, company.pk, partner, "partner") if partner is not None else None
    if memo and len(memo) > 500:
        raise ValidationFailed(field="memo", reason=_("is longer than 500 characters"))
    now = clock.now()
    day = business_on or clock.today(company.time_zone)
    doc = new_object(Document, {
        "company": company, "kind": k.code, "status": Status.DRAFT, "partner": p, "warehouse": wh,
        "to_warehouse": to_wh, "source": source, "business_on": day, "memo": memo or "", "custom": custom or {},
        "created_by": by, "created_at": now, "updated_at": now, "prices_include_tax": bool(prices_include_tax),
    })
    _check_header(k, doc, company=company, source=source)
    built = _build_lines(k, doc, lines, company)
    if k.source_required:
        check_quantities_left(doc, built)
    _totals(doc, built)
    if advance_to != Status.POSTED:  # posting sets the posted cost instead
        refresh_estimate(doc, built)
    # A document carried on to posting takes its number last, just before commit: the day's counter
    # row stays locked only for an instant, so concurrent postings of one kind are not serialised.
    doc.number = f"~{uuid.uuid4().hex}" if advance_to else next_number(company, k.prefix, day)
    insert_objects([doc], returning_pk=True)
    for ln in built:
        ln.document = doc
    insert_objects(built, returning_pk=True)
    doc.held_lines = []  # posting (documents/posting.py) sets None when it writes lines of its own
    changes = Changes(doc)
    changes.events.append(make_event(company=company, topic="document.created", by=by, obj=doc,
                                     payload=_snapshot(doc)))
    changes.audits.append(make_audit(company=company, action="create", obj=doc, by=by, after=_snapshot(doc)))
    log_document_transition(changes, "create", "", Status.DRAFT, by=by, at=now)
    if advance_to:
        # the new document is invisible to others until commit: no lock needed, lines already loaded
        advance(doc, by=by, to=advance_to, changes=changes, lines=built)
        placeholder, doc.number = doc.number, next_number(company, k.prefix, day)
        changes.fields.add("number")
        for row in [*(e.payload for e in changes.events), *(a.after for a in changes.audits)]:
            for key in ("number", "document"):  # the document's own records, and the books' (partner ledger)
                if row and row.get(key) == placeholder:
                    row[key] = doc.number
    search.index_document(doc, built, writes=changes.later)  # written with the document's changes
    result = changes.flush()
    if doc.held_lines is not None:  # unless posting split a line by lot: what was written, for the response
        doc.held_lines = sorted(built, key=lambda ln: ln.line_no)
    forget(wh)  # the answers read with the warehouse hold for this call only
    return result


# create_document is create_document_here in a transaction of its own (a savepoint inside another).
# create_document_here is for a caller that holds the transaction and rolls all of it back on any error:
# the API inside the Idempotency-Key's transaction (core/idempotency.py, one_transaction), two statements less.
create_document = transaction.atomic(create_document_here)


def find_source(company, source: Document | int | None) -> Document | None:
    """The company's document `source` (or its id); NotFound when it is not the company's."""
    if source is None or isinstance(source, Document):
        if source is not None and source.company_id != company.pk:
            raise NotFound("document", source.pk)
        return source
    found = Document.objects.filter(company=company, pk=source).first() if not isinstance(source, bool) else None
    if found is None:
        raise NotFound("document", source)
    return found


@transaction.atomic
def update_document(doc: Document, *, by: User, lines: list[LineInput] | None = None, **fields) -> Document:
    """Edit a draft: header fields and/or replace all lines. Only drafts can be edited."""
    doc = lock_document(doc, by)
    if doc.status != Status.DRAFT:
        raise InvalidTransition(action=str(ACTION_LABELS["edit"]), number=doc.number, status=doc.get_status_display())
    k = get_kind(doc.kind)
    before = _snapshot(doc)
    company = doc.company
    if "warehouse" in fields and fields["warehouse"] is not None:
        doc.warehouse = _resolve_warehouse(company.pk, fields["warehouse"], "warehouse")
        require_warehouse(by, doc.warehouse)
    if "to_warehouse" in fields:
        ref = fields["to_warehouse"]
        doc.to_warehouse = _resolve_warehouse(company.pk, ref, "to_warehouse") if ref is not None else None
    if "partner" in fields:
        ref = fields["partner"]
        doc.partner = _by_pk_or_code(Partner, company.pk, ref, "partner") if ref is not None else None
    if fields.get("business_on"):
        doc.business_on = fields["business_on"]
    if "memo" in fields and fields["memo"] is not None:
        if len(fields["memo"]) > 500:
            raise ValidationFailed(field="memo", reason=_("is longer than 500 characters"))
        doc.memo = fields["memo"]
    if "custom" in fields and fields["custom"] is not None:
        doc.custom = fields["custom"]
    if fields.get("prices_include_tax") is not None:
        doc.prices_include_tax = bool(fields["prices_include_tax"])
    _check_header(k, doc, company=company, source=doc.source)
    if lines is not None:
        built = _build_lines(k, doc, lines, company)
        if k.source_required:
            check_quantities_left(doc, built)
        doc.lines.all().delete()
        DocumentLine.objects.bulk_create(built)
        _totals(doc, built)
    refresh_estimate(doc, built if lines is not None else None)  # the lines or the warehouse may have changed
    doc.updated_at = clock.now()
    doc.save()
    search.index_document(doc, built if lines is not None else list(doc.lines.select_related("item")))
    record_event(company=company, topic="document.updated", by=by, obj=doc, payload=_snapshot(doc))
    record_audit(company=company, action="update", obj=doc, by=by, before=before, after=_snapshot(doc))
    return doc

