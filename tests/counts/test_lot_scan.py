"""Scanning at a count (issue 13 item 17): a lot-tracked item scanned by its ordinary barcode asks which lot
(the lots counted at that location, or a new one) instead of refusing; an item code typed at the scan field
finds the item."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.test import Client

from openjxc.core.models import Role
from openjxc.counts import services as counts
from openjxc.counts.models import CountLine
from tests.api.conftest import Api

D = Decimal
MILK = "6930000000016"


def _counting(shop):
    shop.receive(shop.milk, 6, "3", lot="L1", expires_on=dt.date(2030, 1, 10))
    shop.receive(shop.milk, 4, "3", lot="L2", expires_on=dt.date(2030, 1, 5))
    shop.receive(shop.water, 5, "1.20")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=True)
    return counts.start_count(count, by=shop.admin)


def test_scanning_a_lot_item_by_its_barcode_answers_the_lots_to_choose_from(shop):
    count = _counting(shop)
    keeper = shop.user("keeper-lots", Role.KEEPER, warehouses=[shop.main])
    phone = Api(keeper)
    r = phone.post(f"/counts/{count.pk}/entries", {"entries": [{"barcode": MILK}]})
    assert r.status_code == 422, r.content
    err = r.json()
    assert err["code"] == "count.lot_choice"
    # the earliest expiry first; codes and dates only, no book quantity on a blind count
    assert err["data"]["lots"] == [{"code": "L2", "expires_on": "2030-01-05"},
                                   {"code": "L1", "expires_on": "2030-01-10"}]
    assert err["data"]["item_code"] == "M001"

    r = phone.post(f"/counts/{count.pk}/entries", {"entries": [{"barcode": MILK, "lot_code": "L1"}]})
    assert r.status_code == 201, r.content
    assert (r.json()[0]["lot"], r.json()[0]["counted_quantity"]) == ("L1", "1.0000")
    r = phone.post(f"/counts/{count.pk}/entries", {"entries": [{"barcode": MILK, "lot_code": "L9", "quantity": 2}]})
    assert r.status_code == 201, r.content
    assert r.json()[0]["added"] is True  # a lot found on the shelf that the book never saw
    assert CountLine.objects.get(count=count, lot__code="L9").counted_quantity == 2


def test_an_item_code_typed_at_the_scan_field_finds_the_item(shop):
    count = _counting(shop)
    r = Api(shop.admin).post(f"/counts/{count.pk}/entries", {"entries": [{"barcode": "W001", "quantity": 5}]})
    assert r.status_code == 201, r.content
    assert (r.json()[0]["item_code"], r.json()[0]["counted_quantity"]) == ("W001", "5.0000")
    r = Api(shop.admin).post(f"/counts/{count.pk}/entries", {"entries": [{"barcode": "W00l"}]})
    assert (r.status_code, r.json()["code"]) == (404, "barcode.unknown")


def test_the_count_page_turns_the_lot_question_into_a_picker(shop):
    count = _counting(shop)
    web = Client(headers={"Accept-Language": "en"})
    web.force_login(shop.admin)
    r = web.post(f"/counts/{count.pk}/scan/", {"barcode": MILK}, headers={"HX-Request": "true"})
    page = r.content.decode()
    assert "Which lot of" in page and 'class="lot-choice"' in page
    assert page.index('value="L2"') < page.index('value="L1"')
    r = web.post(f"/counts/{count.pk}/scan/", {"barcode": MILK, "lot": "L2", "new_lot": ""},
                 headers={"HX-Request": "true"})
    assert 'data-scan="ok"' in r.content.decode()
    r = web.post(f"/counts/{count.pk}/scan/", {"barcode": MILK, "new_lot": "L7"}, headers={"HX-Request": "true"})
    assert 'data-scan="ok"' in r.content.decode()
    assert CountLine.objects.get(count=count, lot__code="L2").counted_quantity == 1
    assert CountLine.objects.get(count=count, lot__code="L7").is_added
