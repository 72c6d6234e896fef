"""The documents list pages by keyset (web/paging.py): following next links from the first page, or previous
links from the last, shows every document exactly once in the chosen order (ties on the business date broken
by id), with the filters kept; a deep page costs the same statements as the first; on PostgreSQL its query
reads an index range, not the table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openjxc.documents.models import Document
from openjxc.web.paging import _encode
from tests.web.paging_data import bulk_documents

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
START = dt.date(2026, 1, 1)


def _walk(client, url, params, *, last=False):
    seen, pages = [], 0
    response = client.get(url, {**params, **({"last": "1"} if last else {})}, **ZH)
    while True:
        assert response.status_code == 200
        pages += 1
        page = response.context["page"]
        rows = [d.number for d in page.object_list]
        seen = rows + seen if last else seen + rows
        link = page.previous_query if last else page.next_query
        if not link:
            return seen, pages
        response = client.get(f"{url}?{link}", **ZH)


def test_every_document_once_forwards_and_backwards_in_each_order(client, shop):
    bulk_documents(shop.company, shop.main, shop.supplier, shop.admin, 230, start=START, per_day=40)
    client.force_login(shop.admin)
    url = reverse("web:documents")
    qs = Document.objects.filter(company=shop.company)
    for sort, order in (("", ("-business_on", "-id")), ("business_on", ("business_on", "id")),
                        ("number", ("number",)), ("-number", ("-number",))):
        expected = list(qs.order_by(*order).values_list("number", flat=True))
        params = {"sort": sort} if sort else {}
        forwards, pages = _walk(client, url, params)
        assert forwards == expected and pages == 5, sort
        backwards, _ = _walk(client, url, params, last=True)
        assert backwards == expected, sort
    # filters stay on every page: two days of 40, newest first
    params = {"date_from": "2026-01-02", "date_to": "2026-01-03", "kind": "purchase_order"}
    rows, pages = _walk(client, url, params)
    assert pages == 2 and len(rows) == 80 and len(set(rows)) == 80
    first = client.get(url, params, **ZH)
    assert "date_from=2026-01-02" in first.context["page"].next_query
    assert first.context["page"].count == 80 and not first.context["page"].count_capped
    body = first.content.decode()
    assert "80 行" in body and "下一页" in body and "末页" in body
    assert 'value="2026-01-02"' in body  # the date filter shows what was asked (ISO, not 2026/01/02, in Chinese)


def test_a_deep_page_costs_what_the_first_does_and_a_bad_cursor_is_the_first_page(client, shop):
    bulk_documents(shop.company, shop.main, shop.supplier, shop.admin, 2000, start=START, per_day=300)
    client.force_login(shop.admin)
    url = reverse("web:documents")
    with CaptureQueriesContext(connection) as first:
        client.get(url, **ZH)
    deep_doc = Document.objects.get(number="CGDD-B00000500")
    with CaptureQueriesContext(connection) as deep:
        response = client.get(url, {"after": _encode([deep_doc.business_on, deep_doc.pk])}, **ZH)
    numbers = [d.number for d in response.context["page"].object_list]
    assert numbers[0] == "CGDD-B00000499" and len(numbers) == 50
    assert len(deep.captured_queries) <= len(first.captured_queries) + 1  # + "is there a page before?"
    assert not any("OFFSET" in q["sql"].upper() for q in deep.captured_queries)
    for bad in ("%%%", "bm90LWpzb24", _encode(["x"])):
        response = client.get(url, {"after": bad}, **ZH)
        assert response.status_code == 200 and response.context["page"].object_list[0].number == "CGDD-B00001999"


@pytest.mark.postgres_only
def test_the_deep_page_reads_an_index_range_on_postgresql(shop):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN plans are checked on PostgreSQL")
    from django.db.models import Q

    from openjxc.web.paging import _seek

    bulk_documents(shop.company, shop.main, shop.supplier, shop.admin, 100_000, start=START, per_day=300)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    deep = Document.objects.get(number="CGDD-B00001000")
    qs = (Document.objects.filter(Q(company_id=shop.company.pk) & _seek(["-business_on", "-id"],
                                                                        [deep.business_on, deep.pk], forward=True))
          .order_by("-business_on", "-id")[:51])
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Index" in plan and "Seq Scan on documents_document" not in plan, plan


def test_the_filter_panel_says_applied_for_a_filter_not_for_a_page_position(client, shop):
    bulk_documents(shop.company, shop.main, shop.supplier, shop.admin, 120, start=START, per_day=40)
    client.force_login(shop.admin)
    url = reverse("web:documents")
    applied = '<span class="badge status-approved">已应用</span>'
    first = client.get(url, **ZH)
    assert applied not in first.content.decode()
    # following "next": a page position, not a filter — the panel stays closed
    deeper = client.get(f"{url}?{first.context['page'].next_query}", **ZH).content.decode()
    assert applied not in deeper and '<details class="filter-box card" data-open-wide>' in deeper
    # an empty filter form submitted is no filter either; a kind is
    assert applied not in client.get(url, {"kind": "", "q": " "}, **ZH).content.decode()
    filtered = client.get(url, {"kind": "purchase_order"}, **ZH).content.decode()
    assert applied in filtered and '<details class="filter-box card" data-open-wide open>' in filtered
