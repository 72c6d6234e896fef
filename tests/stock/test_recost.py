"""Back-dated entries re-cost what came after (成本重算): the moving average is replayed in business-date
order and the differences are posted as cost-only corrections, in the same transaction."""

from decimal import Decimal as D

from django.db.models import F

from openjxc.core import clock
from openjxc.core.sql import insert_objects
from openjxc.documents import services as docs
from openjxc.stock.ledger import check_ledger
from openjxc.stock.models import ItemValuation, StockBalance, StockMove
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line, valuation
from tests.stock.dated import days_ago, receive_on, sell_on


def corrections_of(doc):
    return list(StockMove.objects.filter(document=doc, corrects__isnull=False).order_by("pk"))


def test_a_receipt_back_dated_before_an_issue_re_costs_the_issue_at_that_days_average(shop):
    day1, day2, day3 = days_ago(shop, 5), days_ago(shop, 4), days_ago(shop, 3)
    # given 10 received at 100 on day 1 and 5 issued on day 3 (at 100)
    receive_on(shop, day1, shop.flour, 10, 100)
    sale = sell_on(shop, day3, shop.flour, 5)
    assert sale.lines.get().cost_amount == D("500.00")
    # when a receipt of 10 at 130 is entered late, dated day 2
    late = receive_on(shop, day2, shop.flour, 10, 130)
    # then the day-3 issue is re-costed at the day-2 average (2300 / 20 = 115): 575
    fix = corrections_of(sale)
    assert [(m.quantity, m.value, m.business_on, m.corrects_id) for m in fix] == [
        (D("0"), D("75.00"), day3, StockMove.objects.get(document=sale, corrects__isnull=True).pk)
    ]
    sale.refresh_from_db()
    assert sale.lines.get().cost_amount == D("575.00")  # margins read the corrected cost
    assert valuation(shop.flour, shop.main) == (D("15"), D("1725.00"))
    # the late receipt itself came in at its own price, and nothing of it was corrected
    assert corrections_of(late) == []
    assert_ledger_consistent()


def test_the_ledger_check_replays_the_ledger_in_business_date_order(shop):
    day1, day2, day3 = days_ago(shop, 5), days_ago(shop, 4), days_ago(shop, 3)
    receive_on(shop, day1, shop.flour, 10, 100)
    sale = sell_on(shop, day3, shop.flour, 5)
    receive_on(shop, day2, shop.flour, 10, 130)
    assert check_ledger(shop.company.pk) == []
    # a wrong value written with balances to match (as a faulty code path would): the sums still agree,
    # the replay in business-date order does not
    issue = StockMove.objects.get(document=sale, corrects__isnull=True)
    insert_objects([StockMove(
        company_id=shop.company.pk, item_id=shop.flour.pk, from_location_id=issue.from_location_id,
        to_location_id=issue.to_location_id, quantity=D(0), unit_cost=D(0), value=D("10.00"), document=sale,
        line_id=issue.line_id, corrects_id=issue.pk, is_adjustment=True, business_on=day3,
        posted_at=clock.now(), posted_by=shop.admin)])
    StockBalance.objects.filter(item=shop.flour, location_id=issue.from_location_id).update(value=F("value") - 10)
    ItemValuation.objects.filter(item=shop.flour, warehouse=shop.main).update(value=F("value") - 10)
    problems = check_ledger(shop.company.pk)
    assert [p.code for p in problems] == ["ledger.replay_mismatch"]
    assert f"move {issue.pk} " in problems[0].detail and "585.00" in problems[0].detail


def test_a_posting_dated_today_is_not_re_costed_and_costs_no_extra_statement(shop):
    receive_on(shop, days_ago(shop, 2), shop.flour, 10, 100)
    sale = shop.sell(shop.flour, 5)
    assert corrections_of(sale) == []
    assert sale.lines.get().cost_amount == D("500.00")
    assert_ledger_consistent()


def transfer_on(shop, day, item, quantity):
    out = shop.post("transfer_out", [line(item, quantity)], to_warehouse=shop.second, business_on=day)
    received = docs.advance_document(docs.create_from(out, by=shop.admin, kind="transfer_in", business_on=day),
                                     by=shop.admin, to="posted")
    return out, received


