"""Stock work in the demo: opening balances, transfers between warehouses, write-offs, gains and counts."""

from __future__ import annotations

from decimal import Decimal

from openjxc.counts import services as counts
from openjxc.counts.models import Count, CountEntry, CountLine, CountStatus, Scope
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput
from openjxc.stock.models import StockBalance, Warehouse

from .context import Demo

D = Decimal


def opening(demo: Demo) -> None:
    """期初: the stock each warehouse holds when the books start (several weeks of demand)."""
    lines_main, lines_second, lines_store = [], [], []
    for item in demo.items:
        d = demo.demand[item.pk]
        _unit, factor = demo.pack[item.pk]
        lot = demo.lot(item) if item.tracks_lots else {}
        qty_main = max(factor, (d * 18 // factor) * factor)
        lines_main.append(LineInput(item=item.pk, quantity=D(qty_main), unit_price=item.purchase_price, **lot))
        if demo.rng.random() < 0.7:
            lines_second.append(LineInput(item=item.pk, quantity=D(max(factor, d * 8)),
                                          unit_price=item.purchase_price, **lot))
        if demo.rng.random() < 0.6:
            lines_store.append(LineInput(item=item.pk, quantity=D(max(2, d * 3)),
                                         unit_price=item.purchase_price, **lot))
    for warehouse, lines in ((demo.main, lines_main), (demo.second, lines_second), (demo.store, lines_store)):
        demo.run("opening", author="keeper", poster="keeper", lines=lines, warehouse=warehouse, memo="期初库存导入")


def transfer(demo: Demo, source: Warehouse, target: Warehouse, *, share: float, memo: str) -> None:
    """Send goods the target is short of; they are received the next morning (in transit overnight)."""
    have = demo.on_hand(source)
    there = demo.on_hand(target, sellable=False)
    lines = []
    for item in demo.items:
        if item.tracks_lots:
            continue
        d = max(1, int(demo.demand[item.pk] * share))
        short = d * 10 - int(there.get(item.pk, D(0)))
        if short > d * 4 and have.get(item.pk, D(0)) > short * 2:
            lines.append(LineInput(item=item.pk, quantity=D(short)))
    demo.run("transfer_out", author="keeper", poster="keeper", lines=lines[:30], warehouse=source,
             to_warehouse=target, memo=memo)


def receive_transfers(demo: Demo) -> None:
    pending = Document.objects.filter(
        company=demo.company, kind="transfer_out", status=Status.POSTED, business_on__lt=demo.day
    ).exclude(derived__kind="transfer_in").order_by("pk")
    for out in pending:
        demo.tick()
        doc = docs.create_from(out, by=demo.users["keeper"], kind="transfer_in", business_on=demo.day)
        demo.finish(doc, author="keeper", poster="keeper")


def write_off_expired(demo: Demo, warehouse: Warehouse) -> None:
    rows = (
        StockBalance.objects.filter(location__warehouse=warehouse, quantity__gt=0, lot__expires_on__lt=demo.day)
        .select_related("lot").order_by("item_id", "lot_id")
    )
    lines = [LineInput(item=b.item_id, quantity=D(b.quantity), lot_code=b.lot.code, memo="过期") for b in rows]
    demo.run("write_off", author="keeper", poster="keeper", lines=lines, warehouse=warehouse, memo="过期商品报损")


def write_off_damaged(demo: Demo) -> None:
    on_hand = demo.on_hand(demo.main)
    candidates = [i for i in demo.items if not i.tracks_lots and on_hand.get(i.pk, 0) >= 5]
    if not candidates:
        return
    item = demo.rng.choice(candidates)
    demo.run("write_off", author="keeper", poster="keeper", warehouse=demo.main, memo="搬运破损",
             lines=[LineInput(item=item.pk, quantity=D(demo.rng.randint(1, 3)), memo="破损")])


def gain(demo: Demo) -> None:
    item = demo.rng.choice([i for i in demo.items if not i.tracks_lots])
    demo.run("gain", author="keeper", poster="keeper", warehouse=demo.second, memo="盘点盘盈",
             lines=[LineInput(item=item.pk, quantity=D(demo.rng.randint(1, 4)))])


# ---------------------------------------------------------------- counts (盘点)


def _enter(demo: Demo, count: Count, lines: list[CountLine], *, share: float = 1.0) -> None:
    """The keeper counts `share` of the lines: mostly what the book says, now and then one or two off."""
    by = demo.users["keeper"]
    entries = []
    for line in lines[: max(1, int(len(lines) * share))]:
        book = int(line.snapshot_quantity)
        if book <= 0:
            continue  # an empty shelf: left for "uncounted counts as zero" when finishing
        off = demo.rng.choice([0] * 8 + [-2, -1, 1])
        counted = max(1, book + off)
        entries.append(counts.EntryInput(item=line.item_id, quantity=D(counted), location=line.location_id,
                                         lot_code=line.lot.code if line.lot_id else ""))
    if entries:
        demo.tick()
        counts.record_entries(count, by=by, entries=entries)


def _category(demo: Demo, top: str):
    return demo.categories[top] if any(demo.top_of[i.pk] == top for i in demo.items) else None


def finished_count(demo: Demo) -> None:
    """A cycle count of the store's drinks, counted, reviewed and adjusted through the approval flow."""
    by = demo.users["keeper"]
    category = _category(demo, "2")
    if category is None:
        return
    demo.tick()
    count = counts.create_count(by=by, warehouse=demo.store, scope=Scope.CATEGORY, category=category,
                                name="门店饮料月度盘点", blind=True, assignees=[by], due_on=demo.day)
    count = counts.start_count(count, by=by)
    _enter(demo, count, list(count.lines.select_related("lot").order_by("pk")))
    count = counts.finish_count(count, by=by, uncounted_as_zero=True)
    if count.status == CountStatus.COUNTING:  # differences beyond tolerance: counted again, and confirmed
        recount = list(count.lines.filter(round=2, counted_quantity__isnull=True).select_related("lot"))
        by_line = {e.line_id: e.quantity for e in CountEntry.objects.filter(line__in=recount, round=1)}
        entries = [counts.EntryInput(item=ln.item_id, quantity=by_line.get(ln.pk) or ln.snapshot_quantity,
                                     location=ln.location_id, lot_code=ln.lot.code if ln.lot_id else "")
                   for ln in recount if (by_line.get(ln.pk) or ln.snapshot_quantity) > 0]
        if entries:
            demo.tick(20)
            counts.record_entries(count, by=by, entries=entries)
        count = counts.finish_count(count, by=by, uncounted_as_zero=True)
    demo.tick(15)
    count = counts.create_count_document(count, by=by, business_on=demo.day, memo="门店饮料月度盘点差异调整")
    if count.document_id:
        demo.finish(count.document, author="keeper", poster="keeper")
    demo.counts.append(count)


def count_in_progress(demo: Demo) -> None:
    """Today's count of the main warehouse's household goods: started this morning, about half counted."""
    by = demo.users["keeper"]
    category = _category(demo, "4")
    if category is None:
        return
    demo.tick()
    count = counts.create_count(by=by, warehouse=demo.main, scope=Scope.CATEGORY, category=category,
                                name="总仓日化季度盘点", blind=True, assignees=[by], due_on=demo.day)
    count = counts.start_count(count, by=by)
    _enter(demo, count, list(count.lines.select_related("lot").order_by("pk")), share=0.5)
    demo.counts.append(count)
