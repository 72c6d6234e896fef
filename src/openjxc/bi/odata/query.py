"""$filter, $orderby and $select of an OData request, parsed into SQL with parameters.

The filter grammar (a subset of OData v4 URL conventions, precedence low to high):

    expr    := and ('or' and)*
    and     := unary ('and' unary)*
    unary   := 'not' unary | compare
    compare := operand (('eq'|'ne'|'gt'|'ge'|'lt'|'le') operand)?
    operand := '(' expr ')' | function '(' args ')' | literal | property

Literals: 'text' ('' for a quote), integers, decimals, 2024-01-31, 2024-01-31T08:00:00Z (or ±hh:mm), true, false,
null. Every literal becomes a parameter; properties become the column expressions the caller gives (a masked
column is a typed NULL), so what reaches the database is fixed SQL text plus values. Types are checked here: a
comparison of a number with text, or of a date with a boolean, is a 400, not a database error.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import DomainError

NUMERIC = {"int", "decimal"}
COMPARE = {"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
KEYWORDS = {"and", "or", "not", *COMPARE}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[(),])
""", re.VERBOSE)


class BadQuery(DomainError):
    """A query option that cannot be understood: the OData error body with HTTP 400."""

    http_status = 400


def bad(code: str, message, **data) -> BadQuery:
    return BadQuery(f"odata.{code}", message, **data)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


@dataclass
class Expr:
    """A compiled piece of the filter: SQL text, its parameters, its OData type ('bool' for a condition) and what
    it is ('property', 'literal', 'null', 'condition', 'call')."""

    sql: str
    type: str
    what: str
    params: list = field(default_factory=list)


@dataclass(frozen=True)
class Dialect:
    """How one database engine spells what differs: parameters of each type and a few functions."""

    vendor: str

    def param(self, value, type_: str):
        if self.vendor == "sqlite":
            # SQLite keeps dates and times as ISO text and computed decimals as REAL: compare like with like
            if type_ == "decimal":
                return float(value)
            if type_ == "date":
                return value.isoformat()
            if type_ == "datetime":
                return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
        return value

    def contains(self, a: str, b: str) -> str:
        return f"instr({a}, {b}) > 0" if self.vendor == "sqlite" else f"strpos({a}, {b}) > 0"

    def startswith(self, a: str, b: str) -> str:
        return f"substr({a}, 1, length({b})) = {b}"

    def endswith(self, a: str, b: str) -> str:
        if self.vendor == "sqlite":
            return f"substr({a}, -length({b})) = {b}"
        return f"right({a}, length({b})) = {b}"

    def date_part(self, part: str, a: str) -> str:
        if self.vendor == "sqlite":  # ISO text: yyyy-mm-dd…
            start, length = {"year": (1, 4), "month": (6, 2), "day": (9, 2)}[part]
            return f"CAST(substr({a}, {start}, {length}) AS INTEGER)"
        return f"CAST(EXTRACT({part.upper()} FROM {a}) AS INTEGER)"


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise bad("syntax", _("$filter cannot be read at position %(pos)s (%(near)s)."), pos=pos + 1,
                      near=text[pos:pos + 12])
        if m.lastgroup != "space":
            tokens.append(Token(m.lastgroup or "", m.group(), pos))
        pos = m.end()
    return tokens


def _literal(token: Token, dialect: Dialect) -> Expr:
    kind, text = token.kind, token.text
    value: object
    try:
        if kind == "string":
            value, type_ = text[1:-1].replace("''", "'"), "string"
        elif kind == "number":
            if re.fullmatch(r"[-+]?\d+", text):
                value, type_ = int(text), "int"
            else:
                value, type_ = Decimal(text), "decimal"
        elif kind == "date":
            value, type_ = dt.date.fromisoformat(text), "date"
        else:
            value, type_ = dt.datetime.fromisoformat(text.replace("Z", "+00:00")), "datetime"
    except (ValueError, InvalidOperation):
        raise bad("literal", _("%(value)s is not a valid value."), value=text) from None
    return Expr("%s", type_, "literal", [dialect.param(value, type_)])


