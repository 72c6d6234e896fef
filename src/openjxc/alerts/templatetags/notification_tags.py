"""The notification bell in the page header: the signed-in user's unread count."""

from __future__ import annotations

from django import template

from openjxc.alerts.inbox import unread_count

register = template.Library()


@register.inclusion_tag("alerts/notifications/bell.html", takes_context=True)
def notification_bell(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"unread": unread_count(user), "show": user is not None and user.is_authenticated}
