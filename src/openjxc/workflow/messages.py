"""What the approval notifications say, rendered in each reader's language from the topic and its data
(core/messages.py); registered when the app is ready."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core import messages
from openjxc.workflow.engine import SUBSTITUTED_EARLIER, SUBSTITUTED_OWN


def _due(data, tz) -> str:
    if not data.get("due_at"):
        return ""
    return _("Due %(due)s.") % {"due": messages.local_time(data["due_at"], tz)}


def _late(data, sentence) -> str:
    return sentence % {"minutes": data.get("late_seconds", 0) // 60} if data.get("late") else ""


def _join(*parts) -> str:
    return " ".join(p for p in parts if p)


def waiting(data, tz):
    return (_("%(number)s waits for your approval (%(step)s)") % {"number": data["number"], "step": data["step"]},
            _due(data, tz))


def approved(data, tz):
    return _("%(number)s was approved") % {"number": data["number"]}, ""


def rejected(data, tz):
    return (_("%(number)s was rejected: %(reason)s") % {"number": data["number"], "reason": data["reason"]},
            data["reason"])


def withdrawn(data, tz):
    return _("%(number)s was withdrawn by its requester") % {"number": data["number"]}, data["reason"]


def reminder(data, tz):
    title = _("Reminder %(n)s/%(total)s: %(number)s waits for your approval (%(step)s)") % {
        "n": data["seq"], "total": data["total"], "number": data["number"], "step": data["step"]}
    return title, _join(_due(data, tz), _late(data, _(
        "This reminder is %(minutes)s minutes late: the scheduler was not running.")))


def escalated(data, tz):
    title = _("%(number)s was escalated to you (%(step)s)") % {"number": data["number"], "step": data["step"]}
    return title, _join(_due(data, tz), _late(data, _(
        "This escalation is %(minutes)s minutes late: the scheduler was not running.")))


def escalation_exhausted(data, tz):
    title = _("%(number)s is still undecided and nobody is left to escalate to (%(step)s)") % {
        "number": data["number"], "step": data["step"]}
    return title, _late(data, _("This escalation is %(minutes)s minutes late: the scheduler was not running."))


# what the system (a timer) writes as its decision's comment (workflow/services.py): shown again in the reader's
# language on the approval timeline
SYSTEM_COMMENTS = (
    'Step "%(step)s" ran out of time',
    "nobody left to escalate to; the administrators were told",
    "escalated to %(who)s",
    SUBSTITUTED_OWN,
    SUBSTITUTED_EARLIER,
)


def system_comment(text: str) -> str:
    return messages.retranslate(text, SYSTEM_COMMENTS)


def register() -> None:
    approval = gettext_lazy("Approval")
    messages.register("workflow.", approval)
    for topic, render in (("waiting", waiting), ("approved", approved), ("rejected", rejected),
                          ("withdrawn", withdrawn), ("reminder", reminder), ("escalated", escalated),
                          ("escalation_exhausted", escalation_exhausted)):
        messages.register(f"workflow.{topic}", approval, render)
