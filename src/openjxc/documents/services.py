"""Document services: create, edit, the lifecycle transitions, and creating one document from another.

Every service takes the acting user (`by`), runs in one transaction, writes an outbox event and
an audit record, and refuses bad input with a DomainError before anything is written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
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
from openjxc.core.company_settings import applies_vat, tracks_stock
from openjxc.core.errors import DomainError, InvalidTransition, NotFound, ValidationFailed
from openjxc.core.events import make_audit, make_event, record_audit, record_event
from openjxc.core.numbering import next_number
from openjxc.core.quantities import MAX_VALUE, ZERO, cost, money, qty
from openjxc.core.sql import (
    fetch_objects,
    insert_objects,
    insert_together,
    object_rows,
    update_fields,
    update_rows,
)
from openjxc.documents import hooks, search
from openjxc.documents.kinds import Kind, Places, get_kind
from openjxc.documents.kinds.base import share_of_source_cost
from openjxc.documents.models import Document, DocumentLine, DocumentTransition, Status
from openjxc.partners.models import Partner
from openjxc.stock.access import require_warehouse
from openjxc.stock.locations import default_location, places_for
from openjxc.stock.models import STOCKED_KINDS, Location, Lot, StockMove, Warehouse, WarehouseKind
from openjxc.stock.posting import post_moves, reversal_of

MAX_LINES = 10_000

# One table says what may happen to a document: action -> (statuses it may start from, status after).
TRANSITIONS: dict[str, tuple[set[str], str]] = {
    "submit": ({Status.DRAFT}, Status.SUBMITTED),
    "approve": ({Status.SUBMITTED}, Status.APPROVED),
    "reject": ({Status.SUBMITTED}, Status.DRAFT),
    "withdraw": ({Status.SUBMITTED}, Status.DRAFT),  # the requester takes it back (workflow.services.withdraw)
    "post": ({Status.APPROVED}, Status.POSTED),
    "void": ({Status.POSTED}, Status.VOIDED),
    "cancel": ({Status.DRAFT, Status.SUBMITTED, Status.APPROVED}, Status.CANCELLED),
    "close": ({Status.POSTED}, Status.CLOSED),  # an order closed short (documents/orders.close_order)
}

ACTION_LABELS = {
    "submit": _("submit"),
    "approve": _("approve"),
    "reject": _("reject"),
    "withdraw": _("withdraw"),
    "post": _("post"),
    "void": _("void"),
    "cancel": _("cancel"),
    "close": _("close"),
    "edit": _("edit"),
}


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


def _decimal(value, field: str, *, places: int, positive: bool, allow_zero: bool = False) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(field=field, reason=_("is not a number")) from None
    if not d.is_finite():
        raise ValidationFailed(field=field, reason=_("is not a number"))
    if d < 0 or (positive and d == 0 and not allow_zero):
        raise ValidationFailed(field=field, reason=_("must be greater than zero") if positive else _("must not be negative"))
    if abs(d) > MAX_VALUE:
        raise ValidationFailed(field=field, reason=_("is too large"))
    if d != d.quantize(Decimal(1).scaleb(-places)):
        raise ValidationFailed(field=field, reason=_("has too many decimal places (at most %(places)s)") % {"places": places})
    return d


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


def _company_of(by):
    if by.company_id is None:
        raise DomainError("user.no_company", _("Your account is not attached to a company."), http_status=403)
    return by.company


def _check_header(kind: Kind, *, by, company, warehouse, partner, to_warehouse, source):
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
        if to_warehouse.pk == warehouse.pk:
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
    elif kind.source_required:
        raise ValidationFailed(field="source", reason=_("is required: this document refers to an earlier one"))


def _build_lines(kind: Kind, doc: Document, inputs: list[LineInput], company) -> list[DocumentLine]:
    if not inputs:
        raise ValidationFailed(field="lines", reason=_("must have at least one line"))
    if len(inputs) > MAX_LINES:
        raise ValidationFailed(field="lines", reason=_("has too many lines"))
    item_refs = [i.item for i in inputs]
    ids = [r.pk if isinstance(r, Item) else r for r in item_refs if isinstance(r, Item | int) and not isinstance(r, bool)]
    codes = [r for r in item_refs if isinstance(r, str)]
    items = {i.pk: i for i in Item.objects.filter(company=company, pk__in=ids).select_related("base_unit")}
    items_by_code = {i.code: i for i in Item.objects.filter(company=company, code__in=codes).select_related("base_unit")} if codes else {}
    source_lines = {}
    if doc.source_id:
        source_lines = {
            ln.pk: ln for ln in DocumentLine.objects.filter(document_id=doc.source_id).select_related("lot", "item")
        }
    lines = []
    for n, li in enumerate(inputs, start=1):
        field = f"lines[{n}]"
        ref = li.item
        item = items.get(ref.pk if isinstance(ref, Item) else ref) if not isinstance(ref, str) else items_by_code.get(ref)
        if item is None:
            raise NotFound("item", getattr(ref, "pk", ref))
        if not item.is_active:
            raise DomainError("item.inactive", _("Item %(item)s is no longer active."), http_status=422, item=item)
        unit_qty = _decimal(li.quantity, f"{field}.quantity", places=4, positive=True)
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
            price = _decimal(li.unit_price, f"{field}.unit_price", places=6, positive=False)
        if li.tax_rate is None or li.tax_rate == "":
            rate = item.tax_rate if kind.partner_role and applies_vat(company) else ZERO
        else:
            rate = check_tax_rate(li.tax_rate, f"{field}.tax_rate")
        discount = ZERO if li.discount_rate in (None, "") else check_discount_rate(li.discount_rate,
                                                                                     f"{field}.discount_rate")
        figures = line_amounts(unit_qty, price, rate, tax_inclusive=doc.prices_include_tax, discount_rate=discount)
        line = DocumentLine(
            document=doc, line_no=n, item=item, unit=unit, unit_quantity=unit_qty, factor=factor,
            quantity=base_qty, unit_price=price, amount=figures.amount, tax_rate=rate,
            tax_amount=figures.tax_amount, amount_with_tax=figures.amount_with_tax,
            discount_rate=discount, discount_amount=figures.discount_amount,
            promised_on=li.promised_on, memo=(li.memo or "")[:300],
        )
        # quantity x factor x price can outgrow the columns (max_digits=18) even when each input fits
        if line.quantity > MAX_VALUE or line.amount_with_tax > MAX_VALUE:
            raise ValidationFailed(field=field, reason=_("is too large"))
        if li.location is not None:
            loc = _by_pk_or_code(Location, company.pk, li.location, "location")
            if loc.warehouse_id != doc.warehouse_id or loc.kind not in STOCKED_KINDS:
                raise ValidationFailed(field=f"{field}.location", reason=_("is not a location of this warehouse"))
            line.location = loc
        if kind.source_required:
            src_ref = li.source_line.pk if isinstance(li.source_line, DocumentLine) else li.source_line
            src = source_lines.get(src_ref)
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


@transaction.atomic
def create_document(
    *,
    by,
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
    company = _company_of(by)
    permissions.require(by, "document.create", roles=set(k.create_roles))
    if isinstance(source, int):
        source = Document.objects.filter(company=company, pk=source).first() or _raise(NotFound("document", source))
    if source is not None and k.code == "transfer_in" and warehouse is None:
        warehouse = source.to_warehouse
    if warehouse is None:
        raise ValidationFailed(field="warehouse", reason=_("is required"))
    wh = _resolve_warehouse(company.pk, warehouse, "warehouse")
    require_warehouse(by, wh)
    to_wh = _resolve_warehouse(company.pk, to_warehouse, "to_warehouse") if to_warehouse is not None else None
    p = _by_pk_or_code(Partner, company.pk, partner, "partner") if partner is not None else None
    _check_header(k, by=by, company=company, warehouse=wh, partner=p, to_warehouse=to_wh, source=source)
    if k.code == "transfer_in" and source is not None and source.to_warehouse_id != wh.pk:
        raise ValidationFailed(field="warehouse", reason=_("must be the destination of the transfer"))
    if memo and len(memo) > 500:
        raise ValidationFailed(field="memo", reason=_("is longer than 500 characters"))
    now = clock.now()
    day = business_on or clock.today(company.time_zone)
    doc = Document(
        company=company, kind=k.code, status=Status.DRAFT, partner=p, warehouse=wh, to_warehouse=to_wh,
        source=source, business_on=day, memo=memo or "", custom=custom or {}, created_by=by,
        created_at=now, updated_at=now, prices_include_tax=bool(prices_include_tax),
    )
    built = _build_lines(k, doc, lines, company)
    if k.source_required:
        _check_remaining(doc, built)
    _totals(doc, built)
    # A document carried on to posting takes its number last, just before commit: the day's counter
    # row stays locked only for an instant, so concurrent postings of one kind are not serialised.
    doc.number = f"~{uuid.uuid4().hex}" if advance_to else next_number(company, k.prefix, day)
    insert_objects([doc], returning_pk=True)
    for ln in built:
        ln.document = doc
    insert_objects(built, returning_pk=True)
    changes = _Changes(doc)
    changes.events.append(make_event(company=company, topic="document.created", by=by, obj=doc,
                                     payload=_snapshot(doc)))
    changes.audits.append(make_audit(company=company, action="create", obj=doc, by=by, after=_snapshot(doc)))
    changes.log("create", "", Status.DRAFT, by=by, at=now)
    if advance_to:
        # the new document is invisible to others until commit: no lock needed, lines already loaded
        _advance(doc, by=by, to=advance_to, changes=changes, lines=built)
        placeholder, doc.number = doc.number, next_number(company, k.prefix, day)
        changes.fields.add("number")
        for row in [*(e.payload for e in changes.events), *(a.after for a in changes.audits)]:
            if row and row.get("number") == placeholder:
                row["number"] = doc.number
    result = changes.flush()
    search.index_document(doc, built)
    return result


def _raise(exc):
    raise exc


@transaction.atomic
def update_document(doc: Document, *, by, lines: list[LineInput] | None = None, **fields) -> Document:
    """Edit a draft: header fields and/or replace all lines. Only drafts can be edited."""
    doc = _locked(doc, by)
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
    _check_header(k, by=by, company=company, warehouse=doc.warehouse, partner=doc.partner,
                  to_warehouse=doc.to_warehouse, source=doc.source)
    if lines is not None:
        built = _build_lines(k, doc, lines, company)
        if k.source_required:
            _check_remaining(doc, built)
        doc.lines.all().delete()
        DocumentLine.objects.bulk_create(built)
        _totals(doc, built)
    doc.updated_at = clock.now()
    doc.save()
    search.index_document(doc, built if lines is not None else list(doc.lines.select_related("item")))
    record_event(company=company, topic="document.updated", by=by, obj=doc, payload=_snapshot(doc))
    record_audit(company=company, action="update", obj=doc, by=by, before=before, after=_snapshot(doc))
    return doc


# ---------------------------------------------------------------- lifecycle


def _locked(doc: Document | int, by) -> Document:
    pk = doc.pk if isinstance(doc, Document) else doc
    try:
        locked = (
            Document.objects.select_for_update(of=("self",))
            .select_related("company", "warehouse", "to_warehouse", "partner")
            .get(pk=pk, company_id=by.company_id)
        )
    except (Document.DoesNotExist, ValueError, TypeError):
        raise NotFound("document", pk) from None
    require_warehouse(by, locked.warehouse)
    return locked


class _Changes:
    """What the transitions of one locked document changed: written in one UPDATE plus bulk inserts."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.fields: set[str] = set()
        self.events: list = []
        self.audits: list = []
        self.transitions: list[DocumentTransition] = []  # the cycle-time log (reports/cycle_times.py)

    def log(self, action: str, before: str, target: str, *, by, at, step: int | None = None) -> None:
        """Append the transition to the log, timed from the document's creation and its previous transition."""
        doc = self.doc
        if self.transitions:
            previous = self.transitions[-1].at
        else:
            previous = (DocumentTransition.objects.filter(document_id=doc.pk).order_by("-at", "-id")
                        .values_list("at", flat=True).first()) or doc.created_at
        self.transitions.append(DocumentTransition(
            company_id=doc.company_id, document_id=doc.pk, kind=doc.kind, warehouse_id=doc.warehouse_id,
            action=action, from_status=before, to_status=target, at=at, by=by if (by is not None and by.pk) else None,
            step=step, age=at - doc.created_at, waited=max(at - previous, dt.timedelta(0)),
        ))

    def flush(self) -> Document:
        if self.fields:
            update_fields(self.doc, sorted(self.fields))
        # events, audit records and the transition log: one statement on PostgreSQL, one per table elsewhere
        insert_together(*[(*object_rows(objs), (), ()) for objs in (self.events, self.audits, self.transitions)
                          if objs])
        return self.doc


