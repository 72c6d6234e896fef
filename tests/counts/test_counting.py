"""Stock counts through the services: counting while operating, blind recounts, several counters,
unknown items, GS1 scans, tolerance, freezing, posting through the ledger, plans and accuracy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openjxc.core import clock
from openjxc.core.errors import DomainError
from openjxc.core.models import Role
from openjxc.counts import selectors
from openjxc.counts import services as counts
from openjxc.counts.models import CountEntry, CountLine, CountStatus
from openjxc.counts.services import EntryInput
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.stock import services as stock
from openjxc.stock.locations import default_location
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import qty_at, refused, route, valuation

D = Decimal


def line_of(count, item, location=None):
    qs = CountLine.objects.filter(count=count, item=item)
    if location is not None:
        qs = qs.filter(location=location)
    return qs.get()


def post_count(shop, count):
    """Create the adjustment and carry it through submit -> approve -> post as a manager would."""
    count = counts.create_count_document(count, by=shop.admin)
    doc = count.document
    docs.submit_document(doc, by=shop.admin)
    docs.approve_document(doc, by=shop.admin)
    return docs.post_document(doc, by=shop.admin)


def test_count_while_deliveries_keep_posting_gives_the_true_variance(shop):
    """Given 100 bottles of water, a count starts; deliveries keep posting before and after the
    line is counted. The variance is shelf minus the book at the moment of counting, and posting it
    leaves the book equal to the shelf."""
    shop.receive(shop.water, 100, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=False, tolerance_rate=D("0.05"))
    counts.start_count(count, by=shop.admin)
    assert line_of(count, shop.water).snapshot_quantity == 100

    shop.sell(shop.water, 10)  # book 90 while the counter walks to the shelf
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=D("88"))])
    shop.sell(shop.water, 5)  # after counting: not part of this line's variance
    shop.receive(shop.water, 20, "1.20")

    line = line_of(count, shop.water)
    assert (line.snapshot_quantity, line.expected_quantity, line.counted_quantity) == (100, 90, 88)
    assert line.difference == D("-2")

    counts.finish_count(count, by=shop.admin)
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW
    rows = selectors.variance_rows(count)
    assert [(r["expected_quantity"], r["counted_quantity"], r["difference"], r["difference_value"])
            for r in rows] == [(D(90), D(88), D(-2), D("-2.40"))]

    draft = counts.create_count_document(count, by=shop.admin).document
    assert draft.cost_total == D("2.40") and draft.amount == D("2.40")  # carries its value at cost (issue 13, 3)
    doc = docs.advance_document(draft, by=shop.admin, to="posted")
    assert doc.status == Status.POSTED and doc.kind == "stock_count"
    assert route(doc) == [("internal", "count", D(2), D("2.40"))]
    assert doc.cost_total == D("2.40")  # the moves' value once posted
    # the shelf had 88 when counted; since then -5 +20: the book now says exactly that
    assert qty_at(shop.water, shop.main) == 88 - 5 + 20
    count.refresh_from_db()
    assert count.status == CountStatus.POSTED
    assert_ledger_consistent()


def test_blind_recount_of_a_line_beyond_tolerance(shop):
    """A blind count: a line 10% off is sent to a recount; the recount round starts from nothing and the
    first round's entries are kept."""
    keeper = shop.user("keeper1", Role.KEEPER)
    shop.receive(shop.flour, 50, "5")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=True)
    assert not counts.may_see_book(keeper, count) and counts.may_see_book(shop.admin, count)
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=keeper, entries=[EntryInput(item=shop.flour.pk, quantity=D("45"))])

    counts.finish_count(count, by=shop.admin)
    count.refresh_from_db()
    line = line_of(count, shop.flour)
    assert count.status == CountStatus.COUNTING
    assert (line.round, line.recount_requested, line.counted_quantity) == (2, True, None)

    counts.record_entries(count, by=keeper, entries=[EntryInput(item=shop.flour.pk, quantity=D("49"))])
    line.refresh_from_db()
    assert line.counted_quantity == 49  # the recount, not 45 + 49
    counts.finish_count(count, by=shop.admin)
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW  # a second round is final, even beyond tolerance
    assert sorted(CountEntry.objects.filter(line=line).values_list("round", "quantity")) == [(1, 45), (2, 49)]
    doc = post_count(shop, count)
    assert route(doc) == [("internal", "count", D(1), D("5.00"))]
    assert_ledger_consistent()