class FilterParser:
    """Recursive descent over the tokens of one $filter; `columns` maps a property to (SQL expression, type)."""

    def __init__(self, text: str, columns: dict[str, tuple[str, str]], dialect: Dialect):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.columns = columns
        self.dialect = dialect

    def parse(self) -> tuple[str, list]:
        if not self.tokens:
            raise bad("syntax", _("$filter is empty."))
        expr = self._or()
        if self.i < len(self.tokens):
            token = self.tokens[self.i]
            raise bad("syntax", _("$filter cannot be read at position %(pos)s (%(near)s)."), pos=token.pos + 1,
                      near=token.text)
        return self._condition(expr)

    # -- the grammar

    def _peek(self, *texts: str) -> bool:
        if self.i >= len(self.tokens):
            return False
        token = self.tokens[self.i]
        return token.text in texts and token.kind in ("name", "punct")

    def _next(self) -> Token:
        if self.i >= len(self.tokens):
            raise bad("syntax", _("$filter ends too early."))
        token = self.tokens[self.i]
        self.i += 1
        return token

    def _expect(self, text: str) -> None:
        token = self._next()
        if token.text != text:
            raise bad("syntax", _("$filter: expected %(expected)s at position %(pos)s, found %(near)s."),
                      expected=text, pos=token.pos + 1, near=token.text)

    def _or(self) -> Expr:
        left = self._and()
        while self._peek("or"):
            self.i += 1
            left = self._join("OR", left, self._and())
        return left

    def _and(self) -> Expr:
        left = self._unary()
        while self._peek("and"):
            self.i += 1
            left = self._join("AND", left, self._unary())
        return left

    def _join(self, op: str, left: Expr, right: Expr) -> Expr:
        ls, lp = self._condition(left)
        rs, rp = self._condition(right)
        return Expr(f"({ls} {op} {rs})", "bool", "condition", lp + rp)

    def _unary(self) -> Expr:
        if self._peek("not"):
            self.i += 1
            sql, params = self._condition(self._unary())
            # NOT of an unknown (a NULL compared) stays unknown in SQL; OData's not of false-by-null is true
            return Expr(f"(NOT COALESCE({sql}, 1=0))", "bool", "condition", params)
        return self._compare()

    def _compare(self) -> Expr:
        left = self._operand()
        if self.i < len(self.tokens) and self.tokens[self.i].kind == "name" and self.tokens[self.i].text in COMPARE:
            op = self._next().text
            right = self._operand()
            return self._comparison(op, left, right)
        return left

    def _operand(self) -> Expr:
        token = self._next()
        if token.kind == "punct":
            if token.text != "(":
                raise bad("syntax", _("$filter cannot be read at position %(pos)s (%(near)s)."), pos=token.pos + 1,
                          near=token.text)
            inner = self._or()
            self._expect(")")
            return inner
        if token.kind != "name":
            return _literal(token, self.dialect)
        name = token.text
        if name in ("true", "false"):
            return Expr("%s", "bool", "literal", [name == "true"])
        if name == "null":
            return Expr("NULL", "null", "null")
        if self._peek("("):
            return self._call(token)
        if name in KEYWORDS:
            raise bad("syntax", _("$filter cannot be read at position %(pos)s (%(near)s)."), pos=token.pos + 1,
                      near=name)
        if name not in self.columns:
            raise bad("unknown_property", _("There is no property %(name)s."), name=name)
        sql, type_ = self.columns[name]
        return Expr(sql, type_, "property")

    def _call(self, token: Token) -> Expr:
        name = token.text
        self._expect("(")
        args = [self._or()]
        while self._peek(","):
            self.i += 1
            args.append(self._or())
        self._expect(")")
        arity = {"contains": 2, "startswith": 2, "endswith": 2, "tolower": 1, "toupper": 1, "trim": 1,
                 "length": 1, "year": 1, "month": 1, "day": 1}
        if name not in arity:
            raise bad("unknown_function", _("$filter: the function %(name)s is not supported."), name=name)
        if len(args) != arity[name]:
            raise bad("arguments", _("$filter: %(name)s takes %(count)s argument(s)."), name=name,
                      count=arity[name])
        params = [p for a in args for p in a.params]
        if name in ("year", "month", "day"):
            if args[0].type not in ("date", "datetime"):
                raise bad("type", _("$filter: %(name)s needs a date."), name=name)
            return Expr(self.dialect.date_part(name, args[0].sql), "int", "call", params)
        for a in args:
            if a.type not in ("string", "null"):
                raise bad("type", _("$filter: %(name)s needs text."), name=name)
        if name in ("tolower", "toupper", "trim"):
            fn = {"tolower": "lower", "toupper": "upper", "trim": "trim"}[name]
            return Expr(f"{fn}({args[0].sql})", "string", "call", params)
        if name == "length":
            return Expr(f"length({args[0].sql})", "int", "call", params)
        a, b = args
        sql = getattr(self.dialect, name)(a.sql, b.sql)
        # the SQL names a first, then b: once in contains, twice in startswith / endswith (its length, its text)
        params = a.params + b.params * (1 if name == "contains" else 2)
        return Expr(f"({sql})", "bool", "condition", params)

    def _comparison(self, op: str, left: Expr, right: Expr) -> Expr:
        if left.what == "null" or right.what == "null":
            other = right if left.what == "null" else left
            if op in ("eq", "ne"):
                if other.what == "null":
                    return Expr("(1=1)" if op == "eq" else "(1=0)", "bool", "condition")
                test = "IS NULL" if op == "eq" else "IS NOT NULL"
                return Expr(f"({other.sql} {test})", "bool", "condition", other.params)
            return Expr("(1=0)", "bool", "condition")  # ordering against null is false in OData
        if not (left.type == right.type or {left.type, right.type} <= NUMERIC):
            raise bad("type", _("$filter: a %(left)s cannot be compared with a %(right)s."),
                      left=left.type, right=right.type)
        if left.type == "bool" and op not in ("eq", "ne"):
            raise bad("type", _("$filter: true and false can only be compared with eq or ne."))
        lsql, rsql = left.sql, right.sql
        if left.what == "condition":
            lsql = f"CASE WHEN {lsql} THEN 1=1 ELSE 1=0 END"
        if right.what == "condition":
            rsql = f"CASE WHEN {rsql} THEN 1=1 ELSE 1=0 END"
        return Expr(f"({lsql} {COMPARE[op]} {rsql})", "bool", "condition", left.params + right.params)

    def _condition(self, expr: Expr) -> tuple[str, list]:
        """The expression as a WHERE condition: a comparison as it is, a boolean property or literal as `= true`."""
        if expr.what == "condition":
            return expr.sql, expr.params
        if expr.type == "bool":
            return f"({expr.sql} = %s)", [*expr.params, True]
        raise bad("not_condition", _("$filter must be a condition (true or false), e.g. qty gt 0."))


