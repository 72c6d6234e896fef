"""Small readers the document tests share (queries only; every write goes through the services)."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

import pytest

from openjxc.core.errors import DomainError
from openjxc.core.models import AuditRecord, Event
from openjxc.documents.services import LineInput
from openjxc.stock.models import ItemValuation, StockBalance, StockMove

D = Decimal


def line(item, quantity, price=None, **kw) -> LineInput:
    return LineInput(item=item.pk, quantity=D(str(quantity)), unit_price=None if price is None else D(str(price)), **kw)


def qty_at(item, warehouse) -> Decimal:
    return sum((b.quantity for b in StockBalance.objects.filter(item=item, location__warehouse=warehouse)), D(0))


def valuation(item, warehouse) -> tuple[Decimal, Decimal]:
    v = ItemValuation.objects.filter(item=item, warehouse=warehouse).first()
    return (v.quantity, v.value) if v else (D(0), D(0))


def moves_of(doc):
    return list(
        StockMove.objects.filter(document=doc).select_related("from_location", "to_location").order_by("pk")
    )


def route(doc) -> list[tuple[str, str, Decimal, Decimal]]:
    """(from kind, to kind, quantity, value) of each move of `doc` except cost adjustments."""
    return [
        (m.from_location.kind, m.to_location.kind, m.quantity, m.value) for m in moves_of(doc) if not m.is_adjustment
    ]


def counts() -> tuple[int, int, int]:
    return Event.objects.count(), AuditRecord.objects.count(), StockMove.objects.count()


@contextmanager
def refused(code: str):
    """Expect a DomainError with `code`, and prove that it wrote no event, audit record or move."""
    before = counts()
    with pytest.raises(DomainError) as info:
        yield info
    assert info.value.code == code, info.value.as_dict()
    assert counts() == before, "a refused service left rows behind"
