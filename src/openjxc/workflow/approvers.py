"""Who approves a step: the flow's approver entries resolved against the people as they are now, then the
separation of duties (issue 13, item 13); decision 0013.

By default nobody approves their own document and nobody decides two steps of one document: the requester,
and whoever decided an earlier step of the same approval, are left out of a step's approvers (a flow may allow
either: `Flow.allow_self_approval`, `Flow.allow_same_approver`). When that leaves the step without anyone (or,
in an N-of-M step, with too few), the step goes to a substitute: for the requester's own document their
superior, else the step's escalation deputy; for an earlier step's decider, their superior, else the deputy,
else the requester's superior. The engine records the substitution on the
timeline; the decision itself is refused to anyone left out (a delegate who is the requester, for one).
Posting is not an approval: the creator may still post an approved document.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openjxc.core.models import User
from openjxc.core.permissions import is_person
from openjxc.workflow.models import Mode

SUBSTITUTE = "substitute"  # the `via` prefix of an approver standing in for people left out


@dataclass
class Resolved:
    """A step's approvers (user id -> how found) after separation; who was left out and who stands in."""

    users: dict[int, str]
    left_out: list[int] = field(default_factory=list)
    substitutes: list[int] = field(default_factory=list)


def active_people(company_id: int) -> dict[int, User]:
    """The company's active people: who may approve, stand in or be escalated to (never a terminal's user)."""
    return {u.pk: u for u in User.objects.filter(company_id=company_id, is_active=True).order_by("pk")
            if is_person(u)}


def resolve(company_id: int, spec: dict, doc, requester: User, people: dict[int, User] | None = None) -> dict[int, str]:
    """The users a step's approver entries stand for in this document now, with how each was found.

    `people`: the company's active users by id (read once when resolving many steps)."""
    if people is None:
        people = active_people(company_id)
    found: dict[int, str] = {}
    for a in spec["approvers"]:
        if a["type"] == "role":
            for u in people.values():
                if a["role"] in (u.roles or []):
                    found.setdefault(u.pk, f"role:{a['role']}")
        elif a["type"] == "user":
            if a["user"] in people:
                found.setdefault(a["user"], "user")
        elif a["type"] == "superior":
            if requester.superior_id in people:
                found.setdefault(requester.superior_id, "superior")
        elif a["type"] == "warehouse_manager":
            mgr = doc.warehouse.manager_id if doc.warehouse_id else None
            if mgr in people:
                found.setdefault(mgr, "warehouse_manager")
    return found


def excluded(flow, requester_id: int, earlier_deciders: set[int]) -> set[int]:
    """Who may not decide a step of this approval: the requester and the deciders of earlier steps, unless the
    flow allows them."""
    out = set()
    if not flow.allow_self_approval:
        out.add(requester_id)
    if not flow.allow_same_approver:
        out |= earlier_deciders
    return out


def separate(found: dict[int, str], spec: dict, *, flow, requester: User, earlier_deciders: set[int],
             people: dict[int, User]) -> Resolved:
    """`found` without the people left out; a substitute when too few remain (see the module's docstring)."""
    barred = excluded(flow, requester.pk, earlier_deciders)
    users = {u: via for u, via in found.items() if u not in barred}
    left_out = [u for u in found if u in barred]
    needed = 1
    if spec.get("mode") == Mode.N_OF_M:
        needed = min(int(spec.get("n") or 1), len(found))
    result = Resolved(users, left_out)
    if len(users) >= needed or not found:
        return result
    esc = spec.get("escalation") or {}
    deputy = [(esc.get("deputy") if esc.get("rule") == "deputy" else None, "deputy")]
    up = [(people[u].superior_id if u in people else None, "approver_superior")
          for u in left_out if u != requester.pk]
    if requester.pk in left_out:  # their own document: the requester's superior first
        candidates = [(requester.superior_id, "superior"), *deputy, *up]
    else:  # an earlier step's decider: up their chain first
        candidates = [*up, *deputy, (requester.superior_id, "superior")]
    for uid, why in candidates:
        if len(users) >= needed:
            break
        if uid is None or uid not in people or uid in barred or uid in users:
            continue
        users[uid] = f"{SUBSTITUTE}:{why}"
        result.substitutes.append(uid)
    return result
