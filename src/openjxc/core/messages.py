"""Notification texts, rendered in the reader's language from a topic and its data.

A sentence written when a notification is created stays in the language of whoever (or whichever worker)
caused it. So each app registers, per topic, what kind of message it is and how to say it (`register`), and
the inbox, the API and every outgoing message render it (`render`) in the language of whoever reads it: the
stored title and body are only the fallback, for a topic nobody registered or a row written before its topic
was registered (or before it carried the data its text needs).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import formats, translation

# render(data, time zone) -> (title, body), in the active language; KeyError & co. mean "data too old: fall back"
Renderer = Callable[[dict, dt.tzinfo], tuple[str, str]]


@dataclass(frozen=True)
class Message:
    label: object  # what kind of message it is ("Approval", "Low stock"): a badge and a filter in the inbox
    render: Renderer | None = None


_MESSAGES: dict[str, Message] = {}


def register(topic: str, label, render: Renderer | None = None) -> None:
    """Declare a topic (exactly, or every topic under a prefix ending with "."): its label and its text."""
    _MESSAGES[topic] = Message(label, render)


def lookup(topic: str) -> Message | None:
    """The registration of `topic`: exact, else the longest registered prefix."""
    found = _MESSAGES.get(topic)
    if found is not None:
        return found
    prefixes = [p for p in _MESSAGES if p.endswith(".") and topic.startswith(p)]
    return _MESSAGES[max(prefixes, key=len)] if prefixes else None


def label(topic: str) -> str:
    """The topic as a reader names it, in the active language (the raw topic if nobody registered it)."""
    message = lookup(topic)
    return str(message.label) if message is not None else topic


def render(topic: str, data: dict | None, *, title: str = "", body: str = "",
           time_zone: str | dt.tzinfo = "UTC") -> tuple[str, str]:
    """Title and body of a notification in the active language; the stored `title`/`body` when the topic has
    no text or its data is too old to fill it."""
    message = lookup(topic)
    if message is None or message.render is None:
        return title, body
    tz = zoneinfo.ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone
    try:
        rendered_title, rendered_body = message.render(data or {}, tz)
    except (KeyError, ValueError, TypeError, AttributeError):
        return title, body
    return str(rendered_title), str(rendered_body)


def local_time(value: str | dt.datetime | None, tz: dt.tzinfo) -> str:
    """An ISO timestamp (as data stores it) as the reader's short date and time in the company's zone."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return formats.date_format(moment.astimezone(tz), "Y-m-d H:i")


def retranslate(text: str, msgids: Iterable[str]) -> str:
    """A sentence stored in the language of whoever wrote it (a worker, a colleague), made from one of `msgids`
    (with %(name)s fields), said again in the active language; any other text is returned as it is."""
    for msgid in msgids:
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                template = translation.gettext(msgid)
            pattern = re.sub(r"%\\\((\w+)\\\)s", r"(?P<\1>.+?)", re.escape(template))
            found = re.fullmatch(pattern, text, re.S)
            if found:
                return translation.gettext(msgid) % found.groupdict()
    return text
