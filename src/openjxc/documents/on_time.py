"""采购到货准时率 (purchase on-time rate) from the purchase documents.

The denominator is the purchase order lines whose promised date falls in the period and that were not closed
short or voided before that date; a line counts as on time when what was received against it by the promised
date (+ `grace_days`) reaches ordered × (1 − `tolerance`). An order line never received is therefore late, and a
line received in several parts counts once. The quantity-weighted form divides what was received on time (at
most the ordered quantity) by the quantity ordered.

"Received by a date" is read as the ledgers read it: a receipt counts from its business date, a return to the
supplier takes off from its business date, and a voided receipt or return is taken back from the day it was
voided. The report facts (reports/kpis_money.py) compute the same figure from their daily rows.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from decimal import Decimal

from openjxc.core.models import Company
from openjxc.core.quantities import ZERO, qty
from openjxc.documents.models import DocumentLine, Status

DEFAULT_TOLERANCE = Decimal("0.02")
FOUR = Decimal("0.0001")


def _local(at: dt.datetime | None, tz) -> dt.date | None:
    return at.astimezone(tz).date() if at is not None else None


def on_time_lines(company_id: int, *, date_from=None, date_to=None, supplier_id=None, grace_days: int = 0) -> list:
    """(line id, supplier id, ordered, received by the promised date + grace) of the lines in the denominator."""
    tz = zoneinfo.ZoneInfo(Company.objects.get(pk=company_id).time_zone)
    lines = DocumentLine.objects.filter(
        document__company_id=company_id, document__kind="purchase_order", promised_on__isnull=False,
        document__status__in=[Status.POSTED, Status.CLOSED, Status.VOIDED])
    if date_from:
        lines = lines.filter(promised_on__gte=date_from)
    if date_to:
        lines = lines.filter(promised_on__lte=date_to)
    if supplier_id:
        lines = lines.filter(document__partner_id=supplier_id)
    wanted: dict[int, tuple[int, Decimal, dt.date]] = {}
    for pk, supplier, ordered, promised, closed_at, voided_at in lines.values_list(
            "id", "document__partner_id", "quantity", "promised_on", "document__closed_at", "document__voided_at"):
        if promised is None:  # (filtered out above: only lines with a promised date are due)
            continue
        ended = min((d for d in (_local(closed_at, tz), _local(voided_at, tz)) if d is not None), default=None)
        if ended is not None and ended < promised:
            continue  # closed or voided before it was due: no longer expected
        wanted[pk] = (supplier, ordered, promised + dt.timedelta(days=grace_days))
    received: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for kind, sign, path in (("purchase_receipt", 1, "source_line_id"),
                             ("purchase_return", -1, "source_line__source_line_id")):
        rows = DocumentLine.objects.filter(
            document__company_id=company_id, document__kind=kind, document__status__in=[Status.POSTED, Status.VOIDED],
            **{f"{path.removesuffix('_id')}__in": list(wanted)},
        ).values_list(path, "quantity", "document__business_on", "document__voided_at")
        for line, quantity, day, voided_at in rows:
            due = wanted[line][2]
            voided_on = _local(voided_at, tz)
            if day <= due and (voided_on is None or voided_on > due):
                received[line] += sign * quantity
    return [(pk, supplier, ordered, received[pk]) for pk, (supplier, ordered, _due) in sorted(wanted.items())]


def on_time_rate(company_id: int, *, date_from=None, date_to=None, supplier_id=None, grace_days: int = 0,
                 tolerance: Decimal = DEFAULT_TOLERANCE) -> list[dict]:
    """Per supplier: order lines due in the period, those on time, the rate; ordered and received-on-time
    quantities and the quantity-weighted rate."""
    per: dict[int, list] = defaultdict(lambda: [0, 0, ZERO, ZERO])
    for _line, supplier, ordered, received in on_time_lines(company_id, date_from=date_from, date_to=date_to,
                                                             supplier_id=supplier_id, grace_days=grace_days):
        acc = per[supplier]
        acc[0] += 1
        acc[1] += 1 if received >= ordered * (1 - tolerance) else 0
        acc[2] += ordered
        acc[3] += min(max(received, ZERO), ordered)
    return [
        {"supplier": sup, "lines": n, "on_time": ok, "rate": (Decimal(ok) / Decimal(n)).quantize(FOUR),
         "ordered": qty(ordered), "received_on_time": qty(on_time),
         "qty_rate": (on_time / ordered).quantize(FOUR) if ordered else None}
        for sup, (n, ok, ordered, on_time) in sorted(per.items())
    ]
