"""Archive search: any document by keyword — number, partner, item, lot, memo — Chinese substrings included;
the same terms on SQLite (FTS5) and PostgreSQL (GIN over the terms); combined with the other filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openjxc.catalog import services as catalog
from openjxc.documents import search
from openjxc.documents import services as docs
from openjxc.documents.models import Document, DocumentSearch
from openjxc.documents.services import LineInput
from tests.api.conftest import Api
from tests.conftest import Shop

D = Decimal
pytestmark = pytest.mark.django_db


def test_terms_cut_ascii_words_whole_and_chinese_into_characters_and_pairs():
    assert search.tokens_of("CGRK-20261124-0001", "面粉厂") == "cgrk 20261124 0001 面 粉 厂 面粉 粉厂"
    assert search.tokens_of("ＡＢＣ　全角") == "abc 全 角 全角"  # full-width forms folded (NFKC)
    assert search.query_terms("粉厂 cgrk-2026") == [("cgrk", True), ("2026", True), ("粉厂", False)]
    assert search.query_terms("面") == [("面", False)]
    assert search.query_terms("  -- ") == []


@pytest.fixture
def archive():
    shop = Shop()
    shop.mill = shop.supplier  # 面粉厂
    rice = catalog.create_item(by=shop.admin, code="R001", name="东北大米", base_unit=shop.kg)
    shop.rice = rice
    a = shop.receive(shop.flour, 10, "5")  # 面粉 from 面粉厂
    b = shop.post("purchase_receipt", [LineInput(item=rice.pk, quantity=D("20"), unit_price=D("4"))],
                  partner=shop.supplier, memo="春节备货")
    c = shop.sell(shop.flour, 2)  # to 好运超市
    d = shop.receive(shop.milk, 5, "3", lot="LOT-7788", expires_on=dt.date(2027, 1, 31))
    shop.docs = {"a": a, "b": b, "c": c, "d": d}
    return shop


def found(shop, q):
    qs = search.filter_documents(Document.objects.filter(company=shop.company), shop.company.pk, q)
    return sorted(k for k, v in shop.docs.items() if qs.filter(pk=v.pk).exists())


def test_keywords_find_documents_by_everything_they_mention(archive):
    s = archive
    assert DocumentSearch.objects.filter(company=s.company).count() == 4
    assert found(s, "面粉") == ["a", "b", "c", "d"]  # the item 面粉 (a, c) and the supplier 面粉厂 (a, b, d)
    assert found(s, "粉厂") == ["a", "b", "d"]  # a substring of the supplier only
    assert found(s, "f001") == ["a", "c"]  # the item's code
    assert found(s, "大米") == ["b"]
    assert found(s, "米") == ["b"]
    assert found(s, "好运") == ["c"]  # the customer
    assert found(s, "春节") == ["b"]  # the memo
    assert found(s, "lot-7788") == ["d"]  # the lot
    assert found(s, s.docs["b"].number) == ["b"]
    assert found(s, s.docs["b"].number[:9]) == ["a", "b", "d"]  # CGRK-2026… prefix: the three receipts
    assert found(s, "面粉 好运") == ["c"]  # every term must match
    assert found(s, "牛肉") == []
    # another company's documents are never found
    other = Shop("OTHER")
    other.receive(other.flour, 1, "5")
    assert found(s, "面粉") == ["a", "b", "c", "d"]


def test_editing_a_draft_reindexes_it(archive):
    s = archive
    draft = docs.create_document(by=s.admin, kind="purchase_order", warehouse=s.main, partner=s.supplier,
                                 lines=[LineInput(item=s.flour.pk, quantity=D("1"), unit_price=D("5"))])
    s.docs["po"] = draft
    assert "po" in found(s, "f001")
    docs.update_document(draft, by=s.admin, lines=[LineInput(item=s.rice.pk, quantity=D("1"), unit_price=D("4"))])
    assert "po" not in found(s, "f001") and "po" in found(s, "大米")
    docs.update_document(draft, by=s.admin, memo="加急单")
    assert found(s, "加急") == ["po"]


def test_api_search_with_item_amount_and_date_filters(archive):
    s = archive
    api = Api(s.admin)
    got = api.get("/documents", {"q": "f001"}).json()
    assert {d["number"] for d in got["items"]} == {s.docs["a"].number, s.docs["c"].number}
    by_item = api.get("/documents", {"item": s.rice.pk}).json()
    assert [d["number"] for d in by_item["items"]] == [s.docs["b"].number]
    big = api.get("/documents", {"amount_min": "60", "q": "cgrk"}).json()
    assert {d["number"] for d in big["items"]} == {s.docs["b"].number}  # 80 with the rice; 50 and 15 are less
    assert api.get("/documents", {"amount_min": "-1"}).status_code == 422
    assert api.get("/documents", {"q": "—— ！"}).json()["count"] == 4  # no terms: no keyword filter


def test_web_documents_page_keyword(client, archive):
    s = archive
    client.force_login(s.admin)
    page = client.get("/documents/", {"q": "大米"}).content.decode()
    assert s.docs["b"].number in page and s.docs["a"].number not in page
