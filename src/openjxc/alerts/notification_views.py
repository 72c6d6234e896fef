"""Web pages of the notifications: my inbox, and the company's channels (administrators): list, create and
edit with the fields each kind needs, a test button that shows the platform's answer, the delivery log."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from openjxc.alerts import channel_services, inbox
from openjxc.alerts import channels as kinds
from openjxc.alerts.delivery import send_test
from openjxc.alerts.models import Channel, ChannelKind, DeliveryStatus
from openjxc.core import clock, permissions
from openjxc.core.errors import DomainError
from openjxc.web.form_pages import CHECKBOX, form_page
from openjxc.web.pages import company_page, paginate
from openjxc.web.paging import keyset_page

KIND_HELP = {
    ChannelKind.EMAIL: gettext_lazy("Each recipient with an email address gets the message (SMTP server set by "
                                     "the operator in JXC_SMTP_URL)."),
    ChannelKind.WECOM: gettext_lazy("A WeCom group robot: the group gets a markdown message. 20 messages a minute."),
    ChannelKind.DINGTALK: gettext_lazy("A DingTalk custom robot in signed (加签) mode. 20 messages a minute."),
    ChannelKind.FEISHU: gettext_lazy("A Feishu/Lark custom bot with signature verification. 5 a second, 100 a "
                                     "minute."),
    ChannelKind.WEBHOOK: gettext_lazy("Your own system receives JSON signed with HMAC-SHA256 "
                                      "(X-OpenJXC-Signature)."),
}


def _require_admin(user):
    if not permissions.allowed(user, channel_services.MANAGE):
        raise PermissionDenied(_("Only an administrator may manage notification channels."))


# ---------------------------------------------------------------- inbox


INBOX_PAGE = 20  # a screenful on a phone, not a 6,000-pixel scroll


@company_page
def notifications(request):
    """My inbox: newest first, grouped by day, a page at a time; filter by unread and by kind (topic family)."""
    user = request.user
    unread_only = request.GET.get("show") == "unread"
    families = inbox.topic_families(user)
    topic = request.GET.get("topic", "")
    if topic not in {f["prefix"] for f in families}:
        topic = ""
    page = keyset_page(request, inbox.notifications_of(user, unread_only=unread_only, topic=topic),
                       ["-created_at", "-id"], size=INBOX_PAGE)
    notes = inbox.readable(page.object_list, user)
    today = clock.today(user.company.time_zone)
    return render(request, "alerts/notifications/inbox.html", {
        "page": page, "days": inbox.day_groups(notes), "today": today, "yesterday": today - dt.timedelta(days=1),
        "unread_only": unread_only, "unread": inbox.unread_count(user), "families": families, "topic": topic,
    })


@company_page
@require_POST
def notification_open(request, pk: int):
    """Mark read, then go where the notification points (only within this site)."""
    try:
        note = inbox.mark_read(by=request.user, pk=pk)
    except DomainError:
        raise Http404(_("This notification was not found.")) from None
    if request.POST.get("read_only") or not note.link or not url_has_allowed_host_and_scheme(
            note.link, allowed_hosts={request.get_host()}):
        return redirect("web:notifications")
    return redirect(note.link)


@company_page
@require_POST
def notifications_read_all(request):
    count = inbox.mark_all_read(by=request.user)
    messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
    return redirect("web:notifications")


# ---------------------------------------------------------------- channels


class ChannelForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False, initial=True, widget=CHECKBOX)
    topics = forms.CharField(
        label=gettext_lazy("Topics"), required=False, max_length=2000,
        help_text=gettext_lazy("Topic prefixes, separated by commas, e.g. approval., alert. — empty: everything"))
    url = forms.CharField(label=gettext_lazy("Webhook address"), max_length=500,
                          help_text=gettext_lazy("Copied from the group robot's settings"))
    secret = forms.CharField(label=gettext_lazy("Signing secret"), max_length=500, required=False)
    keyword = forms.CharField(label=gettext_lazy("Keyword"), max_length=100, required=False,
                              help_text=gettext_lazy("If the robot uses keyword security: it is added to each "
                                                     "message"))
    robot_confirmed = forms.BooleanField(
        label=gettext_lazy("The robot works (tested)"), required=False, widget=CHECKBOX,
        help_text=gettext_lazy("DingTalk retired its old custom robots in 2023: send a test message, then tick "
                               "this to enable the channel"))
    rate_per_minute = forms.IntegerField(label=gettext_lazy("Most messages a minute"), required=False, min_value=1,
                                         max_value=6000, help_text=gettext_lazy("Empty: 120"))
    from_address = forms.CharField(label=gettext_lazy("Sender address"), max_length=254, required=False,
                                   help_text=gettext_lazy("Empty: the server's default sender"))
    subject_prefix = forms.CharField(label=gettext_lazy("Subject prefix"), max_length=50, required=False)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        required, optional, secret = kinds.FIELDS[kind]
        for name in list(self.fields):
            if name in ("name", "enabled", "topics"):
                continue
            if name not in required and name not in optional:
                del self.fields[name]
            else:
                self.fields[name].required = name in required
        if kind == ChannelKind.WEBHOOK:
            self.fields["secret"].help_text = gettext_lazy(
                "At least 16 characters; your receiver checks X-OpenJXC-Signature with it")
            self.fields["url"].help_text = gettext_lazy("Your receiver's address (http:// or https://)")
        elif "secret" in self.fields:
            self.fields["secret"].help_text = gettext_lazy("Starts with SEC for DingTalk; leave empty when the "
                                                           "robot does not sign")

    def config(self) -> dict:
        d = self.cleaned_data
        required, optional, _secret = kinds.FIELDS[self.kind]
        out = {}
        for name in (*required, *optional):
            value = d.get(name)
            if name == "robot_confirmed":
                out[name] = bool(value)
            elif name == "rate_per_minute":
                if value:
                    out[name] = value
            elif value not in (None, ""):
                out[name] = value
        return out

    def topic_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["topics"].replace("，", ",").split(",") if t.strip()]


def _initial(channel) -> dict:
    masked = kinds.mask_config(channel.kind, channel.config)
    return {"name": channel.name, "enabled": channel.enabled, "topics": ", ".join(channel.topics), **masked}


@company_page
def channels(request):
    _require_admin(request.user)
    rows = Channel.objects.filter(company_id=request.user.company_id).order_by("name", "id")
    return render(request, "alerts/notifications/channels.html", {"channels": rows, "kinds": [
        (k, ChannelKind(k).label, KIND_HELP[k]) for k in ChannelKind.values]})


@company_page
def channel_new(request, kind: str):
    _require_admin(request.user)
    if kind not in ChannelKind.values:
        raise Http404(_("There is no such channel kind."))
    form = ChannelForm(request.POST or None, kind=kind,
                       initial={"enabled": kind != ChannelKind.DINGTALK})
    return form_page(
        request, form,
        lambda data: channel_services.create_channel(
            by=request.user, kind=kind, name=data["name"], config=form.config(), topics=form.topic_list(),
            enabled=data["enabled"]),
        template="alerts/notifications/channel_form.html",
        context={"kind_label": ChannelKind(kind).label, "kind_help": KIND_HELP[kind],
                 "title": _("New channel: %(kind)s") % {"kind": ChannelKind(kind).label}},
        saved=lambda channel: (_("Channel %(name)s was created. Send a test message to check it.")
                               % {"name": channel.name}, ("web:channel_edit", channel.pk)),
    )


def _own_channel(request, pk) -> Channel:
    try:
        return channel_services.get_channel(by=request.user, pk=pk)
    except DomainError:
        raise Http404(_("This channel was not found.")) from None


@company_page
def channel_edit(request, pk: int):
    _require_admin(request.user)
    channel = _own_channel(request, pk)
    form = ChannelForm(request.POST or None, kind=channel.kind, initial=_initial(channel))
    status = request.GET.get("status", "")
    log = channel.deliveries.order_by("-id")
    if status in DeliveryStatus.values:
        log = log.filter(status=status)
    page, query = paginate(request, log)

    def save(data):
        channel_services.update_channel(by=request.user, pk=channel.pk, name=data["name"], config=form.config(),
                                        topics=form.topic_list(), enabled=data["enabled"])
        return data["name"]

    return form_page(
        request, form, save, template="alerts/notifications/channel_form.html",
        context={"channel": channel, "kind_label": channel.get_kind_display(), "kind_help": KIND_HELP[channel.kind],
                 "title": _("Channel %(name)s") % {"name": channel.name}, "page": page, "query": query,
                 "status": status, "statuses": DeliveryStatus.choices},
        saved=lambda name: (_("Channel %(name)s was saved.") % {"name": name}, ("web:channel_edit", channel.pk)),
    )


@company_page
@require_POST
def channel_test(request, pk: int):
    _require_admin(request.user)
    channel = _own_channel(request, pk)
    try:
        d = send_test(channel, by=request.user)
    except DomainError as err:
        messages.error(request, err.render_message())
    else:
        if d.status == DeliveryStatus.SENT:
            messages.success(request, _("Test message delivered (%(answer)s).") % {"answer": d.response or "OK"})
        else:
            messages.error(request, _("Test message not delivered: %(error)s.") % {"error": d.last_error})
    return redirect("web:channel_edit", pk=channel.pk)


@company_page
@require_POST
def channel_delete(request, pk: int):
    _require_admin(request.user)
    channel = _own_channel(request, pk)
    channel_services.delete_channel(by=request.user, pk=channel.pk)
    messages.success(request, _("Channel %(name)s was deleted.") % {"name": channel.name})
    return redirect("web:channels")
