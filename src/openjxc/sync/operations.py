"""The operation types of the terminal protocol (docs/terminal-protocol.md): what a sale, a return, a receipt scan
and a count entry make, and what each may name — its store's customers (sync/customers.py), lines within the
company's bounds (terminals.DEFAULTS), a return only of its own warehouse's sales. protocol.py runs them, each in
its operation's transaction; review.py runs a held one when a manager accepts or re-dates it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.db import connection
from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import DomainError, NotFound, ValidationFailed
from openjxc.documents import services as docs
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.documents.services import LineInput
from openjxc.partners.models import Partner
from openjxc.sync.models import OpStatus, StoreCustomer, Terminal, TerminalOperation

if TYPE_CHECKING:
    from openjxc.sync.protocol import Batch


def _text(data: dict, key: str, max_length: int) -> str:
    value = data.get(key) or ""
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        raise ValidationFailed(field=key, reason=_("must be text of at most %(n)s characters") % {"n": max_length})
    return value


def _quantity(raw, n: int, conf: dict) -> Decimal:
    """A line's quantity within the company's bounds for terminals (terminals.DEFAULTS: more than 0, at most
    `max_line_quantity`, at most `quantity_decimals` places): a mistyped 1e11 is refused, not posted."""
    field = f"lines[{n}].qty"
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise ValidationFailed(field=field, reason=_("is not a number"))
    try:
        qty = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(field=field, reason=_("is not a number")) from None
    most = Decimal(conf["max_line_quantity"])
    if not qty.is_finite() or qty <= 0 or qty > most:
        raise ValidationFailed(field=field, reason=_("must be more than 0 and at most %(max)s") % {"max": most})
    places = conf["quantity_decimals"]
    if -int(qty.normalize().as_tuple().exponent) > places:
        raise ValidationFailed(field=field, reason=_("has more than %(n)s decimal places") % {"n": places})
    return qty


def _lines(batch: Batch, data: dict, *, priced=True) -> list[LineInput]:
    from openjxc.catalog.services import lookup_barcode

    raw = data.get("lines")
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed(field="lines", reason=_("must have at least one line"))
    if len(raw) > 1000:
        raise ValidationFailed(field="lines", reason=_("has too many lines"))
    out = []
    for n, line in enumerate(raw, start=1):
        if not isinstance(line, dict):
            raise ValidationFailed(field=f"lines[{n}]", reason=_("must be an object"))
        li = LineInput(item=None, quantity=_quantity(line.get("qty"), n, batch.conf))
        if line.get("barcode"):
            found = lookup_barcode(batch.terminal.company_id, _text(line, "barcode", 200))
            li.item, li.unit = found["item"].pk, found["unit"]
            li.lot_code = found["lot"] or ""
            li.expires_on, li.produced_on = found["expires_on"], found["produced_on"]
        elif isinstance(line.get("item"), str) and line["item"]:
            li.item = line["item"]
        else:
            raise ValidationFailed(field=f"lines[{n}].item", reason=_("or barcode is required"))
        if line.get("unit"):
            li.unit = line["unit"]
        if priced and line.get("price") not in (None, ""):
            li.unit_price = line["price"]
        if line.get("discount_rate") not in (None, ""):
            li.discount_rate = line["discount_rate"]
        if line.get("lot"):
            li.lot_code = _text(line, "lot", 64)
        for key in ("expires_on", "produced_on"):
            if line.get(key):
                try:
                    setattr(li, key, dt.date.fromisoformat(str(line[key])))
                except ValueError:
                    raise ValidationFailed(field=f"lines[{n}].{key}", reason=_("is not a date")) from None
        out.append(li)
    return out


def _custom(batch: Batch, data: dict) -> dict:
    """The terminal's code and how the customer paid (was refunded): `payment` {method, amount, tendered, change}
    as the till shows it, or `payments` [{method, amount}, …] for a mixed payment. The till's sale is paid in
    full by `payment`'s method (its amount is the till's view of the total; the server's total is what is
    received); finance/counter.py records the receipts (refunds) at posting from `custom["payments"]`."""
    custom: dict = {"terminal": batch.terminal.code}
    payment, payments = data.get("payment"), data.get("payments")
    if payment is not None:
        if not isinstance(payment, dict) or len(json.dumps(payment, default=str)) > 2000:
            raise ValidationFailed(field="payment", reason=_("must be a small object"))
        custom["payment"] = payment
        custom["payments"] = [{"method": payment.get("method")}]
    if payments is not None:
        if not isinstance(payments, list) or len(json.dumps(payments, default=str)) > 2000:
            raise ValidationFailed(field="payments", reason=_("must be a small list"))
        custom["payments"] = [{"method": p.get("method"), "amount": p.get("amount")} if isinstance(p, dict) else p
                              for p in payments]
    return custom


def _lock_till(terminal: Terminal) -> None:
    """Money the till takes is recorded under the terminal's row lock, as a till closing reads it (sync/closing.py):
    the op's transaction updates that row at its end anyway, so this only takes the lock earlier. SQLite has no row
    locks (its writer holds the whole database from BEGIN IMMEDIATE): nothing to take there."""
    if not connection.features.has_select_for_update:
        return
    Terminal.objects.select_for_update().filter(pk=terminal.pk).values_list("pk", flat=True).first()


def _sale(batch: Batch, data: dict, business_on) -> Document:
    """A sale at the till: a sales delivery (销售出库) of the store to the walk-in (or named) customer, posted."""
    terminal = batch.terminal
    customer = _customer(terminal, data.get("customer") or terminal.customer_id)
    _lock_till(terminal)
    return docs.create_document(
        by=terminal.user, kind="sales_delivery", warehouse=terminal.warehouse, partner=customer,
        lines=_lines(batch, data), business_on=business_on, memo=_text(data, "memo", 500),
        custom=_custom(batch, data), advance_to=Status.POSTED, prices_include_tax=bool(data.get("tax_included", True)),
    )


def _customer(terminal: Terminal, ref) -> int:
    """The customer a till may name (docs/terminal-protocol.md "Customers"): its own walk-in customer, or an
    active customer of the company that is not limited to other stores (StoreCustomer)."""
    if ref is None:
        raise ValidationFailed(field="customer", reason=_("is required: this terminal has no walk-in customer"))
    if ref == terminal.customer_id:
        return ref
    if isinstance(ref, bool) or not isinstance(ref, int | str) or (isinstance(ref, str) and len(ref) > 64):
        raise ValidationFailed(field="customer", reason=_("must be a customer's id or code"))
    lookup = {"pk": ref} if isinstance(ref, int) else {"code": ref}
    partner = Partner.objects.filter(company_id=terminal.company_id, **lookup).first()
    if partner is None:
        raise NotFound("partner", ref)
    if partner.pk == terminal.customer_id:
        return partner.pk
    stores = set(StoreCustomer.objects.filter(customer=partner).values_list("warehouse_id", flat=True))
    if not partner.is_active or not partner.plays("customer") or (stores and terminal.warehouse_id not in stores):
        raise DomainError("terminal.customer_not_allowed",
                          _("This till may not sell to %(customer)s: it is not a customer of this store."),
                          http_status=403, customer=partner.code)
    return partner.pk


def _source_document(batch: Batch, data: dict, kinds: tuple[str, ...], field: str) -> Document:
    """The document an operation refers to: an earlier op id of this terminal, or a document number."""
    terminal = batch.terminal
    ref_op, number = data.get(f"{field}_op"), data.get(field)
    doc = None
    if isinstance(ref_op, str) and ref_op:
        first = TerminalOperation.objects.filter(company_id=terminal.company_id, op_id=ref_op).first()
        if first is not None and first.status == OpStatus.HELD:
            raise DomainError("terminal.source_held",
                              _("Operation %(op_id)s waits for a manager's review: it can be returned once posted."),
                              http_status=409, op_id=ref_op)
        doc = first.document if first is not None and first.status == OpStatus.ACCEPTED else None
        key = ref_op
    elif isinstance(number, str) and number:
        doc = Document.objects.filter(company_id=terminal.company_id, number=number).first()
        key = number
    else:
        raise ValidationFailed(field=field, reason=_("is required (a document number, or the op id as %(f)s_op)")
                               % {"f": field})
    if doc is None or doc.kind not in kinds:
        raise NotFound("document", key)
    return doc


def _match_source_lines(source: Document, lines: list[LineInput], kind: str) -> None:
    """Give each line the source line of the same item that still has quantity left (a return takes its cost)."""
    left = docs.remaining_quantities(source, kind)
    source_lines = list(DocumentLine.objects.filter(document=source).select_related("item").order_by("line_no"))
    for li in lines:
        for sl in source_lines:
            if (sl.item_id == li.item or sl.item.code == li.item) and left.get(sl.pk, Decimal(0)) > 0:
                li.source_line = sl.pk
                break
        else:
            raise DomainError("terminal.return_item_unknown",
                              _("Item %(item)s is not on document %(number)s or has nothing left to take."),
                              http_status=422, item=li.item, number=source.number)


def _return(batch: Batch, data: dict, business_on) -> Document:
    """A return at the till against an earlier sale: a sales return (销售退货) into the store, posted."""
    terminal = batch.terminal
    source = _source_document(batch, data, ("sales_delivery",), "sale")
    if source.warehouse_id != terminal.warehouse_id:  # a till takes back only what its own store sold
        raise DomainError("terminal.other_warehouse",
                          _("%(number)s was sold by another warehouse: return it there."), http_status=403,
                          number=source.number)
    lines = _lines(batch, data, priced=False)
    _match_source_lines(source, lines, "sales_return")
    _lock_till(terminal)
    return docs.create_document(
        by=terminal.user, kind="sales_return", warehouse=terminal.warehouse, partner=source.partner_id,
        source=source, lines=lines, business_on=business_on, memo=_text(data, "memo", 500),
        custom=_custom(batch, data), advance_to=Status.POSTED, prices_include_tax=source.prices_include_tax,
    )


def _receipt_scan(batch: Batch, data: dict, business_on) -> Document:
    """Goods scanned in at the warehouse: a purchase receipt (采购入库) from the supplier, against an order if named."""
    terminal = batch.terminal
    source = None
    lines = _lines(batch, data)
    if data.get("order") or data.get("order_op"):
        source = _source_document(batch, data, ("purchase_order",), "order")
        _match_source_lines(source, lines, "purchase_receipt")
    supplier = data.get("supplier") or (source.partner_id if source else None)
    if not supplier:
        raise ValidationFailed(field="supplier", reason=_("is required"))
    return docs.create_document(
        by=terminal.user, kind="purchase_receipt", warehouse=terminal.warehouse, partner=supplier, source=source,
        lines=lines, business_on=business_on, memo=_text(data, "memo", 500), custom=_custom(batch, data),
        advance_to=Status.POSTED,
    )


# the operations that make a document dated by the till (a count entry is not dated: it joins its count)
HANDLERS = {"sale": _sale, "return": _return, "receipt_scan": _receipt_scan}


def count_entry(batch: Batch, data: dict) -> dict:
    """Counted quantities or scans for an open stock count (盘点) of the terminal's warehouse
    (counts.services.record_entries: all entries of the op or none)."""
    from openjxc.counts import services as counts
    from openjxc.counts.models import Count

    terminal = batch.terminal
    ref = data.get("count")
    count = None
    if isinstance(ref, int) and not isinstance(ref, bool):
        count = Count.objects.filter(company_id=terminal.company_id, pk=ref).first()
    elif isinstance(ref, str) and ref:
        count = Count.objects.filter(company_id=terminal.company_id, number=ref).first()
    if count is None:
        raise NotFound("count", ref if isinstance(ref, str | int) else None)
    # a browser terminal counts as its operator (a person who may work in other warehouses): keep it to its own
    by = terminal.operator or terminal.user
    if terminal.operator_id is not None and count.warehouse_id != terminal.warehouse_id:
        raise ValidationFailed(field="count", reason=_("is not a count of this terminal's warehouse"))
    raw = data.get("entries")
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed(field="entries", reason=_("must have at least one entry"))
    entries = []
    for n, e in enumerate(raw, start=1):
        if not isinstance(e, dict):
            raise ValidationFailed(field=f"entries[{n}]", reason=_("must be an object"))
        entry = counts.EntryInput(barcode=_text(e, "barcode", 200), item=e.get("item") or None,
                                  quantity=e.get("qty"), location=e.get("location"), lot_code=_text(e, "lot", 64))
        entries.append(entry)
    results = counts.record_entries(count, by=by, entries=entries)
    # each entry's line as it stands now: what the counter's screen shows (never the book: counts may be blind)
    lines = [{"item": r.item.code, "name": r.item.name, "location_id": r.line.location_id,
              "lot": r.line.lot.code if r.line.lot_id else "", "added": r.added,
              "counted": None if r.line.counted_quantity is None else format(r.line.counted_quantity.normalize(), "f")}
             for r in results]
    return {"count": {"id": count.pk, "number": count.number}, "entries": len(results), "lines": lines}
