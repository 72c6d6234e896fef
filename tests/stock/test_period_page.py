"""The month-end close page (月末结账) as a finance clerk and an administrator use it: what blocks last month is
listed with links and the close button is off; once finished the month closes from the page; an administrator
reopens it with a reason; a keeper does not reach the page."""

from __future__ import annotations

from django.urls import reverse

from openjxc.core.models import Role
from openjxc.documents import services as docs
from openjxc.stock.models import Period, PeriodStatus
from tests.documents.helpers import line
from tests.stock.test_periods import last_month, on_day

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def test_finance_closes_last_month_from_the_page_and_an_administrator_reopens_it(client, shop):
    month = last_month(shop)
    label = month.strftime("%Y-%m")
    shop.post("purchase_receipt", [line(shop.flour, 10, 5)], partner=shop.supplier, business_on=on_day(month, 1))
    draft = docs.create_document(by=shop.admin, kind="write_off", warehouse=shop.main,
                                 lines=[line(shop.flour, 1)], business_on=on_day(month, 10))
    clerk = shop.user("clerk", Role.FINANCE)
    client.force_login(clerk)

    # given a draft dated last month, the page lists it with its link and will not close the month
    page = client.get(reverse("web:periods"), **ZH)
    body = page.content.decode()
    assert page.status_code == 200 and "月末结账" in body and page.context["closable"].label == label
    assert draft.number in body and f"/documents/{draft.pk}/" in body and "disabled" in body
    refused = client.post(reverse("web:period_action", args=[label, "close"]), follow=True, **ZH)
    assert not Period.objects.filter(company=shop.company, status=PeriodStatus.CLOSED).exists()
    assert draft.number in refused.content.decode()  # the refusal names what blocks it

    # when the draft is cancelled, the month closes from the page
    docs.cancel_document(draft, by=shop.admin)
    done = client.post(reverse("web:period_action", args=[label, "close"]), follow=True, **ZH)
    assert f"{label} 已结账" in done.content.decode()
    assert Period.objects.get(company=shop.company, month=month).status == PeriodStatus.CLOSED

    # a clerk may not reopen; an administrator reopens with a reason (a reason is required)
    client.post(reverse("web:period_action", args=[label, "reopen"]), {"reason": "补录"}, **ZH)
    assert Period.objects.get(company=shop.company, month=month).status == PeriodStatus.CLOSED
    client.force_login(shop.admin)
    assert 'data-reopen' in client.get(reverse("web:periods"), **ZH).content.decode()
    client.post(reverse("web:period_action", args=[label, "reopen"]), {"reason": ""}, **ZH)
    assert Period.objects.get(company=shop.company, month=month).status == PeriodStatus.CLOSED
    client.post(reverse("web:period_action", args=[label, "reopen"]), {"reason": "补录上月发票"}, **ZH)
    period = Period.objects.get(company=shop.company, month=month)
    assert period.status != PeriodStatus.CLOSED and period.reopen_reason == "补录上月发票"


def test_a_keeper_does_not_reach_the_month_end_close(client, shop):
    client.force_login(shop.user("keeper", Role.KEEPER))
    assert client.get(reverse("web:periods")).status_code == 403
    assert client.post(reverse("web:period_action", args=["2026-01", "close"])).status_code == 403
