"""Re-costing when what a move follows is replayed after it: the hypothesis failure
`ledger.replay_mismatch` (a stored value a cent off the replay) reduced to explicit postings.

A return takes its share of its source line's cost, and the return that takes the last of the line takes
what the earlier returns (by id) left. Business dates need not follow that order: a return posted second
may be dated before the first (a return dated before the delivery it returns is refused: decision 0030). Re-costing
replays in business-date order, so such a move is replayed before the value it follows changes; it must
be replayed again, and the document line must keep the value its moves carry."""

from decimal import Decimal as D

import pytest

from openjxc.core.errors import DomainError
from openjxc.documents import services as docs
from openjxc.documents.models import Document, DocumentLine
from openjxc.stock.models import StockMove
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line
from tests.stock.dated import days_ago, receive_on, sell_on


def return_on(shop, day, delivery, quantity):
    return shop.post("sales_return", [line(shop.flour, quantity, source_line=delivery.lines.get().pk)],
                     partner=shop.customer, source=delivery, business_on=day)


def own_value(doc) -> D:
    """What the document's goods carried: its moves' values with their own corrections (not revaluations)."""
    moves = StockMove.objects.filter(document=doc)
    primaries = {m.pk: m for m in moves if m.corrects_id is None and not m.is_adjustment}
    return sum((m.value for m in moves if m.pk in primaries or (
        m.corrects_id in primaries and (m.from_location_id, m.to_location_id)
        == (primaries[m.corrects_id].from_location_id, primaries[m.corrects_id].to_location_id))), D(0))


def line_cost(doc) -> D:
    return DocumentLine.objects.get(document=doc).cost_amount


def test_the_last_return_dated_before_an_earlier_return_is_re_costed_with_that_returns_new_value(shop):
    d1, d5, d10, d20, d30 = (days_ago(shop, n) for n in (40, 35, 30, 20, 10))
    # given 10 received at 1.00, 3 delivered (3.00), 1 returned on day 30 (1.00), then the last 2 returned,
    # entered after that but dated day 20: it takes what the first return left (2.00)
    receive_on(shop, d1, shop.flour, 10, 1)
    sale = sell_on(shop, d10, shop.flour, 3)
    first = return_on(shop, d30, sale, 1)
    last = return_on(shop, d20, sale, 2)
    assert (line_cost(first), line_cost(last)) == (D("1.00"), D("2.00"))
    assert_ledger_consistent()
    # when 10 at 2.00 are entered late, dated day 5: the delivery is re-costed at 30.00 / 20 = 1.50 each
    receive_on(shop, d5, shop.flour, 10, 2)
    # then the first return takes a third of 4.50 and the last one the rest, 3.00 — not 4.50 less the first
    # return's value before it was re-costed (its day comes first in the replay, the first return's after)
    assert own_value(sale) == D("4.50")
    assert (own_value(first), own_value(last)) == (D("1.50"), D("3.00"))
    assert (line_cost(first), line_cost(last)) == (D("1.50"), D("3.00"))
    assert_ledger_consistent()


def test_a_return_dated_before_its_delivery_is_refused_and_writes_nothing(shop):
    d1, d5, d20, d50 = (days_ago(shop, n) for n in (50, 46, 31, 1))
    receive_on(shop, d1, shop.flour, 10, 1)
    sell_on(shop, d20, shop.flour, 5)
    receive_on(shop, d50, shop.flour, 5, 3)
    sale = sell_on(shop, d50, shop.flour, 4)
    moves, drafts = StockMove.objects.count(), Document.objects.count()
    # a return dated before the delivery would bring back goods that change the average the delivery took,
    # which is the value the return takes: each costed from the other. It is refused as a draft already
    # (decision 0030), so it can be corrected; nothing is written
    with pytest.raises(DomainError) as refused:
        return_on(shop, d5, sale, 2)
    assert refused.value.code == "document.before_source"
    assert refused.value.http_status == 409
    assert (refused.value.data["source"], refused.value.data["source_date"]) == (sale.number, str(d50))
    assert (StockMove.objects.count(), Document.objects.count()) == (moves, drafts)
    # a draft dated so before the rule (or its date changed behind the services' back) is refused at posting
    draft = docs.create_document(by=shop.admin, kind="sales_return", warehouse=shop.main, partner=shop.customer,
                                 lines=[line(shop.flour, 2, source_line=sale.lines.get().pk)], source=sale,
                                 business_on=d50)
    Document.objects.filter(pk=draft.pk).update(business_on=d5)
    draft.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        docs.advance_document(draft, by=shop.admin, to="posted")
    assert refused.value.code == "document.before_source"
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.posted_at is None
    assert StockMove.objects.count() == moves
    docs.cancel_document(draft, by=shop.admin)
    assert_ledger_consistent()
    # dated on the delivery's day it posts, and the two returns share the delivery's value exactly
    first = return_on(shop, d50, sale, 2)
    last = return_on(shop, d50, sale, 2)
    assert own_value(first) + own_value(last) == own_value(sale)
    assert (line_cost(first), line_cost(last)) == (own_value(first), own_value(last))
    assert line_cost(sale) == own_value(sale)
    assert_ledger_consistent()


def test_a_voided_delivery_re_costed_keeps_the_cost_of_its_goods_once(shop):
    receive_on(shop, days_ago(shop, 10), shop.flour, 10, 1)
    sale = sell_on(shop, days_ago(shop, 5), shop.flour, 4)
    docs.void_document(sale, by=shop.admin, reason="entered twice")
    # a late receipt re-costs the delivery (4.00 -> 6.00) and its reversal with it (the goods came back at 6.00)
    receive_on(shop, days_ago(shop, 8), shop.flour, 10, 2)
    delivery = StockMove.objects.get(document=sale, corrects__isnull=True, reverses__isnull=True)
    reversal = StockMove.objects.get(document=sale, reverses=delivery)
    assert [m.value for m in StockMove.objects.filter(corrects__in=[delivery, reversal]).order_by("corrects_id")] == [
        D("2.00"), D("2.00")]
    # the line's cost is what the delivery carried, 6.00; the reversal's correction does not count a second time
    assert line_cost(sale) == D("6.00")
    assert_ledger_consistent()
