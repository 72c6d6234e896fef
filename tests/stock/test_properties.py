"""Property test: random sequences of documents keep the ledger consistent and match a shadow model.

Hypothesis drives a shop through receipts, deliveries, partial returns, transfers out and in,
write-offs, gains and voids over two items and two warehouses. A shadow model kept here, in exact
decimals, predicts every refusal (stock.insufficient, document.has_children) and the moving-average
value of each warehouse. After every step: `check_ledger()` finds nothing, every quantity equals the
shadow's, every value is within 0.01 per step of it, and no stock is negative.

CI runs 24 sequences of 30 steps (a fixed budget; 40 took 3–5 minutes in each suite on a loaded machine).
A deeper hunt, outside CI: JXC_PROPERTY_EXAMPLES=500 pytest tests/stock/test_properties.py
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from openjxc.core.errors import DomainError
from openjxc.documents import services as docs
from openjxc.stock.ledger import check_ledger
from openjxc.stock.locations import TRANSIT_WAREHOUSE_CODE
from openjxc.stock.models import ItemValuation, StockBalance, Warehouse
from tests.conftest import Shop
from tests.documents.helpers import line

D = Decimal
CENT = D("0.01")
quantities = st.integers(min_value=1, max_value=20)
costs = st.decimals(min_value="0.01", max_value="30.00", places=2)


def money(x: Decimal) -> Decimal:
    return x.quantize(CENT)


@dataclass
class Posted:
    """A posted document as the shadow sees it."""

    doc: object
    kind: str
    item: str
    quantity: Decimal
    value: Decimal  # value the document moved (positive)
    effects: list[tuple[str, str, Decimal, Decimal]]  # (item, warehouse, quantity delta, value delta)
    parent: Posted | None = None
    children: list[Posted] = field(default_factory=list)
    voided: bool = False

    def live_children(self):
        return [c for c in self.children if not c.voided]

    def remaining(self) -> Decimal:
        return self.quantity - sum((c.quantity for c in self.live_children()), D(0))


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.shop = Shop()
        s = self.shop
        self.items = {"flour": s.flour, "water": s.water}
        transit = Warehouse.objects.get(company=s.company, code=TRANSIT_WAREHOUSE_CODE)
        self.warehouses = {"main": s.main, "second": s.second, "transit": transit}
        self.q = {(i, w): D(0) for i in self.items for w in self.warehouses}
        self.v = {(i, w): D(0) for i in self.items for w in self.warehouses}
        self.last_cost = {(i, w): D(0) for i in self.items for w in self.warehouses}
        self.posted: list[Posted] = []
        self.steps = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # ------------------------------------------------------------ shadow arithmetic

    def _apply(self, effects):
        for item, wh, dq, dv in effects:
            self.q[(item, wh)] += dq
            self.v[(item, wh)] += dv
            if self.q[(item, wh)] == 0:
                self.v[(item, wh)] = D(0)  # the posting clears rounding residue when stock is gone

    def _issue_value(self, item, wh, quantity) -> Decimal:
        q, v = self.q[(item, wh)], self.v[(item, wh)]
        return v if quantity == q else v * quantity / q

    def _attempt(self, expected_code, action):
        """Run `action`; it must be refused with `expected_code` (None: must succeed)."""
        self.steps += 1
        try:
            result = action()
        except DomainError as exc:
            assert exc.code == expected_code, f"refused with {exc.as_dict()}, shadow expected {expected_code}"
            return None
        assert expected_code is None, f"accepted, but the shadow expected {expected_code}"
        return result

    def _out(self, kind, item, wh, quantity, **header):
        """An outgoing document at the moving average: delivery, write-off, transfer out."""
        n = D(quantity)
        refusal = "stock.insufficient" if n > self.q[(item, wh)] else None
        value = None if refusal else self._issue_value(item, wh, n)
        doc = self._attempt(refusal, lambda: self.shop.post(
            kind, [line(self.items[item], n)], warehouse=self.warehouses[wh], **header))
        if doc is not None:
            effects = [(item, wh, -n, -value)]
            if kind == "transfer_out":
                effects.append((item, "transit", n, value))
            self._apply(effects)
            self.posted.append(Posted(doc, kind, item, n, value, effects))

    def _in(self, kind, item, wh, quantity, value, *, source: Posted | None = None, **header):
        n = D(quantity)
        if source is not None:
            src_line = source.doc.lines.get()
            doc = self._attempt(None, lambda: self._post_from(source.doc, kind, n, src_line))
        else:
            price = None if value is None else value / n
            doc = self._attempt(None, lambda: self.shop.post(
                kind, [line(self.items[item], n, price)], warehouse=self.warehouses[wh], **header))
            if value is None:  # a gain without a price comes in at the current average
                q = self.q[(item, wh)]
                # with no cost history at all, at the item's fallback cost (its purchase price here)
                fallback = self.last_cost[(item, wh)] or self.items[item].purchase_price
                average = (self.v[(item, wh)] / q).quantize(D("0.000001")) if q > 0 else fallback
                value = money(n * average)
        effects = [(item, wh, n, value)]
        if kind == "transfer_in":
            effects.insert(0, (item, "transit", -n, -value))
        self.last_cost[(item, wh)] = (value / n).quantize(D("0.000001"))
        self._apply(effects)
        rec = Posted(doc, kind, item, n, value, effects, parent=source)
        if source is not None:
            source.children.append(rec)
        self.posted.append(rec)

    def _post_from(self, source_doc, kind, quantity, src_line):
        doc = docs.create_from(source_doc, by=self.shop.admin, kind=kind)
        doc = docs.update_document(doc, by=self.shop.admin,
                                   lines=[docs.LineInput(item=src_line.item_id, quantity=quantity,
                                                         source_line=src_line.pk)])
        return docs.advance_document(doc, by=self.shop.admin, to="posted")

    def _pick(self, kinds, index, *, with_remaining=False):
        candidates = [
            p for p in self.posted
            if p.kind in kinds and not p.voided and (not with_remaining or p.remaining() > 0)
        ]
        return candidates[index % len(candidates)] if candidates else None

    # ------------------------------------------------------------ rules

    @rule(item=st.sampled_from(["flour", "water"]), wh=st.sampled_from(["main", "second"]), n=quantities,
          unit_cost=costs)
    def receive(self, item, wh, n, unit_cost):
        self._in("purchase_receipt", item, wh, n, money(n * unit_cost), partner=self.shop.supplier)

    @rule(item=st.sampled_from(["flour", "water"]), wh=st.sampled_from(["main", "second"]), n=quantities)
    def deliver(self, item, wh, n):
        self._out("sales_delivery", item, wh, n, partner=self.shop.customer)

    @rule(item=st.sampled_from(["flour", "water"]), wh=st.sampled_from(["main", "second"]), n=quantities)
    def write_off(self, item, wh, n):
        self._out("write_off", item, wh, n)

    @rule(item=st.sampled_from(["flour", "water"]), wh=st.sampled_from(["main", "second"]), n=quantities)
    def transfer_out(self, item, wh, n):
        other = "second" if wh == "main" else "main"
        self._out("transfer_out", item, wh, n, to_warehouse=self.warehouses[other])

    @rule(item=st.sampled_from(["flour", "water"]), wh=st.sampled_from(["main", "second"]), n=quantities,
          unit_cost=st.none() | costs)
    def gain(self, item, wh, n, unit_cost):
        self._in("gain", item, wh, n, None if unit_cost is None else money(n * unit_cost))

    @precondition(lambda self: any(p.kind == "transfer_out" and not p.voided and p.remaining() > 0
                                   for p in self.posted))
    @rule(index=st.integers(0, 100))
    def transfer_in(self, index):
        out = self._pick({"transfer_out"}, index, with_remaining=True)
        dest = "second" if out.effects[0][1] == "main" else "main"
        self._in("transfer_in", out.item, dest, out.remaining(), out.value * out.remaining() / out.quantity,
                 source=out)

    @precondition(lambda self: any(p.kind == "sales_delivery" and not p.voided and p.remaining() > 0
                                   for p in self.posted))
    @rule(index=st.integers(0, 100), share=st.integers(1, 100))
    def sales_return(self, index, share):
        src = self._pick({"sales_delivery"}, index, with_remaining=True)
        n = max(D(1), (src.remaining() * share / 100).to_integral_value())
        wh = src.effects[0][1]
        self._in("sales_return", src.item, wh, n, money(src.value * n / src.quantity), source=src)

    @precondition(lambda self: any(p.kind == "purchase_receipt" and not p.voided and p.remaining() > 0
                                   for p in self.posted))
    @rule(index=st.integers(0, 100), share=st.integers(1, 100))
    def purchase_return(self, index, share):
        src = self._pick({"purchase_receipt"}, index, with_remaining=True)
        n = max(D(1), (src.remaining() * share / 100).to_integral_value())
        item, wh = src.item, src.effects[0][1]
        value = money(src.value * n / src.quantity)
        refusal = "stock.insufficient" if n > self.q[(item, wh)] else None
        doc = self._attempt(refusal, lambda: self._post_from(src.doc, "purchase_return", n, src.doc.lines.get()))
        if doc is not None:
            effects = [(item, wh, -n, -value)]
            self._apply(effects)
            rec = Posted(doc, "purchase_return", item, n, value, effects, parent=src)
            src.children.append(rec)
            self.posted.append(rec)

    @precondition(lambda self: any(not p.voided for p in self.posted))
    @rule(index=st.integers(0, 100))
    def void(self, index):
        rec = self._pick({p.kind for p in self.posted}, index)
        if rec.live_children():
            refusal = "document.has_children"
        else:
            after = dict(self.q)
            for item, wh, dq, _dv in reversed(rec.effects):
                after[(item, wh)] -= dq
            refusal = "stock.insufficient" if any(after[k] < 0 for k in after) else None
        done = self._attempt(refusal, lambda: docs.void_document(rec.doc, by=self.shop.admin, reason="property"))
        if done is not None:
            self._apply([(item, wh, -dq, -dv) for item, wh, dq, dv in reversed(rec.effects)])
            rec.voided = True

    # ------------------------------------------------------------ after every step

    @invariant()
    def ledger_is_consistent(self):
        problems = check_ledger(self.shop.company.pk)
        assert problems == [], "\n".join(map(str, problems))

    @invariant()
    def warehouses_match_the_shadow_moving_average(self):
        real = {
            (v.item_id, v.warehouse_id): v
            for v in ItemValuation.objects.filter(company=self.shop.company)
        }
        tolerance = CENT * max(self.steps, 1)
        for (item, wh), q in self.q.items():
            v = real.get((self.items[item].pk, self.warehouses[wh].pk))
            rq, rv = (v.quantity, v.value) if v else (D(0), D(0))
            assert rq == q, f"{item}@{wh}: quantity {rq}, shadow {q}"
            assert abs(rv - self.v[(item, wh)]) <= tolerance, f"{item}@{wh}: value {rv}, shadow {self.v[(item, wh)]}"
            assert rq >= 0

    @invariant()
    def no_negative_balance(self):
        assert not StockBalance.objects.filter(company=self.shop.company, quantity__lt=0).exists()


@pytest.mark.django_db
def test_random_document_sequences_keep_the_books_right():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(max_examples=int(os.environ.get("JXC_PROPERTY_EXAMPLES") or 24), stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
