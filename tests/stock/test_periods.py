"""Period close (月末结账 / 反结账): what blocks a month, closing it, what a closed month refuses, reopening."""

import datetime as dt
from decimal import Decimal as D

import pytest

from openjxc.core import clock
from openjxc.core.errors import DomainError
from openjxc.core.models import AuditRecord, Event, Role
from openjxc.documents import services as docs
from openjxc.finance import services as finance
from openjxc.stock import period_close, periods
from openjxc.stock.models import PeriodSnapshot, PeriodStatus
from tests.conftest import assert_ledger_consistent
from tests.documents.helpers import line, valuation


def last_month(shop):
    return periods.month_start(periods.month_start(clock.today(shop.company.time_zone)) - dt.timedelta(days=1))


def on_day(month, day):
    return month.replace(day=day)


def refused_with(code, fn, *args, **kw):
    with pytest.raises(DomainError) as info:
        fn(*args, **kw)
    assert info.value.code == code, info.value.as_dict()
    return info.value


def test_closing_a_month_keeps_its_snapshot_and_refuses_postings_and_voids_dated_in_it(shop):
    month = last_month(shop)
    receipt = shop.post("purchase_receipt", [line(shop.flour, 10, 5)], partner=shop.supplier,
                        business_on=on_day(month, 3))
    shop.post("sales_delivery", [line(shop.flour, 4)], partner=shop.customer, business_on=on_day(month, 20))
    # nothing blocks it: it closes, with the month-end quantity and value of every item and warehouse
    assert period_close.blockers(shop.company, month) == []
    period = period_close.close_period(by=shop.admin, month=month)
    assert period.status == PeriodStatus.CLOSED
    assert period_close.snapshot_of(shop.company.pk, month) == {(shop.flour.pk, shop.main.pk): (D("6"), D("30.00"))}
    assert periods.is_closed(shop.company, on_day(month, 15))
    assert not periods.is_closed(shop.company, clock.today(shop.company.time_zone))
    assert Event.objects.filter(topic="period.closed").exists()
    assert AuditRecord.objects.filter(action="close").exists()
    # a posting dated in it is refused, and so is voiding a document dated in it
    draft = docs.create_document(by=shop.admin, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                                 lines=[line(shop.flour, 1)], business_on=on_day(month, 25))
    refused_with("period.closed", docs.advance_document, draft, by=shop.admin, to="posted")
    refused_with("period.closed", docs.void_document, receipt, by=shop.admin, reason="录错")
    # a back-dated entry goes into the open period: today's month still takes it
    shop.sell(shop.flour, 1)
    assert valuation(shop.flour, shop.main) == (D("5"), D("25.00"))
    assert_ledger_consistent()


def test_finance_receipts_dated_in_a_closed_month_are_refused(shop):
    month = last_month(shop)
    shop.post("purchase_receipt", [line(shop.flour, 1, 5)], partner=shop.supplier, business_on=on_day(month, 2))
    period_close.close_period(by=shop.admin, month=month)
    refused_with("period.closed", finance.create_settlement, by=shop.admin, kind="receipt", partner=shop.customer,
                 amount=D("10"), business_on=on_day(month, 28), post=True)
    finance.create_settlement(by=shop.admin, kind="receipt", partner=shop.customer, amount=D("10"), post=True)


def test_what_blocks_a_month_is_listed_and_refuses_the_close(shop):
    month = last_month(shop)
    shop.post("purchase_receipt", [line(shop.flour, 10, 5)], partner=shop.supplier, business_on=on_day(month, 1))
    draft = docs.create_document(by=shop.admin, kind="write_off", warehouse=shop.main,
                                 lines=[line(shop.flour, 1)], business_on=on_day(month, 10))
    sent = shop.post("transfer_out", [line(shop.flour, 2)], to_warehouse=shop.second, business_on=on_day(month, 12))
    found = period_close.blockers(shop.company, month)
    assert sorted((b.kind, b.number) for b in found) == sorted([("unposted", draft.number),
                                                               ("in_transit", sent.number)])
    assert all(b.link.startswith("/") for b in found)
    error = refused_with("period.blocked", period_close.close_period, by=shop.admin, month=month)
    assert {b["number"] for b in error.data["blockers"]} == {draft.number, sent.number}
    # once finished, the month closes
    docs.cancel_document(draft, by=shop.admin)
    docs.advance_document(docs.create_from(sent, by=shop.admin, kind="transfer_in", business_on=on_day(month, 14)),
                          by=shop.admin, to="posted")
    assert period_close.blockers(shop.company, month) == []
    period_close.close_period(by=shop.admin, month=month)
    assert_ledger_consistent()


def test_months_close_in_order_only_once_ended_and_reopen_from_the_latest(shop):
    month = last_month(shop)
    before = periods.month_start(month - dt.timedelta(days=1))
    shop.post("purchase_receipt", [line(shop.flour, 1, 5)], partner=shop.supplier, business_on=on_day(before, 5))
    this_month = periods.month_start(clock.today(shop.company.time_zone))
    refused_with("period.not_ended", period_close.close_period, by=shop.admin, month=this_month)
    refused_with("period.previous_open", period_close.close_period, by=shop.admin, month=month)
    period_close.close_period(by=shop.admin, month=before)
    period_close.close_period(by=shop.admin, month=month)
    refused_with("period.already_closed", period_close.close_period, by=shop.admin, month=month)
    statuses = {m.month: (m.status, m.can_close, m.can_reopen) for m in period_close.months(shop.company)}
    assert statuses[month] == (PeriodStatus.CLOSED, False, True)
    assert statuses[before] == (PeriodStatus.CLOSED, False, False)
    refused_with("period.later_closed", period_close.reopen_period, by=shop.admin, month=before, reason="补录")
    assert periods.closed_through(shop.company) == periods.month_end(month)


def test_reopening_is_for_administrators_audited_and_re_closes_cleanly(shop):
    month = last_month(shop)
    shop.post("purchase_receipt", [line(shop.flour, 10, 5)], partner=shop.supplier, business_on=on_day(month, 3))
    period_close.close_period(by=shop.admin, month=month)
    manager = shop.user("manager1", Role.MANAGER)
    refused_with("permission.denied", period_close.reopen_period, by=manager, month=month, reason="补录")
    refused_with("validation.failed", period_close.reopen_period, by=shop.admin, month=month, reason=" ")
    period_close.reopen_period(by=shop.admin, month=month, reason="补录供应商漏开的入库单")
    assert not periods.is_closed(shop.company, on_day(month, 3))
    assert not PeriodSnapshot.objects.exists()
    audit = AuditRecord.objects.filter(action="reopen").get()
    assert audit.after["reason"] == "补录供应商漏开的入库单"
    # a late receipt goes into the reopened month and re-costs it; the month closes again with the new figures
    shop.post("purchase_receipt", [line(shop.flour, 10, 7)], partner=shop.supplier, business_on=on_day(month, 2))
    period_close.close_period(by=manager, month=month)
    assert period_close.snapshot_of(shop.company.pk, month) == {(shop.flour.pk, shop.main.pk): (D("20"), D("120.00"))}
    assert_ledger_consistent()
