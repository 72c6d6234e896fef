"""Excel imports through the services: items, partners, opening stock; dry run, bad rows, all or nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from openjxc.catalog.imports import ITEM_FIELDS
from openjxc.catalog.models import Barcode, Category, Item, ItemUnit, Unit
from openjxc.core.errors import DomainError
from openjxc.core.models import Role
from openjxc.documents.models import Document
from openjxc.partners.models import Partner, Region
from openjxc.stock.models import StockBalance
from openjxc.web.excel import read_sheet, template_workbook
from openjxc.web.imports import IMPORTERS, run_import
from tests.conftest import Shop, assert_ledger_consistent

D = Decimal


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def check(by, target, data, *, commit=False):
    importer = IMPORTERS[target](by, read_sheet(data, IMPORTERS[target].fields))
    return run_import(importer, commit=commit)


ITEM_HEADER = ["Item code", "Item name", "Specification", "Category", "Base unit", "Other units", "Barcodes",
               "Purchase price", "Sale price", "Tax rate", "Tracking", "Shelf life (days)", "Active"]


def test_clean_item_file_creates_exactly_its_rows(shop):
    data = xlsx([
        ITEM_HEADER,
        ["B001", "可乐 330ml", "330ml", "饮料", "瓶", "箱=24; 包=6", "6901111111111;6901111111112", 1.5, 3, 0.13,
         "none", None, 1],
        ["B002", "鲜酸奶", "", "FOOD", "杯", "", 6902222222222, "2.40", "4", None, "Lots with expiry", 21, "是"],
    ])
    before = Item.objects.filter(company=shop.company).count()
    dry = check(shop.admin, "items", data)
    assert dry.errors == [] and dry.rows == 2
    assert Item.objects.filter(company=shop.company).count() == before  # the check kept nothing
    done = check(shop.admin, "items", data, commit=True)
    assert done.errors == [] and done.created == 2
    assert Item.objects.filter(company=shop.company).count() == before + 2
    cola = Item.objects.get(company=shop.company, code="B001")
    assert (cola.name, cola.spec, cola.purchase_price, cola.sale_price, cola.tax_rate) == (
        "可乐 330ml", "330ml", D("1.5"), D("3"), D("0.13"))
    assert cola.base_unit.name == "瓶" and cola.category.name == "饮料"  # unit by name; category created
    assert sorted(Barcode.objects.filter(item=cola).values_list("code", flat=True)) == ["6901111111111",
                                                                                       "6901111111112"]
    assert {(u.unit.name, u.factor) for u in ItemUnit.objects.filter(item=cola)} == {("箱", D("24")), ("包", D("6"))}
    yogurt = Item.objects.get(company=shop.company, code="B002")
    assert yogurt.category == shop.food and yogurt.tracking == "lot_expiry" and yogurt.shelf_life_days == 21
    assert yogurt.base_unit.name == "杯" and Unit.objects.filter(company=shop.company, name="杯").count() == 1
    assert Barcode.objects.get(company=shop.company, code="6902222222222").item == yogurt


def test_bad_rows_are_each_listed_and_nothing_is_imported(shop):
    data = xlsx([
        ITEM_HEADER,
        ["G001", "好商品", "", "", "瓶", "", "", 1, 2, 0.13, "", "", ""],          # fine
        ["F001", "重复编码", "", "", "瓶", "", "", 1, 2, "", "", "", ""],           # code in the database
        ["G002", "", "", "", "瓶", "", "", 1, 2, "", "", "", ""],                  # no name
        ["G003", "价格错", "", "", "瓶", "", "", "abc", 2, "", "", "", ""],          # not a number
        ["G004", "税率错", "", "", "瓶", "", "", 1, 2, 13, "", "", ""],              # tax rate out of range
        ["G001", "文件内重复", "", "", "瓶", "", "", 1, 2, "", "", "", ""],          # repeats row 2
        ["G005", "条码已有", "", "", "瓶", "", "6920000000017", 1, 2, "", "", "", ""],  # barcode of W001
        ["G006", "批次错", "", "", "瓶", "", "", 1, 2, "", "按月", "", ""],           # tracking unknown
        ["G007", "单位错", "", "", "瓶", "箱12", "", 1, 2, "", "", "", ""],           # units malformed
    ])
    before = (Item.objects.count(), Unit.objects.count(), Barcode.objects.count())
    for commit in (False, True):
        out = check(shop.admin, "items", data, commit=commit)
        by_row = {e.row: e for e in out.errors}
        assert sorted(by_row) == [3, 4, 5, 6, 7, 8, 9, 10], out.errors
        assert by_row[3].code == "item.code_taken" and by_row[3].column == "Item code"
        assert "F001" in by_row[3].message
        assert by_row[4].code == "validation.failed" and by_row[4].column == "Item name"
        assert by_row[5].column == "Purchase price" and "not a number" in by_row[5].message
        assert by_row[6].column == "Tax rate" and "between 0 and 1" in by_row[6].message
        assert by_row[7].code == "import.duplicate" and "row 2" in by_row[7].message
        assert by_row[8].code == "barcode.taken" and by_row[8].column == "Barcodes"
        assert by_row[9].column == "Tracking"
        assert by_row[10].column == "Other units"
        assert (Item.objects.count(), Unit.objects.count(), Barcode.objects.count()) == before
        assert out.created == 0


def test_chinese_headers_and_messages(shop):
    from django.utils import translation

    data = xlsx([
        ["商品编码", "商品名称", "基本单位", "销售价", "税率"],
        ["Z001", "白糖", "千克", 6.5, 0.09],
        ["Z002", "红糖", "千克", "六元", 0.09],
    ])
    with translation.override("zh-hans"):
        out = check(shop.admin, "items", data)
    assert [(e.row, e.column) for e in out.errors] == [(3, "销售价")]
    assert "不是有效数字" in out.errors[0].message
    fixed = xlsx([["商品编码", "商品名称", "基本单位", "销售价", "税率"], ["Z001", "白糖", "千克", 6.5, 0.09]])
    assert check(shop.admin, "items", fixed, commit=True).created == 1
    sugar = Item.objects.get(company=shop.company, code="Z001")
    assert sugar.base_unit == shop.kg and sugar.sale_price == D("6.5") and sugar.tax_rate == D("0.09")


def test_template_headers_read_back_in_both_languages(shop):
    from django.utils import translation

    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            data = template_workbook("items", ITEM_FIELDS, [])
        sheet = read_sheet(data, ITEM_FIELDS)
        assert set(sheet.columns) == {f.key for f in ITEM_FIELDS} and sheet.rows == []
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws["A1"].value == "商品编码 *" and ws["A1"].comment is not None


def test_partners_import(shop):
    data = xlsx([
        ["Partner code", "Partner name", "Partner kind", "Region", "Contact", "Phone", "Email", "Credit limit"],
        ["S100", "华南纸业", "供应商", "华南", "陈先生", "020-1234", "chen@example.com", ""],
        ["C100", "顺风便利店", "customer", "华南", "刘店长", "13800000000", "", 20000],
        ["C101", "错误类型", "friend", "", "", "", "", ""],
        ["C102", "坏邮箱", "customer", "", "", "", "not-an-email", ""],
    ])
    out = check(shop.admin, "partners", data, commit=True)
    assert [(e.row, e.column) for e in out.errors] == [(4, "Partner kind"), (5, "Email")]
    assert not Partner.objects.filter(code__in=["S100", "C100"]).exists()
    clean = xlsx([r for i, r in enumerate(load_rows(data)) if i < 3])
    assert check(shop.admin, "partners", clean, commit=True).created == 2
    c100 = Partner.objects.get(company=shop.company, code="C100")
    assert c100.kind == "customer" and c100.credit_limit == D("20000") and c100.region.name == "华南"
    assert Partner.objects.get(company=shop.company, code="S100").kind == "supplier"
    assert Region.objects.filter(company=shop.company, name="华南").count() == 1


def load_rows(data: bytes) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


OPENING_HEADER = ["Warehouse", "Location", "Item code", "Unit", "Lot", "Production date", "Expiry date",
                  "Quantity", "Unit cost"]


def test_opening_stock_posts_through_the_ledger(shop):
    expiry = dt.date.today() + dt.timedelta(days=9)
    data = xlsx([
        OPENING_HEADER,
        ["WH1", "", "F001", "", "", None, None, 100, 5],
        ["总仓", "", "W001", "BOX", "", None, None, 2, 14.4],  # warehouse by name, quantity in boxes
        ["ST1", "", "M001", "", "L1", None, expiry, 30, 3],
        ["WH2", "WH2-01", "F001", "", "", None, None, "12.5", None],  # cost: the item's purchase price
    ])
    assert check(shop.admin, "opening", data).errors == []
    assert not Document.objects.filter(company=shop.company, kind="opening").exists()
    out = check(shop.admin, "opening", data, commit=True)
    assert out.errors == [] and len(out.documents) == 3
    docs = Document.objects.filter(company=shop.company, kind="opening")
    assert docs.count() == 3 and {d.status for d in docs} == {"posted"}

    def on_hand(item, wh):
        rows = StockBalance.objects.filter(item=item, location__warehouse=wh)
        return sum((b.quantity for b in rows), D(0)), sum((b.value for b in rows), D(0))

    assert on_hand(shop.flour, shop.main) == (D("100"), D("500"))
    assert on_hand(shop.water, shop.main) == (D("24"), D("28.80"))
    assert on_hand(shop.milk, shop.store) == (D("30"), D("90"))
    assert on_hand(shop.flour, shop.second) == (D("12.5"), D("62.50"))
    assert_ledger_consistent()


def test_opening_stock_bad_rows(shop):
    data = xlsx([
        OPENING_HEADER,
        ["WH1", "", "F001", "", "", None, None, 10, 5],
        ["WH9", "", "F001", "", "", None, None, 10, 5],          # unknown warehouse
        ["WH1", "", "X999", "", "", None, None, 10, 5],          # unknown item
        ["WH1", "", "M001", "", "", None, None, 10, 3],          # lot required
        ["WH1", "", "W001", "", "", None, None, -3, 1],          # negative quantity
        ["WH1", "", "F001", "", "", None, None, 10, 5],          # repeats row 2
        ["WH1", "ST1-01", "W001", "", "", None, None, 1, 1],     # location of another warehouse
        ["WH1", "", "W001", "", "", "yesterday", None, 1, 1],    # not a date
    ])
    out = check(shop.admin, "opening", data, commit=True)
    got = {e.row: (e.code, e.column) for e in out.errors}
    assert got == {
        3: ("warehouse.not_found", "Warehouse"),
        4: ("item.not_found", "Item code"),
        5: ("lot.required", "Lot"),
        6: ("validation.failed", "Quantity"),
        7: ("import.duplicate", "Item code"),
        8: ("validation.failed", "Location"),
        9: ("validation.failed", "Production date"),
    }
    assert not Document.objects.filter(company=shop.company).exists()
    assert not StockBalance.objects.filter(company=shop.company).exists()
    assert_ledger_consistent()


def test_import_needs_the_permission(shop):
    keeper = shop.user("keeper-1", Role.KEEPER)
    data = xlsx([ITEM_HEADER[:5], ["K1", "x", "", "", "瓶"]])
    with pytest.raises(DomainError) as err:
        check(keeper, "items", data, commit=True)
    assert err.value.code == "permission.denied"
    assert not Item.objects.filter(code="K1").exists()


@pytest.mark.parametrize("payload", [b"", b"code,name\nA,B\n", b"PK\x03\x04not really a zip", b"\xd0\xcf\x11\xe0"])
def test_unreadable_files_are_refused(shop, payload):
    with pytest.raises(DomainError) as err:
        read_sheet(payload, ITEM_FIELDS)
    assert err.value.code == "import.unreadable" and err.value.http_status == 400


def test_missing_required_column(shop):
    with pytest.raises(DomainError) as err:
        read_sheet(xlsx([["Item code", "Item name"], ["A", "B"]]), ITEM_FIELDS)
    assert err.value.code == "import.columns_missing" and "Base unit" in err.value.render_message()


def test_other_company_is_untouched(shop):
    from openjxc.catalog import services as catalog

    catalog.create_item(by=shop.admin, code="ONLY1", name="本公司商品", base_unit=shop.pcs)
    other = Shop("OTHER")
    data = xlsx([ITEM_HEADER[:5], ["ONLY1", "同码不同公司", "", "新类", "瓶"]])
    assert check(other.admin, "items", data, commit=True).created == 1  # codes are unique per company
    assert Item.objects.get(company=shop.company, code="ONLY1").name == "本公司商品"
    assert Item.objects.get(company=other.company, code="ONLY1").category.company_id == other.company.pk
    assert not Category.objects.filter(company=shop.company, name="新类").exists()
