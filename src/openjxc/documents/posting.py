"""Posting and voiding: the moment a document changes the books.

Posting locks the document (and its source), lets other books refuse (documents/hooks.py before_post),
values what comes in from what the source consumed (the kind's `value_from_source`), posts the kind's
planned moves to the stock ledger, records each line's value, runs the other books' effects (on_post)
and moves the status — all in one transaction. Voiding posts the exact reverse.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Item
from openjxc.core import clock, permissions
from openjxc.core.company_settings import tracks_stock
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.core.models import User
from openjxc.core.quantities import ZERO, cost, money
from openjxc.core.sql import update_rows
from openjxc.documents import hooks
from openjxc.documents.dates import refuse_before_source
from openjxc.documents.kinds import Places, get_kind
from openjxc.documents.lifecycle import DOCUMENTS, Changes, lock_document, transition
from openjxc.documents.models import VALUED_AT_COST, Document, DocumentLine, Status
from openjxc.documents.sources import check_quantities_left, source_left
from openjxc.stock.locations import default_location, places_for, virtual_locations
from openjxc.stock.models import Location, Lot, StockMove
from openjxc.stock.posting import post_moves, reversal_of


@transaction.atomic
def post_document(doc, *, by: User) -> Document:
    """Post an approved document to the stock ledger. Posting a posted document changes nothing."""
    permissions.require(by, "document.post")
    doc = lock_document(doc, by)
    if doc.status == Status.POSTED:
        return doc
    changes = Changes(doc)
    post_locked(doc, by, changes)
    return changes.flush()


def post_locked(doc: Document, by: User, changes: Changes, lines=None) -> None:
    """Post the locked, approved `doc` (its lines already loaded when given), batching its writes in `changes`."""
    DOCUMENTS.check(doc, "post")
    k = get_kind(doc.kind)
    if lines is None:
        lines = lines_for_posting(doc)
    if doc.source_id:
        # lock the source: concurrent returns of one delivery must not return more than it delivered
        source = Document.objects.select_for_update(of=("self",)).get(pk=doc.source_id)
        if source.status != Status.POSTED:
            raise DomainError(
                "document.source_not_posted", _("Source document %(number)s is not posted."), http_status=409,
                number=source.number,
            )
        refuse_before_source(k, doc, source)  # a draft saved before the rule was (creation refuses it now)
        if k.source_required or k.value_from_source:
            left = source_left(source, doc.kind)
            if k.source_required:
                check_quantities_left(doc, lines, left)
            if k.value_from_source:
                k.value_from_source(doc, lines, left)
    hooks.run_before_post(doc, lines, by)  # other books may refuse first (credit limit, over-receipt)
    if tracks_stock(doc.company):  # trading mode (进销存无库存版) posts nothing to the stock ledger
        if k.inbound:
            _create_lots(doc, lines)
        planned = k.plan(doc, lines, places_of(doc))
        result = post_moves(planned, company=doc.company, by=by, business_on=doc.business_on, document=doc,
                            events=changes.events, writes=changes.later)
        _record_line_costs(doc, lines, result, changes)
        if doc.kind in VALUED_AT_COST:  # its amount is now the value its moves carried
            doc.cost_total = sum(result.value_by_line().values(), ZERO)
            changes.fields.add("cost_total")
    hooks.run_on_post(doc, lines, by, events=changes.events, writes=changes.later)
    transition(doc, "post", by=by, changes=changes)


def lines_for_posting(doc: Document) -> list[DocumentLine]:
    """The document's lines with their item, lot, location (and warehouse) and source line attached.

    Unlike select_related, which builds one item instance per line, lines that share an item or a
    location share one instance: a 20,000-line count of 5,000 items builds 5,000 items, not 20,000."""
    lines = list(doc.lines.all())
    related = (
        ("item", Item.objects.all()),
        ("lot", Lot.objects.all()),
        ("location", Location.objects.select_related("warehouse")),
        ("source_line", DocumentLine.objects.all()),
    )
    for name, qs in related:
        field = DocumentLine._meta.get_field(name)
        assert isinstance(field, models.ForeignKey)
        ids = sorted({getattr(line, field.attname) for line in lines} - {None})
        found: dict = {}
        for start in range(0, len(ids), 5000):  # SQLite's bound-parameter limit
            found.update(qs.in_bulk(ids[start:start + 5000]))
        for line in lines:
            field.set_cached_value(line, found.get(getattr(line, field.attname)))
    return lines


def places_of(doc: Document) -> Places:
    """The virtual locations and the warehouses' default locations the kind's plan may use."""
    warehouses = {w.pk: w for w in (doc.warehouse, doc.to_warehouse) if w is not None}
    if all(hasattr(w, "jxc_default_location") for w in warehouses.values()):  # read with a new document's warehouse
        virtual = virtual_locations(doc.company)
        defaults = {pk: loc for pk, w in warehouses.items() if (loc := w.jxc_default_location) is not None}  # type: ignore[attr-defined]
    else:
        virtual, defaults = places_for(doc.company, warehouses)

    def default(warehouse):
        loc = defaults.get(warehouse.pk)
        if loc is None:
            loc = default_location(warehouse)  # raises warehouse.no_location with the warehouse's name
        return loc

    return Places(virtual=virtual, default=default)


@transaction.atomic
def void_document(doc, *, by: User, reason: str) -> Document:
    """Void a posted document by posting the exact reverse of its moves; history stays intact."""
    permissions.require(by, "document.void")
    if not reason or not reason.strip():
        raise ValidationFailed(field="reason", reason=_("is required to void a document"))
    doc = lock_document(doc, by)
    DOCUMENTS.check(doc, "void")
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
    changes = Changes(doc)
    post_moves(reversal_of(moves), company=doc.company, by=by, business_on=clock.today(doc.company.time_zone),
               document=doc, events=changes.events)
    hooks.run_on_void(doc, by)
    transition(doc, "void", by=by, reason=reason.strip(), changes=changes)
    return changes.flush()


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


def _record_line_costs(doc: Document, lines: list[DocumentLine], result, changes: Changes) -> None:
    """Store each line's posted value; split a line FEFO spread over several lots into one line per lot.
    The values are written with the document's own changes (`changes.later`) unless a line was split."""
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
                    location=ln.location, source_line=ln.source_line, cost_amount=result.own_value(m), memo=ln.memo,
                ))
                next_no += 1
            extra += parts
            ln.amount -= sum((x.amount for x in parts), ZERO)
            ln.tax_amount -= sum((x.tax_amount for x in parts), ZERO)
            ln.amount_with_tax = ln.amount + ln.tax_amount
            ln.unit, ln.factor = ln.item.base_unit, Decimal(1)
            ln.quantity = ln.unit_quantity = first.quantity
            ln.unit_price = unit_price
            ln.lot, ln.lot_code, ln.cost_amount = first.lot, first.lot.code if first.lot else "", result.own_value(first)
        else:
            ln.cost_amount = values.get(ln.pk, ZERO)
            if len(lots) == 1 and ln.lot_id is None and moves[0].lot is not None:
                ln.lot, ln.lot_code = moves[0].lot, moves[0].lot.code
    # one statement, many rows: this runs for every posted document
    costs = [(ln.cost_amount, ln.lot_id, ln.lot_code, ln.pk) for ln in lines]
    if not extra:  # nothing reads them back before the document's changes are written: write them then
        changes.later.append(("update_rows", DocumentLine, ("cost_amount", "lot", "lot_code"), costs))
        return
    update_rows(DocumentLine, ("cost_amount", "lot", "lot_code"), costs)
    if extra:
        doc.held_lines = None  # the lines create_document holds are no longer all of them (documents/api.py)
        split = [ln for ln in lines if ln.unit_id == ln.item.base_unit_id and ln.factor == 1]
        DocumentLine.objects.bulk_update(split, ["quantity", "unit_quantity", "amount", "tax_amount", "amount_with_tax",
                                                 "unit", "factor", "unit_price"])
        DocumentLine.objects.bulk_create(extra)

