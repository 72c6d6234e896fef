"""The feed writers on their own (no database): XLSX goes on to a second sheet past a sheet's rows; empty
entities still give a header (CSV, XLSX) or a schema (Parquet)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pyarrow.parquet as pq
from openpyxl import load_workbook

from openjxc.bi.entities import ENTITIES
from openjxc.bi.feeds import csv_chunks, write_parquet, write_xlsx

WAREHOUSE = ENTITIES["dim_warehouse"]
ROWS = [(i, f"W{i}", f"仓库{i}", "warehouse", False, True) for i in range(1, 6)]


def test_xlsx_goes_on_in_a_second_sheet():
    out = io.BytesIO()
    write_xlsx(WAREHOUSE, iter(ROWS), out, sheet_rows=3)
    wb = load_workbook(io.BytesIO(out.getvalue()))
    assert wb.sheetnames == ["dim_warehouse", "dim_warehouse_2"]
    first, second = ([tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets)
    header = tuple(c.name for c in WAREHOUSE.columns)
    assert first == [header, *ROWS[:3]] and second == [header, *ROWS[3:]]


def test_empty_entities_keep_their_columns():
    entity = ENTITIES["fact_sales_line"]
    assert "".join(csv_chunks(entity, iter(()))) == "\ufeff" + ",".join(c.name for c in entity.columns) + "\r\n"
    out = io.BytesIO()
    write_xlsx(entity, iter(()), out)
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    assert [c.value for c in ws[1]] == [c.name for c in entity.columns] and ws.max_row == 1
    out = io.BytesIO()
    write_parquet(entity, iter(()), out)
    table = pq.read_table(io.BytesIO(out.getvalue()))
    assert table.num_rows == 0 and table.column_names == [c.name for c in entity.columns]
    assert str(table.schema.field("revenue").type) == "decimal128(38, 6)"
    assert str(table.schema.field("day").type) == "date32[day]"


def test_parquet_keeps_types():
    entity = ENTITIES["dim_date"]
    row = tuple({"date": dt.date(2026, 2, 17), "int": 1, "bool": True, "string": "春节", "decimal": D("1.5")}[c.type]
                for c in entity.columns)
    out = io.BytesIO()
    write_parquet(entity, iter([row] * 3), out)
    back = pq.read_table(io.BytesIO(out.getvalue())).to_pylist()
    assert len(back) == 3 and back[0]["day"] == dt.date(2026, 2, 17) and back[0]["festival_zh"] == "春节"
