"""/api/docs is Swagger UI from our own static files: it renders every operation with no request leaving this
server (a closed intranet), and the OpenAPI schema behind it is built once per process."""

from __future__ import annotations

from urllib.parse import urlparse

from django.test import Client

from openjxc.config.api import api as ninja_api
from tests.browser import NEEDS_CHROMIUM, launch


def needs_chromium(test):
    for mark in NEEDS_CHROMIUM:
        test = mark(test)
    return test


@needs_chromium
def test_api_docs_render_every_operation_from_this_server_only(live_server):
    from playwright.sync_api import sync_playwright

    here = urlparse(live_server.url).hostname  # the test server, on the loopback interface
    assert here in ("127.0.0.1", "localhost")
    schema = ninja_api.get_openapi_schema()
    expected = {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}
    hosts, refused = set(), []
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(locale="zh-CN")

        def only_this_server(route):  # the intranet: anything else is unreachable
            host = urlparse(route.request.url).hostname
            hosts.add(host)
            if host == here:
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort("internetdisconnected")

        context.route("**/*", only_this_server)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server.url}/api/docs")
        page.wait_for_selector(".opblock", timeout=30000)
        # Swagger UI renders what is near the viewport: scroll down the page and collect every operation shown
        shown = set()
        for _step in range(1000):
            shown |= {tuple(op) for op in page.evaluate(
                "[...document.querySelectorAll('.opblock')].map(e => [e.querySelector('.opblock-summary-method')"
                ".textContent, e.querySelector('.opblock-summary-path').dataset.path])")}
            if page.evaluate("scrollY + innerHeight >= document.documentElement.scrollHeight - 2"):
                break
            page.mouse.wheel(0, 600)
            page.wait_for_timeout(50)
        page.evaluate("scrollTo(0, 0)")
        title = page.inner_text(".info .title")
        # an operation opens with its parameters and the "Try it out" button
        page.locator(".opblock-get .opblock-summary").first.click()
        page.wait_for_selector(".try-out__btn")
        html = page.content()
        browser.close()

    assert refused == [] and hosts == {here}, refused
    assert errors == []
    assert "OpenJXC API" in title
    assert shown == expected and len(expected) > 100
    assert "swagger-ui-bundle.js" in html and "cdn." not in html


def test_api_docs_page_has_no_inline_script_and_no_cdn(db):
    """Under a Content-Security-Policy without 'unsafe-inline' the page still starts: every script is a file."""
    html = Client().get("/api/docs").content.decode()
    assert '/static/vendor/swagger-ui/swagger-ui-bundle.js' in html and "/static/web/api-docs.js" in html
    assert "<script>" not in html and "<script type" not in html
    assert "http://" not in html and "https://" not in html


def test_openapi_schema_is_built_once_per_process(db):
    first = Client().get("/api/openapi.json")
    assert first.status_code == 200
    schema = ninja_api.get_openapi_schema()
    assert ninja_api.get_openapi_schema() is schema  # built once, then reused
    again = Client().get("/api/openapi.json")
    assert again.content == first.content
    assert again.json()["paths"].keys() == schema["paths"].keys()
