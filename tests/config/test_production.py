"""Safe by default (issue 14 item 3): no DEBUG unless asked for, production settings when asked for or when serving
beyond this machine, `check --deploy` clean, no secret in an error report, API errors always {code, message, data}."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.views.debug import technical_500_response

from openjxc.config.env import read_env, settings_module
from openjxc.core.models import IdempotencyRecord
from tests.api.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
SECRET = "prod-secret-key-" + "k" * 40


def _debug_page() -> str:
    """Django's debug page for an error raised here (its traceback shows this frame only: no secret in it)."""
    request = RequestFactory().get("/anything")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        return technical_500_response(request, *sys.exc_info()).content.decode()


@pytest.fixture
def env(monkeypatch):
    for name in ("JXC_PRODUCTION", "JXC_DEBUG", "SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_debug_is_off_unless_jxc_debug_says_so(env):
    assert read_env().debug is False
    env.setenv("JXC_DEBUG", "1")
    assert read_env().debug is True


@pytest.mark.parametrize(("argv", "production", "expected"), [
    (["serve"], "", "dev"),
    (["serve", "--host", "127.0.0.1"], "", "dev"),
    (["serve", "--host", "0.0.0.0"], "", "prod"),
    (["serve", "--host=192.168.1.20", "--port", "80"], "", "prod"),
    (["migrate"], "1", "prod"),
    (["serve"], "1", "prod"),
    ([], "", "dev"),
])
def test_production_settings_when_asked_or_serving_beyond_this_machine(env, argv, production, expected):
    env.setenv("JXC_PRODUCTION", production)
    assert settings_module(argv) == f"openjxc.config.settings.{expected}"


def test_check_deploy_is_clean_with_jxc_production(tmp_path):
    """The real command, as an operator runs it: JXC_PRODUCTION=1 picks the production settings by itself."""
    environ = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "JXC_TESTING", "JXC_DEBUG"}}
    environ.update(JXC_PRODUCTION="1", SECRET_KEY=SECRET, JXC_ALLOWED_HOSTS="jxc.example.com",
                   JXC_DATA_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                          env=environ, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "System check identified no issues" in proc.stdout
    # and the process really ran with the production settings, DEBUG off
    probe = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                            "from django.conf import settings as s; print(s.SETTINGS_MODULE, s.DEBUG, "
                            "s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"],
                           cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)
    assert probe.stdout.strip().splitlines()[-1].split() == ["openjxc.config.settings.prod", "False", "True", "31536000"], probe.stderr


def test_an_error_report_prints_no_secret(db):
    smtp = {**(settings.JXC_SMTP or {}), "host": "mail.example.com", "password": "smtp-password-4711"}
    huey = {**settings.HUEY, "url": "redis://:redis-password-4711@cache.example.com:6379/0"}
    with override_settings(JXC_SMTP=smtp, HUEY=huey):
        page = _debug_page()
    assert "RuntimeError" in page and "HUEY" in page  # the settings are listed ...
    for secret in (settings.SECRET_KEY, "smtp-password-4711", "redis-password-4711"):
        assert secret not in page  # ... with their secrets hidden


def test_an_api_body_over_the_limit_is_a_json_413_and_stores_nothing(shop):
    api = Api(shop.admin)
    big = '{"code": "L", "name": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '"}'
    r = api.client.post("/api/catalog/units", big, content_type="application/json", headers={"Idempotency-Key": "b1"})
    assert r.status_code == 413 and r["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"code", "message", "data"} and body["code"] == "request.too_large"
    assert body["data"]["limit"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert not IdempotencyRecord.objects.exists()


@override_settings(ROOT_URLCONF="tests.config.boom_urls")
def test_an_unexpected_api_error_is_a_json_500_without_details(shop, caplog):
    api = Api(shop.admin)
    client = Client(raise_request_exception=False, headers=api.client.defaults.get("headers") or {},
                    HTTP_AUTHORIZATION=f"Bearer {api.token}")
    r = client.get("/api/test-boom")
    assert r.status_code == 500 and r["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"code", "message", "data"} and body["code"] == "server.error"
    assert "internal detail" not in r.content.decode()
    assert any("internal detail" in str(rec.exc_info[1]) for rec in caplog.records if rec.exc_info)  # logged