def test_value_tolerance_asks_for_a_recount_even_within_the_rate(shop):
    shop.receive(shop.flour, 1000, "5")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, tolerance_rate=D("0.05"),
                                tolerance_value=D("20"))
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.flour.pk, quantity=D("995"))])
    counts.finish_count(count, by=shop.admin)  # 0.5% off, but 25.00 of value > 20.00
    assert line_of(count, shop.flour).recount_requested
    assert CountLine.objects.get(count=count).round == 2


def test_several_counters_are_summed_and_each_kept(shop):
    a, b = shop.user("counter-a", Role.KEEPER), shop.user("counter-b", Role.KEEPER)
    shop.receive(shop.water, 30, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=False)
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=a, entries=[EntryInput(item=shop.water.pk, quantity=D("12"))])
    counts.record_entries(count, by=b, entries=[EntryInput(item=shop.water.pk, quantity=D("12"))])
    counts.record_entries(count, by=b, entries=[EntryInput(item=shop.water.pk, quantity=D("6"))])
    line = line_of(count, shop.water)
    assert line.counted_quantity == 30 and line.difference == 0
    who = selectors.counters_by_line(count)[line.pk]
    assert [(c["username"], c["quantity"]) for c in who] == [("counter-a", D(12)), ("counter-b", D(18))]
    summary = selectors.variance_summary(count)
    assert [(c["username"], c["lines"]) for c in summary["by_counter"]] == [("counter-a", 1), ("counter-b", 1)]
    counts.finish_count(count, by=shop.admin)
    count = counts.create_count_document(count, by=shop.admin)
    assert count.status == CountStatus.POSTED and count.document is None  # nothing to adjust


def test_unknown_item_and_gs1_lot_found_on_the_shelf_become_lines_and_post_as_gains(shop):
    """Flour found at a second bin where the book has none, and a lot of milk nobody received, scanned as
    a GS1 element string with its expiry: both become lines and post in from the count-difference location."""
    back = stock.create_location(by=shop.admin, warehouse=shop.main, code="WH1-02", name="后区")
    shop.receive(shop.flour, 40, "5")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=False)
    counts.start_count(count, by=shop.admin)
    assert CountLine.objects.filter(count=count).count() == 1
    counts.record_entries(count, by=shop.admin, entries=[
        EntryInput(item=shop.flour.pk, quantity=D("40")),
        EntryInput(item="F001", quantity=D("3"), location=back.pk),
    ])
    scan = "0106930000000016" + "17270331" + "10L-77"
    results = counts.record_entries(count, by=shop.admin, entries=[EntryInput(barcode=scan, location=back.pk)] * 2)
    assert all(r.added for r in results[:1]) and results[0].item == shop.milk
    milk = line_of(count, shop.milk)
    assert milk.is_added and milk.counted_quantity == 2 and milk.lot.code == "L-77"
    assert milk.lot.expires_on == dt.date(2027, 3, 31)
    flour_back = line_of(count, shop.flour, back)
    assert flour_back.is_added and flour_back.snapshot_quantity == 0 and flour_back.difference == 3

    counts.finish_count(count, by=shop.admin)
    count.refresh_from_db()
    assert count.status == CountStatus.COUNTING  # new stock is beyond tolerance: recount
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.flour.pk, quantity=D("3"),
                                                                    location=back.pk)])
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(barcode=scan, location=back.pk,
                                                                    quantity=D("2"))])
    counts.finish_count(count, by=shop.admin)
    doc = post_count(shop, count)
    # flour comes in at the current average (5.00); milk has no stock anywhere: at its purchase price
    assert sorted(route(doc)) == [("count", "internal", D(2), D("6.00")), ("count", "internal", D(3), D("15.00"))]
    assert qty_at(shop.flour, shop.main) == 43 and valuation(shop.flour, shop.main) == (D(43), D("215.00"))
    assert_ledger_consistent()


