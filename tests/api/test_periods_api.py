"""Periods through the API: months and blockers, close and reopen, a closed date; posting-date rules."""

import datetime as dt

from openjxc.core import clock
from openjxc.core.models import Role
from openjxc.stock import periods
from tests.api.conftest import receipt_body
from tests.conftest import assert_ledger_consistent


def _last_month(shop):
    return periods.month_start(periods.month_start(clock.today(shop.company.time_zone)) - dt.timedelta(days=1))


def test_a_month_is_listed_blocked_closed_and_reopened_through_the_api(api, shop, as_user):
    month = _last_month(shop)
    label = month.strftime("%Y-%m")
    r = api.post("/documents", receipt_body(shop, advance_to="posted", business_on=str(month.replace(day=5))))
    assert r.status_code == 201, r.content
    draft = api.post("/documents", receipt_body(shop, business_on=str(month.replace(day=9)))).json()
    listed = api.get("/periods").json()
    assert listed["closed_through"] is None
    row = next(m for m in listed["months"] if m["month"] == label)
    assert (row["status"], row["can_close"], row["can_reopen"]) == ("open", True, False)
    blockers = api.get(f"/periods/{label}/blockers").json()
    assert [(b["kind"], b["number"]) for b in blockers] == [("unposted", draft["number"])]
    refused = api.post(f"/periods/{label}/close")
    assert refused.status_code == 409 and refused.json()["code"] == "period.blocked"
    assert refused.json()["data"]["blockers"][0]["number"] == draft["number"]

    assert api.post(f"/documents/{draft['id']}/cancel", {"reason": "不要了"}).status_code == 200
    closed = api.post(f"/periods/{label}/close")
    assert closed.status_code == 200, closed.content
    assert (closed.json()["status"], closed.json()["can_reopen"]) == ("closed", True)
    assert api.get("/periods/closed", {"date": str(month.replace(day=20))}).json()["closed"] is True
    assert api.get("/periods/closed").json()["closed"] is False
    late = api.post("/documents", receipt_body(shop, advance_to="posted", business_on=str(month.replace(day=28))))
    assert late.status_code == 409 and late.json()["code"] == "period.closed"

    manager = as_user("mgr", Role.MANAGER)
    assert manager.post(f"/periods/{label}/reopen", {"reason": "补录"}).status_code == 403
    assert api.post(f"/periods/{label}/reopen", {"reason": ""}).status_code == 422
    reopened = api.post(f"/periods/{label}/reopen", {"reason": "补录"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    assert reopened.json()["reopen_reason"] == "补录"
    assert api.get("/periods/NOT-A-MONTH/blockers").status_code == 422
    assert_ledger_consistent()


def test_a_document_dated_in_the_future_is_refused_at_posting_but_kept_as_a_draft(api, shop):
    tomorrow = clock.today(shop.company.time_zone) + dt.timedelta(days=1)
    draft = api.post("/documents", receipt_body(shop, business_on=str(tomorrow)))
    assert draft.status_code == 201  # a planned receipt may carry its date
    doc = draft.json()["id"]
    for step in ("submit", "approve"):
        assert api.post(f"/documents/{doc}/{step}").status_code == 200
    r = api.post(f"/documents/{doc}/post")
    assert r.status_code == 409 and r.json()["code"] == "document.future_date"
    assert str(tomorrow) in r.json()["message"]
    # with a tolerance of one day it posts
    assert api.get("/periods/future-days").json() == {"future_days": 0}
    assert api.put("/periods/future-days", {"future_days": 1}).json() == {"future_days": 1}
    assert api.put("/periods/future-days", {"future_days": -1}).status_code == 422
    r = api.post(f"/documents/{doc}/post")
    assert r.status_code == 200, r.content
    assert_ledger_consistent()
