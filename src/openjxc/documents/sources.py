"""What is left on a source document for the documents made from it (下推, returns, bills, finished goods).

One rule for "what is left", used by the 下推 service, the checks at creation and posting, the orders'
progress and the terminals: a source line's quantity less what posted documents of the kind took from
it — and for an order and the kind that fulfils it, net of the returns of those (what was returned may be
received or delivered again).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import DomainError
from openjxc.core.quantities import ZERO, money, qty
from openjxc.documents.kinds import RETURNED_BY, SourceLeft, get_kind
from openjxc.documents.models import Document, DocumentLine, Status


def fulfilled_by_line(order_ids, fulfil_kind: str, *, exclude_doc=None) -> dict[int, tuple[Decimal, Decimal]]:
    """Per order line of `order_ids`: (posted quantity of `fulfil_kind` made from it, posted returns of those)."""
    out: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    done = DocumentLine.objects.filter(
        source_line__document_id__in=order_ids, document__kind=fulfil_kind, document__status=Status.POSTED
    )
    if exclude_doc is not None:
        done = done.exclude(document_id=exclude_doc)
    for line_id, q in done.values_list("source_line_id").annotate(q=Sum("quantity")):
        out[line_id][0] += qty(q or 0)
    returned_by = RETURNED_BY.get(fulfil_kind)
    if returned_by:
        returns = DocumentLine.objects.filter(
            source_line__source_line__document_id__in=order_ids, source_line__document__kind=fulfil_kind,
            document__kind=returned_by, document__status=Status.POSTED,
        )
        for line_id, q in returns.values_list("source_line__source_line_id").annotate(q=Sum("quantity")):
            out[line_id][1] += qty(q or 0)
    return {k: (v[0], v[1]) for k, v in out.items()}


def source_left(source: Document, kind: str) -> SourceLeft:
    """Per source line: (quantity, cost value) not yet taken by posted documents of `kind` made from `source`;
    and the source's posted cost not yet taken by them in all (lines of their own included)."""
    taken: dict[int | None, tuple[Decimal, Decimal]] = {
        line_id: (qty(q or 0), money(v or 0))
        for line_id, q, v in DocumentLine.objects.filter(
            document__source=source, document__kind=kind, document__status=Status.POSTED
        )
        .values_list("source_line_id")
        .annotate(q=Sum("quantity"), v=Sum("cost_amount"))
    }
    lines, cost, costed = {}, ZERO, False
    for ln in source.lines.all():
        got_qty, got_value = taken.get(ln.pk, (ZERO, ZERO))
        lines[ln.pk] = (ln.quantity - got_qty, (ln.cost_amount or ZERO) - got_value)
        if ln.cost_amount is not None:
            cost, costed = cost + ln.cost_amount, True
    value = cost - sum((v for _q, v in taken.values()), ZERO) if costed else None
    return SourceLeft(lines=lines, value=value, number=source.number)


def remaining_quantities(source: Document, kind: str) -> dict[int, Decimal]:
    """Per source line: what a new document of `kind` may still take from it. For an order and the kind that
    fulfils it: ordered less received (delivered) net of returns; otherwise less what was taken."""
    if get_kind(source.kind).fulfilled_by == kind:
        done = fulfilled_by_line([source.pk], kind)
        out = {}
        for ln in source.lines.all():
            got, back = done.get(ln.pk, (ZERO, ZERO))
            out[ln.pk] = max(ln.quantity - (got - back), ZERO)
        return out
    return {line_id: left_qty for line_id, (left_qty, _v) in source_left(source, kind).lines.items()}


def check_quantities_left(doc: Document, lines: list[DocumentLine], left: SourceLeft | None = None) -> SourceLeft:
    """Refuse taking more than is left on the source lines of the document's source (document.exceeds_source);
    returns what is left. Every line points at a source line (a kind with `source_required`)."""
    if left is None:
        if doc.source is None:
            raise ValueError("check_quantities_left needs a document made from a source")
        left = source_left(doc.source, doc.kind)
    asked: dict[int | None, Decimal] = {}
    for ln in lines:
        asked[ln.source_line_id] = asked.get(ln.source_line_id, ZERO) + ln.quantity
    for line_id, want in asked.items():
        have = left.lines.get(line_id, (ZERO, ZERO))[0] if line_id is not None else ZERO
        if want > have:
            src = next(ln.source_line for ln in lines if ln.source_line_id == line_id)
            assert src is not None  # line_id came from these lines' source_line_id
            raise DomainError(
                "document.exceeds_source",
                _("%(item)s: %(requested)s requested but only %(remaining)s left on %(number)s."),
                http_status=409, item=src.item, requested=want, remaining=have, number=left.number,
            )
    return left


def nothing_left(source: Document, kind: str) -> DomainError:
    return DomainError(
        "document.nothing_left", _("Nothing is left on %(number)s to create a %(kind)s from."),
        http_status=409, number=source.number, kind=str(get_kind(kind).label),
    )
