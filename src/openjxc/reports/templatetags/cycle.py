"""Durations as people read them: minutes, hours or days."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """12 min / 5.1 h / 3.2 d (zh: 12 分钟 / 5.1 小时 / 3.2 天); an empty figure is a dash."""
    if seconds is None or seconds == "":
        return "—"
    s = float(seconds)
    if s < 3600:
        return _("%(n)s min") % {"n": f"{s / 60:.0f}"}
    if s < 2 * 86400:
        return _("%(n)s h") % {"n": f"{s / 3600:.1f}"}
    return _("%(n)s d") % {"n": f"{s / 86400:.1f}"}


@register.filter
def days(seconds) -> str:
    return "—" if seconds is None else f"{float(seconds) / 86400:.1f}"
