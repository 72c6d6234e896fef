"""The PostgreSQL `bi` schema: one view per registry entity, commented, versioned, filtered to the company of the
role reading it (decision 0016).

    bi.roles            role_name → company_id, show_cost: which company a BI login sees (no grant to anyone)
    bi.<entity>         SELECT <columns> FROM (<entity SQL>) e WHERE e.company_id = (the reader's company)
    bi.schema_version   one row: the registry's VERSION

The views run with their owner's rights (PostgreSQL's default for views), so a BI role needs SELECT on the views
only, never on a base table; `current_user` inside a view is still the role reading it, which picks its company
from bi.roles. `security_barrier` keeps a reader's own functions in a WHERE from seeing rows before the filter.
Cost columns are NULL for a role created without costs.

Created or updated (idempotent) after every `migrate` on PostgreSQL and by `jxc bi-schema`; a no-op on SQLite.
Dropped before every `migrate` (PostgreSQL refuses to alter a column a view reads) and recreated after it, with
the grants of every BI role renewed.
"""

from __future__ import annotations

from django.db import connection, transaction

from openjxc.bi.entities import ENTITIES, VERSION, Entity

SCHEMA = "bi"
ROLES_TABLE = "bi.roles"
READER_COMPANY = f"(SELECT r.company_id FROM {ROLES_TABLE} r WHERE r.role_name = current_user)"
READER_COST = f"(SELECT r.show_cost FROM {ROLES_TABLE} r WHERE r.role_name = current_user)"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_sql(entity: Entity) -> str:
    """CREATE OR REPLACE VIEW bi.<entity>: the entity's columns, the reader's company only, costs by the role."""
    cols = ", ".join(f"CASE WHEN {READER_COST} THEN e.{c.name} END AS {c.name}" if c.cost else f"e.{c.name}"
                     for c in entity.columns)
    where = f" WHERE e.company_id = {READER_COMPANY}" if entity.company_scoped else ""
    return (f"CREATE OR REPLACE VIEW {SCHEMA}.{entity.name} WITH (security_barrier = true) AS "
            f"SELECT {cols} FROM ({entity.sql('postgresql')}) e{where}")


def statements() -> list[str]:
    """Everything `create_schema` runs, in order."""
    out = [
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC",
        f"CREATE TABLE IF NOT EXISTS {ROLES_TABLE} (role_name text PRIMARY KEY, company_id bigint NOT NULL, "
        f"show_cost boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now())",
        f"REVOKE ALL ON {ROLES_TABLE} FROM PUBLIC",
        f"CREATE OR REPLACE VIEW {SCHEMA}.schema_version AS SELECT {int(VERSION)} AS version",
        f"COMMENT ON SCHEMA {SCHEMA} IS {_literal(f'OpenJXC BI star schema, version {VERSION}')}",
        f"COMMENT ON TABLE {ROLES_TABLE} IS 'BI login roles and the company each sees (jxc bi-role)'",
    ]
    for entity in ENTITIES.values():
        # a column changed type or left: CREATE OR REPLACE cannot do it, so such a view is dropped first
        out.append(f"DO $$ BEGIN EXECUTE {_literal(view_sql(entity))}; "
                   f"EXCEPTION WHEN invalid_table_definition OR feature_not_supported OR datatype_mismatch "
                   f"OR cannot_coerce THEN EXECUTE {_literal(f'DROP VIEW {SCHEMA}.{entity.name}')}; "
                   f"EXECUTE {_literal(view_sql(entity))}; END $$")
        out.append(f"COMMENT ON VIEW {SCHEMA}.{entity.name} IS "
                   f"{_literal(f'{entity.description_zh} / {entity.description_en}')}")
        out += [f"COMMENT ON COLUMN {SCHEMA}.{entity.name}.{c.name} IS {_literal(f'{c.label_zh} / {c.label_en}')}"
                for c in entity.columns]
    # every role made by `jxc bi-role` reads every view, new ones too
    out.append(f"DO $$ DECLARE r record; BEGIN FOR r IN SELECT role_name FROM {ROLES_TABLE} LOOP "
               f"IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.role_name) THEN "
               f"EXECUTE format('GRANT USAGE ON SCHEMA {SCHEMA} TO %I', r.role_name); "
               f"EXECUTE format('GRANT SELECT ON {grant_list()} TO %I', r.role_name); END IF; END LOOP; END $$")
    return out


def grant_list() -> str:
    """The views a BI role may read: every entity's and the version."""
    return ", ".join([f"{SCHEMA}.{name}" for name in ENTITIES] + [f"{SCHEMA}.schema_version"])


def create_schema(using: str = "default") -> bool:
    """Create or update the `bi` schema (PostgreSQL only); False on another engine."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "postgresql":
        return False
    with transaction.atomic(using=using), conn.cursor() as cur:
        # one at a time: two app servers migrating at once must not interleave their DDL
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('openjxc.bi.schema'))")
        for sql in statements():
            cur.execute(sql)
    return True


def drop_views(using: str = "default") -> int:
    """Drop every view of the `bi` schema (PostgreSQL), keeping bi.roles; how many were dropped.

    Run before `migrate`: PostgreSQL refuses to change the type of a column a view reads (a longer name, a new
    precision), so the views step aside while the tables change and come back, with their grants, after it."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "postgresql":
        return 0
    with transaction.atomic(using=using), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('openjxc.bi.schema'))")
        cur.execute("SELECT viewname FROM pg_views WHERE schemaname = %s", [SCHEMA])
        names = [row[0] for row in cur.fetchall()]
        for name in names:
            cur.execute(f'DROP VIEW IF EXISTS {SCHEMA}."{name}" CASCADE')
    return len(names)


def before_migrate(sender, using="default", **kwargs) -> None:
    """pre_migrate: the views step aside while the tables change (recreated by after_migrate)."""
    drop_views(using)


def after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: the views follow the registry after every migrate (a no-op on SQLite)."""
    create_schema(using)


def installed_version() -> int | None:
    """The version of the `bi` schema in the database, or None when there is none (or not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bi.schema_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            return None
        cur.execute("SELECT version FROM bi.schema_version")
        return int(cur.fetchone()[0])
