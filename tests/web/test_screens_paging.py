"""Master-data lists stay fast on 100,000 rows: a page is a handful of queries (COUNT + an indexed
ORDER BY ... LIMIT on the (company, code) / username unique index), whatever the page number.
On PostgreSQL the plan of the page query is checked to use that index. Timings are in bench/."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openjxc.catalog.models import Unit
from openjxc.core.models import User

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


def test_users_page_of_100k_rows_is_a_few_queries(client, shop):
    _bulk_users(shop)
    client.force_login(shop.admin)
    first, n_first = _queries(client, reverse("web:users"), {})
    middle, n_middle = _queries(client, reverse("web:users"), {"page": 1000})
    assert first.context["page"].paginator.count == N + 1
    assert len(middle.context["page"].object_list) == 50
    assert n_first == n_middle and n_first <= 10  # the warehouses of a page: one prefetch query


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
