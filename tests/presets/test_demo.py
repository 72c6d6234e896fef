"""The demo company tells a true story for today: history up to now and never after it, orders in every state,
money received and paid, price lists, counts, a till, approvals through the preset's flows — and books that
pass the ledger and partner-ledger checks."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from openjxc.catalog.models import PriceList
from openjxc.catalog.pricing import price_for
from openjxc.core import clock
from openjxc.core.company_settings import applies_vat
from openjxc.core.models import Company, User
from openjxc.counts.models import Count, CountStatus
from openjxc.documents.models import Document, DocumentLine, Status
from openjxc.finance import selectors
from openjxc.finance.ledger import check_partner_ledger
from openjxc.finance.models import Allocation, Settlement
from openjxc.partners.models import Partner
from openjxc.presets.demo import build_demo
from openjxc.presets.demo.order_states import STATES, order_state
from openjxc.sync import terminals
from openjxc.sync.models import Terminal, TillClosing
from openjxc.workflow import selectors as inbox
from openjxc.workflow.models import Approval, Flow
from tests.conftest import assert_ledger_consistent

pytestmark = pytest.mark.django_db
D = Decimal
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
PLANNED = ("due", "expires")  # timestamps of what is yet to come (a step's time limit, a code's expiry)


def stamped_after(moment: dt.datetime, company_id: int, *, by_our_clock: bool = False) -> list[str]:
    """Every stored timestamp of something that happened, later than `moment` (with `by_our_clock`, only
    those our clock stamps: auto_now fields and User.date_joined read the real one, which a test cannot move)."""
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("openjxc"):
            continue
        scoped = any(f.name == "company" for f in model._meta.get_fields())
        for f in model._meta.get_fields():
            if by_our_clock and (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                                 or getattr(f, "default", None) is timezone.now):
                continue
            if isinstance(f, models.DateTimeField) and not any(w in f.name for w in PLANNED):
                qs = model.objects.filter(**{f"{f.name}__gt": moment})
                if scoped:
                    qs = qs.filter(company_id=company_id)
                if qs.exists():
                    found.append(f"{model.__name__}.{f.name}")
    return found


def test_the_demo_tells_a_true_story_for_today():
    result = build_demo(items=30, days=14)
    company = result.company
    now = clock.now()
    today = clock.today(company.time_zone)
    documents = Document.objects.filter(company=company)

    # its history ends today, nothing happened after now, and the last week sold every day
    assert result.last_day == today and max(documents.values_list("business_on", flat=True)) == today
    assert stamped_after(now, company.pk) == []
    sold_on = set(documents.filter(kind="sales_delivery", status=Status.POSTED).values_list("business_on", flat=True))
    assert all(today - dt.timedelta(days=n) in sold_on for n in range(7))

    # purchase and sales orders in every state
    for kind in ("purchase_order", "sales_order"):
        assert {order_state(o) for o in documents.filter(kind=kind)} == set(STATES), kind
    assert documents.filter(kind="purchase_receipt", source__kind="purchase_order").exists()
    assert documents.filter(kind="sales_delivery", source__kind="sales_order").exists()

    # money: customers paid (allocated to their deliveries), some still owe, the till's sales were paid at the
    # till (one receipt per sale and method, allocated to it) and the till closed every evening
    receipts = Settlement.objects.filter(company=company, kind="receipt", status="posted")
    assert receipts.exclude(partner__code="C000").exists()
    till_sales = documents.filter(kind="sales_delivery", status=Status.POSTED, partner__code="C000")
    assert till_sales.exists() and set(receipts.filter(partner__code="C000").values_list("document_id", flat=True)) \
        == set(till_sales.values_list("pk", flat=True))
    assert TillClosing.objects.filter(company=company).count() >= 5
    assert Allocation.objects.filter(company=company).exists()
    owed = {r.partner_id: sum(r.buckets.values(), D(0)) for r in selectors.aging(company.pk, "receivable", today)}
    delivered = sum(documents.filter(kind="sales_delivery", status=Status.POSTED)
                    .values_list("total_with_tax", flat=True), D(0))
    paid = sum(Allocation.objects.filter(company=company).exclude(partner__code="C000")
               .values_list("amount", flat=True), D(0))
    assert paid > 0 and 0 < sum(owed.values()) < delivered
    # a general VAT taxpayer (一般纳税人): sales and purchase lines carry their items' 13 % / 9 %, shown apart
    assert applies_vat(Company.objects.get(pk=company.pk))
    rates = set(DocumentLine.objects.filter(document__company=company, document__status=Status.POSTED,
                                            document__kind__in=["sales_delivery", "purchase_receipt"])
                .values_list("tax_rate", flat=True))
    assert {D("0.13"), D("0.09")} <= rates, rates
    walk_in, ahead = (Partner.objects.get(company=company, code=code) for code in ("C000", "B001"))
    assert selectors.receivable_balance(company.pk, walk_in.pk) == 0
    assert [c.open for c in selectors.open_credits(company.pk, ahead.pk, "receivable")] == [D("30000.00")]

    # price lists, and orders priced from them (the customer's list, else the item's price)
    assert PriceList.objects.filter(company=company).count() == 4
    lines = [ln for o in documents.filter(kind="sales_order").exclude(status=Status.DRAFT)
             for ln in o.lines.select_related("item", "document__partner") if ln.unit_id == ln.item.base_unit_id]
    cent = D("0.01")

    def paid_each(ln):  # what the customer pays a unit, tax included, as lists and shelf prices are quoted
        return (ln.amount_with_tax / ln.quantity).quantize(cent)

    for ln in lines:
        doc = ln.document
        quoted = price_for(company, doc.partner, ln.item, ln.quantity, doc.business_on).unit_price
        assert paid_each(ln) == quoted.quantize(cent), (doc.number, ln.item)
    assert any(paid_each(ln) != ln.item.sale_price for ln in lines)

    # counts: one finished and adjusted through its approval flow, one being counted today
    assert sorted(Count.objects.filter(company=company).values_list("status", flat=True)) == [
        CountStatus.COUNTING, CountStatus.POSTED]

    # the store's till is registered and has sold; its code registers a browser as the second till
    till = Terminal.objects.get(company=company, code=result.till)
    assert till.accepted_count > 0 and till.last_contact_at is not None
    second, _token = terminals.register_terminal(code="POS-02", name="第二收银台", registration_code=result.till_code)
    assert second.warehouse == till.warehouse

    # approvals through the preset's flows: two levels for adjustments, today's work in the manager's 待办
    assert set(Flow.objects.filter(company=company).values_list("kind", flat=True)) == {
        "write_off", "gain", "stock_count", "purchase_order"}
    done = Approval.objects.filter(company=company, document__kind__in=["write_off", "stock_count"], state="approved")
    assert done.exists()
    for approval in done:  # each level decided by its own person
        assert [s.state for s in approval.steps.all()] == ["approved", "approved"]
        assert approval.decisions.values("user").distinct().count() == 2
    manager = User.objects.get(username="demo-manager")
    assert sorted(w["document"]["kind"] for w in inbox.waiting_for(manager)) == ["purchase_order", "write_off"]

    # and the books pass both checks
    assert_ledger_consistent(company.pk)
    assert check_partner_ledger(company.pk) == []
    out = io.StringIO()
    call_command("check_ledger", company="DEMO", stdout=out)
    assert "ledger OK" in out.getvalue() and "partner ledger OK" in out.getvalue()


def test_a_demo_built_before_dawn_stamps_nothing_after_now():
    early = dt.datetime.combine(clock.today("Asia/Shanghai"), dt.time(0, 40), tzinfo=SH).astimezone(dt.UTC)
    clock.freeze(early)
    try:
        result = build_demo(items=10, days=7, code="DAWN")
        assert clock.now() == early  # the clock it found is put back
        assert stamped_after(early, result.company.pk, by_our_clock=True) == []
        today = Document.objects.filter(company=result.company, business_on=early.astimezone(SH).date())
        assert today.filter(status=Status.POSTED).exists()
    finally:
        clock.freeze(None)