def transition(doc: Document, action: str, *, by, reason: str = "", changes: _Changes | None = None,
               step: int | None = None) -> Document:
    """Move a locked `doc` along TRANSITIONS, stamping who and when and logging it; refuse a disallowed change.

    With `changes`, the write is left to the caller (several transitions in one UPDATE). `step` is the
    approval step the transition decides, for the cycle-time log.
    """
    allowed_from, target = TRANSITIONS[action]
    if doc.status not in allowed_from:
        raise InvalidTransition(
            action=str(ACTION_LABELS[action]), number=doc.number, status=doc.get_status_display()
        )
    own = changes is None
    changes = changes or _Changes(doc)
    before = doc.status
    now = clock.now()
    doc.status = target
    doc.updated_at = now
    changes.fields |= {"status", "updated_at"}
    stamp = {"submit": "submitted", "approve": "approved", "post": "posted", "void": "voided"}.get(action)
    if stamp:
        setattr(doc, f"{stamp}_at", now)
        changes.fields.add(f"{stamp}_at")
        if stamp != "submitted":
            setattr(doc, f"{stamp}_by", by)
            changes.fields.add(f"{stamp}_by")
    if action == "void":
        doc.void_reason = reason[:500]
        changes.fields.add("void_reason")
    payload = {"number": doc.number, "kind": doc.kind, "from": before, "to": target, "reason": reason[:500]}
    changes.events.append(make_event(company=doc.company, topic=f"document.{action}", by=by, obj=doc, payload=payload))
    changes.audits.append(make_audit(company=doc.company, action=action, obj=doc, by=by, before={"status": before},
                                     after=payload))
    changes.log(action, before, target, by=by, at=now, step=step)
    return changes.flush() if own else doc


