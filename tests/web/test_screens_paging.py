"""Master-data lists stay fast on long lists: a page is a handful of queries (a COUNT, capped at 10,000 for the
keyset-paged categories and users, and an indexed ORDER BY ... LIMIT on the (company, code) / username /
(company, path) index, which the keyset lists start where the last page ended), whatever the depth.
The lists here have 20,000 rows, twice the count's cap (what a page costs does not depend on the length beyond it;
the page tests took minutes at 100,000); on PostgreSQL the plan of the page query is checked on 100,000 rows to use
that index. Timings at 100,000 are in bench/list_pages.py."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openjxc.catalog.models import Unit
from openjxc.core.models import User
from openjxc.web.paging import _encode


def _cursor(*values) -> str:
    return _encode(list(values))

N = 20_000  # rows of a long list: twice the count's cap
PLANNED = 100_000  # rows for the PostgreSQL plan check: the planner's choice depends on the table's size
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def _bulk_units(shop, n_rows=N):
    Unit.objects.bulk_create([Unit(company=shop.company, code=f"U{n:06d}", name=f"单位{n}") for n in range(n_rows)],
                             batch_size=5000)


def _bulk_users(shop, n_rows=N):
    User.objects.bulk_create([User(username=f"u{n:06d}", company=shop.company, password="!", roles=["keeper"])
                              for n in range(n_rows)], batch_size=5000)


def _queries(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url, params, **ZH)
    assert page.status_code == 200
    return page, len(ctx.captured_queries)


def _plan(qs) -> str:
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
        sql, params = qs.query.sql_with_params()
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())


def test_units_page_of_a_long_list_is_a_few_queries(client, shop):
    _bulk_units(shop)
    client.force_login(shop.admin)
    url = reverse("web:units")
    first, n_first = _queries(client, url, {})
    assert first.context["page"].count == 10_000 and first.context["page"].count_capped
    codes = [u.code for u in first.context["page"].object_list]
    assert codes[:4] == ["BOX", "KG", "PCS", "U000000"] and codes[-1] == "U000046"
    deep, n_deep = _queries(client, url, {"after": _cursor("U018000")})
    assert [u.code for u in deep.context["page"].object_list][:2] == ["U018001", "U018002"]
    last, n_last = _queries(client, url, {"last": "1"})
    assert [u.code for u in last.context["page"].object_list][-3:] == ["U019997", "U019998", "U019999"]
    # session, user, company, capped COUNT, page (+ "is there a page before?" past the first) — never per row
    assert n_deep <= n_first + 1 and n_last <= n_first + 1 and n_first <= 8


def _walk(client, url, params, *, last=False):
    """Follow the pager's next links from the first page (or previous links from the last); the rows in order."""
    seen, response = [], client.get(url, {**params, **({"last": "1"} if last else {})}, **ZH)
    while True:
        page = response.context["page"]
        rows = list(page.object_list)
        seen = rows + seen if last else seen + rows
        link = page.previous_query if last else page.next_query
        if not link:
            return seen, page
        response = client.get(f"{url}?{link}", **ZH)


def test_users_page_of_a_long_list_is_a_few_queries(client, shop):
    _bulk_users(shop)
    client.force_login(shop.admin)
    url = reverse("web:users")
    first, n_first = _queries(client, url, {})
    assert first.context["page"].count == 10_000 and first.context["page"].count_capped  # counted up to a cap
    assert "超过 10000 行" in first.content.decode()
    # a deep page: the link carries the last user name seen; the page is an index range read, no OFFSET
    deep, n_deep = _queries(client, url, {"after": _cursor("u018000")})
    assert [u.username for u in deep.context["page"].object_list][:2] == ["u018001", "u018002"]
    assert deep.context["page"].has_previous and deep.context["page"].has_next
    last, n_last = _queries(client, url, {"last": "1"})
    assert [u.username for u in last.context["page"].object_list][-1] == "u019999"
    assert not last.context["page"].has_next and last.context["page"].has_previous
    assert max(n_first, n_deep, n_last) <= 12  # the warehouses of a page: one prefetch query


def test_categories_page_of_a_long_list_is_a_few_queries(client, shop):
    from tests.web.paging_data import bulk_categories

    bulk_categories(shop.company, N)
    client.force_login(shop.admin)
    url = reverse("web:categories")
    first, n_first = _queries(client, url, {})
    rows = first.context["rows"]
    current = None  # tree order: a root, then its subtree (ids differ between SQLite and PostgreSQL runs)
    for c in rows:
        if c.depth == 0:
            current = c.path
        else:
            assert current is None or c.path.startswith(current), (current, c.path)
    assert any(c.depth == 0 for c in rows) and any(c.depth == 1 for c in rows)
    nxt = first.context["page"].next_query
    second, n_second = _queries(client, f"{url}?{nxt}", {})
    assert second.context["rows"][0].path > rows[-1].path  # tree order goes on where page 1 ended
    last, n_last = _queries(client, url, {"last": "1"})
    assert len(last.context["rows"]) == 50 and not last.context["page"].has_next
    assert n_second <= n_first + 1 and n_last <= n_first + 1 and n_first <= 10  # + "is there a page before?"


