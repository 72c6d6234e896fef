"""The browser till's server side: the page shell (no sign-in), the web app manifest, the service worker
that precaches exactly the files the page loads, and the sidebar entry for cashiers."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders

from openjxc.partners import services as partners
from openjxc.sync import pos, terminals

pytestmark = pytest.mark.django_db


def _sw_config(body: str) -> dict:
    m = re.search(r"const CONFIG = (\{.*?\});\n", body)
    assert m, body[:400]
    return json.loads(m.group(1))


def test_the_page_needs_no_sign_in_and_names_only_precached_files(client):
    r = client.get("/pos/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200
    page = r.content.decode()
    assert "收银台" in page and "注册此设备" in page
    texts = json.loads(re.search(r'<script id="pos-texts" type="application/json">(.*?)</script>', page, re.S)[1])
    assert "未知条码" in texts["unknown_barcode"]
    config = _sw_config(client.get("/pos/sw.js").content.decode())
    loaded = set(re.findall(r'(?:href|src)="(/[^"]+)"', page))
    assert loaded <= set(config["precache"]), loaded - set(config["precache"])
    assert "/pos/" in config["precache"] and "/pos/manifest.webmanifest" in config["precache"]


def test_service_worker_is_served_from_its_scope_uncached_and_every_precached_url_answers(client):
    r = client.get("/pos/sw.js")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/javascript")
    assert "no-cache" in r["Cache-Control"] and r["Service-Worker-Allowed"] == "/pos/"
    config = _sw_config(r.content.decode())
    assert re.fullmatch(r"[0-9a-f]{16}", config["version"]) and config["page"] == "/pos/"
    for url in config["precache"]:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
        else:
            assert client.get(url).status_code == 200, url


def test_the_version_changes_when_a_file_of_the_till_changes(tmp_path, settings):
    before = pos.precache_version()
    changed = tmp_path / "sync"
    changed.mkdir()
    real = finders.find("sync/pos.js")
    (changed / "pos.js").write_text(open(real, encoding="utf-8").read() + "\n// changed\n", encoding="utf-8")
    settings.STATICFILES_DIRS = [str(tmp_path), *settings.STATICFILES_DIRS]
    finders.get_finder.cache_clear()
    try:
        assert finders.find("sync/pos.js") == str(changed / "pos.js")
        assert pos.precache_version() != before
    finally:
        finders.get_finder.cache_clear()


def test_manifest_installs_a_standalone_app_scoped_to_the_till(client):
    r = client.get("/pos/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200 and r["Content-Type"] == "application/manifest+json"
    data = r.json()
    assert data["scope"] == data["start_url"] == "/pos/" and data["display"] == "standalone"
    sizes = {i["sizes"] for i in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        with open(path, "rb") as fh:
            head = fh.read(24)
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        assert f"{w}x{h}" == icon["sizes"]


def test_registering_answers_the_names_the_receipt_prints(client, shop):
    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer")
    _rc, code = terminals.create_registration_code(by=shop.admin, kind="pos", warehouse=shop.store, customer=walk_in)
    r = client.post("/api/sync/register", {"registration_code": code, "code": "POS9", "name": "九号"},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["company_name"] == shop.company.name and body["warehouse_name"] == "人民路门店"
    assert body["token"].startswith("jxt_")


def test_a_device_registers_with_the_one_time_code_alone_and_gets_the_next_free_till_code(client, shop):
    walk_in = partners.create_partner(by=shop.admin, code="C000", name="门店散客", kind="customer")
    terminals.register_terminal(by=shop.admin, code="POS2", name="", kind="pos", warehouse=shop.store,
                                customer=walk_in)
    answered = []
    for _n in range(3):
        _rc, code = terminals.create_registration_code(by=shop.admin, kind="pos", warehouse=shop.store,
                                                       customer=walk_in)
        r = client.post("/api/sync/register", {"registration_code": code}, content_type="application/json")
        assert r.status_code == 201, r.content
        answered.append((r.json()["code"], r.json()["name"]))
    assert answered == [("POS1", "POS1"), ("POS3", "POS3"), ("POS4", "POS4")]  # POS2 was taken


def test_the_sidebar_offers_the_till_to_cashiers_not_to_keepers(client, shop):
    client.force_login(shop.user("cashier1", "cashier"))
    assert 'href="/pos/"' in client.get("/").content.decode()
    client.force_login(shop.user("keeper1", "keeper"))
    assert 'href="/pos/"' not in client.get("/").content.decode()
