"""JXC_SMTP_URL and JXC_BASE_URL are read and validated in config/env.py like every other setting."""

from __future__ import annotations

import pytest

from openjxc.config.env import ConfigError, read_env


def test_smtp_url_parsed(monkeypatch):
    monkeypatch.setenv("JXC_SMTP_URL", "smtp://jxc%40shop.cn:p%40ss@mail.shop.cn:587?starttls=1&from=jxc@shop.cn")
    smtp = read_env(testing=True).smtp
    assert smtp == {"host": "mail.shop.cn", "port": 587, "username": "jxc@shop.cn", "password": "p@ss",
                    "starttls": True, "ssl": False, "from_address": "jxc@shop.cn"}
    monkeypatch.setenv("JXC_SMTP_URL", "smtps://mail.shop.cn")
    smtp = read_env(testing=True).smtp
    assert smtp["port"] == 465 and smtp["ssl"] and not smtp["starttls"]
    monkeypatch.delenv("JXC_SMTP_URL")
    assert read_env(testing=True).smtp is None


@pytest.mark.parametrize("url,words", [
    ("http://mail.shop.cn", "JXC_SMTP_URL must look like"),
    ("smtp://mail.shop.cn:abc", "port"),
    ("smtp://mail.shop.cn?tls=1", "unknown options"),
    ("smtp://mail.shop.cn?starttls=maybe", "starttls"),
    ("smtp://mail.shop.cn?from=nobody", "from="),
])
def test_bad_smtp_url_stops_start_up_naming_the_variable(monkeypatch, url, words):
    monkeypatch.setenv("JXC_SMTP_URL", url)
    with pytest.raises(ConfigError, match=words):
        read_env(testing=True)


def test_base_url(monkeypatch):
    monkeypatch.setenv("JXC_BASE_URL", "https://jxc.shop.cn/")
    assert read_env(testing=True).base_url == "https://jxc.shop.cn"
    monkeypatch.setenv("JXC_BASE_URL", "jxc.shop.cn")
    with pytest.raises(ConfigError, match="JXC_BASE_URL"):
        read_env(testing=True)