@transaction.atomic
def submit_document(doc, *, by) -> Document:
    """Send a draft for approval; the applicable approval flow (workflow app), if any, starts."""
    permissions.require(by, "document.submit")
    doc = _locked(doc, by)
    changes = _Changes(doc)
    _submit(doc, by=by, changes=changes)
    return changes.flush()


def _submit(doc: Document, *, by, changes: _Changes) -> None:
    from openjxc.workflow import services as workflow

    transition(doc, "submit", by=by, changes=changes)
    workflow.start_approval(doc, by=by)


def _in_flow(doc, by) -> Document | None:
    """The locked document when it waits in an approval flow (whose approvers, not roles, may decide)."""
    from openjxc.workflow import services as workflow

    pk = doc.pk if isinstance(doc, Document) else doc
    if by.company_id is None or workflow.pending_approval(pk) is None:
        return None
    return workflow._lock(pk, by.company_id)


@transaction.atomic
def approve_document(doc, *, by, comment: str = "") -> Document:
    """Approve a submitted document: in an approval flow, `by`'s decision on the current step (approved
    after the last step); otherwise the single approval by a manager."""
    from openjxc.workflow import services as workflow

    flowing = _in_flow(doc, by)
    if flowing is not None:
        return workflow.decide(flowing, by=by, approve=True, comment=comment)
    permissions.require(by, "document.approve")
    return transition(_locked(doc, by), "approve", by=by)


