"""Several workers scan the timers at once on PostgreSQL: every reminder and escalation fires exactly once."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import Counter

import pytest
from django.db import connection

from openjxc.alerts.models import Notification
from openjxc.core.models import Event
from openjxc.documents import services as docs
from openjxc.documents.models import Status
from openjxc.workflow import services as wf
from openjxc.workflow.models import Decision, Timer
from tests.conftest import Shop, assert_ledger_consistent
from tests.workflow.conftest import SH, Team

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]



@pytest.fixture(autouse=True)
def _postgres(db):
    if connection.vendor != "postgresql":
        if os.environ.get("JXC_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"JXC_REQUIRE_POSTGRES=1 but the test database is {connection.vendor}, not PostgreSQL")
        pytest.skip("needs PostgreSQL: several workers scanning timers on concurrent connections (set DATABASE_URL)")


WORKERS = 6
DOCUMENTS = 25


def _scan_until_done(barrier: threading.Barrier, results: list, errors: list) -> None:
    try:
        barrier.wait()
        while True:
            fired = wf.fire_due_timers(limit=4)  # small batches: the workers keep running into each other
            results.extend(fired)
            if not fired and not Timer.objects.filter(state="pending", due_at__lte=wf.clock.now()).exists():
                return
    except Exception as exc:  # pragma: no cover - reported by the assertion below
        errors.append(exc)
    finally:
        connection.close()


def test_each_timer_fires_exactly_once_with_several_workers(wipeable_ledger, frozen):
    team = Team(Shop())
    team.receive(1000)
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "主管", "approvers": [{"type": "warehouse_manager"}], "time_limit_hours": 2,
         "reminders": [-30, 0, 30], "escalation": {"rule": "superior", "after_minutes": 60}},
    ])
    documents = [team.write_off(qty="1") for _ in range(DOCUMENTS)]
    assert Timer.objects.count() == DOCUMENTS * 4
    first = set(Timer.objects.values_list("pk", flat=True))

    # the workers were down all afternoon: everything is due at once
    frozen.set(dt.datetime(2026, 11, 23, 17, 0, tzinfo=SH))
    barrier = threading.Barrier(WORKERS)
    results: list = []
    errors: list = []
    threads = [threading.Thread(target=_scan_until_done, args=(barrier, results, errors)) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []

    fired_ids = Counter(r["timer"] for r in results)
    assert len(fired_ids) == DOCUMENTS * 4 and set(fired_ids.values()) == {1}
    assert set(fired_ids) == first
    assert set(Timer.objects.filter(pk__in=first).values_list("state", flat=True)) == {"fired"}
    assert all(t.late_seconds > 0 for t in Timer.objects.filter(pk__in=first))  # each one says how late it was
    # each escalation gave its step a fresh limit: its reminders and the next level, due tomorrow
    later = Timer.objects.exclude(pk__in=first)
    assert later.count() == DOCUMENTS * 4 and set(later.values_list("state", flat=True)) == {"pending"}
    assert set(later.filter(kind="escalation").values_list("seq", flat=True)) == {2}
    assert min(later.values_list("due_at", flat=True)) > wf.clock.now()
    reminders = Counter((n.data["number"], n.data["seq"]) for n in
                        Notification.objects.filter(recipient=team.wang, topic="workflow.reminder"))
    assert len(reminders) == DOCUMENTS * 3 and set(reminders.values()) == {1}
    assert Event.objects.filter(topic="workflow.reminded").count() == DOCUMENTS * 3
    assert Decision.objects.filter(decision="escalate").count() == DOCUMENTS
    escalated = Notification.objects.filter(recipient=team.boss, topic="workflow.escalated")
    assert escalated.count() == DOCUMENTS and all(n.data["late"] and "late" in n.body for n in escalated)

    # the boss, to whom it was escalated, approves them all; they post
    for doc in documents:
        doc = docs.approve_document(doc, by=team.boss)
        assert doc.status == Status.APPROVED
        docs.post_document(doc, by=team.keeper)
    assert set(later.values_list("state", flat=True)) == {"cancelled"}
    assert_ledger_consistent()


def test_a_decision_and_the_scan_at_the_same_moment(wipeable_ledger, frozen):
    """An approver acts while the workers fire the step's timers: the timers fire before or not at all."""
    team = Team(Shop())
    team.receive(1000)
    wf.create_flow(by=team.boss, name="报损审批", kind="write_off", steps=[
        {"name": "主管", "approvers": [{"type": "warehouse_manager"}], "time_limit_hours": 1,
         "reminders": [0], "escalation": {"rule": "auto_reject", "after_minutes": 30}},
    ])
    documents = [team.write_off(qty="1") for _ in range(10)]
    frozen.set(dt.datetime(2026, 11, 23, 17, 0, tzinfo=SH))
    barrier = threading.Barrier(3)
    results: list = []
    errors: list = []
    outcomes: list = []

    def approver():
        try:
            barrier.wait()
            for doc in documents:
                try:
                    outcomes.append(docs.approve_document(doc, by=team.wang).status)
                except wf.DomainError as exc:
                    outcomes.append(exc.code)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=approver)] + [
        threading.Thread(target=_scan_until_done, args=(barrier, results, errors)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    for doc in documents:
        doc.refresh_from_db()
        approved = doc.status == Status.APPROVED
        auto_rejected = Decision.objects.filter(approval__document=doc, decision="auto_reject").exists()
        assert approved != auto_rejected  # exactly one of the two happened
        assert doc.status in (Status.APPROVED, Status.DRAFT)
    fired = Counter(r["timer"] for r in results)
    assert set(fired.values()) <= {1}
    assert not Timer.objects.filter(state="pending").exists()
