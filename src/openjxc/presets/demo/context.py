"""What a demo being built knows (its people, items, warehouses, partners) and the helpers every part uses.

Time: the clock is frozen at each business moment while the history is replayed, so documents, events and
audit records carry times that match their business dates. The history ends today and never runs ahead of
the real clock: today's business is squeezed into the hours before now when the demo is built early in the
morning.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings

from openjxc.catalog.models import Item, Unit
from openjxc.core import clock
from openjxc.core.models import Company, User
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.documents.services import LineInput
from openjxc.partners.models import Partner
from openjxc.stock.models import StockBalance, Warehouse
from openjxc.workflow import services as workflow

D = Decimal
CENT = D("0.01")
DAY_STARTS = dt.time(8, 30)
WORKING_MINUTES = 600  # a business day's documents spread over about ten hours


class Demo:
    """The demo company under construction; the builder's parts read and extend it."""

    company: Company
    admin: User
    users: dict[str, User]
    user_list: list[tuple[str, str, str]]
    items: list[Item]
    item_by_pk: dict[int, Item]
    categories: dict
    pack: dict[int, tuple[Unit, int]]
    demand: dict[int, int]
    top_of: dict[int, str]
    index: dict[int, int]
    suppliers: list[tuple[Partner, list[str]]]
    customers: dict[str, list[Partner]]
    both: Partner
    walk_in: Partner
    main: Warehouse
    second: Warehouse
    store: Warehouse

    def __init__(self, *, items: int, days: int, seed: int, password: str, code: str, name: str,
                 now: dt.datetime | None = None, progress: Callable[[int, int, str], None] | None = None):
        self.n_items, self.days, self.password = items, days, password
        self.code, self.name = code, name
        self.rng = random.Random(seed)
        self.progress = progress or (lambda done, total, label: None)
        self.tz_name = settings.JXC_TIME_ZONE
        self.tz = zoneinfo.ZoneInfo(self.tz_name)
        self.now = (now or clock.now()).astimezone(self.tz)  # the real time: nothing is stamped after it
        self.today = self.now.date()
        self.first_day = self.today - dt.timedelta(days=days)
        self.day = self.first_day
        self.minute = 0
        self.docs: Counter = Counter()  # (kind, status) -> count, as the demo left them
        self.deliveries: list[Document] = []
        self.returned: set[int] = set()
        self.receipts: list[Document] = []
        self.backorders: dict[int, dt.date] = {}  # order id -> when the rest of a short delivery comes
        self.counts: list = []  # counts.Count rows the demo made
        self.settlements: Counter = Counter()  # receipt / payment -> count
        self.habits: dict[int, str] = {}  # customer id -> how they pay
        self.till = None  # the store's registered till (sync.Terminal)
        self.till_code = ""  # a one-time code that registers another browser as a till
        self.till_ops = 0
        self.till_sales: list[int] = []  # documents the till posted

    # ------------------------------------------------------------ time

    def at(self, day: dt.date) -> None:
        """Start replaying `day` (its morning; today: early enough to end before now)."""
        self.day, self.minute = day, 0
        start = dt.datetime.combine(day, DAY_STARTS, tzinfo=self.tz)
        self.scale = 1.0
        if day >= self.today:
            midnight = dt.datetime.combine(day, dt.time(0), tzinfo=self.tz)
            start = max(midnight, min(start, self.now - dt.timedelta(hours=2)))
            self.scale = max(0.0, min(1.0, (self.now - start).total_seconds() / 60 / WORKING_MINUTES))
        self.start = start
        self.tick()

    def clock_iso(self) -> str:
        return clock.now().isoformat()

    def tick(self, minutes: int = 0) -> None:
        """Move the frozen clock forward within the business day."""
        self.minute += minutes or self.rng.randint(3, 12)
        local = self.start + dt.timedelta(minutes=self.minute * self.scale)
        if self.day >= self.today:
            local = min(local, self.now)
        clock.freeze(local.astimezone(dt.UTC))

    # ------------------------------------------------------------ documents through the people who do them

    def count_doc(self, doc: Document, status: str | None = None, *, was: str | None = None) -> None:
        """Count `doc` as left in `status` (default its own), no longer in `was`."""
        if was is not None:
            self.docs[(doc.kind, str(was))] -= 1
        self.docs[(doc.kind, str(status or doc.status))] += 1

    def run(self, kind: str, *, author: str, poster: str, lines: list[LineInput], **header) -> Document | None:
        """Create, submit, approve and post one document, as the people who would."""
        if not lines:
            return None
        self.tick()
        doc = docs.create_document(by=self.users[author], kind=kind, lines=lines, business_on=self.day, **header)
        return self.finish(doc, author=author, poster=poster)

    def finish(self, doc: Document, *, author: str, poster: str) -> Document:
        docs.submit_document(doc, by=self.users[author])
        self.tick(2)
        self.approve(doc)
        self.tick(3)
        doc = docs.post_document(doc, by=self.users[poster])
        self.count_doc(doc)
        return doc

    def approve(self, doc: Document) -> Document:
        """The manager approves; a document in an approval flow goes through each step's first holder."""
        in_flow = False
        while (approval := workflow.pending_approval(doc)) is not None:
            in_flow = True
            step = approval.steps.get(position=approval.current)
            holders = workflow.holders_of(step, clock.now())
            by = self.users["manager"] if self.users["manager"].pk in holders else User.objects.get(pk=holders[0])
            doc = docs.approve_document(doc, by=by)
            if doc.status != Status.SUBMITTED:
                return doc
            self.tick(self.rng.randint(5, 90))
        if not in_flow:
            doc = docs.approve_document(doc, by=self.users["manager"])
        return doc

    # ------------------------------------------------------------ what is where

    def on_hand(self, warehouse: Warehouse, *, sellable: bool = True) -> dict[int, Decimal]:
        """Quantity per item in a warehouse; with `sellable`, lots that expired before today don't count."""
        out: dict[int, Decimal] = {}
        rows = StockBalance.objects.filter(location__warehouse=warehouse, quantity__gt=0).values_list(
            "item_id", "quantity", "lot__expires_on"
        )
        for item_id, quantity, expires in rows:
            if sellable and expires is not None and expires < self.day:
                continue
            out[item_id] = out.get(item_id, D(0)) + D(quantity)
        return out

    def lot(self, item: Item, n: int = 0) -> dict:
        produced = self.day - dt.timedelta(days=self.rng.randint(1, 3) + n)
        return {"lot_code": f"L{produced:%y%m%d}{self.index[item.pk]:03d}{n}", "produced_on": produced,
                "expires_on": produced + dt.timedelta(days=item.shelf_life_days)}

    def purchase_line(self, item: Item, quantity: int, n: int = 0, **extra) -> LineInput:
        """A line of `quantity` base units as a supplier sells them: whole cartons when it comes to one."""
        unit, factor = self.pack[item.pk]
        wobble = D(1) + D(self.rng.randint(-4, 4)) / 100  # suppliers' prices move a little
        if item.tracks_lots:
            extra.update(self.lot(item, n))
        if quantity >= factor:
            packs = max(1, quantity // factor)
            price = (item.purchase_price * factor * wobble).quantize(CENT)
            return LineInput(item=item.pk, quantity=D(packs), unit=unit.pk, unit_price=price, **extra)
        return LineInput(item=item.pk, quantity=D(quantity), unit_price=(item.purchase_price * wobble).quantize(CENT),
                         **extra)

    def sale_lines(self, warehouse: Warehouse, count: int, *, scale: float, packs: bool,
                   discount: Decimal | None = None, priced: bool = True) -> list[LineInput]:
        """Lines of what the warehouse has (whole cartons now and then); without `priced`, the price list's."""
        on_hand = self.on_hand(warehouse)
        candidates = [i for i in self.items if on_hand.get(i.pk, D(0)) > 0]
        lines = []
        for item in self.rng.sample(candidates, min(count, len(candidates))):
            available = int(on_hand[item.pk])
            unit, factor = self.pack[item.pk]
            price = None
            if packs and available >= factor and self.rng.random() < 0.5:
                quantity, unit_ref = min(self.rng.randint(1, 3), available // factor), unit.pk
                if discount is not None and priced:
                    price = (item.sale_price * factor * discount).quantize(CENT)
            else:
                want = max(1, int(self.demand[item.pk] * scale * self.rng.uniform(0.3, 1.2)))
                quantity, unit_ref = min(want, available), None
                if discount is not None and priced:
                    price = (item.sale_price * discount).quantize(CENT)
            if quantity <= 0:
                continue
            lines.append(LineInput(item=item.pk, quantity=D(quantity), unit=unit_ref, unit_price=price))
        return lines

    def all_customers(self) -> list[Partner]:
        """The wholesale customers (not the store's walk-in customer)."""
        return [*self.customers["EC"], *self.customers["SC"], *self.customers["other"], self.both]

    def supplier_for(self, item: Item) -> Partner:
        top = self.top_of[item.pk]
        candidates = [p for p, tops in self.suppliers if top in tops]
        return candidates[self.index[item.pk] % len(candidates)]
