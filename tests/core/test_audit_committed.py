"""Every service that writes an audit record, run the way a request runs it: outside any test transaction.

Inside a test transaction a service that forgot `transaction.atomic` still looks fine (the test's own
transaction hides it); here each one commits for real, so a service that saves its change and only then
fails to write its audit row (or its outbox event) is caught. `test_every_audit_writer_is_covered` reads the
source and fails when a new function writes audit records without a case below.

A refusal must leave nothing behind: `test_refusals_write_nothing` compares every table before and after.
"""

from __future__ import annotations

import ast
import datetime as dt
import pathlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client

from openjxc.alerts import channel_services
from openjxc.catalog import pricing
from openjxc.catalog import services as catalog
from openjxc.core import clock, company_settings, tokens
from openjxc.core import services as core
from openjxc.core.errors import DomainError
from openjxc.core.models import AuditRecord, Event, Role, User
from openjxc.counts import services as counts
from openjxc.counts.services import EntryInput
from openjxc.documents import orders
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.finance import services as fin
from openjxc.partners import services as partners
from openjxc.presets import format as preset_format
from openjxc.presets.install import install_preset
from openjxc.reports import cockpit_settings, saved_views, subscriptions
from openjxc.stock import period_close
from openjxc.sync import browser as sync_browser
from openjxc.sync import closing as till_closing
from openjxc.sync import customers as store_customers
from openjxc.sync import protocol, review, terminals
from openjxc.sync.models import TerminalReview
from openjxc.workflow import services as wf
from tests.api.conftest import Api
from tests.conftest import Shop

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "openjxc"


@pytest.fixture
def w(wipeable_ledger):
    shop = Shop()
    shop.receive(shop.flour, 100, "5.00")
    shop.keeper = shop.user("keeper", Role.KEEPER)
    shop.manager = shop.user("manager", Role.MANAGER)
    return shop


def _new_company_admin():
    """An administrator of a company where nothing is posted yet."""
    company = core.create_company(code="NEW", name="新公司")
    return core.create_user(by=None, company=company, username="new-admin", password="pw-12345678",
                            roles=[Role.ADMIN])


def _count(w):
    count = counts.create_count(by=w.admin, warehouse=w.main, blind=False)
    counts.start_count(count, by=w.admin)
    return count


def _counted(w):
    count = _count(w)
    counts.record_entries(count, by=w.admin, entries=[EntryInput(item=w.flour.pk, quantity=D("98"))])
    counts.finish_count(count, by=w.admin)
    return count


def _delivery(w):
    return w.sell(w.flour, 2, price="8")


def _receipt(w, post=True):
    return fin.create_settlement(by=w.admin, kind="receipt", partner=w.customer, amount=D("16"), post=post)


def _cash_sale(w):
    """A delivery paid at the counter: its receipt is recorded by finance/counter.py at posting."""
    return w.post("sales_delivery", [LineInput(item=w.flour.pk, quantity=D("2"), unit_price=D("8"))],
                  partner=w.customer, custom={"payments": [{"method": "cash"}]})


def _closed_till(w):
    terminal, _raw = terminals.register_terminal(by=w.admin, code="POS1", name="收银台", kind="pos", warehouse=w.store,
                                                 customer=w.customer)
    return till_closing.close_till(by=w.admin, terminal=terminal, counted=D("0"))


def _allocated(w):
    doc = _delivery(w)
    s = _receipt(w)
    [a] = fin.allocate(by=w.admin, settlement=s, allocations=[fin.AllocationInput(doc, D("16"))])
    return a


def _flow(w):
    return wf.create_flow(by=w.admin, name="报损审批", kind="write_off",
                          steps=[{"name": "主管", "approvers": [{"type": "user", "user": w.manager.pk}]}])


def _write_off(w):
    return docs.create_document(by=w.keeper, kind="write_off", warehouse=w.main,
                                lines=[LineInput(item=w.flour.pk, quantity=D("1"))])


def _created_both_ways(w):
    # create_document (its own transaction) and the API with an Idempotency-Key, which runs
    # create_document_here in the key's transaction without a savepoint (core.idempotency.one_transaction)
    _write_off(w)
    r = Api(w.admin).post("/documents", {"kind": "sales_delivery", "warehouse": w.main.pk, "partner": w.customer.pk,
                                         "lines": [{"item": w.flour.pk, "quantity": "1"}], "advance_to": "posted"},
                          key="audit-committed-1")
    assert r.status_code == 201, r.content


def _submitted_in_flow(w):
    _flow(w)
    return docs.submit_document(_write_off(w), by=w.keeper)


def _delegation(w):
    start = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    return wf.create_delegation(by=w.manager, delegate=w.keeper, starts_at=start, ends_at=start + dt.timedelta(days=2))


