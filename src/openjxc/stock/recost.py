"""Re-costing (成本重算): after a back-dated entry, the moving average is recomputed from its date on.

A posting whose business date is earlier than moves already posted for the same item and warehouse
(stock/posting.py finds out from the valuation row it locks anyway) is costed at the state of its own
date; then each later move of the item in that warehouse is replayed in business-date order
(stock/replay.py) and every value that changed is corrected by a cost-only move (quantity 0, pointing
at the move it corrects, dated like it), in the same transaction. The correction follows the goods: a
corrected transfer-out changes the value in transit and so the transfer-in and the receiving
warehouse, whose later issues are replayed in turn; a corrected delivery changes the returns made
from it; a corrected move changes its reversal. Document lines learn their corrected cost through
`on_line_costs` (the documents app keeps `cost_amount` equal to the moves' value).

Why in the same transaction, and the other choices: docs/decisions/0015-recosting-in-the-posting-transaction.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.db import connection
from django.db.models import Case, DecimalField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import DomainError
from openjxc.core.events import make_event
from openjxc.core.models import User
from openjxc.core.quantities import ZERO, cost, money, qty
from openjxc.core.sql import insert_rows, update_rows
from openjxc.stock.costing import CostState
from openjxc.stock.locations import virtual_locations
from openjxc.stock.models import STOCKED_KINDS, ItemValuation, Location, LocationKind, StockBalance, StockMove
from openjxc.stock.replay import Difference, Links, Primary, Row, decider, group, replay

FIELDS = ("id", "business_on", "from_location_id", "to_location_id", "lot_id", "quantity", "value", "reverses_id",
          "corrects_id", "is_adjustment", "line_id", "document_id", "item_id")
MAX_PASSES_PER_WAREHOUSE = 20
CORRECTION_FIELDS = ("company", "item", "lot", "from_location", "to_location", "quantity", "unit_cost", "value",
                     "document", "line", "corrects", "is_adjustment", "business_on", "posted_at", "posted_by")


def id_ranges(ids: list[int]) -> list[list[int]]:
    """Ids as sorted [first, last] ranges (one range when an INSERT got consecutive ids)."""
    out: list[list[int]] = []
    for pk in sorted(ids):
        if out and pk == out[-1][1] + 1:
            out[-1][1] = pk
        else:
            out.append([pk, pk])
    return out

# ------------------------------------------------------------------ what the documents app plugs in

_links: dict[str, Callable] = {}
_line_cost_listeners: list[Callable[[list[tuple[int, int | None, Decimal]]], None]] = []


def register_links(*, sources: Callable[[set[int]], dict[int, int]],
                   followers: Callable[[set[int]], dict[int, list[int]]],
                   moves: Callable[[set[int]], dict[int, list[int]]]) -> None:
    """How moves follow a source line (returns, transfer-in): `sources(line ids)` gives {line: its source
    line} for lines whose value is a share of their source line's; `followers(source line ids)` gives
    {source line: [lines that follow it]} (both may be given `documents=`, the documents of those lines, to
    ask by the few documents instead of the many lines); `moves(line ids)` gives {line: [ids of the moves that carry
    its goods]} (a line split per lot after posting keeps its moves on the first part)."""
    _links.update(sources=sources, followers=followers, moves=moves)


def on_line_costs(listener: Callable[[list[tuple[int, int | None, Decimal]]], None]) -> None:
    """`listener([(line id, lot id, value change)])` runs in the transaction after corrections of the moves
    of those lines (and lots)."""
    if listener not in _line_cost_listeners:
        _line_cost_listeners.append(listener)


def _call(name: str, ids: set, documents: set | None = None) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids or name not in _links:
        return {}
    documents = {d for d in documents or () if d is not None}
    if documents and len(documents) < len(ids) and None not in ids:
        # many lines of a few documents (deliveries of 500 lines): the documents are the shorter question
        return _links[name](ids, documents=documents)
    return _links[name](ids)


def sources(line_ids: set[int], documents: set[int | None] | None = None) -> dict[int, int]:
    """{line: source line} for lines whose moves follow their source line's cost (the documents app says);
    `documents`: the documents those lines belong to, when known."""
    return _call("sources", line_ids, documents)


def followers(line_ids: set[int], documents: set[int | None] | None = None) -> dict[int, list[int]]:
    """{line: [lines following its cost]}; `documents`: the documents of `line_ids`, when known."""
    return _call("followers", line_ids, documents)


def line_moves(line_ids: set[int]) -> dict[int, list[int]]:
    return _call("moves", line_ids)


# ------------------------------------------------------------------ reading


def rows(queryset) -> list[Row]:
    return [Row(*values) for values in queryset.values_list(*FIELDS)]


def stocked_locations(company_id: int) -> dict[int, int]:
    """Every stocked location of the company -> its warehouse."""
    return dict(Location.objects.filter(company_id=company_id, kind__in=STOCKED_KINDS)
                .values_list("id", "warehouse_id"))


def _own_corrections(outer: str = "pk"):
    """The sum of a move's own corrections (same locations as the move), as a subquery."""
    return Coalesce(Subquery(
        StockMove.objects.filter(corrects_id=OuterRef(outer), from_location_id=OuterRef("from_location_id"),
                                 to_location_id=OuterRef("to_location_id"))
        .values("corrects_id").annotate(s=Sum("value")).values("s")[:1]
    ), Value(ZERO), output_field=DecimalField(max_digits=18, decimal_places=2))


