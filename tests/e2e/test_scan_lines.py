"""Scanning into a document's lines in a real browser (keyboard-wedge scanner = typed code + Enter), on a phone
viewport in Chinese: a scan adds a line, a second scan of the same item adds one to it, a GS1 scan fills lot and
expiry, an unknown barcode says so in red; a scanned row names its item (name · code · unit); the saved draft has
exactly those lines and posts through the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from tests.browser import NEEDS_CHROMIUM, launch, sign_in
from tests.conftest import Shop, assert_ledger_consistent

playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
pytestmark = NEEDS_CHROMIUM


def scan(page, code):
    page.fill(".scan-input", code)
    page.press(".scan-input", "Enter")


def test_receiving_by_scanning_on_a_phone(live_server, wipeable_ledger):
    shop = Shop()
    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 360, "height": 760})
        sign_in(page, live_server, shop.admin)

        page.goto(f"{live_server.url}/documents/new/?kind=purchase_receipt")
        page.select_option("select[name=warehouse]", str(shop.main.pk))
        page.select_option("select[name=partner]", str(shop.supplier.pk))

        scan(page, "6901234567892")  # 面粉
        expect(page.locator(".scan-status")).to_contain_text("面粉")
        assert "已添加" in page.inner_text(".scan-status")
        scan(page, "6901234567892")
        expect(page.locator(".scan-status")).to_contain_text("2")
        rows = page.query_selector_all(".line-row")
        assert rows[0].query_selector("input[name=line_item]").input_value() == "F001"
        assert rows[0].query_selector("input[name=line_qty]").input_value() == "2"
        # the row names the item, not just its code: name · code · unit
        expect(page.locator(".line-row .line-name").first).to_contain_text("千克")
        assert rows[0].query_selector(".line-name").inner_text() == "面粉 · F001 · 千克"

        scan(page, "0000000000000")  # nobody's barcode
        page.wait_for_selector(".scan-status.bad")
        assert "0000000000000" in page.inner_text(".scan-status")

        scan(page, "01069300000000161727123110L-88")  # GS1: GTIN of 鲜牛奶, expiry 2027-12-31, lot L-88 (last)
        expect(page.locator(".scan-status")).to_contain_text("鲜牛奶")
        milk = page.query_selector_all(".line-row")[1]
        assert milk.query_selector("input[name=line_item]").input_value() == "M001"
        assert milk.query_selector("input[name=line_lot]").input_value() == "L-88"
        assert milk.query_selector("input[name=line_expires]").input_value() == "2027-12-31"
        expect(page.locator(".line-row .line-name").nth(1)).to_contain_text("瓶")
        assert milk.query_selector(".line-name").inner_text() == "鲜牛奶 · M001 · 瓶"
        assert page.query_selector_all(".line-row")[2].query_selector(".line-name").inner_text() == ""
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone

        page.click("button[type=submit]:text-is('保存草稿')")
        page.wait_for_url(lambda url: "/documents/new/" not in url)
        browser.close()

    doc = Document.objects.get(kind="purchase_receipt")
    lines = sorted((ln.item.code, ln.quantity, ln.lot_code, ln.expires_on) for ln in doc.lines.all())
    assert lines == [("F001", Decimal("2"), "", None), ("M001", Decimal("1"), "L-88", dt.date(2027, 12, 31))]
    doc = docs.advance_document(doc, by=shop.admin, to="posted")
    assert doc.status == Status.POSTED
    assert_ledger_consistent()


# ---------------------------------------------------------------- the camera


def ean13_y4m(path, code: str, frames: int = 20) -> None:
    """A Y4M video (640x480, 10 fps, 4:2:0) of an EAN-13 barcode printed on white paper: what a phone camera
    held over a carton sees. Drawn with python-barcode + Pillow; grey only, so the chroma planes are flat."""
    import io

    from barcode import EAN13
    from barcode.writer import ImageWriter
    from PIL import Image

    buf = io.BytesIO()
    EAN13(code[:12], writer=ImageWriter()).write(buf, {"module_width": 0.5, "module_height": 30, "quiet_zone": 8,
                                                       "font_size": 10, "dpi": 200})
    label = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    label.thumbnail((560, 400))
    frame = Image.new("L", (640, 480), 235)  # a light carton
    frame.paste(label, ((640 - label.width) // 2, (480 - label.height) // 2))
    y = frame.tobytes()
    uv = bytes([128]) * (320 * 240)
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + y + uv + uv)


def test_scanning_with_the_camera_uses_the_polyfill_from_our_own_static_files(live_server, wipeable_ledger,
                                                                                tmp_path):
    """Chromium on Linux has no BarcodeDetector of its own: pressing 摄像头 loads the zxing-wasm polyfill and its
    .wasm from our static URL (no other host is asked), reads the EAN-13 of 面粉 from the (fake) camera, and the
    line appears on the draft's scanning page; the saved draft has it."""
    shop = Shop()
    doc = docs.create_document(by=shop.admin, kind="purchase_receipt", warehouse=shop.main, partner=shop.supplier,
                               lines=[docs.LineInput(item=shop.water.pk, quantity=Decimal("5"), unit_price="1.2")])
    video = tmp_path / "flour.y4m"
    ean13_y4m(video, "6901234567892")  # 面粉's barcode
    with playwright.sync_playwright() as p:
        browser = launch(p, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                         f"--use-file-for-fake-video-capture={video}")
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                viewport={"width": 360, "height": 760})
        requested = []
        page.on("request", lambda r: requested.append(r.url))
        sign_in(page, live_server, shop.admin)

        page.goto(f"{live_server.url}/documents/{doc.pk}/lines/?scan=1")
        assert page.evaluate("'BarcodeDetector' in window") is False  # the case the polyfill is for
        page.click("[data-scan-box] [data-camera]")
        expect(page.locator(".scan-status")).to_contain_text("面粉", timeout=30_000)
        assert page.get_attribute("[data-scan-box]", "data-detector") == "polyfill"
        flour = [r for r in page.query_selector_all(".line-row")
                 if r.query_selector("input[name=line_item]").input_value() == "F001"]
        assert len(flour) == 1 and float(flour[0].query_selector("input[name=line_qty]").input_value()) >= 1
        page.click("[data-scan-box] [data-camera]")  # camera off: the count stops
        expect(page.locator(".scan-status")).to_contain_text("摄像头已关闭")
        counted = flour[0].query_selector("input[name=line_qty]").input_value()
        assert flour[0].query_selector(".line-name").inner_text().startswith("面粉 · F001")

        page.click("form.form button.btn-primary[type=submit]")
        page.wait_for_url(f"{live_server.url}/documents/{doc.pk}/")
        browser.close()

    wasm = [u for u in requested if u.endswith(".wasm")]
    assert wasm == [f"{live_server.url}/static/vendor/zxing-wasm/zxing_reader.wasm"]
    assert all(u.startswith(live_server.url) or u.startswith(("data:", "blob:")) for u in requested), requested
    lines = {ln.item.code: ln.quantity for ln in doc.lines.all()}
    assert lines == {"F001": Decimal(counted)}  # water scanned to zero this time: not received
