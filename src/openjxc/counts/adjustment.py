"""The adjustment: a reviewed count becomes a draft `stock_count` document, one line per difference.

It goes through the normal submit / approve / post lifecycle; posting moves the differences to or from
the count-difference location through the ledger and closes the count (counts/hooks.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.events import record_audit, record_event
from openjxc.core.numbering import next_number
from openjxc.core.quantities import ZERO, money
from openjxc.core.sql import insert_objects
from openjxc.counts.models import Count, CountLine, CountStatus, Reason
from openjxc.counts.rules import COUNTS, lock_count, require_manager
from openjxc.documents.kinds.counts import STOCK_COUNT
from openjxc.documents.lifecycle import Changes
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.stock.locations import virtual_location
from openjxc.stock.models import LocationKind


@transaction.atomic
def create_count_document(count, *, by, business_on: dt.date | None = None, memo: str = "") -> Count:
    """Turn a reviewed count into a draft `stock_count` document, one line per difference, valued at the
    current cost. A count without differences is closed as posted with no document."""
    require_manager(by)
    count = lock_count(count, by)
    if count.status == CountStatus.DOCUMENTED and count.document_id:
        # the earlier adjustment was cancelled or voided: the count may be adjusted again
        if Document.objects.filter(pk=count.document_id, status__in=[Status.CANCELLED, Status.VOIDED]).exists():
            count.status = CountStatus.REVIEW
    COUNTS.check(count, "document")
    company = count.company
    day = business_on or clock.today(company.time_zone)
    lines = list(CountLine.objects.filter(count=count).exclude(counted_quantity=None)
                 .select_related("item", "lot").order_by("location_id", "item_id", "lot_key"))
    diffs = [ln for ln in lines if ln.difference]
    now = clock.now()
    if not diffs:
        COUNTS.transition(count, "post", by=by, data={"document": None})
        return count
    shortage_to = virtual_location(company.pk, LocationKind.COUNT)
    doc = Document(
        company=company, kind=STOCK_COUNT.code, status=Status.DRAFT, warehouse=count.warehouse,
        business_on=day, memo=(memo or str(_("Stock count %(number)s") % {"number": count.number}))[:500],
        custom={"count": count.pk, "count_number": count.number}, created_by=by, created_at=now, updated_at=now,
        number=next_number(company, STOCK_COUNT.prefix, day),
    )
    doc_lines = []
    for n, ln in enumerate(diffs, start=1):
        diff = ln.difference
        quantity = abs(diff)
        amount = money(quantity * ln.unit_cost)
        doc_lines.append(DocumentLine(
            document=doc, line_no=n, item=ln.item, unit_id=ln.item.base_unit_id, unit_quantity=quantity,
            factor=Decimal(1), quantity=quantity, unit_price=ln.unit_cost, amount=amount, amount_with_tax=amount,
            lot=ln.lot, lot_code=ln.lot.code if ln.lot else "", location_id=ln.location_id,
            to_location_id=shortage_to.pk if diff < 0 else ln.location_id,
            memo=str(Reason(ln.reason).label) if ln.reason else "",
        ))
    doc.total_quantity = sum((dl.quantity for dl in doc_lines), ZERO)
    doc.total_amount = doc.total_with_tax = sum((dl.amount for dl in doc_lines), ZERO)
    doc.cost_total = doc.total_amount  # lines at the current cost: its amount at cost (documents/valuation.py)
    insert_objects([doc], returning_pk=True)
    for dl in doc_lines:
        dl.document = doc
    insert_objects(doc_lines)
    snapshot = {"number": doc.number, "kind": doc.kind, "status": doc.status, "warehouse": doc.warehouse_id,
                "count": count.number, "lines": len(doc_lines), "total_amount": str(doc.total_amount)}
    record_event(company=company, topic="document.created", by=by, obj=doc, payload=snapshot)
    record_audit(company=company, action="create", obj=doc, by=by, after=snapshot)
    changes = Changes(count)
    count.document = doc
    changes.fields.add("document")
    COUNTS.transition(count, "document", by=by, changes=changes, data={"document": doc.number})
    changes.flush()
    return count

