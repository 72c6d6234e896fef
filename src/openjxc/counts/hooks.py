"""What counts attach to document posting (documents/hooks.py), inside the posting's transaction.

- Frozen locations: while a count that freezes its locations is in progress, any other document whose
  moves touch one of them is refused (except a terminal's offline sale, which already happened).
- A stock_count document's surpluses come in at the current average cost of the item in the warehouse.
- Posting (or voiding) a stock_count document closes (or reopens) its count.
"""

from __future__ import annotations

import zoneinfo

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import DomainError
from openjxc.core.quantities import cost
from openjxc.counts.models import Count, CountStatus
from openjxc.counts.rules import COUNTS
from openjxc.counts.selectors import frozen_locations
from openjxc.documents import hooks
from openjxc.documents.kinds import get_kind
from openjxc.documents.kinds.counts import STOCK_COUNT, is_shortage
from openjxc.documents.lifecycle import Changes
from openjxc.documents.posting import places_of
from openjxc.stock.models import ItemValuation, Location
from openjxc.stock.period_close import Blocker, register_blocker

# whether a count in progress freezes locations of a new document's warehouse (documents/hooks.py probes)
FROZEN_PROBE = "counts.frozen"


def refuse_frozen(doc, lines, by) -> None:
    """Refuse posting a document that moves goods at a location frozen by a count in progress."""
    if doc.kind == STOCK_COUNT.code:
        return
    if (doc.custom or {}).get("terminal"):
        # a till's offline sale already happened: refusing it would lose it (DESIGN: offline sales are accepted)
        return
    warehouse_ids = [w for w in (doc.warehouse_id, doc.to_warehouse_id) if w]
    if not warehouse_ids:
        return
    if all(hooks.probed(w, FROZEN_PROBE) is False for w in (doc.warehouse, doc.to_warehouse) if w is not None):
        return  # a new document: no count freezes its warehouse, read with the warehouse (decision 0017)
    frozen = frozen_locations(doc.company_id, warehouse_ids)
    if not frozen:
        return
    for move in get_kind(doc.kind).plan(doc, lines, places_of(doc)):
        for loc in (move.from_location, move.to_location):
            if loc.pk in frozen:
                count = Count.objects.filter(company_id=doc.company_id, freeze=True,
                                             status=CountStatus.COUNTING, warehouse_id=loc.warehouse_id).first()
                raise DomainError(
                    "count.location_frozen",
                    _("Location %(location)s is frozen by stock count %(count)s until it is finished."),
                    http_status=409, location=Location.objects.get(pk=loc.pk).code,
                    count=count.number if count else "", item=move.item,
                )


def price_surpluses(doc, lines, by) -> None:
    """Surplus lines come in at the item's current average in the warehouse (their count-time cost if none)."""
    places = places_of(doc)
    gains = [ln for ln in lines if not is_shortage(ln, places)]
    if not gains:
        return
    averages = {
        item_id: cost(v / q)
        for item_id, q, v in ItemValuation.objects.filter(
            warehouse_id=doc.warehouse_id, item_id__in={ln.item_id for ln in gains}, quantity__gt=0
        ).values_list("item_id", "quantity", "value")
    }
    for ln in gains:
        if ln.item_id in averages:
            ln.unit_price = averages[ln.item_id]


def close_count(doc, lines, by) -> None:
    """The count's adjustment posted: the count is posted."""
    for count in Count.objects.filter(document=doc):
        COUNTS.transition(count, "post", by=by, data={"document": doc.number})


def reopen_count(doc, by) -> None:
    """The count's adjustment was voided: the count is documented again (it may be adjusted anew)."""
    for count in Count.objects.filter(document=doc):
        changes = Changes(count)
        count.posted_at = None
        changes.fields.add("posted_at")
        COUNTS.transition(count, "reopen", by=by, changes=changes, data={"document": doc.number})
        changes.flush()


def unfinished_counts(company, first, last) -> list[Blocker]:
    """Counts started by the month's end and not finished (period close, stock/period_close.py)."""
    started = CountStatus.COUNTING, CountStatus.REVIEW, CountStatus.DOCUMENTED
    out = []
    tz = zoneinfo.ZoneInfo(company.time_zone)
    for c in Count.objects.filter(company=company, status__in=started).order_by("pk"):
        begun = (c.started_at or c.created_at).astimezone(tz).date()
        if begun <= last:
            try:
                link = reverse("web:count", args=[c.pk])
            except NoReverseMatch:
                link = ""
            out.append(Blocker("count", gettext("Stock count %(number)s is not finished (%(status)s)") % {
                "number": c.number, "status": c.get_status_display()}, c.number, link, {"count": c.pk}))
    return out


def register_hooks() -> None:
    register_blocker(unfinished_counts)
    hooks.register(before_post=refuse_frozen)
    hooks.register_probe(
        FROZEN_PROBE,
        f"EXISTS (SELECT 1 FROM {Count._meta.db_table} c WHERE c.company_id = w.company_id AND c.warehouse_id = w.id "
        f"AND c.freeze = %s AND c.status = %s)",
        lambda kind: [True, str(CountStatus.COUNTING)],
    )
    hooks.register(kinds={STOCK_COUNT.code}, before_post=price_surpluses, on_post=close_count,
                   on_void=reopen_count)
