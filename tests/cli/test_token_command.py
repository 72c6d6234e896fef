"""An integrator's first API token without a browser: `jxc token create` prints it once, the token works on the
real API at once, `jxc token list` shows it (never the secret), `jxc token revoke` stops it; each is audited."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time

import httpx
import pytest
from django.core.management import CommandError, call_command

from openjxc.core import tokens
from openjxc.core.errors import NotFound, PermissionDenied
from openjxc.core.models import ApiToken, AuditRecord, Event, Role
from tests.cli.test_jxc_subprocess import JXC, _free_port, initialized_copy, jxc, jxc_env, own_sqlite


@own_sqlite
def test_jxc_token_create_prints_a_token_the_api_accepts_until_it_is_revoked(initialized, tmp_path):
    tmp_path = initialized_copy(initialized, tmp_path / "data")
    created = jxc(tmp_path, "token", "create", "--user", "admin", "--label", "ERP 对接")
    assert created.returncode == 0, created.stderr
    [raw] = re.findall(r"^\s+(jxc_\S+)$", created.stdout, re.M)
    token_id = int(re.search(r"API token (\d+) for admin \(ERP 对接\)", created.stdout)[1])
    assert "Shown only this once" in created.stdout

    listed = jxc(tmp_path, "token", "list")
    assert listed.returncode == 0 and re.search(rf"^\s*{token_id}\s+admin\s+ERP 对接\s+{raw[:12]}…", listed.stdout, re.M)
    assert raw not in listed.stdout  # the secret is never shown again

    port = _free_port()
    server = subprocess.Popen([JXC, "serve", "--port", str(port)], env=jxc_env(tmp_path),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base, bearer = f"http://127.0.0.1:{port}/api", {"Authorization": f"Bearer {raw}"}
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                me = httpx.get(f"{base}/me", headers=bearer, timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "jxc serve did not answer in time"
                time.sleep(0.3)
        assert me.status_code == 200 and me.json()["username"] == "admin", me.text
        unit = httpx.post(f"{base}/catalog/units", json={"code": "L", "name": "升"}, timeout=10,
                          headers={**bearer, "Idempotency-Key": "first-unit"})
        assert unit.status_code == 201, unit.text  # a write too: no CSRF cookie, no login form

        revoked = jxc(tmp_path, "token", "revoke", str(token_id))
        assert revoked.returncode == 0 and f"API token {token_id} of admin (ERP 对接) revoked" in revoked.stdout
        after = httpx.get(f"{base}/me", headers=bearer, timeout=5)
        assert after.status_code == 401 and after.json()["code"] == "auth.required"
    finally:
        server.terminate()
        server.communicate(timeout=30)

    with sqlite3.connect(tmp_path / "openjxc.sqlite3") as db:
        audit = db.execute("SELECT action, actor_id FROM core_auditrecord WHERE object_type = 'core.apitoken' "
                           "AND object_id = ? ORDER BY id", [str(token_id)]).fetchall()
    assert audit == [("create", None), ("revoke", None)]  # by the console, not by a signed-in user


def test_jxc_token_refuses_an_unknown_user_an_empty_label_and_an_unknown_id(shop):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("token", "create", "--user", "nobody", "--label", "x")
    with pytest.raises(CommandError, match="token.name_invalid"):
        call_command("token", "create", "--user", shop.admin.username, "--label", "  ")
    with pytest.raises(CommandError, match="token.not_found"):
        call_command("token", "revoke", "999")
    assert not ApiToken.objects.exists()


def test_quiet_prints_the_token_alone_for_scripts(shop, capsys):
    call_command("token", "create", "--user", shop.admin.username, "--label", "脚本", "--quiet")
    raw = capsys.readouterr().out.strip()
    assert tokens.user_for_token(raw) == shop.admin


def test_an_inactive_user_gets_no_token(shop):
    clerk = shop.user("clerk", Role.CASHIER)
    clerk.is_active = False
    clerk.save()
    with pytest.raises(CommandError, match="token.user_inactive"):
        call_command("token", "create", "--user", "clerk", "--label", "x")
    assert not ApiToken.objects.exists()


def test_signed_in_people_create_and_revoke_only_their_own_tokens_and_each_is_audited(shop):
    keeper, seller = shop.user("keeper", Role.KEEPER), shop.user("seller", Role.SALESPERSON)
    token, _raw = tokens.create_token(by=keeper, name="扫码枪")
    audit = AuditRecord.objects.get(object_type="core.apitoken", object_id=str(token.pk))
    assert audit.actor == keeper and audit.action == "create" and audit.after["user"] == "keeper"
    assert Event.objects.filter(topic="token.created", object_id=str(token.pk)).exists()
    with pytest.raises(PermissionDenied):
        tokens.create_token(by=shop.admin, user=keeper, name="x")
    with pytest.raises(NotFound):  # someone else's token is not even there
        tokens.revoke_token(by=seller, token_id=token.pk)
    tokens.revoke_token(by=keeper, token_id=token.pk)
    assert Event.objects.filter(topic="token.revoked", object_id=str(token.pk)).count() == 1
    tokens.revoke_token(by=keeper, token_id=token.pk)  # again: nothing more happens
    assert AuditRecord.objects.filter(object_type="core.apitoken", action="revoke").count() == 1
