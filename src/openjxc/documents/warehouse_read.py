"""A new document's warehouse, read in one statement with what posting it will ask about that warehouse.

Creating a document used to read its warehouse, then — each in a statement of its own — whether the user
may work there, the warehouse's default storage location (posting), whether an approval flow exists for
the kind (workflow) and whether a count freezes the warehouse (counts). The answers are read here as
columns of the warehouse's row instead (decision 0017): the same data, read in the same transaction, one
statement. They live on the returned instance for the one `create_document` call (`forget` drops them);
whoever finds no answer on an instance asks the database as before.
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext_lazy as _

from openjxc.core.errors import NotFound, ValidationFailed
from openjxc.core.sql import columns_of, object_from
from openjxc.documents import hooks
from openjxc.partners.models import Partner
from openjxc.stock.access import require_warehouse
from openjxc.stock.models import STOCKED_KINDS, Location, Warehouse, WarehouseKind

_sql: dict[tuple, str] = {}
_KINDS = sorted(STOCKED_KINDS)


def _statement(by_code: bool, probes: list[hooks.Probe], partner: bool = False) -> str:
    key = (connection.vendor, by_code, tuple(p.sql for p in probes), partner)
    sql = _sql.get(key)
    if sql is None:
        q = connection.ops.quote_name
        wh_cols, _n = columns_of(Warehouse, "w")
        loc_cols, _m = columns_of(Location, "l")
        users = q(Warehouse.users.through._meta.db_table)
        asked = "".join(f", ({p.sql})" for p in probes)
        if partner:  # the document's partner given by id: its row too (NULLs when it is not the company's)
            p_cols, _p = columns_of(Partner, "p")
            asked += f", {p_cols}"
            join = f" LEFT JOIN {q(Partner._meta.db_table)} p ON p.company_id = w.company_id AND p.id = %s"
        else:
            join = ""
        kinds = ", ".join(["%s"] * len(_KINDS))
        # the default location: the active stocked one marked default, else the lowest id (stock.locations)
        sql = (
            f"SELECT {wh_cols}, {loc_cols}, "
            f"EXISTS (SELECT 1 FROM {users} u WHERE u.user_id = %s AND u.warehouse_id = w.id), "
            f"EXISTS (SELECT 1 FROM {users} u WHERE u.user_id = %s){asked} "
            f"FROM {q(Warehouse._meta.db_table)} w LEFT JOIN {q(Location._meta.db_table)} l ON l.id = ("
            f"SELECT d.id FROM {q(Location._meta.db_table)} d WHERE d.warehouse_id = w.id AND d.kind IN ({kinds}) "
            f"AND d.is_active = %s ORDER BY d.is_default DESC, d.id LIMIT 1){join} "
            + ("WHERE w.company_id = %s AND w.code = %s ORDER BY w.id LIMIT 1" if by_code
               else "WHERE w.company_id = %s AND w.id = %s")
        )
        _sql[key] = sql
    return sql


def read_warehouse(company_id: int, ref, *, field: str, user, kind: str, partner=None) -> Warehouse:
    """The company's active warehouse or store `ref` (instance, id or code) for a new document of `kind`,
    checked against `user`'s warehouse scope, with its default location and the probes' answers.

    With `partner` an id, the company's partner of that id is read in the same statement: `jxc_partner` on the
    warehouse is that Partner, or None when there is none (the caller says NotFound as it would)."""
    if isinstance(ref, Warehouse):
        if ref.company_id != company_id:
            raise NotFound("warehouse", ref.pk)
        key: object = ref.pk
    else:
        key = ref
    if isinstance(key, int) and not isinstance(key, bool) and -2**63 <= key < 2**63:
        by_code = False
    elif isinstance(key, str) and key:
        by_code = True
    else:
        raise NotFound("warehouse", getattr(ref, "pk", ref))
    probes = hooks.probes()
    params: list = [user.pk, user.pk]
    for p in probes:
        params += p.params(kind)
    params += [*_KINDS, True]
    by_id = isinstance(partner, int) and not isinstance(partner, bool) and -2**63 <= partner < 2**63
    if by_id:
        params.append(partner)
    params += [company_id, key]
    with connection.cursor() as cur:
        cur.execute(_statement(by_code, probes, by_id), params)
        row = cur.fetchone()
    if row is None:
        raise NotFound("warehouse", getattr(ref, "pk", ref))
    _sql_w, n = columns_of(Warehouse)
    _sql_l, m = columns_of(Location)
    wh = object_from(Warehouse, row[:n])
    if not wh.is_active or wh.kind == WarehouseKind.TRANSIT:
        raise ValidationFailed(field=field, reason=_("is not an active warehouse or store"))
    linked, any_link, *answers = row[n + m:]
    if by_id:
        _sql_p, k = columns_of(Partner)
        wh.jxc_partner = object_from(Partner, answers[len(answers) - k:])
        answers = answers[:len(answers) - k]
    if user.is_superuser or hasattr(user, "_jxc_warehouse_ids") or (any_link and not linked):
        require_warehouse(user, wh)  # answered from what the user object holds, or refused
    elif not any_link:  # what core.permissions.scoped_warehouse_ids would read: no link, every warehouse
        user._jxc_warehouse_ids = None
    loc = object_from(Location, row[n:n + m])
    if loc is not None:
        loc.warehouse = wh
    wh.jxc_default_location = loc
    wh.jxc_probes = {p.name: bool(a) for p, a in zip(probes, answers, strict=True)}
    return wh


def forget(*warehouses) -> None:
    """Drop the answers read with these warehouses: they hold for one create_document call only."""
    for w in warehouses:
        if w is not None:
            w.__dict__.pop("jxc_default_location", None)
            w.__dict__.pop("jxc_probes", None)
            w.__dict__.pop("jxc_partner", None)