def _price_list(w):
    return pricing.create_price_list(by=w.admin, name="批发价",
                                     prices=[pricing.PriceInput(item=w.water.pk, price=D("1.80"))])


def _webhook(w):
    return channel_services.create_channel(by=w.admin, kind="wecom", name="群",
                                           config={"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"})


def _subscription(w):
    return subscriptions.subscribe_report(by=w.manager, kind="week", channel=_webhook(w).pk)


def _saved_view(w):
    return saved_views.save_view(by=w.manager, page="sales", name="华东月报", params={"region": ["1"]})


def _closed_month(w):
    """Last month closed (nothing of it is open: the fixture's stock came in this month)."""
    today = clock.today(w.company.time_zone)
    return period_close.close_period(by=w.admin, month=today.replace(day=1) - dt.timedelta(days=1))


# function that writes the audit record (module path, name) -> the call that reaches it, as a request would
CASES = {
    ("alerts/channel_services.py", "create_channel"): _webhook,
    ("alerts/channel_services.py", "update_channel"):
        lambda w: channel_services.update_channel(by=w.admin, pk=_webhook(w).pk, name="新群"),
    ("alerts/channel_services.py", "delete_channel"):
        lambda w: channel_services.delete_channel(by=w.admin, pk=_webhook(w).pk),
    ("catalog/pricing.py", "delete_price_list"): lambda w: pricing.delete_price_list(_price_list(w), by=w.admin),
    ("catalog/pricing.py", "set_group_members"):
        lambda w: pricing.create_customer_group(by=w.admin, code="VIP", name="大客户", members=[w.customer]),
    ("catalog/services.py", "delete_unit"):
        lambda w: catalog.delete_unit(catalog.create_unit(by=w.admin, code="BAG", name="袋"), by=w.admin),
    ("catalog/services.py", "remove_item_unit"): lambda w: catalog.remove_item_unit(w.water, by=w.admin, unit=w.box),
    ("catalog/services.py", "remove_barcode"): lambda w: catalog.remove_barcode(w.water, by=w.admin, code="6920000000017"),
    # one writer for every app's settings setter: each setter run as a request runs it
    ("core/company_settings.py", "save_settings"): lambda w: (
        company_settings.set_stock_tracking(by=w.admin, enabled=True),
        company_settings.set_vat(by=w.admin, enabled=True),
        company_settings.set_future_date_tolerance(by=w.admin, days=3),
        company_settings.set_payable_from(by=_new_company_admin(), source="bill"),
        orders.set_order_settings(by=w.admin, over_receipt_tolerance=D("0.05")),
        terminals.set_terminal_settings(by=w.admin, silent_minutes=30),
        cockpit_settings.set_cockpit_tiles(by=w.manager, tiles=["alerts", "on_time", "stock", "items", "sales_today"])),
    ("core/masterdata.py", "save_master"):
        lambda w: partners.update_partner(w.customer, by=w.admin, name="好运超市二店"),
    ("core/tokens.py", "create_token"): lambda w: tokens.create_token(by=None, user=w.keeper, name="ERP"),
    ("core/tokens.py", "revoke_token"):
        lambda w: tokens.revoke_token(by=w.keeper, token_id=tokens.create_token(by=w.keeper, name="ERP")[0].pk),
    ("core/services.py", "create_company"): lambda w: core.create_company(code="NEW", name="新公司"),
    ("core/services.py", "create_user"): lambda w: w.user("clerk", Role.CASHIER),
    ("core/services.py", "update_user"):
        lambda w: core.update_user(w.keeper, by=w.admin, display_name="老赵", warehouses=[w.main]),
    ("core/services.py", "reset_password"):
        lambda w: core.reset_password(w.keeper, by=w.admin, password="another-pw-2026"),
    ("counts/plans.py", "create_plan"):
        lambda w: counts.create_plan(by=w.admin, name="月盘", warehouse=w.main),
    ("counts/plans.py", "update_plan"):
        lambda w: counts.update_plan(counts.create_plan(by=w.admin, name="月盘", warehouse=w.main), by=w.admin,
                                     every_days=14),
    ("counts/counting.py", "create_count"): lambda w: counts.create_count(by=w.admin, warehouse=w.main),
    ("counts/counting.py", "record_entries"):
        lambda w: counts.record_entries(_count(w), by=w.admin, entries=[EntryInput(item=w.flour.pk, quantity=1)]),
    ("counts/counting.py", "set_reason"):
        lambda w: (lambda c: counts.set_reason(c, by=w.admin, line=c.lines.get(item=w.flour).pk,
                                               reason="damage"))(_counted(w)),
    ("counts/adjustment.py", "create_count_document"):
        lambda w: counts.create_count_document(_counted(w), by=w.admin),
    ("documents/create.py", "create_document_here"): _created_both_ways,
    ("documents/create.py", "update_document"):
        lambda w: docs.update_document(_write_off(w), by=w.keeper, memo="破损"),
    # one writer for every status change: documents, settlements and counts alike
    ("documents/lifecycle.py", "record"): lambda w: (docs.submit_document(_write_off(w), by=w.keeper),
                                                     fin.post_settlement(_receipt(w, post=False), by=w.admin),
                                                     _count(w)),
    ("finance/services.py", "create_settlement"): lambda w: _receipt(w, post=False),
    ("finance/services.py", "allocate"): _allocated,
    ("finance/services.py", "unallocate"): lambda w: fin.unallocate(_allocated(w), by=w.admin),
    ("finance/counter.py", "record_payments"): _cash_sale,
    ("finance/counter.py", "void_payments"): lambda w: docs.void_document(_cash_sale(w), by=w.admin, reason="错单"),
    ("sync/closing.py", "close_till"): _closed_till,
    ("finance/services.py", "set_payment_terms"): lambda w: fin.set_payment_terms(w.customer, by=w.admin, days=30),
    ("reports/saved_views.py", "save_view"): _saved_view,
    ("reports/subscriptions.py", "subscribe_report"): _subscription,
    ("reports/subscriptions.py", "_switch"):  # pause, then resume: both directions of the one writer
        lambda w: subscriptions.resume_subscription(
            by=w.manager, pk=subscriptions.pause_subscription(by=w.manager, pk=_subscription(w).pk).pk),
    ("reports/subscriptions.py", "unsubscribe_report"):
        lambda w: subscriptions.unsubscribe_report(by=w.manager, pk=_subscription(w).pk),
    ("reports/saved_views.py", "delete_view"):
        lambda w: saved_views.delete_view(by=w.manager, view_id=_saved_view(w).pk),
    ("stock/period_close.py", "close_period"): _closed_month,
    ("stock/period_close.py", "reopen_period"):
        lambda w: period_close.reopen_period(by=w.admin, month=_closed_month(w).month, reason="补录采购"),
    ("presets/install.py", "install_preset"):
        lambda w: install_preset(preset_format.load("food"), by=w.admin, language="zh-hans"),
    ("sync/browser.py", "register_browser_terminal"):
        lambda w: sync_browser.register_browser_terminal(by=w.admin, warehouse=w.main, device_id="dev-0123456789"),
    ("sync/terminals.py", "create_registration_code"):
        lambda w: terminals.create_registration_code(by=w.admin, kind="pda", warehouse=w.main),
    ("sync/terminals.py", "register_terminal"):
        lambda w: terminals.register_terminal(by=w.admin, code="PDA1", name="手持", kind="pda", warehouse=w.main),
    ("sync/terminals.py", "revoke_terminal"):
        lambda w: terminals.revoke_terminal(by=w.admin, terminal_id=terminals.register_terminal(
            by=w.admin, code="PDA1", name="手持", kind="pda", warehouse=w.main)[0].pk),
    ("sync/customers.py", "set_customer_stores"):
        lambda w: store_customers.set_customer_stores(by=w.admin, customer=w.customer.pk, stores=[w.store.pk]),
    # accept, re-date and reject all record through one writer
    ("sync/review.py", "_decided"): lambda w: (review.accept_review(_held(w, "h1").pk, by=w.manager),
                                               review.redate_review(_held(w, "h2").pk, by=w.manager,
                                                                    on=clock.today(), note="补录"),
                                               review.reject_review(_held(w, "h3").pk, by=w.manager, note="重复")),
    ("workflow/flows.py", "create_flow"): _flow,
    ("workflow/flows.py", "update_flow"): lambda w: wf.update_flow(_flow(w), by=w.admin, name="报损二级审批"),
    ("workflow/engine.py", "start_approval"): _submitted_in_flow,
    ("workflow/engine.py", "record_decision"):
        lambda w: docs.approve_document(_submitted_in_flow(w), by=w.manager, comment="属实"),
    ("workflow/delegation.py", "create_delegation"): _delegation,
    ("workflow/delegation.py", "cancel_delegation"): lambda w: wf.cancel_delegation(_delegation(w), by=w.manager),
    ("workflow/calendar.py", "set_calendar"):
        lambda w: wf.set_calendar(by=w.admin, hours={"0": [["09:00", "18:00"]]}),
}


