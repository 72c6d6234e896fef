"""What alert and channel notifications say, rendered in each reader's language from the topic and its data
(core/messages.py); registered when the app is ready."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core import messages

from .engine import render_title
from .rule_models import AlertKind, rule_display_name


def alert(data, tz):
    """One alert (data: kind, facts) or a digest of one rule's alerts (data: kind, count, rule_name, shown)."""
    kind = AlertKind(data["kind"])
    if "count" in data:
        lines = [render_title(kind, facts) for facts in data["shown"]]
        if data["count"] > len(lines):
            lines.append(_("… and %(count)s more") % {"count": data["count"] - len(lines)})
        return _("%(count)s alerts: %(rule)s") % {"count": data["count"], "rule": rule_display_name(kind, data["rule_name"])}, "\n".join(lines)
    return render_title(kind, data["facts"]), ""  # the inbox shows the kind beside it


def channel_failing(data, tz):
    return (_("Channel %(name)s is failing") % {"name": data["name"]},
            _("%(count)s attempts in a row failed. Last error: %(error)s") % {"count": data["count"],
                                                                              "error": data["error"]})


def channel_recovered(data, tz):
    return _("Channel %(name)s works again") % {"name": data["name"]}, _("Messages are being delivered through it again.")


def register() -> None:
    messages.register("alert.", gettext_lazy("Alert"), alert)
    for kind in AlertKind:
        messages.register(f"alert.{kind.value}", kind.label, alert)
    messages.register("channel.failing", AlertKind.CHANNEL_FAILING.label, channel_failing)
    messages.register("channel.recovered", gettext_lazy("Notification channel"), channel_recovered)
    messages.register("channel.", gettext_lazy("Notification channel"))