@transaction.atomic
def reject_document(doc, *, by, reason: str = "") -> Document:
    """Send a submitted document back to its author as a draft, with the reason."""
    from openjxc.workflow import services as workflow

    flowing = _in_flow(doc, by)
    if flowing is not None:
        return workflow.decide(flowing, by=by, approve=False, comment=reason)
    permissions.require(by, "document.approve")
    return transition(_locked(doc, by), "reject", by=by, reason=reason)


@transaction.atomic
def withdraw_document(doc, *, by, reason: str = "") -> Document:
    """The requester takes a submitted document back to draft; its approval (if any) ends."""
    from openjxc.workflow import services as workflow

    flowing = _in_flow(doc, by)
    return workflow.withdraw(flowing if flowing is not None else _locked(doc, by), by=by, reason=reason)


@transaction.atomic
def cancel_document(doc, *, by, reason: str = "") -> Document:
    """Cancel a document that was never posted. Nothing is deleted."""
    from openjxc.workflow import services as workflow

    permissions.require(by, "document.cancel")
    doc = _locked(doc, by)
    workflow.end_approval(doc, by=by, reason=reason)
    return transition(doc, "cancel", by=by, reason=reason)


@transaction.atomic
def post_document(doc, *, by) -> Document:
    """Post an approved document to the stock ledger. Posting a posted document changes nothing."""
    permissions.require(by, "document.post")
    doc = _locked(doc, by)
    if doc.status == Status.POSTED:
        return doc
    changes = _Changes(doc)
    _post_locked(doc, by, changes)
    return changes.flush()