def _held(w, op_id: str) -> TerminalReview:
    """A till's sale made 20 days ago, held for review (sync/review.py)."""
    terminal = getattr(w, "till", None)
    if terminal is None:
        walk_in = partners.create_partner(by=w.admin, code="W-POS", name="散客", kind="customer")
        terminal = w.till = terminals.register_terminal(by=w.admin, code="POS9", name="收银", kind="pos",
                                                        warehouse=w.store, customer=walk_in)[0]
    made = clock.now() - dt.timedelta(days=20)
    answer = protocol.push(terminal, ops=[{"id": op_id, "type": "sale", "created_at": made.isoformat(),
                                           "data": {"lines": [{"item": w.flour.code, "qty": "1"}]}}])
    assert answer["results"][0]["status"] == "held", answer
    return TerminalReview.objects.get(operation__op_id=op_id)


def _audit_writers() -> set[tuple[str, str]]:
    """Every function in the source that calls record_audit or make_audit."""
    found = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts or path.name == "events.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.Call) and getattr(sub.func, "id", getattr(sub.func, "attr", "")) in (
                        "record_audit", "make_audit"):
                    found.add((path.relative_to(SRC).as_posix(), node.name))
                    break
    return found


@pytest.mark.django_db(transaction=False)
def test_every_audit_writer_is_covered():
    writers = _audit_writers()
    assert writers - set(CASES) == set(), "audit writers without a committed test case below"
    assert set(CASES) - writers == set(), "cases for functions that no longer write audit records"


