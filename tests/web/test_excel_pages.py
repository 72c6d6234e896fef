"""Excel through the web pages and the API: import page, jobs page, export buttons, batch print, round trip."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from openjxc.catalog.models import Item
from openjxc.core import services as core
from openjxc.core.models import Role
from openjxc.core.tokens import create_token
from openjxc.documents.models import Document
from openjxc.web.excel import XLSX_TYPE
from openjxc.web.models import Job
from tests.conftest import Shop, assert_ledger_consistent
from tests.web.test_excel_import import ITEM_HEADER, OPENING_HEADER, xlsx

D = Decimal
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def upload(data: bytes, name="items.xlsx"):
    return SimpleUploadedFile(name, data, content_type=XLSX_TYPE)


def sheet_rows(content: bytes) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True)]


def test_import_page_check_lists_bad_rows_then_clean_file_imports(client, shop, django_capture_on_commit_callbacks):
    client.force_login(shop.admin)
    page = client.get(reverse("web:import"), **ZH).content.decode()
    assert "从 Excel 导入" in page and reverse("web:import_template", args=["items"]) in page
    template = client.get(reverse("web:import_template", args=["items"]), **ZH)
    assert template["Content-Type"] == XLSX_TYPE and sheet_rows(template.content)[0][0] == "商品编码 *"

    bad = xlsx([["商品编码", "商品名称", "基本单位", "销售价"], ["N1", "好的", "瓶", 2], ["N2", "坏的", "瓶", "两元"],
                ["F001", "重复", "瓶", 1]])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("web:import"), {"target": "items", "file": upload(bad)}, **ZH)
    job = Job.objects.get(user=shop.admin)
    assert r.status_code == 302 and r["Location"] == reverse("web:job", args=[job.pk])
    assert job.status == "failed" and [e["row"] for e in job.errors] == [3, 4]
    shown = client.get(r["Location"], **ZH).content.decode()
    assert "销售价 不是有效数字" in shown and "F001" in shown and "data-confirm-import" not in shown
    assert not Item.objects.filter(code="N1").exists()

    good = xlsx([["Item code", "Item name", "Base unit", "Sale price"], ["N1", "好的", "瓶", 2], ["N2", "也好", "瓶", 3]])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("web:import"), {"target": "items", "file": upload(good)}, **ZH)
    check = Job.objects.filter(user=shop.admin).latest("pk")
    assert check.status == "done" and check.errors == [] and check.kind == "import_check"
    assert not Item.objects.filter(code="N1").exists()  # a check never keeps anything
    assert "data-confirm-import" in client.get(r["Location"], **ZH).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("web:job_confirm", args=[check.pk]), **ZH)
    done = Job.objects.filter(user=shop.admin).latest("pk")
    assert done.kind == "import" and done.status == "done" and done.done == done.total == 2
    assert Item.objects.get(company=shop.company, code="N2").sale_price == D("3")
    # the htmx poll gets only the fragment
    fragment = client.get(reverse("web:job", args=[done.pk]), HTTP_HX_REQUEST="true", **ZH).content.decode()
    assert fragment.lstrip().startswith("<div id=\"job\"") or 'id="job"' in fragment.split("\n")[1]
    assert "hx-trigger" not in fragment  # finished: no more polling
    jobs_page = client.get(reverse("web:jobs"), **ZH).content.decode()
    assert "items.xlsx" in jobs_page and "已完成" in jobs_page


def test_import_page_refuses_a_file_that_is_not_xlsx(client, shop):
    client.force_login(shop.admin)
    r = client.post(reverse("web:import"), {"target": "items", "file": upload(b"code,name\n1,2\n", "items.csv")})
    assert r.status_code == 200 and "data-import-error" in r.content.decode() and ".xlsx" in r.content.decode()
    assert not Job.objects.exists()


def test_who_may_import_what(client, shop, django_capture_on_commit_callbacks):
    client.force_login(shop.user("keeper-x", Role.KEEPER))  # may neither edit master data nor approve
    assert client.get(reverse("web:import")).context["choices"] == []
    client.force_login(shop.user("buyer-x", Role.PURCHASER))
    assert [c["name"] for c in client.get(reverse("web:import")).context["choices"]] == ["items", "partners"]
    r = client.post(reverse("web:import"), {"target": "opening", "file": upload(xlsx([OPENING_HEADER]))})
    assert "data-import-error" in r.content.decode() and not Job.objects.exists()
    keeper = shop.user("manager-x", Role.MANAGER)
    client.force_login(keeper)
    data = xlsx([OPENING_HEADER, ["WH1", "", "F001", "", "", None, None, 40, "5.5"]])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("web:import"), {"target": "opening", "file": upload(data)})
    check = Job.objects.get(pk=int(r["Location"].rstrip("/").split("/")[-1]))
    assert check.status == "done", check.errors
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("web:job_confirm", args=[check.pk]))
    assert Document.objects.get(company=shop.company, kind="opening").status == "posted"
    assert_ledger_consistent()
    # someone else's job is not found
    other = Client()
    other.force_login(shop.admin)
    assert other.get(reverse("web:job", args=[check.pk])).status_code == 404


def test_every_list_exports_with_its_filters(client, shop):
    shop.receive(shop.flour, 10, "5")
    shop.receive(shop.water, 24, "1.2", warehouse=shop.second)
    shop.sell(shop.flour, 3)
    client.force_login(shop.admin)

    docs = sheet_rows(client.get(reverse("web:documents"), {"kind": "purchase_receipt", "export": "xlsx"}).content)
    assert docs[0][:3] == ["Number", "Kind", "Status"] and len(docs) == 3
    assert {r[1] for r in docs[1:]} == {"Purchase receipt"}
    balances = sheet_rows(client.get(reverse("web:balances"), {"warehouse": shop.second.pk, "export": "xlsx"}).content)
    assert balances[1:] == [["W001", "矿泉水", "二号仓", "WH2-01", None, None, 24, "瓶", 28.8]]
    card = sheet_rows(client.get(reverse("web:item_card", args=[shop.flour.pk]), {"export": "xlsx"}).content)
    assert [r[5] for r in card[1:]] == [-3, 10] and card[1][6] == 7
    items = sheet_rows(client.get(reverse("web:items"), {"q": "牛奶", "export": "xlsx"}).content)
    assert [r[0] for r in items[1:]] == ["M001"]
    partners = sheet_rows(client.get(reverse("web:partners"), {"export": "xlsx"}, **ZH).content)
    assert partners[0][0] == "往来单位编码" and {r[0] for r in partners[1:]} == {"S001", "C001"}
    whs = sheet_rows(client.get(reverse("web:warehouses"), {"export": "xlsx"}).content)
    assert {r[4] for r in whs[1:]} == {"WH1-01", "WH2-01", "ST1-01"}
    page = client.get(reverse("web:items")).content.decode()
    assert "export=xlsx" in page
    # a user without stock.cost gets no value columns
    sales = shop.user("sales-1", Role.SALESPERSON)
    client.force_login(sales)
    rows = sheet_rows(client.get(reverse("web:balances"), {"export": "xlsx"}).content)
    assert "Value" not in rows[0] and len(rows[1]) == 8


def test_export_reimports_into_another_company(client, shop):
    from openjxc.catalog import services as catalog

    catalog.update_item(shop.water, by=shop.admin, spec="550ml", tax_rate=D("0.09"))
    client.force_login(shop.admin)
    exported = client.get(reverse("web:items"), {"export": "xlsx"}, **ZH).content
    partners = client.get(reverse("web:partners"), {"export": "xlsx"}).content

    other = core.create_company(code="NEW", name="新公司")
    admin = core.create_user(by=None, company=other, username="new-admin", password="pw-12345678", roles=[Role.ADMIN])
    from tests.web.test_excel_import import check

    assert check(admin, "items", exported, commit=True).errors == []
    assert check(admin, "partners", partners, commit=True).errors == []

    def snapshot(company):
        out = {}
        for i in Item.objects.filter(company=company).select_related("category", "base_unit"):
            out[i.code] = (i.name, i.spec, i.category.name if i.category else None, i.base_unit.name, i.tracking,
                           i.shelf_life_days, i.purchase_price, i.sale_price, i.tax_rate, i.is_active,
                           sorted(b.code for b in i.barcodes.all()),
                           sorted((u.unit.name, u.factor) for u in i.units.all()))
        return out

    assert snapshot(other) == snapshot(shop.company) and len(snapshot(other)) == 3
    from openjxc.partners.models import Partner

    def partners_of(company):
        return {p.code: (p.name, p.kind, p.credit_limit, p.is_active) for p in Partner.objects.filter(company=company)}

    assert partners_of(other) == partners_of(shop.company)


def test_batch_print_of_the_listed_documents(client, shop, django_capture_on_commit_callbacks):
    for n in range(3):
        shop.receive(shop.flour, 5 + n, "5")
    client.force_login(shop.admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.get(reverse("web:documents"), {"kind": "purchase_receipt", "print": "pdf"}, **ZH)
    job = Job.objects.get(kind="print")
    assert r["Location"] == reverse("web:job", args=[job.pk]) and job.status == "done" and job.total == 3
    pdf = client.get(reverse("web:job_download", args=[job.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages)
    numbers = Document.objects.filter(kind="purchase_receipt").values_list("number", flat=True)
    assert all(n in text for n in numbers) and "面粉" in text


class Api:
    def __init__(self, user):
        _t, token = create_token(by=user, name="excel-tests")
        self.client = Client(headers={"Authorization": f"Bearer {token}"})

    def upload(self, path, data, name="f.xlsx"):
        return self.client.post(f"/api{path}", {"file": SimpleUploadedFile(name, data)})


def test_api_template_check_import_export_and_status(shop, django_capture_on_commit_callbacks):
    api = Api(shop.admin)
    t = api.client.get("/api/excel/templates/partners")
    assert t.status_code == 200 and sheet_rows(t.content)[0][0] == "Partner code *"

    r = api.upload("/excel/imports/items/check", b"not a workbook", "items.xls")
    assert r.status_code == 400 and r.json()["code"] == "import.unreadable"
    r = api.upload("/excel/imports/items/check", b"")
    assert r.status_code == 400 and r.json()["code"] == "import.unreadable"

    bad = xlsx([ITEM_HEADER[:5], ["A1", "一", "", "", "瓶"], ["A1", "二", "", "", "瓶"], ["A3", "", "", "", "瓶"]])
    with django_capture_on_commit_callbacks(execute=True):
        r = api.upload("/excel/imports/items", bad)
    assert r.status_code == 202
    job = api.client.get(f"/api/excel/jobs/{r.json()['id']}").json()
    assert job["status"] == "failed" and [(e["row"], e["column"]) for e in job["errors"]] == [
        (3, "Item code"), (4, "Item name")]
    assert not Item.objects.filter(code="A1").exists()

    good = xlsx([ITEM_HEADER[:5], ["A1", "一", "", "", "瓶"], ["A2", "二", "", "", "瓶"]])
    with django_capture_on_commit_callbacks(execute=True):
        r = api.upload("/excel/imports/items", good)
    assert api.client.get(f"/api/excel/jobs/{r.json()['id']}").json()["status"] == "done"
    assert Item.objects.filter(company=shop.company, code__in=["A1", "A2"]).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        r = api.client.post("/api/excel/exports/items")
    job = api.client.get(f"/api/excel/jobs/{r.json()['id']}").json()
    assert job["status"] == "done" and job["done"] == job["total"] == 5 and job["result_url"]
    result = api.client.get(job["result_url"])
    assert sorted(r[0] for r in sheet_rows(b"".join(result.streaming_content))[1:]) == [
        "A1", "A2", "F001", "M001", "W001"]

    with django_capture_on_commit_callbacks(execute=True):
        r = api.client.post("/api/excel/prints", {"documents": []}, content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "print.nothing"

    other = Shop("OTH")
    assert Api(other.admin).client.get(f"/api/excel/jobs/{job['id']}").status_code == 404
    assert api.client.get("/api/excel/templates/nonsense").status_code == 422


def test_a_big_list_export_becomes_a_job_with_the_same_columns(rf, shop, django_capture_on_commit_callbacks):
    from openjxc.catalog.exports import ITEMS_EXPORT
    from openjxc.web.excel import ListExport, export_list

    spec = ListExport("test-big-items", ITEMS_EXPORT.title, ITEMS_EXPORT.columns, inline_limit=2,
                      prepare=ITEMS_EXPORT.prepare)
    request = rf.get("/masterdata/items/", {"export": "xlsx"})
    request.user = shop.admin
    with django_capture_on_commit_callbacks(execute=True):
        r = export_list(request, spec, Item.objects.filter(company=shop.company).order_by("code"))
    job = Job.objects.get(kind="export")
    assert r.status_code == 302 and r["Location"] == reverse("web:job", args=[job.pk])
    assert (job.status, job.done, job.total, job.target) == ("done", 3, 3, "test-big-items")
    from openjxc.web import jobs

    rows = sheet_rows(jobs.result_path(job).read_bytes())
    assert [r[0] for r in rows[1:]] == ["F001", "M001", "W001"]
    assert rows[3][5] == "箱=12" and rows[3][6] == "6920000000017"  # prefetched units and barcodes


def test_api_refuses_junk_with_4xx(shop):
    api = Api(shop.admin)
    answers = [
        api.client.post("/api/excel/imports/items/check", {"nofile": "x"}),
        api.client.post("/api/excel/imports/items", b"\x00\x01", content_type="application/octet-stream"),
        api.client.post("/api/excel/imports/items", {"x": 1}, content_type="application/json"),
        api.upload("/excel/imports/customers", b"PK"),
        api.upload("/excel/imports/opening/check", b"PK\x03\x04" + b"\x00" * 100),
        api.client.get("/api/excel/jobs/0"),
        api.client.get("/api/excel/jobs/99999999"),
        api.client.get("/api/excel/jobs/99999999/result"),
        api.client.post("/api/excel/jobs/99999999/confirm"),
        api.client.post("/api/excel/exports/everything"),
        api.client.post("/api/excel/exports/documents?warehouse=0"),
        api.client.post("/api/excel/prints", {"documents": [0, -1, 10**30]}, content_type="application/json"),
        api.client.post("/api/excel/prints", {"documents": [1], "paper": "a3"}, content_type="application/json"),
    ]
    assert all(400 <= r.status_code < 500 for r in answers), [(r.status_code, r.content[:200]) for r in answers]
    assert all("code" in r.json() for r in answers if r["Content-Type"].startswith("application/json"))
    assert not Job.objects.exists()