def _post_locked(doc: Document, by, changes: _Changes, lines=None) -> None:
    if doc.status not in TRANSITIONS["post"][0]:
        raise InvalidTransition(action=str(ACTION_LABELS["post"]), number=doc.number, status=doc.get_status_display())
    k = get_kind(doc.kind)
    if lines is None:
        lines = _lines_for_posting(doc)
    if doc.source_id:
        # lock the source: concurrent returns of one delivery must not return more than it delivered
        source = Document.objects.select_for_update(of=("self",)).get(pk=doc.source_id)
        if source.status != Status.POSTED:
            raise DomainError(
                "document.source_not_posted", _("Source document %(number)s is not posted."), http_status=409,
                number=source.number,
            )
        if k.source_required:
            _check_remaining(doc, lines)
    hooks.run_before_post(doc, lines, by)  # other books may refuse first (credit limit, over-receipt)
    if tracks_stock(doc.company):  # trading mode (进销存无库存版) posts nothing to the stock ledger
        if k.inbound:
            _create_lots(doc, lines)
        planned = k.plan(doc, lines, _places(doc))
        result = post_moves(planned, company=doc.company, by=by, business_on=doc.business_on, document=doc,
                            events=changes.events)
        _record_line_costs(doc, lines, result)
    hooks.run_on_post(doc, lines, by)
    transition(doc, "post", by=by, changes=changes)


def _lines_for_posting(doc: Document) -> list[DocumentLine]:
    """The document's lines with their item, lot, location (and warehouse) and source line attached.

    Unlike select_related, which builds one item instance per line, lines that share an item or a
    location share one instance: a 20,000-line count of 5,000 items builds 5,000 items, not 20,000."""
    from openjxc.catalog.models import Item
    from openjxc.stock.models import Location, Lot

    lines = list(doc.lines.all())
    related = (
        ("item", Item.objects.all()),
        ("lot", Lot.objects.all()),
        ("location", Location.objects.select_related("warehouse")),
        ("source_line", DocumentLine.objects.all()),
    )
    for name, qs in related:
        field = DocumentLine._meta.get_field(name)
        ids = sorted({getattr(line, field.attname) for line in lines} - {None})
        found = {}
        for start in range(0, len(ids), 5000):  # SQLite's bound-parameter limit
            found.update(qs.in_bulk(ids[start:start + 5000]))
        for line in lines:
            field.set_cached_value(line, found.get(getattr(line, field.attname)))
    return lines