def test_unknown_barcode_and_bad_entries_are_refused_without_writing(shop):
    shop.receive(shop.water, 5, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main)
    with refused("count.invalid_status"):
        counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=1)])
    counts.start_count(count, by=shop.admin)
    with refused("barcode.unknown"):
        counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=1),
                                                             EntryInput(barcode="0000000000")])
    with refused("lot.required"):
        counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.milk.pk, quantity=1)])
    with refused("count.negative"):
        counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=-1)])
    with refused("validation.failed"):
        counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity="x")])
    assert CountEntry.objects.count() == 0
    with refused("count.uncounted"):
        counts.finish_count(count, by=shop.admin)


def test_uncounted_lines_count_as_zero_when_asked(shop):
    shop.receive(shop.water, 5, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, tolerance_value=D("1000"),
                                tolerance_rate=D("1"))
    counts.start_count(count, by=shop.admin)
    counts.finish_count(count, by=shop.admin, uncounted_as_zero=True)
    doc = post_count(shop, count)
    assert route(doc) == [("internal", "count", D(5), D("6.00"))]
    assert qty_at(shop.water, shop.main) == 0
    assert_ledger_consistent()


def test_a_frozen_location_refuses_other_postings_until_the_count_is_finished(shop):
    shop.receive(shop.water, 10, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, freeze=True)
    counts.start_count(count, by=shop.admin)
    with pytest.raises(DomainError) as info:
        shop.sell(shop.water, 1)
    assert info.value.code == "count.location_frozen" and info.value.http_status == 409
    shop.receive(shop.water, 1, "1.20", warehouse=shop.second)  # other warehouses keep working
    # a till's offline sale already happened: it is accepted, never lost
    till = docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                                lines=[docs.LineInput(item=shop.water.pk, quantity=D(1))],
                                custom={"terminal": "POS-1"}, advance_to="posted")
    assert till.status == Status.POSTED
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=D("9"))])
    counts.finish_count(count, by=shop.admin)
    shop.sell(shop.water, 1)  # thawed
    assert qty_at(shop.water, shop.main) == 8
    assert_ledger_consistent()


def test_voiding_the_adjustment_reopens_the_count_and_restores_the_book(shop):
    shop.receive(shop.water, 50, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, tolerance_rate=D("0.5"))
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=D("48"))])
    counts.finish_count(count, by=shop.admin)
    doc = post_count(shop, count)
    docs.void_document(doc, by=shop.admin, reason="counted the wrong shelf")
    count.refresh_from_db()
    assert count.status == CountStatus.DOCUMENTED
    assert qty_at(shop.water, shop.main) == 50
    count = counts.create_count_document(count, by=shop.admin)  # a new adjustment may be made
    assert count.document.pk != doc.pk and Document.objects.filter(kind="stock_count").count() == 2
    assert_ledger_consistent()


def test_reasons_and_the_variance_by_location(shop):
    back = stock.create_location(by=shop.admin, warehouse=shop.main, code="WH1-02", name="后区")
    shop.receive(shop.water, 20, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, tolerance_rate=D("1"),
                                tolerance_value=D("1000"))
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=D("17")),
                                                         EntryInput(item=shop.flour.pk, quantity=D("2"),
                                                                    location=back.pk)])
    line = line_of(count, shop.water)
    counts.set_reason(count, by=shop.admin, line=line, reason="damage", note="三瓶破损")
    with refused("validation.failed"):
        counts.set_reason(count, by=shop.admin, line=line, reason="aliens")
    counts.finish_count(count, by=shop.admin)  # flour where the book has none: recounted
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.flour.pk, quantity=D("2"),
                                                                    location=back.pk)])
    counts.finish_count(count, by=shop.admin)
    summary = selectors.variance_summary(count)
    by_loc = {r["location_code"]: r for r in summary["by_location"]}
    assert by_loc["WH1-01"]["loss_value"] == D("3.60") and by_loc["WH1-02"]["gain_value"] == D("10.00")
    doc = post_count(shop, count)
    assert {ln.memo for ln in doc.lines.all()} == {"Damage", ""}


# ---------------------------------------------------------------- plans, ABC, schedule


def _history(shop, today):
    """Consumption over the last 90 days: flour 900.00, water 60.00, milk 40.00; an old big sale of milk
    (120 days ago) does not count."""
    # received before anything was sold: costs follow the business dates (成本重算)
    received_on = today - dt.timedelta(days=200)
    for item, price in ((shop.flour, "5"), (shop.water, "1")):
        shop.post("purchase_receipt", [docs.LineInput(item=item.pk, quantity=D("500"), unit_price=D(price))],
                  partner=shop.supplier, business_on=received_on)
    shop.post("purchase_receipt", [docs.LineInput(item=shop.milk.pk, quantity=D("500"), unit_price=D("2"),
                                                  lot_code="M1", expires_on=today + dt.timedelta(days=300))],
              partner=shop.supplier, business_on=received_on)
    shop.post("sales_delivery", [docs.LineInput(item=shop.milk.pk, quantity=D("200"), lot_code="M1")],
              partner=shop.customer, business_on=today - dt.timedelta(days=120))
    shop.post("sales_delivery", [docs.LineInput(item=shop.flour.pk, quantity=D("180"))], partner=shop.customer,
              business_on=today - dt.timedelta(days=10))
    shop.post("sales_delivery", [docs.LineInput(item=shop.water.pk, quantity=D("60"))], partner=shop.customer,
              business_on=today - dt.timedelta(days=30))
    shop.post("write_off", [docs.LineInput(item=shop.milk.pk, quantity=D("20"), lot_code="M1")],
              business_on=today - dt.timedelta(days=5))


def test_abc_classes_from_the_last_90_days_consumption_value(shop):
    today = clock.today(shop.company.time_zone)
    _history(shop, today)
    values = selectors.consumption_values(shop.company.pk, shop.main.pk, on=today)
    assert values == {shop.flour.pk: D("900.00"), shop.water.pk: D("60.00"), shop.milk.pk: D("40.00")}
    classes = selectors.abc_classes(shop.company.pk, shop.main.pk, on=today)
    # flour alone is 90% of the value: A; water brings the total to 96%: B starts before 95%; milk: C
    assert classes == {shop.flour.pk: "A", shop.water.pk: "B", shop.milk.pk: "C"}


def test_abc_plans_generate_counts_on_their_schedule(shop):
    today = clock.today(shop.company.time_zone)
    _history(shop, today)
    keeper = shop.user("keeper-a", Role.KEEPER)
    plan_a = counts.create_plan(by=shop.admin, name="A 类周盘", warehouse=shop.main, scope="abc", abc_class="A",
                                assignees=[keeper], next_due_on=today)
    plan_c = counts.create_plan(by=shop.admin, name="C 类季盘", warehouse=shop.main, scope="abc", abc_class="C",
                                next_due_on=today + dt.timedelta(days=1))
    assert (plan_a.every_days, plan_c.every_days) == (7, 90)

    made = counts.create_due_counts(on=today)
    assert [c.plan_id for c in made] == [plan_a.pk]
    count = made[0]
    assert count.item_ids == [shop.flour.pk] and list(count.assignees.all()) == [keeper]
    plan_a.refresh_from_db()
    assert plan_a.next_due_on == today + dt.timedelta(days=7)
    assert counts.create_due_counts(on=today) == []  # nothing due twice

    counts.start_count(count, by=shop.admin)
    assert list(CountLine.objects.filter(count=count).values_list("item_id", flat=True)) == [shop.flour.pk]
    # plan C names nobody: its count goes to the keepers who work in the warehouse
    store_keeper = shop.user("keeper-main", Role.KEEPER, warehouses=[shop.main])
    shop.user("cashier-main", Role.CASHIER, warehouses=[shop.main])
    made = counts.create_due_counts(on=today + dt.timedelta(days=1))
    assert [c.plan_id for c in made] == [plan_c.pk] and made[0].item_ids == [shop.milk.pk]
    assert list(made[0].assignees.all()) == [store_keeper]


def test_plans_by_category_location_sample_and_discrepancies(shop):
    back = stock.create_location(by=shop.admin, warehouse=shop.main, code="WH1-02", name="后区")
    shop.receive(shop.water, 10, "1")
    shop.receive(shop.flour, 10, "5")
    by_loc = counts.create_count(by=shop.admin, warehouse=shop.main, scope="location", locations=[back.pk])
    counts.start_count(by_loc, by=shop.admin)
    assert CountLine.objects.filter(count=by_loc).count() == 0  # nothing in the back bin yet
    sample = counts.create_count(by=shop.admin, warehouse=shop.main, scope="random", sample_size=1)
    assert len(sample.item_ids) == 1 and sample.item_ids[0] in {shop.water.pk, shop.flour.pk}
    cat = counts.create_count(by=shop.admin, warehouse=shop.main, scope="category", category=shop.food.pk)
    assert set(cat.item_ids) == {shop.water.pk, shop.flour.pk, shop.milk.pk}
    with refused("count.nothing_to_count"):
        counts.create_count(by=shop.admin, warehouse=shop.main, scope="discrepancy")
    # a count that finds water wrong makes it an item with a recent discrepancy
    c = counts.create_count(by=shop.admin, warehouse=shop.main, tolerance_rate=D("1"), tolerance_value=D("999"))
    counts.start_count(c, by=shop.admin)
    counts.record_entries(c, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=D("7")),
                                                     EntryInput(item=shop.flour.pk, quantity=D("10"))])
    counts.finish_count(c, by=shop.admin)
    disc = counts.create_count(by=shop.admin, warehouse=shop.main, scope="discrepancy")
    assert disc.item_ids == [shop.water.pk]
    with refused("validation.failed"):
        counts.create_plan(by=shop.admin, name="x", warehouse=shop.main, scope="abc", abc_class="Z")
    clerk = shop.user("cashier", Role.CASHIER)
    with refused("permission.denied"):
        counts.create_count(by=clerk, warehouse=shop.main)


# ---------------------------------------------------------------- accuracy


def _finished_count(shop, found: dict, *, at: dt.datetime):
    clock.freeze(at)
    try:
        c = counts.create_count(by=shop.admin, warehouse=shop.main, tolerance_rate=D("1"), tolerance_value=D("1e6"))
        counts.start_count(c, by=shop.admin)
        counts.record_entries(c, by=shop.admin, entries=[EntryInput(item=i.pk, quantity=q) for i, q in found.items()])
        counts.finish_count(c, by=shop.admin)
    finally:
        clock.freeze(None)
    return c


def test_accuracy_per_count_per_period_and_repeat_offenders(shop):
    shop.receive(shop.water, 100, "1")
    shop.receive(shop.flour, 100, "5")
    now = clock.now()
    first = _finished_count(shop, {shop.water: D(99), shop.flour: D(90)}, at=now - dt.timedelta(days=8))
    acc = selectors.count_accuracy(first)
    # water 1% off (within ±2%), flour 10% off; value: (1x1 + 10x5) / (100x1 + 100x5)
    assert acc["lines"] == 2 and acc["within"] == 1 and acc["line_accuracy"] == D("0.5")
    assert acc["value_accuracy"] == (1 - D(51) / D(600)).quantize(D("0.0001"))
    second = _finished_count(shop, {shop.water: D(100), shop.flour: D(95)}, at=now)
    assert selectors.count_accuracy(second)["within"] == 1

    today = clock.today(shop.company.time_zone)
    trend = selectors.accuracy_trend(shop.company.pk, period="week", since=today - dt.timedelta(days=30),
                                     until=today, tz=shop.company.time_zone)
    assert len(trend) == 2 and [t["lines"] for t in trend] == [2, 2]
    monthly = selectors.accuracy_trend(shop.company.pk, period="month", since=today - dt.timedelta(days=60),
                                       until=today, tz=shop.company.time_zone)
    assert sum(t["lines"] for t in monthly) == 4
    offenders = selectors.repeat_offenders(shop.company.pk, since=now - dt.timedelta(days=90))
    assert [r["code"] for r in offenders["items"]] == ["F001"]
    assert offenders["items"][0]["counts"] == 2
    assert [r["code"] for r in offenders["locations"]] == [default_location(shop.main).code]
