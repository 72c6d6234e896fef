"""Template filters naming a document kind: its label (采购入库)."""

from __future__ import annotations

from django import template

from openjxc.documents.kinds import KINDS

register = template.Library()


@register.filter
def kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind else code

