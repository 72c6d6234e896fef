"""Count pages through Django's client: lists, plans, counting by scanning (htmx and plain POST), review,
the adjustment, accuracy; Chinese and English."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from openjxc.core.i18n import compile_all
from openjxc.core.models import Role
from openjxc.counts import services as counts
from openjxc.counts.models import Count, CountLine, CountPlan, CountStatus
from tests.conftest import assert_ledger_consistent

D = Decimal
compile_all()


def client_for(user, lang="zh-hans"):
    c = Client(headers={"Accept-Language": lang})
    c.force_login(user)
    return c


def test_count_pages_from_creation_to_adjustment(shop):
    shop.receive(shop.water, 10, "1.20")
    web = client_for(shop.admin)
    r = web.get("/counts/")
    assert r.status_code == 200 and "盘点" in r.content.decode()
    r = web.post("/counts/", {"warehouse": shop.main.pk, "scope": "full", "blind": "on"})
    count = Count.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/counts/{count.pk}/"
    web.post(f"/counts/{count.pk}/start/")
    count.refresh_from_db()
    assert count.status == CountStatus.COUNTING
    page = web.get(f"/counts/{count.pk}/").content.decode()
    assert 'id="scan-input"' in page and "autofocus" in page

    # a scan through htmx: a fragment with the green cue; an unknown code: a clear message, nothing counted
    r = web.post(f"/counts/{count.pk}/scan/", {"barcode": "6920000000017"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'data-scan="ok"' in r.content.decode() and "矿泉水" in r.content.decode()
    r = web.post(f"/counts/{count.pk}/scan/", {"barcode": "123"}, headers={"HX-Request": "true"})
    body = r.content.decode()
    assert 'data-scan="error"' in body and "条码" in body
    r = web.post(f"/counts/{count.pk}/scan/", {"barcode": "6920000000017", "quantity": "9"})  # no JavaScript
    assert r.status_code == 302
    line = CountLine.objects.get(count=count)
    assert line.counted_quantity == 10

    web.post(f"/counts/{count.pk}/finish/")
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW
    page = web.get(f"/counts/{count.pk}/").content.decode()
    assert "创建盘点调整" in page or "Create the adjustment" in page
    r = web.post(f"/counts/{count.pk}/document/")
    count.refresh_from_db()
    assert count.status == CountStatus.POSTED and count.document is None  # nothing differed
    assert_ledger_consistent()


def test_review_with_reasons_and_the_adjustment_page(shop):
    shop.receive(shop.water, 10, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=False, tolerance_rate=D("1"),
                                tolerance_value=D("999"))
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[counts.EntryInput(item=shop.water.pk, quantity=D(8))])
    counts.finish_count(count, by=shop.admin)
    web = client_for(shop.admin, "en")
    line = CountLine.objects.get(count=count)
    r = web.post(f"/counts/{count.pk}/reason/", {"line": line.pk, "reason": "damage", "note": "broken"},
                 headers={"HX-Request": "true"})
    assert r.status_code == 200 and "Saved" in r.content.decode()
    line.refresh_from_db()
    assert line.reason == "damage"
    page = web.get(f"/counts/{count.pk}/").content.decode()
    assert "Book when counted" in page and "-2" in page
    r = web.post(f"/counts/{count.pk}/document/")
    count.refresh_from_db()
    assert r.status_code == 302 and r["Location"] == f"/documents/{count.document_id}/"
    assert web.get(r["Location"]).status_code == 200


def test_blind_count_page_hides_the_book_from_a_keeper(shop):
    shop.receive(shop.water, 10, "1.20")
    keeper = shop.user("keeper-w", Role.KEEPER)
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=True)
    counts.start_count(count, by=shop.admin)
    page = client_for(keeper, "en").get(f"/counts/{count.pk}/").content.decode()
    assert "Book at start" not in page and "Counted" in page
    assert "Book at start" in client_for(shop.admin, "en").get(f"/counts/{count.pk}/").content.decode()


def test_plans_and_accuracy_pages(shop):
    web = client_for(shop.admin)
    assert web.get("/counts/plans/").status_code == 200
    r = web.post("/counts/plans/", {"warehouse": shop.main.pk, "scope": "full", "name": "月度全盘",
                                    "every_days": "30"})
    assert r.status_code == 302
    plan = CountPlan.objects.get()
    shop.receive(shop.flour, 5, "5")
    r = web.post(f"/counts/plans/{plan.pk}/run/")
    assert r.status_code == 302 and Count.objects.filter(plan=plan).count() == 1
    # a count by category and one by location from the form
    r = web.post("/counts/", {"warehouse": shop.main.pk, "scope": "category", "category": shop.food.pk})
    assert r.status_code == 302 and Count.objects.filter(scope="category").count() == 1
    loc = shop.main.locations.get()
    r = web.post("/counts/", {"warehouse": shop.main.pk, "scope": "location", "locations": [loc.pk]})
    assert r.status_code == 302 and Count.objects.get(scope="location").location_ids == [loc.pk]
    r = web.post("/counts/", {"warehouse": shop.main.pk, "scope": "location"}, follow=True)
    assert "至少要指定一个库位" in r.content.decode()
    r = web.get("/counts/accuracy/?period=month")
    assert r.status_code == 200 and "准确率" in r.content.decode()
    assert client_for(shop.admin).get("/counts/999999/").status_code == 404


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_navigation_has_the_counts_entry(shop, lang):
    page = client_for(shop.admin, lang).get("/").content.decode()
    assert 'href="/counts/"' in page
