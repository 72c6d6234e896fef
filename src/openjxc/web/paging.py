"""Keyset ("seek") paging for the long lists: items, partners, units, regions, price lists, categories, users,
documents.

OFFSET paging reads and throws away every row before the page, so page 20,000 of a million documents costs a
scan of a million rows, plus a full COUNT. Here a page starts where the previous one ended: the link carries
the sort key of the last (or first) row shown, and the next page is `WHERE key > last ORDER BY key LIMIT 51`,
an index range read whatever the depth. The pager is "first · previous · next · last" (no page numbers, which
would need the offset), and the count is capped: past COUNT_CAP rows it says "more than 10,000".

    page = keyset_page(request, qs, ["-business_on", "-id"])

`keys` must end with a unique column (or be unique together) so no row is skipped or shown twice; the key
values come from the row attributes of the same names (an annotation works too). Query parameters: `after`
(next page), `before` (previous page), `last=1` (the last page); a cursor that does not decode is ignored
(first page), never a 500.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

PAGE_SIZE = 50
COUNT_CAP = 10_000
PARAMS = ("after", "before", "last", "page")


def _encode(values) -> str:
    out = []
    for v in values:
        if v is None:
            out.append(["n", ""])
        elif isinstance(v, bool):
            out.append(["b", "1" if v else ""])
        elif isinstance(v, int):
            out.append(["i", str(v)])
        elif isinstance(v, Decimal):
            out.append(["x", str(v)])
        elif isinstance(v, dt.datetime):
            out.append(["t", v.isoformat()])
        elif isinstance(v, dt.date):
            out.append(["d", v.isoformat()])
        else:
            out.append(["s", str(v)])
    raw = json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str, n: int) -> list | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        pairs = json.loads(raw)
        if not isinstance(pairs, list) or len(pairs) != n:
            return None
        parse = {
            "n": lambda s: None, "b": bool, "i": int, "x": Decimal, "s": str,
            "t": dt.datetime.fromisoformat, "d": dt.date.fromisoformat,
        }
        return [parse[t](s) for t, s in pairs]
    except (ValueError, TypeError, KeyError, ArithmeticError, json.JSONDecodeError):
        return None


def _seek(keys: list[str], values: list, *, forward: bool) -> Q:
    """Rows after (forward) or before `values` in the order of `keys`: (k1 > v1) or (k1 = v1 and k2 > v2) ...
    With one direction for all keys, a leading `k1 >= v1` lets the database read just an index range."""
    parts = []
    for i, key in enumerate(keys):
        name, desc = key.lstrip("-"), key.startswith("-")
        op = "lt" if desc == forward else "gt"
        cond = Q(**{f"{name}__{op}": values[i]})
        for prev, value in zip(keys[:i], values[:i], strict=False):
            cond &= Q(**{prev.lstrip("-"): value})
        parts.append(cond)
    seek = parts[0]
    for p in parts[1:]:
        seek |= p
    first, desc = keys[0].lstrip("-"), keys[0].startswith("-")
    if len(keys) > 1 and all(k.startswith("-") == desc for k in keys):
        seek = Q(**{f"{first}__{'lte' if desc == forward else 'gte'}": values[0]}) & seek
    return seek


def _reverse(keys):
    return [k[1:] if k.startswith("-") else f"-{k}" for k in keys]


@dataclass
class KeysetPage:
    object_list: list
    count: int
    count_capped: bool
    has_next: bool
    has_previous: bool
    next_query: str = ""
    previous_query: str = ""
    first_query: str = ""
    last_query: str = ""
    query: str = ""  # the filters alone, for links that keep them
    cap: int = COUNT_CAP
    extra: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def keyset_page(request, qs, keys: list[str], *, size: int = PAGE_SIZE, count_cap: int = COUNT_CAP) -> KeysetPage:
    params = request.GET.copy()
    for p in PARAMS:
        params.pop(p, None)
    base = params.urlencode()

    def link(**extra) -> str:
        q = params.copy()
        for k, v in extra.items():
            q[k] = v
        return q.urlencode()

    after = _decode(request.GET.get("after", ""), len(keys)) if request.GET.get("after") else None
    before = _decode(request.GET.get("before", ""), len(keys)) if request.GET.get("before") else None
    last = request.GET.get("last") == "1" and after is None and before is None
    ordered = qs.order_by(*keys)
    backwards = qs.order_by(*_reverse(keys))

    if before is not None:
        rows = list(backwards.filter(_seek(keys, before, forward=False))[: size + 1])
        has_previous, rows = len(rows) > size, rows[:size][::-1]
        has_next = True
    elif last:
        rows = list(backwards[: size + 1])
        has_previous, rows = len(rows) > size, rows[:size][::-1]
        has_next = False
    else:
        page_qs = ordered.filter(_seek(keys, after, forward=True)) if after is not None else ordered
        rows = list(page_qs[: size + 1])
        has_next, rows = len(rows) > size, rows[:size]
        has_previous = after is not None
    if rows and before is not None:  # came back from a later page: is there still one after this?
        has_next = ordered.filter(_seek(keys, _values(rows[-1], keys), forward=True)).exists()
    if rows and after is not None:
        has_previous = backwards.filter(_seek(keys, _values(rows[0], keys), forward=False)).exists()
    if not rows:
        has_next = has_previous = False

    n = qs.order_by()[: count_cap + 1].count()
    return KeysetPage(
        object_list=rows, count=min(n, count_cap), count_capped=n > count_cap,
        has_next=has_next, has_previous=has_previous,
        next_query=link(after=_encode(_values(rows[-1], keys))) if rows and has_next else "",
        previous_query=link(before=_encode(_values(rows[0], keys))) if rows and has_previous else "",
        first_query=base, last_query=link(last="1"), query=base, cap=count_cap,
    )


def _values(obj, keys) -> list:
    return [_dotted(obj, k.lstrip("-")) for k in keys]


def _dotted(obj, path: str):
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj
