"""My notifications over HTTP (/api/notifications): the in-app inbox, unread count, marking read."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Path, Query, Router, Schema

from openjxc.core.schemas import MAX_ID, MAX_PAGE, Page, paginate, text

from .. import inbox

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    topic: str
    topic_label: str = Field(description="the kind of notification, in the reader's language")
    title: str = Field(description="in the reader's language, rendered from the topic and data")
    body: str
    link: str
    data: dict
    created_at: dt.datetime
    read_at: dt.datetime | None


class InboxParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_ID)
    unread: bool = False
    topic: text(100) = Field("", description="topic prefix, e.g. approval.")


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


@router.get("", response=Page[NotificationOut], summary="My notifications, newest first")
def list_notifications(request, params: Query[InboxParams]):
    page = paginate(inbox.notifications_of(request.auth, unread_only=params.unread, topic=params.topic), params)
    page["items"] = inbox.readable(page["items"], request.auth)
    return page


@router.get("/unread-count", response=UnreadOut, summary="How many of my notifications are unread")
def unread_count(request):
    return {"unread": inbox.unread_count(request.auth)}


@router.post("/{int:pk}/read", response=NotificationOut, summary="Mark one notification read")
def mark_read(request, pk: int = Path(..., ge=1, le=MAX_ID)):
    return inbox.readable([inbox.mark_read(by=request.auth, pk=pk)], request.auth)[0]


@router.post("/read-all", response=MarkedOut, summary="Mark all my notifications read")
def mark_all_read(request):
    return {"marked": inbox.mark_all_read(by=request.auth)}
