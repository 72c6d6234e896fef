"""The jxc management commands, called in-process with call_command (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D
from pathlib import Path

import biip
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from openjxc.catalog.models import Barcode, Item, ItemUnit
from openjxc.core import clock
from openjxc.core.models import Company, Event, Role, User
from openjxc.core.tasks import check_ledgers, nightly_ledger_check
from openjxc.documents import services as docs
from openjxc.documents.models import Document, Status
from openjxc.finance.models import Settlement
from openjxc.stock.models import Lot, StockBalance, StockMove, Warehouse, WarehouseKind
from openjxc.sync.models import TillClosing
from tests.conftest import assert_ledger_consistent


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out, **options)
    return out.getvalue()


@pytest.fixture
def no_collectstatic(settings):
    # whitenoise reads the finders directly: init must not copy the npm assets for these tests
    settings.WHITENOISE_USE_FINDERS = True


# ---------------------------------------------------------------- init


def test_init_creates_company_and_admin_once(db, no_collectstatic, monkeypatch):
    monkeypatch.delenv("JXC_ADMIN_PASSWORD", raising=False)
    first = run("init")
    company = Company.objects.get(code="MAIN")
    assert company.name == "我的公司"
    admin = User.objects.get(username="admin")
    assert admin.company == company and admin.roles == [Role.ADMIN]
    assert admin.check_password("admin12345")
    assert "admin12345" in first and "WARNING" in first and "Change it" in first

    events = Event.objects.count()
    second = run("init")
    assert "Nothing to do" in second
    assert Company.objects.count() == 1 and User.objects.count() == 1
    assert Event.objects.count() == events


def test_init_takes_options_and_the_password_from_the_environment(db, no_collectstatic, monkeypatch):
    monkeypatch.setenv("JXC_ADMIN_PASSWORD", "Zq7-very-private")
    out = run("init", company_code="HQ", company_name="总部", username="boss")
    boss = User.objects.get(username="boss")
    assert boss.company.code == "HQ" and boss.company.name == "总部"
    assert boss.check_password("Zq7-very-private")
    assert "Zq7-very-private" not in out


def test_init_refuses_a_weak_password(db, no_collectstatic):
    with pytest.raises(CommandError, match="too weak"):
        run("init", password="123")
    assert not Company.objects.exists()


# ---------------------------------------------------------------- demo


def test_demo_builds_a_consistent_company_through_the_services(db):
    out = run("demo", items=30, days=10, no_progress=True)
    company = Company.objects.get(code="DEMO")
    today = clock.today(company.time_zone)

    # master data: 30 items in a category tree, EAN-13 barcodes with valid check digits, cartons
    items = Item.objects.filter(company=company)
    assert items.count() == 30
    assert items.filter(category__parent__isnull=False).count() == 30
    for bc in Barcode.objects.filter(company=company):
        assert biip.parse(bc.code).gtin is not None, bc.code
    assert Barcode.objects.filter(company=company, unit__name="箱").exists()
    assert ItemUnit.objects.filter(item__company=company, unit__name="箱", factor=12).exists()
    assert items.filter(tracking="lot_expiry", shelf_life_days__gt=0).exists()
    assert Lot.objects.filter(company=company, expires_on__isnull=False).exists()
    kinds = set(Warehouse.objects.filter(company=company).values_list("kind", flat=True))
    assert kinds == {WarehouseKind.WAREHOUSE, WarehouseKind.STORE, WarehouseKind.TRANSIT}

    # one user per role; the cashier works only in the store
    roles = {r for u in User.objects.filter(company=company) for r in u.roles}
    assert roles == {r.value for r in Role}
    cashier = User.objects.get(username="demo-cashier")
    assert [w.kind for w in cashier.warehouses.all()] == [WarehouseKind.STORE]
    assert cashier.check_password("demo12345")

    # history: every kind of document, dated over the period, one voided, a few left open
    documents = Document.objects.filter(company=company)
    assert {"opening", "purchase_receipt", "sales_delivery", "sales_return", "transfer_out", "transfer_in",
            "write_off", "gain"} <= set(documents.values_list("kind", flat=True))
    days = sorted(set(documents.values_list("business_on", flat=True)))
    assert days[0] == today - dt.timedelta(days=10) and days[-1] == today and len(days) == 11
    assert documents.filter(status=Status.VOIDED).count() == 1
    assert StockMove.objects.filter(company=company, reverses__isnull=False).exists()
    assert documents.filter(status=Status.SUBMITTED).exists() and documents.filter(status=Status.DRAFT).exists()
    # the store sells through its registered till, paid at the till (each sale's receipt comes with it, so the
    # walk-in customer owes nothing); the cashier closes the till every day
    assert documents.filter(kind="sales_delivery", warehouse__kind=WarehouseKind.STORE,
                            custom__terminal="POS-01").exists()
    assert Settlement.objects.filter(company=company, partner__code="C000", document__isnull=False).exists()
    assert TillClosing.objects.filter(company=company, cashier=cashier).exists()
    # through the services: every posting wrote its outbox event
    posted = documents.filter(status__in=[Status.POSTED, Status.VOIDED, Status.CLOSED]).count()
    assert Event.objects.filter(company=company, topic="document.post").count() == posted

    assert "ledger OK" in out and "demo-manager" in out and "demo12345" in out
    # the second till's registration code: printed, and the one the README tells people to type
    assert "DEMO-POS-0002" in out and "`DEMO-POS-0002`" in (Path(__file__).parents[2] / "README.md").read_text()
    assert_ledger_consistent(company.pk)

    # a Chinese company: its approval flows, their steps and its alert rules are named in Chinese
    from openjxc.alerts.rule_models import AlertRule
    from openjxc.workflow.models import FlowVersion

    steps = [s["name"] for v in FlowVersion.objects.filter(flow__company=company) for s in v.steps]
    assert "仓库主管审核" in steps, steps
    assert AlertRule.objects.filter(company=company, kind="low_stock").get().name == "库存不足"

    # a second run changes nothing
    n_docs, n_moves = documents.count(), StockMove.objects.count()
    assert "already exists" in run("demo", items=30, days=10, no_progress=True)
    assert (Document.objects.count(), StockMove.objects.count()) == (n_docs, n_moves)


def test_demo_is_deterministic(db):
    run("demo", items=15, days=8, no_progress=True, company_code="DA")
    run("demo", items=15, days=8, no_progress=True, company_code="DB")

    def books(code):
        return list(
            Document.objects.filter(company__code=code)
            .order_by("number")
            .values_list("number", "kind", "status", "business_on", "total_quantity", "total_amount")
        )

    assert books("DA") == books("DB")
    assert len(books("DA")) > 20


# ---------------------------------------------------------------- check-ledger and the nightly task


def test_check_ledger_passes_then_names_a_corrupted_balance(shop):
    shop.receive(shop.water, 24, "1.20")
    shop.sell(shop.water, 5)
    out = run("check_ledger")
    assert f"ledger OK: {StockMove.objects.count()} moves, {StockBalance.objects.count()} balances checked" in out
    assert "ledger OK" in run("check_ledger", company="ACME")

    # someone edits a balance behind the ledger's back
    with connection.cursor() as cur:
        cur.execute("UPDATE stock_stockbalance SET quantity = quantity + 3 WHERE item_id = %s", [shop.water.pk])
    out = io.StringIO()
    with pytest.raises(CommandError, match="ledger FAILED") as failed:
        call_command("check_ledger", stdout=out)
    assert failed.value.returncode == 1
    text = out.getvalue()
    assert "[balance.mismatch]" in text and "W001 矿泉水" in text and "总仓" in text
    assert "[valuation.mismatch]" in text


def test_check_ledger_replays_since_the_last_check_and_everything_with_full(shop):
    from openjxc.stock.models import LedgerCheckpoint

    shop.receive(shop.water, 24, "1.20")
    err = io.StringIO()
    call_command("check_ledger", "--progress", stdout=io.StringIO(), stderr=err)  # the first: the whole history
    assert "replayed 1 moves of 1 (item, warehouse) pairs (full)" in err.getvalue()
    shop.sell(shop.water, 5)
    err = io.StringIO()
    call_command("check_ledger", "--progress", stdout=io.StringIO(), stderr=err)  # then what was posted since
    assert "replayed 2 moves of 1 (item, warehouse) pairs (since the checkpoint)" in err.getvalue()
    err = io.StringIO()
    call_command("check_ledger", "--full", stdout=io.StringIO(), stderr=err)  # --full prints its progress
    assert "replayed 2 moves of 1 (item, warehouse) pairs (full)" in err.getvalue()
    checkpoint = LedgerCheckpoint.objects.get(company=shop.company)
    assert checkpoint.last_move_id == StockMove.objects.order_by("-id").first().pk and checkpoint.full_at


def test_the_month_end_balances_are_refreshed_at_night_before_the_ledger_check(settings, shop):
    from huey.contrib.djhuey import HUEY

    from openjxc.stock.models import MonthEndBalances
    from openjxc.stock.tasks import refresh_month_end_balances

    assert "stock.refresh_month_end_balances" in [t.name for t in HUEY.read_periodic(dt.datetime(2026, 1, 4, 18, 7))]
    shop.post("purchase_receipt", [docs.LineInput(item=shop.flour.pk, quantity=D(3), unit_price=D(2))],
              partner=shop.supplier, business_on=clock.today() - dt.timedelta(days=70))
    assert refresh_month_end_balances.call_local()["ACME"]["months"] >= 2
    assert MonthEndBalances.objects.get(company=shop.company).moves_through == StockMove.objects.get().pk


def test_check_ledger_refuses_an_unknown_company(db):
    with pytest.raises(CommandError, match="No company"):
        run("check_ledger", company="NOPE")


def test_nightly_task_records_the_result_as_an_event(shop):
    shop.receive(shop.flour, 10, "5.00")
    nightly_ledger_check.call_local()
    event = Event.objects.filter(topic="ledger.checked").get()
    assert event.company_id == shop.company.pk
    assert event.payload["ok"] is True and event.payload["problems"] == []
    assert event.payload["moves"] == 1

    with connection.cursor() as cur:
        cur.execute("UPDATE stock_stockbalance SET value = value + 1 WHERE item_id = %s", [shop.flour.pk])
    result = check_ledgers()
    assert result["ACME"]["ok"] is False
    last = Event.objects.filter(topic="ledger.checked").order_by("-id").first()
    codes = {p["code"] for p in last.payload["problems"]}
    assert "balance.mismatch" in codes
    assert any("F001 面粉" in p["message"] for p in last.payload["problems"])


def test_nightly_task_runs_at_night_in_the_business_time_zone(settings):
    from huey.contrib.djhuey import HUEY

    def scheduled(utc_time):
        return [t.name for t in HUEY.read_periodic(utc_time)]

    assert settings.JXC_TIME_ZONE == "Asia/Shanghai"
    assert "core.nightly_ledger_check" in scheduled(dt.datetime(2026, 1, 4, 18, 17))  # 02:17 in Shanghai
    assert "core.nightly_ledger_check" not in scheduled(dt.datetime(2026, 1, 5, 2, 17))  # 10:17 in Shanghai


# ---------------------------------------------------------------- backup and restore


def test_backup_then_restore_round_trip(wipeable_ledger, shop, tmp_path):
    shop.receive(shop.flour, 10, "5.00")
    moves_before = StockMove.objects.count()
    path = tmp_path / ("b.sqlite3" if connection.vendor == "sqlite" else "b.dump")
    assert "backup written" in run("backup", output=str(path))
    assert path.stat().st_size > 0

    # business goes on after the backup
    shop.receive(shop.flour, 5, "6.00")
    assert StockMove.objects.count() > moves_before

    with pytest.raises(CommandError, match="--yes"):
        run("restore", str(path))
    assert "restored from" in run("restore", str(path), yes=True)
    connection.close()
    assert StockMove.objects.count() == moves_before
    assert StockBalance.objects.get(item=shop.flour).quantity == D("10")
    assert_ledger_consistent()


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database")
    with pytest.raises(CommandError):
        run("restore", str(bad), yes=True)
    with pytest.raises(CommandError, match="No backup file"):
        run("restore", str(tmp_path / "missing.sqlite3"), yes=True)


# ---------------------------------------------------------------- period close


def test_period_command_lists_closes_and_reopens_months(shop):
    today = clock.today(shop.company.time_zone)
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    shop.post("purchase_receipt", [docs.LineInput(item=shop.flour.pk, quantity=D("3"), unit_price=D("5"))],
              partner=shop.supplier, business_on=month.replace(day=2))
    label = month.strftime("%Y-%m")
    assert f"{label}  open (can close)" in run("period", "status")
    with pytest.raises(CommandError, match="--user"):
        run("period", "close", label)
    assert f"{label} closed" in run("period", "close", label, user=shop.admin.username)
    assert f"{label}  closed (can reopen)" in run("period", "status", company="ACME")
    with pytest.raises(CommandError, match="period.already_closed"):
        run("period", "close", label, user=shop.admin.username)
    with pytest.raises(CommandError, match="validation.failed"):
        run("period", "reopen", label, user=shop.admin.username)
    assert f"{label} reopened" in run("period", "reopen", label, user=shop.admin.username, reason="补录")
