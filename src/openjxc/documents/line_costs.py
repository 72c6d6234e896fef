"""What stock re-costing (stock/recost.py) needs from documents, plugged in at start-up.

- Which lines follow a source line: a return or a transfer-in takes its share of the cost its source
  line was posted at, so when the source is re-costed, they are re-costed with it.
- Lines' `cost_amount` (read by margins and by returns) stays equal to the value of their moves:
  corrections posted on a line's moves add to it.
"""

from __future__ import annotations

from decimal import Decimal

from openjxc.core.sql import add_to_rows
from openjxc.documents.kinds import KINDS
from openjxc.documents.models import VALUED_AT_COST, Document, DocumentLine
from openjxc.stock import recost
from openjxc.stock.models import StockMove

# kinds whose lines take their value from their source line (returns, transfer-in)
FOLLOWING_KINDS = sorted(k.code for k in KINDS.values() if k.source_required)


def sources(line_ids: set[int], documents: set[int] | None = None) -> dict[int, int]:
    """{line: its source line} for the given lines that follow their source's cost (`documents`: theirs)."""
    lines = DocumentLine.objects.filter(source_line__isnull=False, document__kind__in=FOLLOWING_KINDS)
    lines = lines.filter(document_id__in=documents) if documents else lines.filter(pk__in=line_ids)
    return {pk: source for pk, source in lines.values_list("pk", "source_line_id") if pk in line_ids}


def followers(source_line_ids: set[int], documents: set[int] | None = None) -> dict[int, list[int]]:
    """{source line: [lines following its cost]} for the given source lines (`documents`: theirs)."""
    lines = DocumentLine.objects.filter(document__kind__in=FOLLOWING_KINDS)
    lines = (lines.filter(source_line__document_id__in=documents) if documents
             else lines.filter(source_line_id__in=source_line_ids))
    out: dict[int, list[int]] = {}
    for pk, source in lines.values_list("pk", "source_line_id").order_by("pk"):
        if source in source_line_ids:
            out.setdefault(source, []).append(pk)
    return out


def _carriers(line_ids: set[int]) -> tuple[list[tuple], list[tuple]]:
    """The lines (id, document, item, lot) and the goods-carrying moves of their documents and items
    (id, line, lot, document, item, the lot of the move's line)."""
    lines = list(DocumentLine.objects.filter(pk__in=line_ids).values_list("pk", "document_id", "item_id", "lot_id"))
    if not lines:
        return [], []
    found = list(
        StockMove.objects.filter(document_id__in={ln[1] for ln in lines}, item_id__in={ln[2] for ln in lines},
                                 corrects__isnull=True, reverses__isnull=True, is_adjustment=False)
        .values_list("id", "line_id", "lot_id", "document_id", "item_id", "line__lot_id").order_by("id")
    )
    return lines, found


def moves(line_ids: set[int]) -> dict[int, list[int]]:
    """{line: the moves that carry its goods}. A line split per lot after posting (FEFO) keeps every move
    on its first part: a later part's moves are those of its lot that its first part does not carry."""
    lines, found = _carriers(line_ids)
    out: dict[int, list[int]] = {}
    for pk, doc, item, lot in lines:
        own = [m[0] for m in found if m[1] == pk and m[2] == lot]
        if not own:
            own = [m[0] for m in found if m[3] == doc and m[4] == item and m[2] == lot and m[5] != m[2]]
        out[pk] = own
    return out


def add_line_costs(changes: list[tuple[int, int | None, Decimal]]) -> None:
    """Add re-costing corrections of a line's moves (of a lot) to that line's (or its split part's) cost."""
    lines = {pk: (doc, item, lot) for pk, doc, item, lot in DocumentLine.objects.filter(
        pk__in={line for line, _lot, _d in changes}).values_list("pk", "document_id", "item_id", "lot_id")}
    parts: dict[tuple[int, int, int | None], int] = {}
    if any(lines[line][2] != lot for line, lot, _d in changes):
        for pk, doc_id, item_id, lot_id in DocumentLine.objects.filter(
                document_id__in={v[0] for v in lines.values()}).order_by("pk").values_list(
                "pk", "document_id", "item_id", "lot_id"):
            parts.setdefault((doc_id, item_id, lot_id), pk)
    delta: dict[int, Decimal] = {}
    for line, lot, change in changes:
        doc, item, line_lot = lines[line]
        target = line if line_lot == lot else parts.get((doc, item, lot), line)
        delta[target] = delta.get(target, Decimal(0)) + change
    add_to_rows(DocumentLine, "cost_amount", [(change, pk) for pk, change in sorted(delta.items())])
    # a stock document's amount at cost is the value of its moves: it follows them (documents/valuation.py)
    by_doc: dict[int, Decimal] = {}
    for line, change in delta.items():
        owner = lines[line][0] if line in lines else None
        if owner is not None:
            by_doc[owner] = by_doc.get(owner, Decimal(0)) + change
    docs = Document.objects.filter(pk__in=by_doc, kind__in=VALUED_AT_COST).values_list("pk", flat=True)
    add_to_rows(Document, "cost_total", [(by_doc[pk], pk) for pk in sorted(docs)])


def register() -> None:
    recost.register_links(sources=sources, followers=followers, moves=moves)
    recost.on_line_costs(add_line_costs)
