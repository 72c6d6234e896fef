"""Master-data lists stay fast on 100,000 rows: a page is a handful of queries (a COUNT, capped at 10,000 for the
keyset-paged categories and users, and an indexed ORDER BY ... LIMIT on the (company, code) / username /
(company, path) index, which the keyset lists start where the last page ended), whatever the depth.
On PostgreSQL the plan of the page query is checked to use that index. Timings are in bench/."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openjxc.catalog.models import Unit
from openjxc.core.models import User
from openjxc.web.paging import _encode


def _cursor(*values) -> str:
    return _encode(list(values))

N = 100_000
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def _bulk_units(shop):
    Unit.objects.bulk_create([Unit(company=shop.company, code=f"U{n:06d}", name=f"单位{n}") for n in range(N)],
                             batch_size=5000)


def _bulk_users(shop):
    User.objects.bulk_create([User(username=f"u{n:06d}", company=shop.company, password="!", roles=["keeper"])
                              for n in range(N)], batch_size=5000)


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


def test_units_page_of_100k_rows_is_a_few_queries(client, shop):
    _bulk_units(shop)
    client.force_login(shop.admin)
    first, n_first = _queries(client, reverse("web:units"), {})
    last, n_last = _queries(client, reverse("web:units"), {"page": 2001})
    assert first.context["page"].paginator.count == N + 3
    assert [u.code for u in last.context["page"].object_list] == ["U099997", "U099998", "U099999"]
    assert n_first == n_last and n_first <= 8  # session, user, company, COUNT, page, (nav) — never per row
    codes = [u.code for u in first.context["page"].object_list]
    assert codes[:4] == ["BOX", "KG", "PCS", "U000000"] and codes[-1] == "U000046"


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


def test_users_page_of_100k_rows_is_a_few_queries(client, shop):
    _bulk_users(shop)
    client.force_login(shop.admin)
    url = reverse("web:users")
    first, n_first = _queries(client, url, {})
    assert first.context["page"].count == 10_000 and first.context["page"].count_capped  # counted up to a cap
    assert "超过 10000 行" in first.content.decode()
    # a deep page: the link carries the last user name seen; the page is an index range read, no OFFSET
    deep, n_deep = _queries(client, url, {"after": _cursor("u090000")})
    assert [u.username for u in deep.context["page"].object_list][:2] == ["u090001", "u090002"]
    assert deep.context["page"].has_previous and deep.context["page"].has_next
    last, n_last = _queries(client, url, {"last": "1"})
    assert [u.username for u in last.context["page"].object_list][-1] == "u099999"
    assert not last.context["page"].has_next and last.context["page"].has_previous
    assert max(n_first, n_deep, n_last) <= 12  # the warehouses of a page: one prefetch query


def test_categories_page_of_100k_rows_is_a_few_queries(client, shop):
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
    _bulk_units(shop)
    _bulk_users(shop)
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