@pytest.mark.postgres_only
def test_the_page_queries_use_the_unique_indexes_on_postgresql(shop):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plans are checked on PostgreSQL")
    _bulk_units(shop, PLANNED)
    _bulk_users(shop, PLANNED)
    units = Unit.objects.filter(company_id=shop.company.pk).order_by("code")[49950:50000]
    plan = _plan(units)
    assert "uniq_unit_code" in plan and "Seq Scan" not in plan, plan
    users = User.objects.filter(company_id=shop.company.pk).order_by("username")[49950:50000]
    plan = _plan(users)
    assert "username" in plan and "Index" in plan, plan


def test_users_by_last_sign_in_page_through_everyone_once(client, shop):
    """Sorted by last sign-in, never-signed-in users (NULL) come last, ties broken by id, both directions."""
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    User.objects.bulk_create([
        User(username=f"p{n:03d}", company=shop.company, password="!", roles=["keeper"],
             last_login=None if n % 3 == 0 else now - dt.timedelta(hours=n % 7))
        for n in range(130)
    ])
    client.force_login(shop.admin)  # the admin signs in now: first
    url = reverse("web:users")
    expected = sorted(User.objects.filter(company=shop.company),
                      key=lambda u: (u.last_login is not None, u.last_login or now, u.pk), reverse=True)
    forwards, _ = _walk(client, url, {"sort": "-last_login"})
    backwards, _ = _walk(client, url, {"sort": "-last_login"}, last=True)
    assert [u.username for u in forwards] == [u.username for u in expected] == [u.username for u in backwards]
    assert forwards[0].username == shop.admin.username and forwards[-1].last_login is None


# ---------------------------------------------------------------- the other master-data lists, small data


def _keyset_list(client, url, params, expected, *, label):
    """Walk `url` forwards from the first page and backwards from the last: every row of `expected` (in its
    order) once each way; the filters ride along in every pager link; a deep page costs the statements of
    the first (plus at most the "is there a page before?" probe)."""
    forwards, page = _walk(client, url, params)
    backwards, _ = _walk(client, url, params, last=True)
    assert [label(r) for r in forwards] == [label(r) for r in expected] == [label(r) for r in backwards]
    first = client.get(url, params, **ZH).context["page"]
    assert first.count == len(expected) and not first.count_capped and not first.has_previous
    for link in (first.next_query, first.last_query):
        for k, v in params.items():
            assert urlencode({k: v}) in link, (link, params)
    _, n_first = _queries(client, url, params)
    deep = client.get(url, params, **ZH).context["page"]
    deep_query = ""
    for _ in range(3):  # up to three pages in (a short filtered list ends sooner)
        if not deep.next_query:
            break
        deep_query = deep.next_query
        deep = client.get(f"{url}?{deep_query}", **ZH).context["page"]
    assert deep_query, "the list has a second page"
    _, n_deep = _queries(client, f"{url}?{deep_query}", {})
    assert n_first <= n_deep <= n_first + 1, (n_first, n_deep, params, deep_query)
    return forwards


def _export_rows(client, url, query) -> list:
    import io

    from openpyxl import load_workbook

    response = client.get(f"{url}?{query}", **ZH)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    return list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))


def test_items_list_pages_by_keyset_with_every_sort_and_filter(client, shop):
    from openjxc.catalog.models import Category, Item

    other = Category.objects.create(company=shop.company, code="KS", name="键集")
    other.path = f"/{other.pk}/"
    other.save(update_fields=["path"])
    Item.objects.bulk_create([
        Item(company=shop.company, code=f"K{n:04d}", name=f"品名{n % 9}", base_unit=shop.pcs,
             category=other if n % 2 else None, is_active=n % 5 != 0)
        for n in range(260)
    ])
    client.force_login(shop.admin)
    url = reverse("web:items")
    items = Item.objects.filter(company=shop.company)
    for sort, keys in (("", ["code"]), ("-code", ["-code"]), ("name", ["name", "id"]), ("-name", ["-name", "-id"])):
        params = {"sort": sort} if sort else {}
        _keyset_list(client, url, params, list(items.order_by(*keys)), label=lambda i: i.code)
    # filtered (search, category, active) and sorted by name, with ties broken by id
    params = {"q": "K0", "category": str(other.pk), "active": "1", "sort": "-name"}
    expected = list(items.filter(code__contains="K0", category=other, is_active=True).order_by("-name", "-id"))
    assert 50 < len(expected) < 260
    rows = _keyset_list(client, url, params, expected, label=lambda i: i.code)
    assert all(r.category_id == other.pk and r.is_active for r in rows)
    # the Export button of a later page exports the whole filtered list, not the page
    second = client.get(url, params, **ZH).context["page"].next_query
    page2 = client.get(f"{url}?{second}", **ZH).content.decode()
    export_href = re.search(r'href="\?([^"]*)" data-export', page2).group(1).replace("&amp;", "&")
    assert all(urlencode({k: v}) in export_href for k, v in params.items()), export_href
    exported = _export_rows(client, url, second + "&export=xlsx")
    assert len(exported) - 1 == len(expected)


