"""Read-only PostgreSQL logins for BI tools (`jxc bi-role`), each seeing one company through the `bi` views.

A role gets LOGIN, a generated password (shown once), USAGE on schema `bi` and SELECT on its views — no grant on
any base table, no write right (and `default_transaction_read_only` on). Which company it sees is its row in
`bi.roles`, read by the views (bi/schema.py, decision 0016). Only roles listed there can be dropped here.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _
from psycopg import sql

from openjxc.bi.schema import ROLES_TABLE, SCHEMA, create_schema, grant_list
from openjxc.core.errors import DomainError
from openjxc.core.models import Company

NAME = re.compile(r"^[a-z][a-z0-9_]{2,62}$")
CONNECTION_LIMIT = 10


@dataclass(frozen=True)
class BiRole:
    name: str
    company_code: str
    show_cost: bool
    created_at: object


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise DomainError("bi.postgresql_only",
                          _("BI database logins need PostgreSQL; on SQLite use the OData or CSV/XLSX/Parquet feeds."),
                          http_status=400)


def _default_name(company: Company) -> str:
    code = re.sub(r"[^a-z0-9_]", "_", company.code.lower())[:40]
    return f"bi_{code}_{secrets.token_hex(3)}"


def _exists(cur, name: str) -> bool:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
    return cur.fetchone() is not None


def _run(cur, statement: sql.Composable) -> None:
    cur.execute(statement.as_string(connection.connection))


def create_role(*, company: Company, name: str | None = None, show_cost: bool = False) -> tuple[str, str]:
    """Create a BI login for `company`; return its name and its password (never stored, shown once)."""
    _require_postgresql()
    name = (name or _default_name(company)).strip()
    if not NAME.match(name):
        raise DomainError("bi.role_name_invalid", _("A BI role name is 3 to 63 lower-case letters, digits or _, "
                                                    "starting with a letter: %(name)s"), name=name, http_status=422)
    create_schema()
    password = secrets.token_urlsafe(24)
    role = sql.Identifier(name)
    with transaction.atomic(), connection.cursor() as cur:
        if _exists(cur, name):
            raise DomainError("bi.role_exists", _("A database role named %(name)s exists already."), name=name,
                              http_status=409)
        _run(cur, sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
                          "NOREPLICATION CONNECTION LIMIT {}").format(role, sql.Literal(password),
                                                                      sql.Literal(CONNECTION_LIMIT)))
        _run(cur, sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(role))
        _run(cur, sql.SQL("ALTER ROLE {} SET search_path = {}").format(role, sql.Identifier(SCHEMA)))
        _run(cur, sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(connection.settings_dict["NAME"]), role))
        _run(cur, sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(SCHEMA), role))
        _run(cur, sql.SQL(f"GRANT SELECT ON {grant_list()} TO {{}}").format(role))
        cur.execute(f"INSERT INTO {ROLES_TABLE} (role_name, company_id, show_cost) VALUES (%s, %s, %s)",
                    [name, company.pk, show_cost])
    return name, password


def list_roles() -> list[BiRole]:
    """The BI logins made here, with the company each sees."""
    _require_postgresql()
    create_schema()
    with connection.cursor() as cur:
        cur.execute(f"SELECT r.role_name, c.code, r.show_cost, r.created_at FROM {ROLES_TABLE} r "
                    f"LEFT JOIN core_company c ON c.id = r.company_id ORDER BY r.role_name")
        return [BiRole(*row) for row in cur.fetchall()]


def drop_role(name: str) -> None:
    """Drop a BI login made by create_role (and its sessions); any other role is refused."""
    _require_postgresql()
    create_schema()
    role = sql.Identifier(name)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"SELECT 1 FROM {ROLES_TABLE} WHERE role_name = %s FOR UPDATE", [name])
        if cur.fetchone() is None:
            raise DomainError("bi.role_unknown", _("%(name)s is not a BI role made by jxc bi-role."), name=name,
                              http_status=404)
        if _exists(cur, name):
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [name])
            _run(cur, sql.SQL("DROP OWNED BY {}").format(role))
            _run(cur, sql.SQL("DROP ROLE {}").format(role))
        cur.execute(f"DELETE FROM {ROLES_TABLE} WHERE role_name = %s", [name])