def _inward(locations: set[int]) -> Q:
    return Q(to_location_id__in=locations) & ~Q(from_location_id__in=locations)


def state_before(company_id: int, item_id: int, locations: set[int], on: dt.date) -> CostState:
    """The warehouse's quantity, value and last cost before business day `on`, from the ledger."""
    moves = StockMove.objects.filter(company_id=company_id, item_id=item_id, business_on__lt=on)
    inward = _inward(locations)
    outward = Q(from_location_id__in=locations) & ~Q(to_location_id__in=locations)
    dec: DecimalField = DecimalField(max_digits=18, decimal_places=4)
    sums = moves.filter(inward | outward).aggregate(
        q=Coalesce(Sum(Case(When(inward, then=F("quantity")), default=-F("quantity"), output_field=dec)),
                   Value(ZERO), output_field=dec),
        v=Coalesce(Sum(Case(When(inward, then=F("value")), default=-F("value"), output_field=dec)),
                   Value(ZERO), output_field=dec),
    )
    return CostState(qty(sums["q"]), money(sums["v"]), last_cost_before(company_id, item_id, locations, on))


def last_cost_before(company_id: int, item_id: int, locations: set[int], on: dt.date) -> Decimal:
    """The unit cost of the warehouse's last receipt before business day `on` (0 if none), from the ledger."""
    last = (
        StockMove.objects.filter(_inward(locations), company_id=company_id, item_id=item_id, business_on__lt=on,
                                 quantity__gt=0, reverses__isnull=True, corrects__isnull=True, is_adjustment=False)
        .annotate(own=F("value") + _own_corrections())
        .order_by("-business_on", "-id").values_list("quantity", "own").first()
    )
    return cost(last[1] / last[0]) if last else ZERO


def touching(locations: set[int]) -> Q:
    return Q(from_location_id__in=locations) | Q(to_location_id__in=locations)


class LineLinks:
    """Which lines follow which source lines, and which moves carry each of those lines."""

    def __init__(self, line_ids: set[int], documents: set[int | None] | None = None):
        self.source_of = sources(line_ids, documents)
        self.followers = followers(set(self.source_of.values())) if self.source_of else {}
        lines = set(self.source_of.values()) | {ln for group_ in self.followers.values() for ln in group_}
        self.moves = line_moves(lines) if lines else {}

    def move_ids(self) -> set[int]:
        return {m for group_ in self.moves.values() for m in group_}