def parse_filter(text: str, columns: dict[str, tuple[str, str]], vendor: str) -> tuple[str, list]:
    """$filter as (SQL condition, parameters); BadQuery (400) when it cannot be read or names an unknown property."""
    return FilterParser(text, columns, Dialect(vendor)).parse()


def parse_names(text: str, option: str, known) -> list[str]:
    """$select: property names separated by commas ('*' for all)."""
    names = [part.strip() for part in text.split(",")]
    if names == ["*"]:
        return list(known)
    out: list[str] = []
    for name in names:
        if name not in known:
            raise bad("unknown_property", _("%(option)s: there is no property %(name)s."), option=option,
                      name=name or "''")
        if name not in out:
            out.append(name)
    return out


def parse_orderby(text: str, known) -> list[tuple[str, bool]]:
    """$orderby: `prop [asc|desc]` separated by commas, as (name, descending)."""
    out: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise bad("orderby", _("$orderby cannot be read: %(part)s."), part=part.strip() or "''")
        if words[0] not in known:
            raise bad("unknown_property", _("%(option)s: there is no property %(name)s."), option="$orderby",
                      name=words[0])
        out.append((words[0], len(words) == 2 and words[1] == "desc"))
    return out


def parse_count(text: str, option: str) -> int:
    """$top / $skip: a whole number ≥ 0."""
    if not re.fullmatch(r"\d{1,12}", text.strip()):
        raise bad("number", _("%(option)s must be a whole number of 0 or more."), option=option)
    return int(text)