def _places(doc: Document) -> Places:
    warehouses = {w.pk: w for w in (doc.warehouse, doc.to_warehouse) if w is not None}
    virtual, defaults = places_for(doc.company, warehouses)

    def default(warehouse):
        loc = defaults.get(warehouse.pk)
        if loc is None:
            loc = default_location(warehouse)  # raises warehouse.no_location with the warehouse's name
        return loc

    return Places(virtual=virtual, default=default)


@transaction.atomic
def void_document(doc, *, by, reason: str) -> Document:
    """Void a posted document by posting the exact reverse of its moves; history stays intact."""
    permissions.require(by, "document.void")
    if not reason or not reason.strip():
        raise ValidationFailed(field="reason", reason=_("is required to void a document"))
    doc = _locked(doc, by)
    if doc.status != Status.POSTED:
        raise InvalidTransition(action=str(ACTION_LABELS["void"]), number=doc.number, status=doc.get_status_display())
    hooks.run_before_void(doc, by)  # a document dated in a closed month stays (documents/dates.py)
    children = list(
        Document.objects.filter(source=doc, status__in=[Status.POSTED, Status.SUBMITTED, Status.APPROVED])
        .values_list("number", flat=True)[:5]
    )
    if children:
        raise DomainError(
            "document.has_children",
            _("Document %(number)s cannot be voided: void or cancel %(children)s first."),
            http_status=409, number=doc.number, children=", ".join(children),
        )
    moves = list(
        StockMove.objects.filter(document=doc, reverses__isnull=True)
        .select_related("item", "lot", "from_location__warehouse", "to_location__warehouse", "line")
    )
    changes = _Changes(doc)
    post_moves(reversal_of(moves), company=doc.company, by=by, business_on=clock.today(doc.company.time_zone),
               document=doc, events=changes.events)
    hooks.run_on_void(doc, by)
    transition(doc, "void", by=by, reason=reason.strip(), changes=changes)
    return changes.flush()


LIFECYCLE = [Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.POSTED]
STEPS = [(Status.SUBMITTED, "submit"), (Status.APPROVED, "approve"), (Status.POSTED, "post")]


@transaction.atomic
def advance_document(doc, *, by, to: str) -> Document:
    """Carry a document through submit → approve → post up to status `to`, each step checked as usual.

    One lock, one UPDATE: the steps are recorded one by one (events, audit) but written together.
    """
    doc = _locked(doc, by)
    changes = _Changes(doc)
    _advance(doc, by=by, to=to, changes=changes)
    return changes.flush()


def _advance(doc: Document, *, by, to: str, changes: _Changes, lines=None) -> None:
    if to not in LIFECYCLE[1:]:
        raise ValidationFailed(field="advance_to", reason=_("must be submitted, approved or posted"))
    for status, action in STEPS[: LIFECYCLE.index(to)]:
        if doc.status in LIFECYCLE and LIFECYCLE.index(doc.status) >= LIFECYCLE.index(status):
            continue
        if action == "approve" and _advance_in_flow(doc, by=by, changes=changes):
            continue
        permissions.require(by, f"document.{action}")
        if action == "post":
            _post_locked(doc, by, changes, lines=lines)
        elif action == "submit":
            _submit(doc, by=by, changes=changes)
        else:
            transition(doc, action, by=by, changes=changes)


def _advance_in_flow(doc: Document, *, by, changes: _Changes) -> bool:
    """In an approval flow, advancing means `by` approves the current step; refused when steps remain."""
    from openjxc.workflow import services as workflow

    approval = workflow.pending_approval(doc)
    if approval is None:
        return False
    workflow.decide(doc, by=by, approve=True, changes=changes)
    if doc.status == Status.SUBMITTED:
        waiting = workflow.pending_approval(doc)
        raise DomainError("workflow.awaiting", _("%(number)s still waits for approval: %(step)s."), http_status=409,
                          number=doc.number, step=waiting.steps.get(position=waiting.current).name)
    return True


# ---------------------------------------------------------------- 下推: creating from a source