def build_links(known, primaries: list[Primary], lines: LineLinks) -> Links:
    """The Links of `primaries` from the rows known around them (`known`: the moves replayed, the moves
    they reverse, and every move of their source lines and of those lines' followers)."""
    links = Links()
    ordered = sorted(known, key=lambda r: r.id)
    heads = {r.id: r for r in ordered if r.corrects_id is None}
    own_sum: dict[int, Decimal] = {}
    for r in ordered:
        links.quantity[r.id] = r.quantity
        head = heads.get(r.corrects_id) if r.corrects_id is not None else None
        if head is not None and (r.from_id, r.to_id) == (head.from_id, head.to_id):
            own_sum[head.id] = own_sum.get(head.id, ZERO) + r.value
        if r.reverses_id is not None:
            links.reversed_at[r.reverses_id] = min(r.id, links.reversed_at.get(r.reverses_id, r.id))
    for r in ordered:
        links.own[r.id] = r.value + own_sum.get(r.id, ZERO)
    for p in primaries:
        line_id = p.row.line_id
        source_line = lines.source_of.get(line_id) if line_id is not None else None
        if line_id is None or source_line is None or p.row.reverses_id is not None or p.row.is_adjustment:
            continue
        siblings = sorted(m for ln in lines.followers.get(source_line, [line_id])
                          for m in lines.moves.get(ln, []))
        links.source_of[p.row.id] = (lines.moves.get(source_line, []), siblings)
    return links


def link_context(heads: list[Row], moves: list[Row]) -> tuple[LineLinks, dict[int, Row]]:
    """What build_links needs for replaying the primaries among `heads`, read with `moves`: the links of their
    lines, and the rows known around them (`moves`, the moves they reverse, and every move of their source lines
    and of those lines' followers, with their corrections). Three to four statements for any number of rows."""
    known = {r.id: r for r in moves}
    lines = LineLinks({r.line_id for r in heads if r.line_id}, {r.document_id for r in heads if r.line_id})
    targets = {r.reverses_id for r in heads if r.reverses_id} - known.keys()
    wanted = targets | (lines.move_ids() - known.keys())
    if wanted:
        for r in rows(StockMove.objects.filter(Q(pk__in=wanted) | Q(corrects_id__in=wanted))):
            known[r.id] = r
    return lines, known


# ------------------------------------------------------------------ re-costing


