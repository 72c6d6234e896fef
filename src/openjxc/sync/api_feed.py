"""GET /api/feed: the caller's change feed (sync/feed.py), filtered to what they may see."""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Router, Schema

from openjxc.core.permissions import require
from openjxc.sync.feed import FeedScope, read_feed

router = Router(tags=["feed"])


class FeedParams(Schema):
    cursor: str = Field("", max_length=100, description="next_cursor of the previous page; empty for the beginning")
    limit: int = Field(500, description="events per page, 1 to 1000")


class FeedEventOut(Schema):
    id: int
    cursor: str
    topic: str
    object_type: str
    object_id: str
    payload: dict[str, Any]
    created_at: str | None
    actor_id: int | None
    warehouses: list[int]


class FeedPageOut(Schema):
    events: list[FeedEventOut]
    next_cursor: str
    has_more: bool


@router.get("", response=FeedPageOut, summary="Events after a cursor, oldest first")
def feed(request, params: Query[FeedParams]):
    """Every change of the company after `cursor` that the caller may see, in commit order, never repeated
    or skipped. Continue with `next_cursor` (also when `events` is empty); `has_more` says whether to ask
    again at once. A warehouse-scoped user gets only their warehouses' stock and document events."""
    user = request.auth
    require(user, "stock.view")
    page = read_feed(company_id=user.company_id, cursor=params.cursor or None, limit=params.limit,
                     scope=FeedScope.for_user(user))
    return {"events": [e.as_dict() for e in page.events], "next_cursor": page.next_cursor, "has_more": page.has_more}
