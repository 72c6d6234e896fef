"""Process cycle times (流转时效): how long documents take from creation to posting and to archive, how long
each approval step and each approver keeps them waiting, which steps ran over their time limit, and the
trend by week.

Read-only. The sources are the document transition log (`documents.DocumentTransition`, one row per
status change with its age since creation and its wait since the previous change) and, for approval
steps, the workflow's step instances and decisions. PostgreSQL aggregates in SQL (`percentile_cont`);
SQLite has no percentile aggregate, so there the same rows are fetched grouped and the same
continuous percentile (linear interpolation between the two nearest ranks) is computed in Python.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from openjxc.core import clock
from openjxc.core.errors import ValidationFailed

# Statuses a document can end in; a transition into one of these "archives" the document for the report
# (a posted receipt is final; an order posted and later closed is archived when it is closed).
ARCHIVE_ACTIONS = ("post", "void", "close")
DECISION_ACTIONS = ("approve", "reject")
MAX_DAYS = 3660  # one report covers at most ten years
TOP_BREACHES = 20


@dataclass(frozen=True)
class Stats:
    """Durations in seconds: how many, mean, median and 90th percentile (continuous, as percentile_cont)."""

    count: int = 0
    avg: float | None = None
    median: float | None = None
    p90: float | None = None
    breaches: int = 0  # of the counted items, how many ran over their time limit (steps only)


def percentile_cont(ordered: Sequence[float], p: float) -> float | None:
    """PostgreSQL's percentile_cont over already sorted values: interpolate between the two nearest ranks."""
    if not ordered:
        return None
    pos = p * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def stats_of(values: Iterable[float], breaches: int = 0) -> Stats:
    ordered = sorted(values)
    if not ordered:
        return Stats(breaches=breaches)
    return Stats(len(ordered), math.fsum(ordered) / len(ordered), percentile_cont(ordered, 0.5),
                 percentile_cont(ordered, 0.9), breaches)


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date  # inclusive
    kind: str | None = None
    warehouse_ids: frozenset[int] | None = None  # None: every warehouse


@dataclass
class StepRow:
    kind: str
    position: int
    name: str
    stats: Stats
    overdue_now: int = 0  # still waiting and past the time limit


@dataclass
class ApproverRow:
    user_id: int | None
    name: str
    stats: Stats


@dataclass
class Breach:
    document_id: int
    number: str
    kind: str
    step: str
    approvers: str
    started_at: dt.datetime
    due_at: dt.datetime
    finished_at: dt.datetime | None  # None: still waiting
    over_seconds: float


@dataclass
class CycleTimes:
    filters: Filters
    to_post: dict[str, Stats] = field(default_factory=dict)  # per kind: creation -> posting
    to_archive: dict[str, Stats] = field(default_factory=dict)  # per kind: creation -> closed / voided / posted
    approval: dict[tuple[str, int], Stats] = field(default_factory=dict)  # per (kind, step; -1: no flow): log waits
    log_approvers: list[ApproverRow] = field(default_factory=list)
    steps: list[StepRow] = field(default_factory=list)  # the workflow's steps: waiting and breaches
    approvers: list[ApproverRow] = field(default_factory=list)  # the workflow's decisions: waiting per approver
    weekly: list[tuple[dt.date, str, Stats]] = field(default_factory=list)  # (Monday, kind, creation -> posting)
    breaches: list[Breach] = field(default_factory=list)

    @property
    def total_to_post(self) -> Stats:
        return _merge(self.to_post.values())

    @property
    def total_breaches(self) -> int:
        return sum(s.stats.breaches for s in self.steps) + sum(s.overdue_now for s in self.steps)


def _merge(parts: Iterable[Stats]) -> Stats:
    """Count and mean over several groups (medians do not merge: left out)."""
    parts = [p for p in parts if p.count]
    n = sum(p.count for p in parts)
    if not n:
        return Stats()
    return Stats(n, math.fsum(p.avg * p.count for p in parts) / n)


