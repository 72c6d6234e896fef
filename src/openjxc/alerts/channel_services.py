"""Services that write notification channels (admin only), with events and audit in the same transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from openjxc.alerts import channels as kinds
from openjxc.alerts.models import Channel, ChannelKind
from openjxc.core.errors import Conflict, NotFound
from openjxc.core.events import record_audit, record_event
from openjxc.core.permissions import require

MANAGE = "users.manage"  # administrators only, like users and tokens of others


def _clean_topics(topics) -> list[str]:
    if topics is None:
        return []
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise kinds.ChannelConfigInvalid(field="topics", reason=_("must be a list of topic prefixes"))
    out = []
    for t in topics:
        t = t.strip()
        if t and t not in out:
            if len(t) > 100:
                raise kinds.ChannelConfigInvalid(field="topics", reason=_("is too long"))
            out.append(t)
    return out


def _check_flags(kind: str, enabled: bool, config: dict) -> None:
    # DingTalk retired its old custom robots in 2023; new-style webhooks still work. A DingTalk channel only
    # sends once an administrator has confirmed (per channel) that its robot works, e.g. by a test message.
    if kind == ChannelKind.DINGTALK and enabled and not config.get("robot_confirmed"):
        raise kinds.ChannelConfigInvalid(
            field="robot_confirmed",
            reason=_("must be ticked before a DingTalk channel is enabled (send a test message first)"))


def _snapshot(channel) -> dict:
    return {"kind": channel.kind, "name": channel.name, "enabled": channel.enabled, "topics": channel.topics,
            "config": kinds.mask_config(channel.kind, channel.config)}


def create_channel(*, by, kind: str, name: str, config: dict, topics=None, enabled: bool = True) -> Channel:
    """Create a channel of `kind` for the actor's company; the config is validated per kind."""
    require(by, MANAGE)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise kinds.ChannelConfigInvalid(field="name", reason=_("is required (up to 100 characters)"))
    config = kinds.validate_config(kind, config or {})
    topics = _clean_topics(topics)
    _check_flags(kind, enabled, config)
    with transaction.atomic():
        if Channel.objects.filter(company_id=by.company_id, name=name).exists():
            raise Conflict("channel.name_taken", _("A channel named %(name)s already exists."), name=name)
        try:
            with transaction.atomic():
                channel = Channel.objects.create(company_id=by.company_id, kind=kind, name=name, config=config,
                                                 topics=topics, enabled=enabled)
        except IntegrityError:
            raise Conflict("channel.name_taken", _("A channel named %(name)s already exists."), name=name) from None
        record_event(company=by.company_id, topic="channel.created", by=by, obj=channel,
                     payload={"channel": channel.pk, "kind": kind, "name": name})
        record_audit(company=by.company_id, action="channel.create", obj=channel, by=by, after=_snapshot(channel))
    return channel


def get_channel(*, by, pk: int) -> Channel:
    """The actor's company's channel `pk`; another company's is not found."""
    require(by, MANAGE)
    channel = Channel.objects.filter(company_id=by.company_id, pk=pk).first()
    if channel is None:
        raise NotFound("channel", pk)
    return channel


def update_channel(*, by, pk: int, name: str | None = None, config: dict | None = None, topics=None,
                   enabled: bool | None = None) -> Channel:
    """Change a channel; secrets sent back masked keep their stored value."""
    with transaction.atomic():
        channel = get_channel(by=by, pk=pk)
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        before = _snapshot(channel)
        if name is not None:
            name = name.strip()
            if not name or len(name) > 100:
                raise kinds.ChannelConfigInvalid(field="name", reason=_("is required (up to 100 characters)"))
            if Channel.objects.filter(company_id=by.company_id, name=name).exclude(pk=pk).exists():
                raise Conflict("channel.name_taken", _("A channel named %(name)s already exists."), name=name)
            channel.name = name
        if config is not None:
            channel.config = kinds.validate_config(channel.kind, kinds.merge_config(channel.kind, channel.config,
                                                                                   config))
        if topics is not None:
            channel.topics = _clean_topics(topics)
        if enabled is not None:
            channel.enabled = enabled
        _check_flags(channel.kind, channel.enabled, channel.config)
        channel.save()
        record_event(company=by.company_id, topic="channel.updated", by=by, obj=channel,
                     payload={"channel": channel.pk, "enabled": channel.enabled})
        record_audit(company=by.company_id, action="channel.update", obj=channel, by=by, before=before,
                     after=_snapshot(channel))
    return channel


def delete_channel(*, by, pk: int) -> None:
    """Delete a channel and its delivery log."""
    with transaction.atomic():
        channel = get_channel(by=by, pk=pk)
        record_event(company=by.company_id, topic="channel.deleted", by=by, obj=channel,
                     payload={"channel": channel.pk, "name": channel.name})
        record_audit(company=by.company_id, action="channel.delete", obj=channel, by=by,
                     before=_snapshot(channel))
        channel.delete()