class Recost:
    """Re-cost one item of a company from given dates in given warehouses, following the goods."""

    def __init__(self, company, item_id: int, *, by: User | None, cause=None, events: list | None = None):
        self.company = company
        self.item_id = item_id
        self.by = by if by is not None and getattr(by, "pk", None) else None
        self.cause = cause  # the document whose posting made re-costing necessary (for the event)
        self.events = events
        self.where = stocked_locations(company.pk)
        self.adjustment = virtual_locations(company)[LocationKind.ADJUSTMENT].pk
        self.corrections = 0
        self.own_changes: dict[int, Decimal] = {}  # move id -> the own corrections posted on it by this run
        self.line_changes: dict[tuple[int, int | None], Decimal] = {}

    def locations(self, warehouse_id: int) -> set[int]:
        return {loc for loc, wh in self.where.items() if wh == warehouse_id}

    def run(self, starts: dict[int, tuple[dt.date, CostState | None]]) -> int:
        """Replay each warehouse from its date (with the given state before it, if known); return the
        number of corrections posted."""
        queue = dict(starts)
        passes = 0
        limit = MAX_PASSES_PER_WAREHOUSE * max(1, len(set(self.where.values())))
        while queue:
            warehouse_id = min(queue, key=lambda w: (queue[w][0], w))
            on, state = queue.pop(warehouse_id)
            passes += 1
            if passes > limit:
                raise DomainError("stock.recost_loop", _("Re-costing did not settle; the ledger needs attention."),
                                  http_status=500, item=self.item_id)
            for wh, day in self._pass(warehouse_id, on, state):
                if wh not in queue or day < queue[wh][0]:
                    queue[wh] = (day, None)
        if self.line_changes:
            changes = [(line, lot, delta) for (line, lot), delta in sorted(self.line_changes.items(),
                                                                           key=lambda kv: (kv[0][0], kv[0][1] or 0))]
            for listener in _line_cost_listeners:
                listener(changes)
        return self.corrections

    def _lock(self, warehouse_id: int) -> ItemValuation:
        qs = ItemValuation.objects.filter(item_id=self.item_id, warehouse_id=warehouse_id)
        if connection.vendor == "postgresql":
            qs = qs.select_for_update()
        return qs.get()

    def _pass(self, warehouse_id: int, on: dt.date, state: CostState | None) -> set[tuple[int, dt.date]]:
        valuation = self._lock(warehouse_id)
        locations = self.locations(warehouse_id)
        if state is None:
            state = state_before(self.company.pk, self.item_id, locations, on)
        moves = rows(
            StockMove.objects.filter(company_id=self.company.pk, item_id=self.item_id, business_on__gte=on)
            .filter(touching(locations)).order_by("business_on", "id")
        )
        primaries = group(moves, self.adjustment)
        links = self._links(primaries, moves)
        outcome = replay(primaries, state, locations=locations, warehouse_id=warehouse_id,
                         warehouse_of=self.where.get, links=links)
        if outcome.state.quantity != qty(valuation.quantity):
            raise DomainError("stock.recost_quantity", _("Re-costing found the ledger out of balance."),
                              http_status=500, item=self.item_id, warehouse=warehouse_id)
        self._write(warehouse_id, valuation, outcome.state, outcome.differences, on)
        changed = [d.primary for d in outcome.differences if d.kind == "own"]
        return self._cascades(warehouse_id, changed, links)

    def _links(self, primaries: list[Primary], moves: list[Row]) -> Links:
        """Own values and source links of everything the replay of `primaries` may look up."""
        lines, known = link_context([p.row for p in primaries], moves)
        return build_links(known.values(), primaries, lines)

    def _write(self, warehouse_id: int, valuation: ItemValuation, state: CostState, differences: list[Difference],
               on: dt.date) -> None:
        # corrections go in as plain rows (one multi-row INSERT, no model instance per row): a back-dated receipt
        # ahead of 10,000 issues writes 10,000 of them (bench/recost.py)
        now = clock.now()
        by_id = self.by.pk if self.by is not None else None
        rows: list[tuple] = []
        deltas: dict[tuple[int, int], Decimal] = {}
        for d in differences:
            p = d.primary
            frm, to = (p.from_id, p.to_id) if d.kind == "own" else (self.adjustment, d.location)
            rows.append((self.company.pk, self.item_id, p.lot_id, frm, to, ZERO, ZERO, d.delta, p.document_id,
                         p.line_id, p.id, True, p.business_on, now, by_id))
            for loc, sign in ((frm, -1), (to, 1)):
                if loc in self.where:
                    key = (loc, p.lot_id or 0)
                    deltas[key] = deltas.get(key, ZERO) + sign * d.delta
            if d.kind == "own":
                self.own_changes[p.id] = self.own_changes.get(p.id, ZERO) + d.delta
            # a reversal carries its line too, but the line's cost is what its goods carried: the reversal's
            # correction mirrors the one on the move it reverses and is not counted a second time
            if d.kind == "own" and p.line_id and p.reverses_id is None:
                line_key = (p.line_id, p.lot_id)
                self.line_changes[line_key] = self.line_changes.get(line_key, ZERO) + d.delta
        ids = [r[0] for r in insert_rows(StockMove, CORRECTION_FIELDS, rows, returning=("id",))] if rows else []
        self.corrections += len(rows)
        balances = []
        if deltas:
            found = StockBalance.objects.filter(item_id=self.item_id, location_id__in={k[0] for k in deltas})
            for b in found:
                delta = deltas.get((b.location_id, b.lot_key))
                if delta:
                    b.value = money(b.value) + delta
                    balances.append(b)
            update_rows(StockBalance, ("value",), [(b.value, b.pk) for b in balances])
        valuation.value, valuation.last_cost = state.value, state.last_cost
        update_rows(ItemValuation, ("value", "last_cost"), [(state.value, state.last_cost, valuation.pk)])
        if not rows and not balances:
            return
        # the corrections by id range (as stock.changed lists a posting's moves), not one entry per correction:
        # readers (the facts consumer) read the moves themselves
        event = make_event(
            company=self.company, topic="stock.recosted", by=self.by, obj=self.cause,
            payload={
                "item": self.item_id, "warehouse": warehouse_id, "from": str(on),
                "cause": getattr(self.cause, "number", None),
                "moves": id_ranges(ids), "corrections": len(rows),
                "value": str(sum((r[7] for r in rows), ZERO)),
                "balances": [{"item": b.item_id, "location": b.location_id, "lot": b.lot_id,
                              "quantity": str(b.quantity), "value": str(b.value)} for b in balances],
                "valuation": {"quantity": str(state.quantity), "value": str(state.value)},
            },
        )
        if self.events is not None:
            self.events.append(event)
        else:
            event.save(force_insert=True)

    def _cascades(self, warehouse_id: int, changed: list[Row], links: Links) -> set[tuple[int, dt.date]]:
        """The warehouses (and from which day) to replay because these moves' values changed: where the
        value arrived (transit), the reversals of the moves, the moves that follow them (returns,
        transfer-in) and the later siblings of a changed follower (the last one takes the rest).

        A dependent in this warehouse that the replay reached after the move it depends on took the new value
        already; one it reached before (a return dated before an earlier-posted return of the same line, or
        before its delivery; a reversal dated before the move) took the old one and is replayed again, even
        when it was corrected in this pass."""
        out: set[tuple[int, dt.date]] = set()
        if not changed:
            return out
        ids = {r.id for r in changed}
        for r in changed:
            other = self.where.get(r.to_id)
            if other is not None and other != warehouse_id:
                out.add((other, r.business_on))
        after: dict[int, tuple[dt.date, int]] = {}  # dependent move -> the latest changed move it depends on

        def depends(move_id: int, key: tuple[dt.date, int]) -> None:
            if move_id not in after or key > after[move_id]:
                after[move_id] = key

        for r in changed:
            if r.id in links.source_of:
                for s in links.source_of[r.id][1]:
                    if s > r.id:
                        depends(s, r.key)
        keys_of_line: dict[int, tuple[dt.date, int]] = {}
        for r in changed:
            if r.line_id and (r.line_id not in keys_of_line or r.key > keys_of_line[r.line_id]):
                keys_of_line[r.line_id] = r.key
        follow = followers(set(keys_of_line), {r.document_id for r in changed if r.line_id})
        following = line_moves({ln for group_ in follow.values() for ln in group_}) if follow else {}
        for source_line, lines in follow.items():
            for ln in lines:
                for m in following.get(ln, []):
                    depends(m, keys_of_line[source_line])
        key_of = {r.id: r.key for r in changed}
        dependent = Q(reverses_id__in=ids)
        if after:
            dependent |= Q(pk__in=set(after))
        for f in rows(StockMove.objects.filter(dependent, item_id=self.item_id)):
            wh = decider(f, self.where.get)
            if wh is None:
                continue
            keys = [k for k in (after.get(f.id), key_of.get(f.reverses_id) if f.reverses_id else None) if k]
            # what this pass replayed after every changed move it depends on was replayed with their new values
            if wh == warehouse_id and f.key > max(keys):
                continue
            out.add((wh, f.business_on))
        return out
