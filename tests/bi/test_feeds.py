"""GET /bi/feed/<entity>.csv|.xlsx|.parquet: every entity in every format parses back (csv, openpyxl, pyarrow) to
the entity's rows; a token sees its company (and warehouses, and costs by role) only; refusals are JSON."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
from decimal import Decimal as D

import pyarrow.parquet as pq
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from openjxc.bi.entities import ENTITIES
from openjxc.bi.read import Scope, rows
from openjxc.catalog import services as catalog
from openjxc.core import tokens
from openjxc.core.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def token(user) -> str:
    return tokens.create_token(by=user, name="bi feed")[1]


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def typed(column, text: str):
    if text == "":
        return None
    return {"decimal": D, "int": int, "date": dt.date.fromisoformat, "bool": lambda t: t == "true"}.get(
        column.type, str)(text)


def from_csv(entity, data: bytes) -> list[tuple]:
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0] == [c.name for c in entity.columns]
    return [tuple(typed(c, v) for c, v in zip(entity.columns, line, strict=True)) for line in lines[1:]]


def from_xlsx(entity, data: bytes) -> list[tuple]:
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    lines = list(ws.iter_rows(values_only=True))
    assert list(lines[0]) == [c.name for c in entity.columns]

    def value(c, v):
        if v is None or c.type == "string":
            return v
        if c.type == "decimal":
            return D(str(v))
        if c.type == "date":
            return v.date() if isinstance(v, dt.datetime) else v
        return bool(v) if c.type == "bool" else v
    pad = len(entity.columns)  # a read-only sheet leaves trailing empty cells out
    return [tuple(value(c, v) for c, v in zip(entity.columns, (*line, *[None] * (pad - len(line))), strict=True))
            for line in lines[1:]]


def from_parquet(entity, data: bytes) -> list[tuple]:
    table = pq.read_table(io.BytesIO(data))
    assert table.column_names == [c.name for c in entity.columns]
    return [tuple(r[c.name] for c in entity.columns) for r in table.to_pylist()]


def canon(values: list[tuple]) -> list[tuple]:
    """Decimals compared by value (Parquet keeps 6 places), an empty text as none (CSV cannot tell), one order."""
    norm = [tuple(v.normalize() if isinstance(v, D) else None if v == "" else v for v in row) for row in values]
    return sorted(norm, key=repr)


def test_every_entity_in_every_format(companies):
    acme = companies.acme
    raw = token(acme.admin)
    client = Client()
    basic = "Basic " + base64.b64encode(f"anyone:{raw}".encode()).decode()
    for entity in ENTITIES.values():
        want = canon(list(rows(entity, Scope(acme.company.pk if entity.company_scoped else None))))
        assert want, entity.name
        got = client.get(f"/bi/feed/{entity.name}.csv", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert got.status_code == 200 and got["Content-Type"].startswith("text/csv")
        assert got["Content-Disposition"] == f'attachment; filename="{entity.name}.csv"'
        assert canon(from_csv(entity, body(got))) == want, entity.name
        got = client.get(f"/bi/feed/{entity.name}.xlsx", HTTP_AUTHORIZATION=basic)
        assert got.status_code == 200
        assert canon(from_xlsx(entity, body(got))) == want, entity.name
        got = client.get(f"/bi/feed/{entity.name}.parquet", {"key": raw})
        assert got.status_code == 200
        assert canon(from_parquet(entity, body(got))) == want, entity.name

    # a date range on the entity's date column
    got = client.get("/bi/feed/fact_sales_line.csv", {"key": raw, "from": "2026-03-10", "to": "2026-03-20"})
    days = {r[0] for r in from_csv(ENTITIES["fact_sales_line"], body(got))}
    assert days and all(dt.date(2026, 3, 10) <= d <= dt.date(2026, 3, 20) for d in days)
    assert len(days) < len({r[0] for r in rows(ENTITIES["fact_sales_line"], Scope(acme.company.pk))})


def test_formula_text_stays_text(companies):
    acme = companies.acme
    catalog.update_item(acme.flour, by=acme.admin, name='=HYPERLINK("http://x.invalid","面粉")')
    raw = token(acme.admin)
    client = Client()
    entity = ENTITIES["dim_item"]
    names = [r[2] for r in from_csv(entity, body(client.get("/bi/feed/dim_item.csv", {"key": raw})))]
    assert "'=HYPERLINK(\"http://x.invalid\",\"面粉\")" in names
    ws = load_workbook(io.BytesIO(body(client.get("/bi/feed/dim_item.xlsx", {"key": raw})))).active
    cell = next(c for c in ws["C"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s" and cell.quotePrefix
    parquet = from_parquet(entity, body(client.get("/bi/feed/dim_item.parquet", {"key": raw})))
    assert '=HYPERLINK("http://x.invalid","面粉")' in [r[2] for r in parquet]  # not a spreadsheet: kept as is


def test_scope_costs_and_refusals(companies):
    acme, other = companies.acme, companies.other
    client = Client()
    entity = ENTITIES["fact_sales_line"]
    item = [c.name for c in entity.columns].index("item_id")

    theirs = from_csv(entity, body(client.get("/bi/feed/fact_sales_line.csv", {"key": token(other.admin)})))
    assert {r[item] for r in theirs} == {other.flour.pk}

    # a salesperson of the store: the store's rows, no costs, no partner balances
    clerk = acme.user("clerk", Role.SALESPERSON, warehouses=[acme.store])
    raw = token(clerk)
    mine = from_csv(entity, body(client.get("/bi/feed/fact_sales_line.csv", {"key": raw})))
    wh = [c.name for c in entity.columns].index("warehouse_id")
    assert mine and {r[wh] for r in mine} == {acme.store.pk}
    costs = [i for i, c in enumerate(entity.columns) if c.cost]
    assert all(r[i] is None for r in mine for i in costs)
    refused = client.get("/bi/feed/fact_partner_day.csv", {"key": raw})
    assert refused.status_code == 403 and refused.json()["code"] == "permission.denied"

    # a user without a role may read no report at all
    refused = client.get("/bi/feed/dim_item.csv", {"key": token(acme.user("nobody"))})
    assert refused.status_code == 403

    for kwargs in ({}, {"HTTP_AUTHORIZATION": "Bearer jxc_wrong"}, {"data": {"key": "jxc_wrong"}},
                   {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"me:jxc_wrong").decode()},
                   {"HTTP_AUTHORIZATION": "Basic !!!"}):
        got = client.get("/bi/feed/dim_item.csv", **kwargs)
        assert got.status_code == 401 and got.json()["code"] == "auth.required", kwargs
        assert got["WWW-Authenticate"].startswith("Basic")
    raw = token(acme.admin)
    for url in ("/bi/feed/stock_stockmove.csv", "/bi/feed/dim_item.json"):
        got = client.get(url, {"key": raw})
        assert got.status_code == 404 and got.json()["code"] == "bi.entity_not_found"
    got = client.get("/bi/feed/fact_sales_line.csv", {"key": raw, "from": "March"})
    assert got.status_code == 422 and got.json()["data"]["field"] == "from"
    assert client.post("/bi/feed/dim_item.csv", {"key": raw}).status_code == 405

    # statements per download: the token (with the user's warehouses, core/tokens.py), the rows — whatever the
    # entity or its size
    def statements(url):
        with CaptureQueriesContext(connection) as ctx:
            body(client.get(url, {"key": raw}))
        return len(ctx)
    assert {statements(f"/bi/feed/{name}") for name in (
        "fact_sales_line.csv", "fact_stock_day.parquet", "dim_item.xlsx", "dim_partner.csv")} == {2}
