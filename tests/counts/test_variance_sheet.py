"""The count's differences as a reader sees them (issue 13 item 18): signed per line (−8 a loss, +2 a gain), net
and gross values, each line's reason carried onto the adjustment's line, and the variance sheet as .xlsx."""

from __future__ import annotations

import io
from decimal import Decimal

from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from openjxc.core.models import Role
from openjxc.counts import selectors
from openjxc.counts import services as counts
from openjxc.counts.models import CountLine
from openjxc.counts.services import EntryInput
from openjxc.documents.models import DocumentLine

D = Decimal


def _reviewed(shop):
    shop.receive(shop.water, 10, "1.00")
    shop.receive(shop.flour, 5, "2.00")
    count = counts.create_count(by=shop.admin, warehouse=shop.main, blind=False, tolerance_rate=D("10"),
                                tolerance_value=D("1000"))
    counts.start_count(count, by=shop.admin)
    counts.record_entries(count, by=shop.admin, entries=[EntryInput(item=shop.water.pk, quantity=2),
                                                         EntryInput(item=shop.flour.pk, quantity=7)])
    counts.finish_count(count, by=shop.admin)
    water = CountLine.objects.get(count=count, item=shop.water)
    counts.set_reason(count, by=shop.admin, line=water, reason="damage", note="crushed by the forklift")
    return count


def test_net_and_gross_values_of_the_differences(shop):
    count = _reviewed(shop)
    summary = selectors.variance_summary(count)
    assert (summary["loss_value"], summary["gain_value"]) == (D("8.00"), D("4.00"))
    assert (summary["net_value"], summary["gross_value"]) == (D("-4.00"), D("12.00"))


def test_the_count_page_shows_signed_differences_net_and_gross(shop):
    count = _reviewed(shop)
    web = Client(headers={"Accept-Language": "en"})
    web.force_login(shop.admin)
    page = web.get(f"/counts/{count.pk}/").content.decode()
    assert ">-8</td>" in page and ">+2</td>" in page
    assert ">-8.00</td>" in page and ">+4.00</td>" in page
    assert "data-net>-4.00<" in page and "data-gross>12.00<" in page


def test_each_lines_reason_is_carried_onto_the_adjustment(shop):
    count = _reviewed(shop)
    with translation.override("en"):
        count = counts.create_count_document(count, by=shop.admin)
    memos = dict(DocumentLine.objects.filter(document=count.document).values_list("item__code", "memo"))
    assert memos == {"W001": "Damage: crushed by the forklift", "F001": ""}


def test_the_variance_sheet_exports_to_excel_only_for_who_may_see_the_book(shop):
    count = _reviewed(shop)
    web = Client(headers={"Accept-Language": "en"})
    web.force_login(shop.admin)
    r = web.get(f"/counts/{count.pk}/", {"export": "xlsx"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = [list(x) for x in load_workbook(io.BytesIO(r.content)).worksheets[0].iter_rows(values_only=True)]
    head = rows[0]
    by_code = {row[0]: dict(zip(head, row, strict=True)) for row in rows[1:]}
    assert D(str(by_code["W001"]["Difference"])) == -8 and D(str(by_code["F001"]["Difference"])) == 2
    assert D(str(by_code["W001"]["Difference value"])) == D("-8")
    assert by_code["W001"]["Reason"] == "Damage" and by_code["W001"]["Note"] == "crushed by the forklift"

    blind = counts.create_count(by=shop.admin, warehouse=shop.main, blind=True)
    keeper = shop.user("keeper-x", Role.KEEPER, warehouses=[shop.main])
    phone = Client()
    phone.force_login(keeper)
    assert phone.get(f"/counts/{blind.pk}/", {"export": "xlsx"}).status_code == 404
