"""The pull side of the terminal protocol: a catalogue snapshot for the local cache, then the change feed.

A new terminal reads `catalogue_page` pages (by item id) — the first page carries the feed cursor taken
before the snapshot was read — then follows the feed from that cursor (sync/feed.py, scoped to its
warehouse plus catalogue and prices). Events between the cursor and the snapshot are applied twice
on the device, which is harmless: applying an item event is an upsert. Never by timestamp.
"""

from __future__ import annotations

from openjxc.catalog.models import Barcode, Item, ItemUnit
from openjxc.sync.models import Terminal


def _scope(terminal: Terminal):
    from openjxc.sync.feed import FeedScope

    return FeedScope.store_terminal([terminal.warehouse_id])


def catalogue_page(terminal: Terminal, *, after: int = 0, limit: int = 500) -> dict:
    """Active items with id > `after`: code, name, pinyin search key, unit (and its name), sale price, tax rate,
    barcodes, pack units."""
    out: dict = {}
    if after == 0:
        from openjxc.sync.feed import feed_head

        out["cursor"] = feed_head(terminal.company_id)  # taken first: nothing after it is missed
    items = list(
        Item.objects.filter(company_id=terminal.company_id, is_active=True, pk__gt=after)
        .select_related("base_unit").order_by("pk")[: limit + 1]
    )
    has_more = len(items) > limit
    items = items[:limit]
    ids = [i.pk for i in items]
    barcodes: dict[int, list] = {}
    for item_id, code, unit in Barcode.objects.filter(item_id__in=ids).values_list("item_id", "code", "unit__code"):
        barcodes.setdefault(item_id, []).append({"code": code, "unit": unit})
    units: dict[int, list] = {}
    for item_id, unit, factor, name in ItemUnit.objects.filter(item_id__in=ids).values_list(
            "item_id", "unit__code", "factor", "unit__name"):
        units.setdefault(item_id, []).append({"unit": unit, "factor": str(factor), "name": name})
    out["items"] = [
        {"id": i.pk, "code": i.code, "name": i.name, "spec": i.spec, "unit": i.base_unit.code,
         "search_key": i.search_key,  # the name's pinyin and initials: the till finds 牧场鲜牛奶 by "mcxnn"
         "unit_name": i.base_unit.name,  # what a till's receipt prints (瓶, 千克)
         "sale_price": str(i.sale_price), "tax_rate": str(i.tax_rate), "tracking": i.tracking,
         "barcodes": barcodes.get(i.pk, []), "units": units.get(i.pk, [])}
        for i in items
    ]
    out["next_after"] = items[-1].pk if items else after
    out["has_more"] = has_more
    return out


def pull(terminal: Terminal, *, cursor: str = "", limit: int = 500) -> dict:
    """The terminal's change feed after `cursor`: {events, next_cursor, has_more, reviews}; records the contact."""
    from openjxc.sync.feed import read_feed
    from openjxc.sync.protocol import report_contact
    from openjxc.sync.review import reported_to

    page = read_feed(company_id=terminal.company_id, cursor=cursor or None, limit=limit, scope=_scope(terminal))
    report_contact(terminal, pulled_cursor=page.next_cursor)
    # its operations held for review: still waiting, or decided in the last 7 days (sync/review.py)
    return {"events": [e.as_dict() for e in page.events], "next_cursor": page.next_cursor,
            "has_more": page.has_more, "reviews": reported_to(terminal)}
