"""{% approval_timeline doc %}: the document's approval lanes (steps, who, when, how long, who holds it now)
and its transition history, for the document page."""

from __future__ import annotations

from django import template

from openjxc.core import clock
from openjxc.documents.models import DocumentTransition
from openjxc.documents.services import ACTION_LABELS
from openjxc.workflow import selectors
from openjxc.workflow.messages import system_comment
from openjxc.workflow.models import ApprovalState, Decision, StepState

register = template.Library()


@register.inclusion_tag("workflow/_timeline.html")
def approval_timeline(doc):
    data = selectors.timeline(doc)
    states, steps, decisions = dict(ApprovalState.choices), dict(StepState.choices), dict(Decision.Kind.choices)
    for a in data["approvals"]:
        a["state_label"] = states.get(a["state"], a["state"])
        for s in a["steps"]:
            s["state_label"] = steps.get(s["state"], s["state"])
            for d in s["decisions"]:
                d["label"] = decisions.get(d["decision"], d["decision"])
                if d["user"] is None and d["comment"]:  # written by a timer, in the worker's language
                    d["comment"] = system_comment(d["comment"])
    history = [
        {"action": str(ACTION_LABELS.get(t.action, t.action)) if t.action != "create" else None, "at": t.at,
         "by": str(t.by) if t.by_id else "—", "waited": t.waited.total_seconds(), "step": t.step}
        for t in DocumentTransition.objects.filter(document=doc).select_related("by").order_by("at", "id")
    ]
    return {"approvals": data["approvals"], "history": history, "now": clock.now()}