def test_partners_list_pages_by_keyset_with_its_filters(client, shop):
    from openjxc.partners.models import Partner, PartnerKind, Region

    north = Region.objects.create(company=shop.company, code="N", name="北区")
    kinds = [PartnerKind.SUPPLIER, PartnerKind.CUSTOMER, PartnerKind.BOTH]
    Partner.objects.bulk_create([
        Partner(company=shop.company, code=f"P{n:04d}", name=f"伙伴{n % 11}", kind=kinds[n % 3],
                region=north if n % 4 else None, is_active=n % 7 != 0)
        for n in range(240)
    ])
    client.force_login(shop.admin)
    url = reverse("web:partners")
    partners = Partner.objects.filter(company=shop.company)
    _keyset_list(client, url, {}, list(partners.order_by("code")), label=lambda p: p.code)
    params = {"q": "P0", "kind": "customer", "region": str(north.pk), "active": "1"}
    expected = list(partners.filter(code__contains="P0", kind__in=["customer", "both"], region=north,
                                    is_active=True).order_by("code"))
    assert 50 < len(expected) < 240
    _keyset_list(client, url, params, expected, label=lambda p: p.code)
    second = client.get(url, params, **ZH).context["page"].next_query
    assert len(_export_rows(client, url, second + "&export=xlsx")) - 1 == len(expected)


def test_units_and_regions_lists_page_by_keyset_with_every_sort(client, shop):
    from openjxc.partners.models import Region

    Unit.objects.bulk_create([Unit(company=shop.company, code=f"V{n:04d}", name=f"量{n % 6}") for n in range(180)])
    Region.objects.bulk_create([Region(company=shop.company, code=f"R{n:04d}", name=f"区{n % 6}")
                                for n in range(180)])
    client.force_login(shop.admin)
    for url_name, model in (("web:units", Unit), ("web:regions", Region)):
        url = reverse(url_name)
        rows = model.objects.filter(company=shop.company)
        for sort, keys in (("", ["code"]), ("-code", ["-code"]), ("name", ["name", "id"]),
                           ("-name", ["-name", "-id"])):
            params = {"sort": sort} if sort else {}
            _keyset_list(client, url, params, list(rows.order_by(*keys)), label=lambda r: r.code)
        params = {"q": "1", "sort": "-name"}
        expected = list(rows.filter(Q(code__icontains="1") | Q(name__icontains="1")).order_by("-name", "-id"))
        assert 50 < len(expected) < 180
        _keyset_list(client, url, params, expected, label=lambda r: r.code)


def test_price_lists_list_pages_by_keyset_names_repeating(client, shop):
    from openjxc.catalog.models import PriceList

    PriceList.objects.bulk_create([PriceList(company=shop.company, name=f"价目{n % 4}", is_active=n % 3 != 0)
                                   for n in range(170)])
    client.force_login(shop.admin)
    url = reverse("web:price_lists")
    lists = PriceList.objects.filter(company=shop.company)
    _keyset_list(client, url, {}, list(lists.order_by("name", "id")), label=lambda p: p.pk)
    expected = list(lists.filter(name__icontains="价目", is_active=True).order_by("name", "id"))
    assert 50 < len(expected) < 170
    _keyset_list(client, url, {"q": "价目", "active": "1"}, expected, label=lambda p: p.pk)


def test_receipts_and_payments_page_by_keyset_newest_first(client, shop):
    import datetime as dt

    from openjxc.finance import services as finance
    from openjxc.finance.models import Settlement

    for n in range(130):  # five days, 26 a day: ties on the date are broken by id
        finance.create_settlement(by=shop.admin, kind="payment" if n % 3 else "receipt",
                                  partner=shop.supplier if n % 3 else shop.customer, amount=str(n + 1),
                                  business_on=dt.date(2026, 3, 1) + dt.timedelta(days=n % 5))
    client.force_login(shop.admin)
    url = reverse("web:settlements")
    rows = Settlement.objects.filter(company=shop.company)
    _keyset_list(client, url, {}, list(rows.order_by("-business_on", "-id")), label=lambda s: s.number)
    _keyset_list(client, url, {"kind": "payment"}, list(rows.filter(kind="payment").order_by("-business_on", "-id")),
                 label=lambda s: s.number)
