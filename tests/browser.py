"""Debian's Chromium for the browser tests: where it is, how it starts, and the marks a browser test carries.

Never a downloaded browser (`playwright install` cannot reach the internet here): Playwright from PyPI drives
/usr/bin/chromium. In CI a missing Chromium fails the run (tests/e2e/conftest.py); elsewhere the tests skip.
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking")
NEEDS_CHROMIUM = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]


def launch(p, *extra_args: str):
    """Chromium from a `sync_playwright()` context, headless, with `extra_args` (a fake camera, say)."""
    return p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *extra_args])


@pytest.fixture
def browser(monkeypatch):
    """A launched Chromium for a test that also reads the database between page actions: Playwright's sync API
    keeps an event loop in the test's thread, so Django's documented escape hatch is set for the test."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def wait_for(page, expression: str, arg=None, *, timeout: float = 30000, every: float = 100):
    """Wait until `expression` (a JavaScript expression, or a function given `arg`) is truthy in `page`; its value.

    Playwright's `page.wait_for_function` with a string evaluates it with `eval` inside the page, which our
    Content-Security-Policy refuses (no 'unsafe-eval', as in production); `page.evaluate` goes through the
    DevTools protocol and is not subject to the page's policy, so this polls it from the test instead. A
    navigation in between (the page reloading) counts as "not yet"."""
    import time

    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            value = page.evaluate(expression, arg)
        except PlaywrightError as exc:
            if "Execution context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise PlaywrightTimeout(f"Timeout {timeout:.0f}ms exceeded waiting for {expression!r}")
        page.wait_for_timeout(every)


def sign_in(page, live_server, user, password: str = "pw-12345678") -> None:
    """Sign `user` in through the login form (the test shops' users share one password) and land on the home page."""
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", getattr(user, "username", user))
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