def source_left(source: Document, kind: str) -> dict[int, tuple[Decimal, Decimal]]:
    """Per source line: (quantity, cost value) not yet taken by posted documents of `kind` made from it."""
    taken = {
        line_id: (qty(q or 0), money(v or 0))
        for line_id, q, v in DocumentLine.objects.filter(
            source_line__document=source, document__kind=kind, document__status=Status.POSTED
        )
        .values_list("source_line_id")
        .annotate(q=Sum("quantity"), v=Sum("cost_amount"))
    }
    return {
        ln.pk: (ln.quantity - taken.get(ln.pk, (ZERO, ZERO))[0],
                (ln.cost_amount or ZERO) - taken.get(ln.pk, (ZERO, ZERO))[1])
        for ln in source.lines.all()
    }


def remaining_quantities(source: Document, kind: str) -> dict[int, Decimal]:
    """Per source line: quantity not yet taken by posted documents of `kind` created from it."""
    return {line_id: left_qty for line_id, (left_qty, _v) in source_left(source, kind).items()}


def _check_remaining(doc: Document, lines: list[DocumentLine]) -> None:
    """Refuse taking more than is left on the source lines; the part that takes the rest takes its value too."""
    left = source_left(doc.source, doc.kind)
    asked: dict[int, Decimal] = {}
    for ln in lines:
        asked[ln.source_line_id] = asked.get(ln.source_line_id, ZERO) + ln.quantity
    for line_id, want in asked.items():
        if want > left.get(line_id, (ZERO, ZERO))[0]:
            src = next(ln.source_line for ln in lines if ln.source_line_id == line_id)
            raise DomainError(
                "document.exceeds_source",
                _("%(item)s: %(requested)s requested but only %(remaining)s left on %(number)s."),
                http_status=409, item=src.item, requested=want, remaining=left.get(line_id, (ZERO, ZERO))[0],
                number=doc.source.number,
            )
    # Partial returns are valued at their share of the source cost; the one that takes the last of a
    # source line takes whatever value is left, so three returns of a third give back exactly 10.00.
    running: dict[int, tuple[Decimal, Decimal]] = {}
    for ln in lines:
        if ln.source_line.cost_amount is None:  # the source moved no stock (trading mode): no cost to share
            ln.source_value = None
            continue
        done_qty, done_value = running.get(ln.source_line_id, (ZERO, ZERO))
        left_qty, left_value = left[ln.source_line_id]
        if done_qty + ln.quantity == left_qty:
            ln.source_value = left_value - done_value
        else:
            ln.source_value = None
        value = ln.source_value if ln.source_value is not None else share_of_source_cost(ln)
        running[ln.source_line_id] = (done_qty + ln.quantity, done_value + value)


@transaction.atomic
def create_from(source: Document | int, *, by, kind: str, business_on: dt.date | None = None) -> Document:
    """下推: a draft of `kind` with every line of `source` that still has quantity left."""
    company = _company_of(by)
    if isinstance(source, int):
        source = Document.objects.filter(company=company, pk=source).first() or _raise(NotFound("document", source))
    left = remaining_quantities(source, kind)
    inputs = [
        LineInput(
            item=ln.item_id, quantity=left[ln.pk], unit_price=ln.amount / ln.quantity if ln.quantity else ZERO,
            source_line=ln.pk, lot_code=ln.lot.code if ln.lot else "", memo=ln.memo, tax_rate=ln.tax_rate,
        )
        for ln in source.lines.select_related("lot")
        if left.get(ln.pk, ZERO) > 0
    ]
    if not inputs:
        raise DomainError(
            "document.nothing_left", _("Nothing is left on %(number)s to create a %(kind)s from."),
            http_status=409, number=source.number, kind=str(get_kind(kind).label),
        )
    for li in inputs:
        li.unit_price = Decimal(li.unit_price).quantize(Decimal("0.000001"))
    warehouse = source.to_warehouse if kind == "transfer_in" else source.warehouse
    return create_document(
        by=by, kind=kind, warehouse=warehouse, partner=source.partner, source=source, lines=inputs,
        business_on=business_on,
    )