def test_a_re_costed_transfer_carries_the_correction_to_the_receiving_warehouse_and_its_issues(shop):
    day1, day2, day3, day4 = (days_ago(shop, n) for n in (6, 5, 4, 3))
    receive_on(shop, day1, shop.flour, 10, 100)
    out, received = transfer_on(shop, day3, shop.flour, 4)  # 400 leaves the main warehouse
    sale = sell_on(shop, day4, shop.flour, 2, warehouse=shop.second)  # 200 at the second's average
    # when a receipt at 130 is back-dated to day 2 at the main warehouse (average 115 from then on)
    receive_on(shop, day2, shop.flour, 10, 130)
    # then the transfer left at 460, arrived at 460, and the second warehouse's sale took 230
    assert [m.value for m in corrections_of(out)] == [D("60.00")]
    assert [m.value for m in corrections_of(received)] == [D("60.00")]
    assert [m.value for m in corrections_of(sale)] == [D("30.00")]
    for doc, cost in ((out, "460.00"), (received, "460.00"), (sale, "230.00")):
        doc.refresh_from_db()
        assert doc.lines.get().cost_amount == D(cost)
    assert valuation(shop.flour, shop.main) == (D("16"), D("1840.00"))
    assert valuation(shop.flour, shop.second) == (D("2"), D("230.00"))
    assert_ledger_consistent()


def test_a_return_comes_back_at_the_corrected_cost_of_what_it_returns(shop):
    day1, day2, day3, day4 = (days_ago(shop, n) for n in (6, 5, 4, 3))
    receive_on(shop, day1, shop.flour, 10, 100)
    sale = sell_on(shop, day3, shop.flour, 5)
    sold = sale.lines.get()
    first = shop.post("sales_return", [line(shop.flour, 2, source_line=sold.pk)], partner=shop.customer,
                      source=sale, business_on=day4)
    assert first.lines.get().cost_amount == D("200.00")
    receive_on(shop, day2, shop.flour, 10, 130)  # the delivery is now 575
    first.refresh_from_db()
    assert first.lines.get().cost_amount == D("230.00")  # 2/5 of 575
    # a later return of the rest takes what is left of the corrected cost
    rest = shop.post("sales_return", [line(shop.flour, 3, source_line=sold.pk)], partner=shop.customer,
                     source=sale)
    assert rest.lines.get().cost_amount == D("345.00")
    assert valuation(shop.flour, shop.main) == (D("20"), D("2300.00"))
    assert_ledger_consistent()


def test_returns_of_a_many_line_delivery_follow_its_corrected_cost(shop):
    # many lines in few documents: re-costing asks the documents app about the documents, not each line
    day1, day2, day3, day4 = (days_ago(shop, n) for n in (6, 5, 4, 3))
    receive_on(shop, day1, shop.flour, 10, 100)
    sale = shop.post("sales_delivery", [line(shop.flour, 1), line(shop.flour, 2), line(shop.flour, 2)],
                     partner=shop.customer, business_on=day3)
    sold = list(sale.lines.order_by("pk"))
    back = shop.post("sales_return", [line(shop.flour, 1, source_line=sold[0].pk),
                                      line(shop.flour, 1, source_line=sold[2].pk)],
                     partner=shop.customer, source=sale, business_on=day4)
    assert [ln.cost_amount for ln in back.lines.order_by("pk")] == [D("100.00"), D("100.00")]
    receive_on(shop, day2, shop.flour, 10, 130)  # the day-3 average is now 115
    assert [ln.cost_amount for ln in sale.lines.order_by("pk")] == [D("115.00"), D("230.00"), D("230.00")]
    assert [ln.cost_amount for ln in back.lines.order_by("pk")] == [D("115.00"), D("115.00")]
    assert valuation(shop.flour, shop.main) == (D("17"), D("1955.00"))
    assert_ledger_consistent()


def test_a_void_after_a_re_cost_reverses_the_corrected_value_exactly(shop):
    day1, day2, day3 = days_ago(shop, 5), days_ago(shop, 4), days_ago(shop, 3)
    receive_on(shop, day1, shop.flour, 10, 100)
    sale = sell_on(shop, day3, shop.flour, 5)
    late = receive_on(shop, day2, shop.flour, 10, 130)
    docs.void_document(sale, by=shop.admin, reason="录错客户")
    reversal = StockMove.objects.get(document=sale, reverses__isnull=False)
    assert (reversal.quantity, reversal.value) == (D("5"), D("575.00"))  # the corrected cost, in one move
    assert valuation(shop.flour, shop.main) == (D("20"), D("2300.00"))
    docs.void_document(late, by=shop.admin, reason="供应商重复开单")
    assert valuation(shop.flour, shop.main) == (D("10"), D("1000.00"))
    assert_ledger_consistent()


def test_a_back_dated_issue_is_costed_at_the_average_of_its_own_day(shop):
    day1, day2, day3 = days_ago(shop, 5), days_ago(shop, 4), days_ago(shop, 3)
    receive_on(shop, day1, shop.flour, 10, 100)
    receive_on(shop, day3, shop.flour, 10, 130)
    late_sale = sell_on(shop, day2, shop.flour, 5)  # on day 2 only the 100s were there
    assert late_sale.lines.get().cost_amount == D("500.00")
    assert corrections_of(late_sale) == []
    assert valuation(shop.flour, shop.main) == (D("15"), D("1800.00"))
    assert_ledger_consistent()
