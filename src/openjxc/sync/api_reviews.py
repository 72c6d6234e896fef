"""The review queue of terminal operations (sync/review.py) and the stores a customer is sold to at
(sync/customers.py), on the terminals' router (/api/sync)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Path, Query, Schema

from openjxc.core.api_auth import api_auth
from openjxc.core.schemas import MAX_ID, Id, text
from openjxc.sync import customers, review
from openjxc.sync.api_terminals import router
from openjxc.sync.models import TerminalReview


class ReviewOut(Schema):
    id: int
    terminal_id: int
    terminal_code: str = Field(..., alias="terminal.code")
    warehouse_id: int = Field(..., alias="terminal.warehouse_id")
    op_id: str = Field(..., alias="operation.op_id")
    type: str
    data: dict[str, Any]
    device_at: dt.datetime | None
    business_on: dt.date
    reason: str
    status: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by_id: int | None
    posted_on: dt.date | None
    note: str
    document_id: int | None
    document_number: str | None = None

    @staticmethod
    def resolve_document_number(obj: TerminalReview) -> str | None:
        return obj.document.number if obj.document_id else None


class RedateIn(Schema):
    business_on: dt.date
    reason: text(500) = ""


class RejectIn(Schema):
    reason: text(500, min_length=1)


class StoresIn(Schema):
    stores: list[Id | text(32, min_length=1)] = Field(..., max_length=500,
                                                      description="empty: the customer is sold to at every store")


class StoresOut(Schema):
    customer_id: int
    stores: list[str]


@router.get("/reviews", response=list[ReviewOut], auth=[api_auth],
            summary="Terminal operations held for review (dated too long ago, in a closed month, ahead)")
def list_reviews(request, status: Literal["pending", "accepted", "redated", "rejected"] | None = "pending",
                 limit: int = Query(100, ge=1, le=500)):
    qs = review.reviews_for(request.auth).select_related("operation")
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-id")[:limit])


def _one(request, review_id: int) -> TerminalReview:
    return review.reviews_for(request.auth).select_related("operation").get(pk=review_id)


@router.post("/reviews/{int:review_id}/accept", response=ReviewOut, auth=[api_auth],
             summary="Post a held operation with its own date")
def accept_review(request, review_id: int = Path(..., ge=1, le=MAX_ID)):
    return _one(request, review.accept_review(review_id, by=request.auth).pk)


@router.post("/reviews/{int:review_id}/redate", response=ReviewOut, auth=[api_auth],
             summary="Post a held operation with another date (audited)")
def redate_review(request, payload: RedateIn, review_id: int = Path(..., ge=1, le=MAX_ID)):
    done = review.redate_review(review_id, by=request.auth, on=payload.business_on, note=payload.reason)
    return _one(request, done.pk)


@router.post("/reviews/{int:review_id}/reject", response=ReviewOut, auth=[api_auth],
             summary="Reject a held operation with a reason (kept, never posted)")
def reject_review(request, payload: RejectIn, review_id: int = Path(..., ge=1, le=MAX_ID)):
    return _one(request, review.reject_review(review_id, by=request.auth, note=payload.reason).pk)


@router.put("/customers/{int:customer_id}/stores", response=StoresOut, auth=[api_auth],
            summary="The stores whose tills may sell to a customer (empty: every store)")
def put_customer_stores(request, payload: StoresIn, customer_id: int = Path(..., ge=1, le=MAX_ID)):
    stores = customers.set_customer_stores(by=request.auth, customer=customer_id, stores=list(payload.stores))
    return {"customer_id": customer_id, "stores": [w.code for w in stores]}
