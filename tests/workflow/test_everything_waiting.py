"""Everything waiting for me is in 待办, and the dashboard's count is the inbox's count (issue 13, item 14)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from openjxc.core.models import Role
from openjxc.counts import services as counts
from openjxc.documents import services as docs
from openjxc.documents.services import LineInput
from openjxc.reports.dashboard import dashboard_figures
from openjxc.workflow import services as wf
from openjxc.workflow.todo import waiting_work
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def busy(team):
    """One of each kind of work: a write-off in approval, an approved issue to post, a transfer on its way to the
    second warehouse, a count assigned to the keeper."""
    shop = team.shop
    team.store_keeper = shop.user("qian", Role.KEEPER, warehouses=[shop.second])
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "经理", "approvers": [{"type": "role", "role": Role.MANAGER}]}])
    team.in_approval = team.write_off("1")
    flour = [LineInput(item=shop.flour.pk, quantity=Decimal("2"))]
    team.to_post = docs.advance_document(
        docs.create_document(by=team.keeper, kind="other_out", warehouse=shop.main, lines=flour),
        by=team.boss, to="approved")
    team.on_the_way = docs.advance_document(
        docs.create_document(by=team.boss, kind="transfer_out", warehouse=shop.main, to_warehouse=shop.second,
                             lines=flour), by=team.boss, to="posted")
    team.count = counts.create_count(by=team.boss, warehouse=shop.main, assignees=[team.keeper])
    return team


def test_each_kind_of_work_reaches_whoever_may_act(busy):
    team = busy
    keeper = waiting_work(team.keeper)
    assert [d.number for d in keeper.postings] == [team.to_post.number]
    assert [r["title"].split()[0] for w in keeper.work for r in w["rows"]] == [team.count.number]
    assert keeper.approvals == [] and keeper.receipts == []  # his own write-off waits for the managers
    store = waiting_work(team.store_keeper)
    assert [d.number for d in store.receipts] == [team.on_the_way.number]
    assert store.postings == []  # the issue is in the main warehouse, not his
    wang = waiting_work(team.wang)
    assert [a["document"]["number"] for a in wang.approvals] == [team.in_approval.number]
    finance = waiting_work(team.finance)
    assert finance.total == 0  # finance neither approves write-offs, nor posts, nor receives, nor counts


def test_counts_stay_exact_beyond_the_rows_shown(busy, monkeypatch):
    """The inbox reads LIMIT + 1 rows and counts them (one statement); with more than LIMIT waiting, the count is
    still exact and the rows stop at LIMIT."""
    from openjxc.workflow import todo

    team, shop = busy, busy.shop
    for _n in range(2):
        docs.advance_document(docs.create_document(by=team.keeper, kind="other_out", warehouse=shop.main, lines=[
            LineInput(item=shop.flour.pk, quantity=Decimal("1"))]), by=team.boss, to="approved")
    monkeypatch.setattr(todo, "LIMIT", 2)
    keeper = waiting_work(team.keeper)
    assert (len(keeper.postings), keeper.counts["postings"]) == (2, 3)
    assert keeper.postings[0].number == team.to_post.number  # the oldest approved first
    assert waiting_work(team.keeper, rows=False).counts == keeper.counts
    monkeypatch.setattr(todo, "LIMIT", 3)
    assert (len(waiting_work(team.keeper).postings), waiting_work(team.keeper).counts["postings"]) == (3, 3)


def test_a_fully_received_transfer_leaves_the_inbox(busy):
    team = busy
    line = team.on_the_way.lines.get()
    docs.create_document(by=team.boss, kind="transfer_in", source=team.on_the_way, advance_to="posted",
                         lines=[LineInput(item=team.shop.flour.pk, quantity=Decimal("1"), source_line=line.pk)])
    assert waiting_work(team.store_keeper).counts["receipts"] == 1  # half of it arrived
    docs.create_document(by=team.boss, kind="transfer_in", source=team.on_the_way, advance_to="posted",
                         lines=[LineInput(item=team.shop.flour.pk, quantity=Decimal("1"), source_line=line.pk)])
    assert waiting_work(team.store_keeper).counts["receipts"] == 0


def test_the_dashboard_the_inbox_page_and_its_api_give_the_same_number_for_every_role(busy):
    team = busy
    seen = {}
    for user in (team.boss, team.wang, team.keeper, team.store_keeper, team.finance):
        api = Api(user)
        listed = api.get("/workflow/inbox").json()
        counted = api.get("/workflow/inbox/count").json()
        client = Client()
        client.force_login(user)
        page = client.get(reverse("workflow:inbox"), **EN).content.decode()
        tab = int(re.search(r'class="tab-count">(\d+)<', page).group(1))
        home = client.get("/", **EN).content.decode()
        card = int(re.search(r'id="kpi-todo">.*?class="kpi-value">(\d+)<', home, re.S).group(1))
        numbers = {listed["total"], counted["waiting"], dashboard_figures(user)["to_do"], tab, card}
        assert len(numbers) == 1, (user.username, listed["counts"], counted, tab, card)
        shown = (len(listed["waiting"]) + len(listed["to_post"]) + len(listed["to_receive"])
                 + sum(len(w["rows"]) for w in listed["work"]))
        assert shown == listed["total"]
        seen[user.username] = listed["total"]
    assert seen == {"boss": 1, "wang": 2, "zhao": 2, "qian": 1, "liu": 0}
