"""Step conditions as data: validated when a flow is saved, evaluated without eval.

A condition is JSON:

    {"field": "amount", "op": ">", "value": "10000"}
    {"all": [c1, c2]}   {"any": [c1, c2]}   {"not": c}

Fields: `amount` (total with tax; for stock documents the amount at cost, Document.amount), `quantity` (total base quantity), `kind`, `warehouse`, `partner`
(ids or codes), `category` (true when any line's item is in one of the categories or below them),
`custom.<name>` (a custom field of the document). `null` / `{}` means "always".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from openjxc.catalog.models import Category
from openjxc.core.errors import DomainError
from openjxc.documents.models import DocumentLine

OPS = {"=", "!=", ">", ">=", "<", "<=", "in", "not_in"}
NUMERIC = {"amount", "quantity"}
SETS = {"warehouse", "partner", "category"}
FIELDS = NUMERIC | SETS | {"kind"}
MAX_DEPTH = 8
MAX_NODES = 100


class BadCondition(DomainError):
    code = "workflow.bad_condition"
    http_status = 422
    message = _("The condition is not valid at %(path)s: %(reason)s")


@dataclass
class Facts:
    """What a condition may look at, read once from the document."""

    amount: Decimal = Decimal(0)
    quantity: Decimal = Decimal(0)
    kind: str = ""
    warehouse: set = field(default_factory=set)  # {id, code}
    partner: set = field(default_factory=set)
    category: set = field(default_factory=set)  # ids and codes of every line's category and its ancestors
    custom: dict = field(default_factory=dict)


def validate(cond, path: str = "condition") -> None:
    """Raise BadCondition naming the bad part; None and {} are valid (always true)."""
    if cond is None or cond == {}:
        return
    count = [0]
    _check(cond, path, 0, count)


def _check(cond, path: str, depth: int, count: list[int]) -> None:
    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_NODES:
        raise BadCondition(path=path, reason=str(_("is nested too deeply or too long")))
    if not isinstance(cond, dict):
        raise BadCondition(path=path, reason=str(_("must be an object")))
    keys = set(cond)
    if keys & {"all", "any"}:
        if len(keys) != 1:
            raise BadCondition(path=path, reason=str(_("\"all\"/\"any\" must stand alone")))
        (op,) = keys
        parts = cond[op]
        if not isinstance(parts, list) or not parts:
            raise BadCondition(path=f"{path}.{op}", reason=str(_("must be a non-empty list")))
        for n, part in enumerate(parts):
            _check(part, f"{path}.{op}[{n}]", depth + 1, count)
        return
    if "not" in keys:
        if len(keys) != 1:
            raise BadCondition(path=path, reason=str(_("\"not\" must stand alone")))
        _check(cond["not"], f"{path}.not", depth + 1, count)
        return
    if keys != {"field", "op", "value"}:
        raise BadCondition(path=path, reason=str(_("needs exactly field, op and value (or all/any/not)")))
    name, op, value = cond["field"], cond["op"], cond["value"]
    if not isinstance(name, str) or not (name in FIELDS or (name.startswith("custom.") and len(name) > 7)):
        raise BadCondition(path=f"{path}.field", reason=str(_("unknown field %(field)s") % {"field": name}))
    if not isinstance(op, str) or op not in OPS:
        raise BadCondition(path=f"{path}.op", reason=str(_("unknown operator %(op)s") % {"op": op}))
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value or not all(isinstance(v, str | int | float) for v in value):
            raise BadCondition(path=f"{path}.value", reason=str(_("must be a non-empty list of values")))
    elif name in SETS:
        raise BadCondition(path=f"{path}.op", reason=str(_("%(field)s takes in or not_in") % {"field": name}))
    elif not isinstance(value, str | int | float | bool) or isinstance(value, bool) and name in NUMERIC:
        raise BadCondition(path=f"{path}.value", reason=str(_("must be a number or a text")))
    if name in NUMERIC:
        for v in value if isinstance(value, list) else [value]:
            if _number(v) is None:
                raise BadCondition(path=f"{path}.value", reason=str(_("must be a number")))
    if name == "kind" and op not in ("=", "!=", "in", "not_in"):
        raise BadCondition(path=f"{path}.op", reason=str(_("kind takes =, !=, in or not_in")))


def _number(v) -> Decimal | None:
    if isinstance(v, bool):
        return None
    try:
        d = Decimal(str(v))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def evaluate(cond, facts: Facts) -> bool:
    """True when the (validated) condition holds for the facts."""
    if cond is None or cond == {}:
        return True
    if "all" in cond:
        return all(evaluate(c, facts) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, facts) for c in cond["any"])
    if "not" in cond:
        return not evaluate(cond["not"], facts)
    name, op, value = cond["field"], cond["op"], cond["value"]
    if name in SETS:
        have = {str(x) for x in getattr(facts, name)}
        hit = bool(have & {str(v) for v in value})
        return hit if op == "in" else not hit
    if name in NUMERIC:
        left = getattr(facts, name)
        right = [_number(v) for v in value] if isinstance(value, list) else _number(value)
    elif name == "kind":
        left, right = facts.kind, [str(v) for v in value] if isinstance(value, list) else str(value)
    else:
        left = facts.custom.get(name[7:])
        right = value
        if left is None:
            return op in ("!=", "not_in")
        # a custom field compares as a number when both sides are numbers, else as text
        ln, rn = _number(left), (_number(right) if not isinstance(right, list) else None)
        if ln is not None and rn is not None:
            left, right = ln, rn
        elif isinstance(right, list):
            left, right = str(left), [str(v) for v in right]
        elif op in ("=", "!="):
            left, right = str(left), str(right)
        else:
            return False  # ordering text against a number: never true
    return _compare(left, op, right)


def _compare(left, op: str, right) -> bool:
    if op == "in":
        return left in right
    if op == "not_in":
        return left not in right
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    try:
        return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]
    except TypeError:
        return False


def facts_of(doc) -> Facts:
    """Read the facts of a document (one query for the lines' categories)."""
    cats = set(DocumentLine.objects.filter(document_id=doc.pk).exclude(item__category=None)
               .values_list("item__category_id", "item__category__path").distinct())
    ids: set[int] = set()
    for cid, path in cats:
        ids.add(cid)
        ids |= {int(p) for p in (path or "").replace("/", ",").split(",") if p.strip().isdigit()}
    categories = set(ids) | set(Category.objects.filter(pk__in=ids).values_list("code", flat=True))
    wh = doc.warehouse
    partner = doc.partner
    return Facts(
        amount=doc.amount, quantity=doc.total_quantity, kind=doc.kind,
        warehouse={wh.pk, wh.code} if wh else set(),
        partner={partner.pk, partner.code} if partner else set(),
        category=categories, custom=dict(doc.custom or {}),
    )
