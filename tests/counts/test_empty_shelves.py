"""Counting empty shelves and lines nobody counted (issue 13 item 16): a count of 0 is an entry, a book of 0
has an absolute tolerance, and blank lines can be finished as "not counted" when the user says so."""

from __future__ import annotations

from decimal import Decimal

from openjxc.catalog import services as catalog
from openjxc.counts import services as counts
from openjxc.counts.models import CountEntry, CountLine, CountStatus
from openjxc.counts.services import EntryInput
from openjxc.documents import services as docs
from tests.api.conftest import Api
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import qty_at, refused, route

D = Decimal


def _post(shop, count):
    count = counts.create_count_document(count, by=shop.admin)
    docs.submit_document(count.document, by=shop.admin)
    docs.approve_document(count.document, by=shop.admin)
    return docs.post_document(count.document, by=shop.admin)


def test_a_count_of_zero_is_an_entry_and_the_empty_shelf_is_a_loss(shop):
    shop.receive(shop.water, 8, "1.00")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, tolerance_rate=D("1"),
                                tolerance_value=D("1000"))
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=0)])
    line = CountLine.objects.get(count=count, item=shop.water)
    assert (line.counted_quantity, line.expected_quantity, line.difference) == (0, 8, -8)
    assert list(CountEntry.objects.filter(line=line).values_list("quantity", flat=True)) == [0]
    counts.finish_count(count, by=shop.admin)  # nothing is uncounted: no uncounted_as_zero needed
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW
    doc = _post(shop, count)
    assert route(doc) == [("internal", "count", D(8), D("8.00"))]
    assert qty_at(shop.water, shop.main) == 0
    assert_ledger_consistent()


def test_a_book_of_zero_uses_the_absolute_tolerance_not_a_percentage_of_zero(shop):
    """Two items found where the book has none: 1 unit is within the default tolerance of 1 base unit,
    3 units are beyond it and go to a recount (a percentage of 0 would have sent both)."""
    sugar = catalog.create_item(by=shop.admin, code="S001", name="白糖", base_unit=shop.kg)
    shop.receive(shop.water, 5, "1.00")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, tolerance_rate=D("0.5"),
                                tolerance_value=D("1000"))
    assert count.tolerance_quantity == 1
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[
        EntryInput(item=shop.water.pk, quantity=5), EntryInput(item=shop.flour.pk, quantity=1),
        EntryInput(item=sugar.pk, quantity=3)])
    counts.finish_count(count, by=shop.admin)
    flour = CountLine.objects.get(count=count, item=shop.flour)
    found = CountLine.objects.get(count=count, item=sugar)
    assert (flour.expected_quantity, flour.counted_quantity, flour.recount_requested) == (0, 1, False)
    assert (found.round, found.recount_requested) == (2, True)


def test_the_absolute_tolerance_is_configurable_and_checked(shop):
    shop.receive(shop.water, 5, "1.00")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, tolerance_quantity="5")
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=5),
                                                         EntryInput(item=shop.flour.pk, quantity=3)])
    counts.finish_count(count, by=shop.admin)
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW  # 3 found against a book of 0 is within 5
    with refused("validation.failed"):
        counts.create_count(by=shop.admin, warehouse=shop.main, tolerance_quantity="-1")


def test_blank_lines_finish_as_not_counted_only_when_confirmed_and_stay_out_of_the_adjustment(shop):
    shop.receive(shop.water, 5, "1.00")
    shop.receive(shop.flour, 7, "2.00")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, tolerance_rate=D("1"),
                                tolerance_value=D("1000"))
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=4)])
    with refused("count.uncounted"):
        counts.finish_count(count, by=shop.admin)
    counts.finish_count(count, by=shop.admin, skip_uncounted=True)
    count.refresh_from_db()
    flour = CountLine.objects.get(count=count, item=shop.flour)
    assert count.status == CountStatus.REVIEW
    assert (flour.not_counted, flour.counted_quantity) == (True, None)
    doc = _post(shop, count)
    assert route(doc) == [("internal", "count", D(1), D("1.00"))]  # only the water; the flour is untouched
    assert qty_at(shop.flour, shop.main) == 7
    assert_ledger_consistent()


def test_the_api_finishes_blank_lines_as_not_counted_and_lists_them(shop):
    api = Api(shop.admin)
    shop.receive(shop.water, 5, "1.00")
    shop.receive(shop.flour, 7, "2.00")
    count = counts.create_count(by=shop.admin, warehouse=shop.main)
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=5)])
    both = api.post(f"/counts/{count.pk}/finish", {"skip_uncounted": True, "uncounted_as_zero": True})
    assert both.status_code == 422
    res = api.post(f"/counts/{count.pk}/finish", {"skip_uncounted": True})
    assert res.status_code == 200, res.content
    assert res.json()["status"] == "review"
    lines = {r["item_code"]: r for r in api.get(f"/counts/{count.pk}/lines").json()["items"]}
    assert lines[shop.flour.code]["not_counted"] is True and lines[shop.flour.code]["counted_quantity"] is None
    assert lines[shop.water.code]["not_counted"] is False


def test_the_page_finishes_blank_lines_as_not_counted_only_with_the_box_ticked(shop):
    from django.test import Client

    shop.receive(shop.water, 5, "1.00")
    shop.receive(shop.flour, 7, "2.00")
    count = counts.create_count(by=shop.admin, warehouse=shop.main)
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=5)])
    web = Client(headers={"Accept-Language": "en"})
    web.force_login(shop.admin)
    page = web.get(f"/counts/{count.pk}/").content.decode()
    assert "1 lines were not counted" in page and "Finish: leave them not counted" in page
    web.post(f"/counts/{count.pk}/finish_skip/")  # not confirmed: nothing happens
    count.refresh_from_db()
    assert count.status == CountStatus.COUNTING
    web.post(f"/counts/{count.pk}/finish_skip/", {"confirm": "1"})
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW
    page = web.get(f"/counts/{count.pk}/").content.decode()
    assert 'class="not-counted">not counted<' in page