# ---------------------------------------------------------------- posting helpers


def _create_lots(doc: Document, lines: list[DocumentLine]) -> None:
    wanted = {(ln.item_id, ln.lot_code): ln for ln in lines if ln.lot_id is None and ln.lot_code}
    if not wanted:
        return
    Lot.objects.bulk_create(
        [
            Lot(company_id=doc.company_id, item_id=i, code=c, produced_on=ln.produced_on, expires_on=ln.expires_on)
            for (i, c), ln in wanted.items()
        ],
        ignore_conflicts=True,
    )
    lots = {
        (lot.item_id, lot.code): lot
        for lot in Lot.objects.filter(item_id__in={i for i, _c in wanted}, code__in={c for _i, c in wanted})
    }
    for ln in lines:
        if ln.lot_id is None and ln.lot_code:
            ln.lot = lots[(ln.item_id, ln.lot_code)]
    DocumentLine.objects.bulk_update([ln for ln in lines if ln.lot_code], ["lot"])


def _record_line_costs(doc: Document, lines: list[DocumentLine], result) -> None:
    """Store each line's posted value; split a line FEFO spread over several lots into one line per lot."""
    values = result.value_by_line()
    by_line: dict[int, list] = {}
    for m in result.moves:
        if m.line_id is not None and not m.is_adjustment:
            by_line.setdefault(m.line_id, []).append(m)
    extra: list[DocumentLine] = []
    next_no = max(ln.line_no for ln in lines) + 1
    for ln in lines:
        moves = by_line.get(ln.pk, [])
        lots = {m.lot_id for m in moves}
        if len(lots) > 1:
            # the line becomes the first lot's part, in the base unit; each other lot gets its own line.
            # Each part takes its share of amount and tax; the first keeps the rest, so the sums stay exact.
            first, *rest = moves
            unit_price = cost(ln.amount / ln.quantity) if ln.quantity else ZERO
            parts = []
            for m in rest:
                share = m.quantity / ln.quantity
                amount, tax = money(ln.amount * share), money(ln.tax_amount * share)
                parts.append(DocumentLine(
                    document=doc, line_no=next_no, item=ln.item, unit=ln.item.base_unit,
                    unit_quantity=m.quantity, factor=Decimal(1), quantity=m.quantity, unit_price=unit_price,
                    amount=amount, tax_rate=ln.tax_rate, tax_amount=tax, amount_with_tax=amount + tax,
                    promised_on=ln.promised_on, lot=m.lot, lot_code=m.lot.code if m.lot else "",
                    location=ln.location, source_line=ln.source_line, cost_amount=m.value, memo=ln.memo,
                ))
                next_no += 1
            extra += parts
            ln.amount -= sum((x.amount for x in parts), ZERO)
            ln.tax_amount -= sum((x.tax_amount for x in parts), ZERO)
            ln.amount_with_tax = ln.amount + ln.tax_amount
            ln.unit, ln.factor = ln.item.base_unit, Decimal(1)
            ln.quantity = ln.unit_quantity = first.quantity
            ln.unit_price = unit_price
            ln.lot, ln.lot_code, ln.cost_amount = first.lot, first.lot.code if first.lot else "", first.value
        else:
            ln.cost_amount = values.get(ln.pk, ZERO)
            if len(lots) == 1 and ln.lot_id is None and moves[0].lot is not None:
                ln.lot, ln.lot_code = moves[0].lot, moves[0].lot.code
    # one statement, many rows: this runs for every posted document
    update_rows(DocumentLine, ("cost_amount", "lot", "lot_code"),
                [(ln.cost_amount, ln.lot_id, ln.lot_code, ln.pk) for ln in lines])
    if extra:
        split = [ln for ln in lines if ln.unit_id == ln.item.base_unit_id and ln.factor == 1]
        DocumentLine.objects.bulk_update(split, ["quantity", "unit_quantity", "amount", "tax_amount", "amount_with_tax",
                                                 "unit", "factor", "unit_price"])
        DocumentLine.objects.bulk_create(extra)
