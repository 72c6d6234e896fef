"""The editable line rows of the document pages (new document, a draft's lines, scanning against an order).

A row names its item by code (or a scanned barcode), its quantity in the row's unit (one of the item's
units, picked in the row), price per that unit, lot and expiry. Rows made from an order line also carry
what is left on that line and what may still come with the over-receipt tolerance, in the base unit, so the
page (web/static/web/scan.js) warns before saving; posting checks the same in documents/orders.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from openjxc.catalog.models import Item, ItemUnit, Tracking
from openjxc.catalog.services import lookup_barcode
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.documents.models import Document
from openjxc.documents.orders import order_allowance
from openjxc.documents.services import LineInput

FIELDS = ("item", "qty", "unit", "price", "lot", "expires")


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def blank_row() -> dict:
    return dict.fromkeys(FIELDS, "")


def posted_rows(post) -> list[dict]:
    """The rows of a submitted form, each field stripped (missing fields empty)."""
    lists = {f: post.getlist(f"line_{f}") for f in FIELDS}
    return [{f: (lists[f][i] if i < len(lists[f]) else "").strip() for f in FIELDS}
            for i in range(max(len(lists["item"]), len(lists["qty"])))]


def unit_choices(items) -> dict[int, list[dict]]:
    """Per item: the units a row may pick, base unit first (factor 1), then the others by factor."""
    out = {i.pk: [{"id": i.base_unit_id, "name": i.base_unit.name, "factor": "1"}] for i in items}
    for iu in ItemUnit.objects.filter(item__in=list(out)).select_related("unit").order_by("factor", "unit_id"):
        out[iu.item_id].append({"id": iu.unit_id, "name": iu.unit.name, "factor": _plain(iu.factor)})
    return out


def label_rows(company_id: int, rows: list[dict]) -> list[dict]:
    """Name each row's item as the scan box does (面粉 · F001 · 千克) and give it the item's units to pick."""
    codes = {r["item"] for r in rows if r.get("item")}
    by_code = {i.code: i for i in Item.objects.filter(company_id=company_id, code__in=codes).select_related("base_unit")}
    found: dict[int, tuple[Item, object]] = {}
    for n, row in enumerate(rows):
        if not row.get("item"):
            continue
        item, unit = by_code.get(row["item"]), None
        if item is None:
            try:
                hit = lookup_barcode(company_id, row["item"])
            except DomainError:
                continue
            item, unit = hit["item"], hit["unit"]
        found[n] = (item, unit)
    choices = unit_choices([item for item, _u in found.values()])
    for n, (item, unit) in found.items():
        row = rows[n]
        row["units"] = choices[item.pk]
        row["tracked"] = item.tracking != Tracking.NONE  # lot and expiry fields only for lot-tracked items
        row.setdefault("base_unit", item.base_unit.name)
        if not row.get("unit"):  # a pack's barcode books the pack's unit; a code, the base unit
            row["unit"] = str(getattr(unit, "pk", None) or item.base_unit_id)
        picked = next((u for u in row["units"] if str(u["id"]) == str(row.get("unit"))), None)
        name = picked["name"] if picked else (getattr(unit, "name", None) or item.base_unit.name)
        row.setdefault("label", f"{item.name} · {item.code} · {name}")
    return rows


def line_inputs(company_id: int, rows: list[dict]) -> list[LineInput]:
    """Turn the form's rows into LineInputs; an item is found by its code, else by a (GS1) barcode scan; the
    row's unit, when picked, wins over the unit of a scanned barcode."""
    inputs = []
    for n, row in enumerate(rows, start=1):
        if not row["item"] and not row["qty"]:
            continue
        if not row["item"]:
            raise ValidationFailed(field=_("line %(n)s") % {"n": n}, reason=_("needs an item"))
        item = Item.objects.filter(company_id=company_id, code=row["item"]).first()
        unit, lot = None, row["lot"]
        expires_on = None
        if row.get("expires"):
            try:
                expires_on = dt.date.fromisoformat(row["expires"])
            except ValueError:
                raise ValidationFailed(field=_("line %(n)s") % {"n": n}, reason=_("has an invalid expiry date")) from None
        if item is None:
            hit = lookup_barcode(company_id, row["item"])
            item, unit = hit["item"], hit["unit"]
            lot = lot or (hit["lot"] or "")
            expires_on = expires_on or hit["expires_on"]
        picked = row.get("unit") or ""
        inputs.append(LineInput(
            item=item.pk, quantity=row["qty"] or "0",
            unit=int(picked) if picked.isdigit() else (unit.pk if unit else None),
            unit_price=row["price"] or None, lot_code=lot, expires_on=expires_on,
        ))
    return inputs


def with_sources(doc: Document, rows: list[dict], sources: list[str]) -> list[dict]:
    """The posted rows of a draft made from a source, each with its source line: the one the row kept, else
    (a row added by scanning) the only line of the source with the row's item, so it counts against the order."""
    by_item: dict[str, list[int]] = {}
    if doc.source is not None:
        for line_id, code in doc.source.lines.values_list("id", "item__code"):
            by_item.setdefault(code, []).append(line_id)
    allowance = order_allowance(doc)
    for n, row in enumerate(rows):
        kept = sources[n] if n < len(sources) else ""
        only = by_item.get(row["item"], [])
        row["source"] = int(kept) if kept.isdigit() else (only[0] if len(only) == 1 else "")
        if row["source"] in allowance:
            row["left"], row["allowed"] = (_plain(q) for q in allowance[row["source"]])
    return rows


def draft_rows(doc: Document, *, scanning: bool) -> list[dict]:
    """A draft's lines as rows, in each line's own unit; rows made from an order line say what is left on it."""
    allowance = order_allowance(doc)
    rows = []
    for ln in doc.lines.select_related("item__base_unit", "unit").order_by("line_no"):
        row = {"item": ln.item.code, "qty": "0" if scanning else _plain(ln.unit_quantity), "unit": str(ln.unit_id),
               "price": _plain(ln.unit_price), "lot": ln.lot_code,
               "expires": ln.expires_on.isoformat() if ln.expires_on else "", "source": ln.source_line_id or "",
               "expected": ln.unit_quantity, "base_unit": ln.item.base_unit.name,
               "label": f"{ln.item.name} · {ln.item.code} · {ln.unit.name}"}
        if ln.source_line_id in allowance:
            row["left"], row["allowed"] = (_plain(q) for q in allowance[ln.source_line_id])
        rows.append(row)
    return rows
