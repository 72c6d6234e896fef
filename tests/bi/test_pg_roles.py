"""The PostgreSQL `bi` schema and `jxc bi-role`: a login sees only its company's rows through the views, never a
base table, cannot write, and sees costs only when created with them. Connected AS the role with psycopg."""

from __future__ import annotations

import io
import re

import psycopg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from openjxc.bi import roles
from openjxc.bi.entities import ENTITIES, VERSION
from openjxc.bi.read import Scope, rows
from openjxc.bi.schema import create_schema, drop_views, installed_version

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql(transactional_db):
    """Skipped on SQLite before the two companies are built (the database is set up, so teardown finds it)."""
    if connection.vendor != "postgresql":
        pytest.skip("BI database roles need PostgreSQL")


@pytest.fixture
def made():
    names: list[str] = []
    yield names
    for name in names:  # roles are the cluster's, not the test database's: always drop them
        try:
            roles.drop_role(name)
        except Exception:  # noqa: BLE001 - already dropped by the test
            pass


def connect(name: str, password: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432, dbname=db["NAME"],
                           user=name, password=password, autocommit=True)


def create(company, made, *args) -> tuple[str, str]:
    out = io.StringIO()
    call_command("bi_role", "create", "--company", company.code, *args, stdout=out)
    text = out.getvalue()
    name = re.search(r"created BI role (\S+)", text).group(1)
    made.append(name)
    return name, re.search(r"password: (\S+)", text).group(1)


def test_role_sees_only_its_company_never_base_tables_and_cannot_write(_postgresql, companies, made):
    acme, other = companies.acme, companies.other
    assert create_schema() and create_schema()  # idempotent
    assert installed_version() == VERSION
    name, password = create(acme.company, made)
    other_name, other_password = create(other.company, made, "--cost")

    with connect(name, password) as conn, conn.cursor() as cur:
        cur.execute("SELECT version FROM bi.schema_version")
        assert cur.fetchone() == (VERSION,)
        for entity in ENTITIES.values():
            cur.execute(f"SELECT * FROM {entity.name}")  # search_path = bi
            got = cur.fetchall()
            assert [d.name for d in cur.description] == [c.name for c in entity.columns]
            want = list(rows(entity, Scope(acme.company.pk if entity.company_scoped else None, show_cost=False)))
            assert sorted(map(repr, got)) == sorted(map(repr, want)), entity.name
        # another company's rows: nothing, asked for by their ids
        cur.execute("SELECT count(*) FROM bi.fact_sales_line WHERE item_id = %s", [other.flour.pk])
        assert cur.fetchone() == (0,)
        cur.execute("SELECT count(*) FROM bi.dim_item WHERE item_id IN (%s, %s)", [other.flour.pk, acme.flour.pk])
        assert cur.fetchone() == (1,)
        # costs hidden for this role
        cur.execute("SELECT count(*), count(cogs), count(revenue) FROM bi.fact_sales_line")
        n, cogs, revenue = cur.fetchone()
        assert n > 0 and cogs == 0 and revenue == n
        # base tables and the role map: refused
        for table in ("public.stock_stockmove", "public.reports_salesday", "public.core_apitoken", "bi.roles",
                      "public.bi_datedim"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                cur.execute(f"SELECT 1 FROM {table} LIMIT 1")
        # no writing, no creating
        for statement in ("INSERT INTO bi.dim_warehouse (warehouse_id) VALUES (1)",
                          "DELETE FROM bi.fact_sales_line", "CREATE TABLE bi.mine (x int)",
                          "CREATE TABLE public.mine (x int)", "UPDATE bi.roles SET company_id = 0"):
            with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction,
                                psycopg.errors.ObjectNotInPrerequisiteState)):
                cur.execute(statement)
        # and no way to take another role's company
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            cur.execute(f'SET ROLE "{other_name}"')

    with connect(other_name, other_password) as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT item_id FROM bi.fact_sales_line")
        assert cur.fetchall() == [(other.flour.pk,)]
        cur.execute("SELECT sum(revenue), sum(cogs) FROM bi.fact_sales_line")
        assert cur.fetchone() == (18, 6)  # 2 × 9.00; 2 × 3.00 (with costs)

    # documented: every view and column carries its zh / en label
    with connection.cursor() as cur:
        cur.execute("SELECT obj_description('bi.fact_sales_line'::regclass), "
                    "col_description('bi.fact_sales_line'::regclass, 1), obj_description(oid, 'pg_namespace') "
                    "FROM pg_namespace WHERE nspname = 'bi'")
        view, column, schema = cur.fetchone()
        assert "销售" in view and "Sales" in view and column == "日期 / Day" and f"version {VERSION}" in schema

    # PostgreSQL refuses to change a column a view reads: migrate drops the views first and recreates them after
    with pytest.raises(DatabaseError, match="used by a view"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("ALTER TABLE catalog_item ALTER COLUMN name TYPE varchar(201)")
    assert drop_views() == len(ENTITIES) + 1
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE catalog_item ALTER COLUMN name TYPE varchar(201)")
        cur.execute("ALTER TABLE catalog_item ALTER COLUMN name TYPE varchar(200)")
    call_command("migrate", verbosity=0)  # pre_migrate drops, post_migrate recreates and grants again
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_views WHERE schemaname = 'bi'")
        assert cur.fetchone() == (len(ENTITIES) + 1,)
    with connect(other_name, other_password) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM bi.dim_item")
        assert cur.fetchone() == (len(list(rows(ENTITIES["dim_item"], Scope(other.company.pk)))),)

    listing = io.StringIO()
    call_command("bi_role", "list", stdout=listing)
    assert f"{name}\tACME\tno cost" in listing.getvalue() and f"{other_name}\tOTHER\tcost" in listing.getvalue()
    call_command("bi_role", "drop", name, stdout=io.StringIO())
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name])
        assert cur.fetchone() == (0,)
    with pytest.raises(psycopg.OperationalError):
        connect(name, password).close()


def test_refusals(_postgresql, companies, made):
    from django.core.management.base import CommandError

    acme = companies.acme
    with pytest.raises(CommandError, match="bi.role_name_invalid"):
        call_command("bi_role", "create", "--company", "ACME", "--name", "Robert'); DROP", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No company"):
        call_command("bi_role", "create", "--company", "NOPE", stdout=io.StringIO())
    with pytest.raises(CommandError, match="bi.role_unknown"):
        call_command("bi_role", "drop", "postgres", stdout=io.StringIO())
    create(acme.company, made, "--name", "bi_acme_twice")
    with pytest.raises(CommandError, match="bi.role_exists"):
        call_command("bi_role", "create", "--company", "ACME", "--name", "bi_acme_twice", stdout=io.StringIO())
