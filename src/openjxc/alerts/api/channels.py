"""The company's notification channels over HTTP (/api/channels, admins): set up, test, delivery log."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Literal

from ninja import Field, Path, Query, Router, Schema, Status

from openjxc.core.permissions import require
from openjxc.core.schemas import MAX_ID, MAX_PAGE, Page, paginate, text

from .. import channel_services
from .. import channels as kinds
from ..delivery import send_test
from ..models import Channel, ChannelKind, DeliveryStatus

router = Router(tags=["notifications"])

Kind = Literal["email", "wecom", "dingtalk", "feishu", "webhook"]
assert set(Kind.__args__) == set(ChannelKind.values)


class ChannelOut(Schema):
    id: int
    kind: str
    name: str
    enabled: bool
    topics: list[str]
    config: dict = Field(description="secrets (webhook URL keys, signing secrets) are masked")
    is_failing: bool
    consecutive_failures: int
    failing_since: dt.datetime | None
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    last_error: str

    @staticmethod
    def resolve_config(obj):
        return kinds.mask_config(obj.kind, obj.config)


class ChannelIn(Schema):
    kind: Kind
    name: text(100, min_length=1)
    enabled: bool = True
    topics: list[text(100, min_length=1)] = Field(default_factory=list, max_length=50,
                                                   description="topic prefixes; empty = every topic")
    config: dict[str, Any] = Field(default_factory=dict)


class ChannelPatch(Schema):
    name: text(100, min_length=1) | None = None
    enabled: bool | None = None
    topics: list[text(100, min_length=1)] | None = Field(None, max_length=50)
    config: dict[str, Any] | None = Field(None, description="masked secrets sent back unchanged are kept")


class DeliveryOut(Schema):
    id: int
    topic: str
    title: str
    address: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str
    response: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    is_test: bool


class DeliveryParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_ID)
    status: Literal["pending", "retrying", "sent", "failed"] | None = None


class TestIn(Schema):
    address: text(254) = Field("", description="email channels: my own address (the only one a test goes to)")


class TestOut(Schema):
    ok: bool
    status: str
    error: str
    response: str = Field(description="the answer's HTTP status and time, never its body")
    elapsed_ms: int | None = Field(None, description="how long the platform took to answer")
    delivery: DeliveryOut


@router.get("", response=list[ChannelOut], summary="Notification channels of my company (admins)")
def list_channels(request):
    require(request.auth, channel_services.MANAGE)
    return Channel.objects.filter(company_id=request.auth.company_id).order_by("name", "id")


@router.post("", response={201: ChannelOut}, summary="Create a channel")
def create_channel(request, payload: ChannelIn):
    return Status(201, channel_services.create_channel(by=request.auth, **payload.dict()))


@router.get("/{int:pk}", response=ChannelOut, summary="One channel")
def get_channel(request, pk: int = Path(..., ge=1, le=MAX_ID)):
    return channel_services.get_channel(by=request.auth, pk=pk)


@router.patch("/{int:pk}", response=ChannelOut, summary="Change a channel")
def update_channel(request, payload: ChannelPatch, pk: int = Path(..., ge=1, le=MAX_ID)):
    return channel_services.update_channel(by=request.auth, pk=pk, **payload.dict(exclude_unset=True))


@router.delete("/{int:pk}", response={204: None}, summary="Delete a channel and its delivery log")
def delete_channel(request, pk: int = Path(..., ge=1, le=MAX_ID)):
    channel_services.delete_channel(by=request.auth, pk=pk)
    return Status(204, None)


@router.post("/{int:pk}/test", response=TestOut,
                      summary="Send a test message now and report the platform's answer")
def test_channel(request, payload: TestIn, pk: int = Path(..., ge=1, le=MAX_ID)):
    channel = channel_services.get_channel(by=request.auth, pk=pk)
    started = time.monotonic()
    d = send_test(channel, by=request.auth, address=payload.address)
    return {"ok": d.status == DeliveryStatus.SENT, "status": d.status, "error": d.last_error, "response": d.response,
            "elapsed_ms": int((time.monotonic() - started) * 1000), "delivery": d}


@router.get("/{int:pk}/deliveries", response=Page[DeliveryOut], summary="A channel's delivery log")
def list_deliveries(request, params: Query[DeliveryParams], pk: int = Path(..., ge=1, le=MAX_ID)):
    channel = channel_services.get_channel(by=request.auth, pk=pk)
    qs = channel.deliveries.order_by("-id")
    if params.status:
        qs = qs.filter(status=params.status)
    return paginate(qs, params)
