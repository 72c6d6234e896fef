"""What a timer wrote on the approval timeline (in the worker's language) reads in the reader's language, and the
approval notifications it sent too: a Chinese manager never sees the English the scheduler ran in."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from openjxc.alerts.models import Notification
from openjxc.workflow import services as wf
from openjxc.workflow.models import Decision
from tests.workflow.test_timers import at, flow

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_an_escalation_by_an_english_worker_reads_in_chinese_on_the_timeline_and_in_the_inbox(team, frozen):
    flow(team, {"rule": "superior", "after_minutes": 0}, reminders=())
    doc = team.write_off()
    frozen.set(at(23, 14, 1))  # the 4 working hours ran out at 14:00
    with translation.override("en"):
        wf.fire_due_timers()
    decision = Decision.objects.get(decision="escalate")
    assert decision.user is None and decision.comment.startswith("escalated to ")  # stored as the worker wrote it

    browser = Client()
    browser.force_login(team.boss)
    page = text_of(browser.get(reverse("web:document", args=[doc.pk]), **ZH).content.decode())
    assert "已升级给 " in page and "escalated to" not in page
    inbox = text_of(browser.get(reverse("web:notifications"), **ZH).content.decode())
    assert f"{doc.number} 已升级给您审批（仓库主管）" in inbox
    assert Notification.objects.filter(recipient=team.boss, topic="workflow.escalated").exists()