# ---------------------------------------------------------------- the engine-specific part


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _seconds(expr: str) -> str:
    """SQL for a DurationField column (or a difference of two timestamps on PostgreSQL): PostgreSQL keeps the
    interval (sorting intervals is cheaper than numerics; the figures come back as timedeltas), SQLite's
    microseconds become seconds."""
    return expr if _pg() else f"({expr} / 1000000.0)"


def _secs(value) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _ts(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _naive_utc(value) -> dt.datetime:
    """A timestamp read by raw SQL: aware on PostgreSQL, naive UTC (or text) on SQLite."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)


def _grouped(sql: str, params: list, keys: int, *, flag: bool = False,
             python_row: Callable[[tuple], tuple] | None = None) -> dict[tuple, Stats]:
    """Stats per group of the rows `SELECT k1..kn, duration[, breach 0/1] FROM …` that `sql` returns.

    PostgreSQL aggregates in the database; elsewhere the rows come back and are aggregated here, after
    `python_row` (which may compute keys or seconds the engine cannot) has mapped each one.
    """
    names = [f"k{i}" for i in range(keys)]
    if _pg():
        # one sort per group gives both percentiles
        outer = (
            f"SELECT {', '.join(names)}, COUNT(*), AVG(s), "
            "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY s)"
            f"{', SUM(b)' if flag else ''} "
            f"FROM ({sql}) AS x ({', '.join(names)}, s{', b' if flag else ''}) GROUP BY {', '.join(names)}"
        )
        with connection.cursor() as cur:
            cur.execute(outer, params)
            return {
                tuple(r[:keys]): Stats(r[keys], _secs(r[keys + 1]), _secs(r[keys + 2][0]), _secs(r[keys + 2][1]),
                                       int(r[keys + 3]) if flag else 0)
                for r in cur.fetchall()
            }
    groups: dict[tuple, list[float]] = {}
    flags: dict[tuple, int] = {}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for row in cur.fetchall():
            if python_row is not None:
                row = python_row(row)
            key = tuple(row[:keys])
            groups.setdefault(key, []).append(float(row[keys]))
            if flag:
                flags[key] = flags.get(key, 0) + int(row[keys + 1])
    return {k: stats_of(v, flags.get(k, 0)) for k, v in groups.items()}


# ---------------------------------------------------------------- the report


def period_bounds(filters: Filters, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    """The report's days as UTC instants: [start 00:00, end + 1 day 00:00) in the company's time zone."""
    if filters.end < filters.start:
        raise ValidationFailed(field="end", reason=_("must not be before the start"))
    if (filters.end - filters.start).days > MAX_DAYS:
        raise ValidationFailed(field="start", reason=_("covers too long a period"))
    tz = zoneinfo.ZoneInfo(tz_name)
    start = dt.datetime.combine(filters.start, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
    return start, end


def _log_where(company_id: int, filters: Filters, start, end, actions: Sequence[str]) -> tuple[str, list]:
    marks = ", ".join(["%s"] * len(actions))
    where = f"t.company_id = %s AND t.action IN ({marks}) AND t.at >= %s AND t.at < %s"
    params: list = [company_id, *actions, _ts(start), _ts(end)]
    if filters.kind:
        where += " AND t.kind = %s"
        params.append(filters.kind)
    if filters.warehouse_ids is not None:
        ids = sorted(filters.warehouse_ids) or [0]
        where += f" AND t.warehouse_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    return where, params


def cycle_times(company, filters: Filters, *, now: dt.datetime | None = None) -> CycleTimes:
    """The cycle-time report of `company` for documents whose transitions fall in the filters' days."""
    if not _pg():
        return _cycle_times(company, filters, now)
    with transaction.atomic():  # read-only; only so that SET LOCAL ends with the report
        with connection.cursor() as cur:  # the percentiles sort in memory rather than on disk
            cur.execute("SET LOCAL work_mem = '64MB'")
        return _cycle_times(company, filters, now)


def _cycle_times(company, filters: Filters, now: dt.datetime | None) -> CycleTimes:
    tz_name = company.time_zone
    start, end = period_bounds(filters, tz_name)
    out = CycleTimes(filters)
    table = "documents_documenttransition"

    where, params = _log_where(company.pk, filters, start, end, ("post",))
    pg_weekly = None
    if _pg():
        # creation -> posting per kind and per (week, kind) in one pass over the log: GROUPING SETS
        pg_weekly, out.to_post = _pg_post_and_weekly(table, where, params, tz_name)
    else:
        out.to_post = {k[0]: s for k, s in _grouped(
            f"SELECT t.kind, {_seconds('t.age')} FROM {table} t WHERE {where}", params, 1).items()}

    # A document voided or closed after it was posted is archived then; one only posted, when it was posted.
    # (An anti-join against the few void/close rows, not a GROUP BY over every document.)
    ended, ended_params = _log_where(company.pk, filters, start, end, ("void", "close"))
    posted, posted_params = _log_where(company.pk, filters, start, end, ("post",))
    later = ended.replace("t.", "u.")
    out.to_archive = {k[0]: s for k, s in _grouped(
        f"SELECT t.kind, {_seconds('t.age')} FROM {table} t WHERE {ended} UNION ALL "
        f"SELECT t.kind, {_seconds('t.age')} FROM {table} t WHERE {posted} AND NOT EXISTS "
        f"(SELECT 1 FROM {table} u WHERE u.document_id = t.document_id AND {later})",
        [*ended_params, *posted_params, *ended_params], 1).items()}

    where, params = _log_where(company.pk, filters, start, end, DECISION_ACTIONS)
    if _pg():
        out.approval, by_user = _pg_decisions(table, where, params)
    else:
        out.approval = {(k[0], k[1]): s for k, s in _grouped(
            f"SELECT t.kind, COALESCE(t.step, -1), {_seconds('t.waited')} FROM {table} t WHERE {where}",
            params, 2).items()}
        by_user = _grouped(f"SELECT t.by_id, {_seconds('t.waited')} FROM {table} t WHERE {where}", params, 1)
    out.log_approvers = _approver_rows(company.pk, {k[0]: s for k, s in by_user.items()})

    where, params = _log_where(company.pk, filters, start, end, ("post",))
    tz = zoneinfo.ZoneInfo(tz_name)
    if pg_weekly is not None:
        weekly = pg_weekly
    else:
        def monday(row):
            local = _naive_utc(row[0]).replace(tzinfo=dt.UTC).astimezone(tz).date()
            return (local - dt.timedelta(days=local.weekday()), row[1], row[2])

        weekly = _grouped(f"SELECT t.at, t.kind, {_seconds('t.age')} FROM {table} t WHERE {where}", params, 2,
                          python_row=monday)
    out.weekly = sorted(((k[0], k[1], s) for k, s in weekly.items()), key=lambda r: (r[0], r[1]))

    _workflow_figures(out, company, filters, start, end, now or clock.now())
    return out


def _pg_stats(row, offset: int) -> Stats:
    return Stats(row[offset], _secs(row[offset + 1]), _secs(row[offset + 2][0]), _secs(row[offset + 2][1]), 0)


def _pg_post_and_weekly(table: str, where: str, params: list, tz_name: str):
    """PostgreSQL: creation -> posting stats per (week, kind) and per kind from one scan of the log."""
    sql = (f"SELECT wk, kd, GROUPING(wk), COUNT(*), AVG(s), "
           f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY s) FROM ("
           f"SELECT (date_trunc('week', t.at AT TIME ZONE %s))::date AS wk, t.kind AS kd, {_seconds('t.age')} AS s "
           f"FROM {table} t WHERE {where}) AS x GROUP BY GROUPING SETS ((kd), (wk, kd))")
    weekly, per_kind = {}, {}
    with connection.cursor() as cur:
        cur.execute(sql, [tz_name, *params])
        for row in cur.fetchall():
            if row[2]:  # the week was rolled up: the kind's whole period
                per_kind[row[1]] = _pg_stats(row, 3)
            else:
                weekly[(row[0], row[1])] = _pg_stats(row, 3)
    return weekly, per_kind


def _pg_decisions(table: str, where: str, params: list):
    """PostgreSQL: waits per (kind, step) and per approver from one scan of the log."""
    sql = (f"SELECT kd, st, who, GROUPING(who), COUNT(*), AVG(s), "
           f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY s) FROM ("
           f"SELECT t.kind AS kd, COALESCE(t.step, -1) AS st, t.by_id AS who, {_seconds('t.waited')} AS s "
           f"FROM {table} t WHERE {where}) AS x GROUP BY GROUPING SETS ((kd, st), (who))")
    per_step, per_user = {}, {}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for row in cur.fetchall():
            if row[3]:  # the approver was rolled up: a (kind, step) group
                per_step[(row[0], row[1])] = _pg_stats(row, 4)
            else:
                per_user[(row[2],)] = _pg_stats(row, 4)
    return per_step, per_user


def _approver_rows(company_id: int, stats: dict) -> list[ApproverRow]:
    from openjxc.core.models import User

    names = {u.pk: str(u)
             for u in User.objects.filter(company_id=company_id, pk__in=[k for k in stats if k])}
    rows = [ApproverRow(uid, names.get(uid, "—") if uid else "—", s) for uid, s in stats.items()]
    return sorted(rows, key=lambda r: (-(r.stats.avg or 0), r.name))


def _workflow_tables() -> dict[str, str] | None:
    """The workflow's table names, or None while that app has no step instances (nothing to report)."""
    try:
        from openjxc.workflow.models import Approval, ApprovalStep, Decision, StepApprover
    except ImportError:
        return None
    return {"approval": Approval._meta.db_table, "step": ApprovalStep._meta.db_table,
            "decision": Decision._meta.db_table, "approver": StepApprover._meta.db_table}


def _workflow_figures(out: CycleTimes, company, filters: Filters, start, end, now: dt.datetime) -> None:
    tables = _workflow_tables()
    if tables is None:
        return
    doc_where, doc_params = "", []
    if filters.kind:
        doc_where += " AND d.kind = %s"
        doc_params.append(filters.kind)
    if filters.warehouse_ids is not None:
        ids = sorted(filters.warehouse_ids) or [0]
        doc_where += f" AND d.warehouse_id IN ({', '.join(['%s'] * len(ids))})"
        doc_params += ids
    joins = (f"{tables['step']} s JOIN {tables['approval']} a ON a.id = s.approval_id "
             "JOIN documents_document d ON d.id = a.document_id")
    base = [company.pk, _ts(start), _ts(end), *doc_params]
    breach = "CASE WHEN s.sla_due_at IS NOT NULL AND s.finished_at > s.sla_due_at THEN 1 ELSE 0 END"
    # steps decided in the period: how long each waited (activated -> decided), and whether it ran over
    where = (f"s.company_id = %s AND s.finished_at >= %s AND s.finished_at < %s AND s.started_at IS NOT NULL "
             f"AND s.state IN ('approved', 'rejected'){doc_where}")
    if _pg():
        sql = (f"SELECT d.kind, s.position, s.name, {_seconds('(s.finished_at - s.started_at)')}, {breach} "
               f"FROM {joins} WHERE {where}")
        steps = _grouped(sql, base, 3, flag=True)
    else:
        sql = f"SELECT d.kind, s.position, s.name, s.started_at, s.finished_at, {breach} FROM {joins} WHERE {where}"
        steps = _grouped(sql, base, 3, flag=True, python_row=lambda r: (
            r[0], r[1], r[2], (_naive_utc(r[4]) - _naive_utc(r[3])).total_seconds(), r[5]))
    overdue_where = (f"s.company_id = %s AND s.state = 'active' AND s.sla_due_at IS NOT NULL AND s.sla_due_at < %s"
                     f"{doc_where}")
    with connection.cursor() as cur:
        cur.execute(f"SELECT d.kind, s.position, s.name, COUNT(*) FROM {joins} WHERE {overdue_where} "
                    "GROUP BY d.kind, s.position, s.name", [company.pk, _ts(now), *doc_params])
        overdue = {(r[0], r[1], r[2]): r[3] for r in cur.fetchall()}
    out.steps = sorted(
        (StepRow(k[0], k[1], k[2], steps.get(k, Stats()), overdue.get(k, 0)) for k in {*steps, *overdue}),
        key=lambda r: (r.kind, r.position, r.name),
    )

    # per approver: from the step's activation to their own decision
    dec = tables["decision"]
    djoins = (f"{dec} e JOIN {tables['step']} s ON s.id = e.step_id JOIN {tables['approval']} a ON a.id = s.approval_id "
              "JOIN documents_document d ON d.id = a.document_id")
    dbreach = "CASE WHEN s.sla_due_at IS NOT NULL AND e.at > s.sla_due_at THEN 1 ELSE 0 END"
    dwhere = (f"e.company_id = %s AND e.at >= %s AND e.at < %s AND s.started_at IS NOT NULL "
              f"AND e.user_id IS NOT NULL AND e.decision IN ('approve', 'reject'){doc_where}")
    if _pg():
        per_user = _grouped(f"SELECT e.user_id, {_seconds('(e.at - s.started_at)')}, {dbreach} "
                            f"FROM {djoins} WHERE {dwhere}", base, 1, flag=True)
    else:
        per_user = _grouped(f"SELECT e.user_id, s.started_at, e.at, {dbreach} FROM {djoins} WHERE {dwhere}", base, 1,
                            flag=True, python_row=lambda r: (
                                r[0], (_naive_utc(r[2]) - _naive_utc(r[1])).total_seconds(), r[3]))
    out.approvers = _approver_rows(company.pk, {k[0]: s for k, s in per_user.items()})

    # the worst overruns: decided late in the period, or still waiting past the limit
    late_where = (f"s.company_id = %s AND s.sla_due_at IS NOT NULL AND s.started_at IS NOT NULL AND ("
                  f"(s.finished_at >= %s AND s.finished_at < %s AND s.finished_at > s.sla_due_at) "
                  f"OR (s.state = 'active' AND s.sla_due_at < %s)){doc_where}")
    with connection.cursor() as cur:
        cur.execute(f"SELECT d.id, d.number, d.kind, s.id, s.name, s.started_at, s.sla_due_at, s.finished_at "
                    f"FROM {joins} WHERE {late_where}",
                    [company.pk, _ts(start), _ts(end), _ts(now), *doc_params])
        rows = cur.fetchall()
    now_naive = _naive_utc(now)
    found = []
    for doc_id, number, kind, step_id, name, started, due, finished in rows:
        due_n = _naive_utc(due)
        until = _naive_utc(finished) if finished is not None else now_naive
        found.append((step_id, Breach(doc_id, number, kind, name, "", _naive_utc(started).replace(tzinfo=dt.UTC),
                                      due_n.replace(tzinfo=dt.UTC),
                                      None if finished is None else until.replace(tzinfo=dt.UTC),
                                      (until - due_n).total_seconds())))
    found.sort(key=lambda x: -x[1].over_seconds)
    found = found[:TOP_BREACHES]
    if found:
        from openjxc.core.models import User

        pairs = list(User.objects.raw(
            f"SELECT u.id, u.username, u.display_name, x.step_id FROM {User._meta.db_table} u "
            f"JOIN {tables['approver']} x ON x.user_id = u.id WHERE x.step_id IN "
            f"({', '.join(['%s'] * len(found))}) ORDER BY u.username", [sid for sid, _b in found]))
        names: dict[int, list[str]] = {}
        for u in pairs:
            names.setdefault(u.step_id, []).append(str(u))
        for sid, b in found:
            b.approvers = ", ".join(names.get(sid, []))
    out.breaches = [b for _sid, b in found]