@pytest.mark.parametrize("where", sorted(CASES), ids=lambda w: f"{w[0]}:{w[1]}")
def test_service_commits_its_change_with_its_audit_record(w, where):
    audits, events = AuditRecord.objects.count(), Event.objects.count()
    CASES[where](w)  # raises (AssertionError) when a write happens outside a transaction
    assert AuditRecord.objects.count() > audits
    assert Event.objects.count() > events


# ---------------------------------------------------------------- refusals leave nothing behind


def _tables() -> dict[str, list]:
    """Every row of every table of ours, to compare before and after a refusal."""
    out = {}
    for model in apps.get_models():
        if model._meta.app_label in {"contenttypes", "sessions", "auth"}:
            continue
        out[model._meta.label] = sorted(map(repr, model.objects.values_list()))
    return out


def _over_allocation(w):
    s, doc = _receipt(w), _delivery(w)
    return lambda: fin.allocate(by=w.admin, settlement=s, allocations=[fin.AllocationInput(doc, D("9999"))])


def _posted_edit(w):
    posted = _delivery(w)
    return lambda: docs.update_document(posted, by=w.admin, memo="改",
                                        lines=[LineInput(item=w.milk.pk, quantity=D("1"))])


def _cashier_edits_user(w):
    cashier = w.user("c", Role.CASHIER)
    return lambda: core.update_user(w.keeper, by=cashier, display_name="x")


# name -> set-up (committed) that returns the refused call, which alone is measured
REFUSALS = {
    "last admin loses the role":
        lambda w: lambda: core.update_user(w.admin, by=w.admin, display_name="x", roles=["manager"]),
    "unknown role": lambda w: lambda: core.update_user(w.keeper, by=w.admin, display_name="x", roles=["king"]),
    "weak password": lambda w: lambda: core.reset_password(w.keeper, by=w.admin, password="123"),
    "a cashier edits a user": _cashier_edits_user,
    "unit in use": lambda w: lambda: catalog.delete_unit(w.kg, by=w.admin),
    "over-allocation": _over_allocation,
    "posted document edited": _posted_edit,
    "four cockpit tiles": lambda w: lambda: cockpit_settings.set_cockpit_tiles(by=w.manager, tiles=["alerts"] * 4),
    "a review rejected without a reason":
        lambda w: (lambda held: lambda: review.reject_review(held.pk, by=w.manager, note=" "))(_held(w, "r1")),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_refusals_write_nothing(w, name):
    refused = REFUSALS[name](w)
    before = _tables()
    with pytest.raises(DomainError):
        refused()
    assert _tables() == before


# ---------------------------------------------------------------- through the pages and the API, committing


def test_web_user_edit_saves_the_change_with_its_audit_record(w):
    browser = Client()
    browser.force_login(w.admin)
    r = browser.post(f"/admin/users/{w.keeper.pk}/", {"display_name": "老赵", "email": "", "roles": ["keeper"],
                                                      "language": "", "is_active": "on"})
    assert r.status_code == 302
    assert User.objects.get(pk=w.keeper.pk).display_name == "老赵"
    assert AuditRecord.objects.filter(object_type="core.user", object_id=str(w.keeper.pk), action="update").exists()


def test_api_user_patch_without_idempotency_key_saves_with_its_audit_record(w):
    r = Api(w.admin).patch(f"/users/{w.keeper.pk}", {"display_name": "老赵"})
    assert r.status_code == 200, r.content
    assert r.json()["display_name"] == "老赵"
    assert AuditRecord.objects.filter(object_type="core.user", object_id=str(w.keeper.pk), action="update").exists()
