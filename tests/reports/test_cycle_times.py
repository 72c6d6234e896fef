"""Cycle times on constructed data: documents moved through their lifecycle at known instants give exact
averages, medians, 90th percentiles and weekly figures, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest

from openjxc.core import clock
from openjxc.documents import services as docs
from openjxc.reports.cycle_times import Filters, Stats, cycle_times, percentile_cont, stats_of
from tests.api.conftest import Api
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line

# Monday 2 March 2026, 09:00 in Shanghai
T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
H = 3600.0


def at(hours):
    clock.freeze(T0 + dt.timedelta(hours=hours))


@pytest.fixture
def story(shop):
    """Documents with known timings (hours after T0). Returns the shop and its two approving managers."""
    m1 = shop.user("m1", "manager")
    m2 = shop.user("m2", "manager")

    def run(kind, warehouse, partner, create, submit, approve, approver, post, void=None):
        at(create)
        doc = docs.create_document(by=shop.admin, kind=kind, warehouse=warehouse, partner=partner,
                                   lines=[line(shop.flour, 1, "5.00")])
        at(submit)
        docs.submit_document(doc, by=shop.admin)
        at(approve)
        docs.approve_document(doc, by=approver)
        at(post)
        docs.post_document(doc, by=shop.admin)
        if void is not None:
            at(void)
            docs.void_document(doc, by=shop.admin, reason="test")
        return doc

    receipt = ("purchase_receipt", shop.main, shop.supplier)
    try:
        run(*receipt, 0, 1, 3, m1, 10)                       # A: 10 h to post, waited 2 h for m1
        run(*receipt, 2, 4, 10, m2, 22)                      # B: 20 h, 6 h for m2
        run(*receipt, 4, 5, 6, m1, 34, void=54)              # C: 30 h, 1 h for m1; archived (voided) at 50 h
        run("sales_delivery", shop.main, shop.customer, 10, 11, 12, m1, 15)  # E: 5 h, 1 h for m1
        # D: posted Sunday 8 March 20:00 UTC = Monday 9 March 04:00 in Shanghai: the second week
        run(*receipt, 123, 124, 127, m2, 163)                # 40 h, 3 h for m2
        run("purchase_receipt", shop.second, shop.supplier, 20, 21, 22, m2, 28)  # G: other warehouse, 8 h
        run(*receipt, 330, 331, 332, m1, 336)                # F: posted 16 March, after the period
    finally:
        clock.freeze(None)
    return shop, m1, m2


def approx(stats: Stats, count, avg, median, p90):
    assert stats.count == count
    assert (stats.avg / H, stats.median / H, stats.p90 / H) == pytest.approx((avg, median, p90), abs=1e-6)


def period(shop, **kw):
    return Filters(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 15), **kw)


def test_percentile_is_postgresql_percentile_cont():
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7.0], 0.9) == 7.0
    assert percentile_cont([1.0, 2.0, 3.0, 6.0], 0.5) == 2.5
    assert percentile_cont([1.0, 2.0, 3.0, 6.0], 0.9) == pytest.approx(5.1)
    assert stats_of([3.0, 1.0, 2.0]) == Stats(3, 2.0, 2.0, 2.8)


def test_creation_to_posting_and_archive_per_kind(story):
    shop, m1, m2 = story
    r = cycle_times(shop.company, period(shop, warehouse_ids=frozenset({shop.main.pk})))
    approx(r.to_post["purchase_receipt"], 4, 25, 25, 37)      # 10, 20, 30, 40 h
    approx(r.to_post["sales_delivery"], 1, 5, 5, 5)
    approx(r.to_archive["purchase_receipt"], 4, 30, 30, 47)   # 10, 20, 50 (voided), 40 h
    # every warehouse: G's 8 h joins
    r = cycle_times(shop.company, period(shop))
    approx(r.to_post["purchase_receipt"], 5, 21.6, 20, 36)
    # one kind only
    r = cycle_times(shop.company, period(shop, kind="sales_delivery"))
    assert set(r.to_post) == {"sales_delivery"}
    assert_ledger_consistent()


def test_waiting_for_approval_per_kind_and_per_approver(story):
    shop, m1, m2 = story
    r = cycle_times(shop.company, period(shop, warehouse_ids=frozenset({shop.main.pk})))
    approx(r.approval[("purchase_receipt", -1)], 4, 3, 2.5, 5.1)   # 2, 6, 1, 3 h
    by = {a.user_id: a for a in r.log_approvers}
    approx(by[m1.pk].stats, 3, 4 / 3, 1, 1.8)                    # 2, 1, 1 h
    approx(by[m2.pk].stats, 2, 4.5, 4.5, 5.7)                    # 6, 3 h
    assert [a.user_id for a in r.log_approvers] == [m2.pk, m1.pk]  # the slowest first


def test_weekly_trend_buckets_by_the_companys_week(story):
    shop, _m1, _m2 = story
    r = cycle_times(shop.company, period(shop, warehouse_ids=frozenset({shop.main.pk})))
    weeks = {(w, k): s for w, k, s in r.weekly}
    assert sorted(weeks) == [(dt.date(2026, 3, 2), "purchase_receipt"), (dt.date(2026, 3, 2), "sales_delivery"),
                             (dt.date(2026, 3, 9), "purchase_receipt")]
    approx(weeks[(dt.date(2026, 3, 2), "purchase_receipt")], 3, 20, 20, 28)
    approx(weeks[(dt.date(2026, 3, 9), "purchase_receipt")], 1, 40, 40, 40)


def test_the_period_bounds_are_the_companys_days(story):
    shop, _m1, _m2 = story
    # D was posted on 9 March in Shanghai (8 March in UTC): a report of 2–8 March leaves it out
    r = cycle_times(shop.company, Filters(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 8),
                                          warehouse_ids=frozenset({shop.main.pk})))
    approx(r.to_post["purchase_receipt"], 3, 20, 20, 28)
    r = cycle_times(shop.company, Filters(start=dt.date(2026, 3, 9), end=dt.date(2026, 3, 9)))
    approx(r.to_post["purchase_receipt"], 1, 40, 40, 40)


def test_another_companys_documents_never_count(story, db):
    from tests.conftest import Shop

    other = Shop("OTHER")
    r = cycle_times(other.company, Filters(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 15)))
    assert r.to_post == {} and r.weekly == [] and r.log_approvers == []


# ---------------------------------------------------------------- the API


def test_api_gives_both_periods_for_a_comparison(story):
    shop, m1, _m2 = story
    api = Api(shop.admin)
    res = api.get("/reports/cycle-times", {"start": "2026-03-09", "end": "2026-03-15", "kind": "purchase_receipt",
                                           "warehouse": shop.main.pk, "compare_start": "2026-03-02",
                                           "compare_end": "2026-03-08"})
    assert res.status_code == 200, res.content
    body = res.json()
    now, before = body["period"], body["compare"]
    assert [(k["kind"], k["to_post"]["count"], k["to_post"]["avg_seconds"]) for k in now["kinds"]] == [
        ("purchase_receipt", 1, 40 * H)]
    assert [(k["kind"], k["to_post"]["count"], k["to_post"]["avg_seconds"]) for k in before["kinds"]] == [
        ("purchase_receipt", 3, 20 * H)]
    assert before["kinds"][0]["to_post"]["p90_seconds"] == pytest.approx(28 * H)
    assert [(w["week"], w["to_post"]["count"]) for w in before["weekly"]] == [("2026-03-02", 3)]


@pytest.mark.parametrize("params, status, code", [
    ({"start": "2026-03-10", "end": "2026-03-01"}, 422, "validation.failed"),
    ({"kind": "no_such_kind"}, 404, "document.kind_unknown"),
    ({"warehouse": 999999}, 404, "warehouse.not_found"),
    ({"start": "not-a-date"}, 422, None),
    ({"end": "0001-01-02"}, 422, "validation.failed"),
    ({"start": "9999-12-30", "end": "9999-12-31"}, 422, "validation.failed"),
    ({"compare_start": "0001-01-01"}, 422, "validation.failed"),
])
def test_api_refuses_bad_filters(shop, params, status, code):
    res = Api(shop.admin).get("/reports/cycle-times", params)
    assert res.status_code == status, res.content
    if code:
        assert res.json()["code"] == code


def test_api_another_companys_warehouse_is_not_found_and_keepers_may_not_read(shop):
    from tests.conftest import Shop

    other = Shop("OTHER")
    res = Api(shop.admin).get("/reports/cycle-times", {"warehouse": other.main.pk})
    assert res.status_code == 404 and res.json()["code"] == "warehouse.not_found"
    keeper = shop.user("keeper", "keeper")
    res = Api(keeper).get("/reports/cycle-times")
    assert res.status_code == 403 and res.json()["code"] == "permission.denied"


def test_a_scoped_manager_sees_only_their_warehouses(story):
    shop, _m1, _m2 = story
    scoped = shop.user("scoped", "manager", warehouses=[shop.second])
    body = Api(scoped).get("/reports/cycle-times", {"start": "2026-03-02", "end": "2026-03-15"}).json()
    assert [(k["kind"], k["to_post"]["count"]) for k in body["period"]["kinds"]] == [("purchase_receipt", 1)]
    res = Api(scoped).get("/reports/cycle-times", {"warehouse": shop.main.pk})
    assert res.status_code == 404


# ---------------------------------------------------------------- the page

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_page_shows_the_comparison_tables_and_chart_data(story, client):
    import json  # noqa: I001

    from django.urls import reverse

    shop, m1, _m2 = story
    client.force_login(shop.admin)
    url = reverse("web:cycle_times")
    res = client.get(url, {"start": "2026-03-09", "end": "2026-03-15", "warehouse": shop.main.pk,
                           "compare_start": "2026-03-02", "compare_end": "2026-03-08"}, **EN)
    assert res.status_code == 200
    html = res.content.decode()
    assert "from 20.0 h to 40.0 h" in html  # purchase receipts: 20 h in the first week, 40 h in the second
    assert "+100%" in html
    weekly = json.loads(html.split('id="chart-weekly" type="application/json">')[1].split("</script>")[0])
    assert weekly["weeks"] == ["2026-03-09"] and weekly["series"][0]["data"] == [40.0]  # hours: no week averages two days
    res = client.get(url, {"start": "2026-03-02", "end": "2026-03-15", "warehouse": shop.main.pk}, **EN)
    assert res.context["steps_chart"]["avg"] == [3.0, 1.0]  # receipts waited 2, 6, 1, 3 h; the delivery 1 h
    zh = client.get(url, {"start": "2026-03-02", "end": "2026-03-15"}, **ZH).content.decode()
    assert "流转时效" in zh and "采购入库" in zh


def test_page_refuses_bad_dates_beside_the_field_and_keepers_get_403(shop, client):
    from django.urls import reverse

    client.force_login(shop.admin)
    res = client.get(reverse("web:cycle_times"), {"start": "2026-03-10", "end": "2026-03-01"}, **EN)
    assert res.status_code == 200 and "must not be before the start" in res.content.decode()
    client.force_login(shop.user("keeper", "keeper"))
    assert client.get(reverse("web:cycle_times")).status_code == 403
