"""`GET /bi/feed/<entity>.csv|.xlsx|.parquet`: an entity's rows as a file, for Power BI Web.Contents, Excel and
scheduled pulls. Authenticated by API token (bi/auth.py), scoped like the reports (the token user's company, their
warehouses, costs only with stock.cost), optional `?from=&to=` on the entity's date column, no row cap.

CSV is streamed as it is read. XLSX (openpyxl write-only) and Parquet (pyarrow, a row group per batch) are written
to an anonymous temporary file with memory kept flat, then streamed from it. A text cell that Excel would take for
a formula is written as text (web/excel.py's guard). Refusals are `{code, message, data}` JSON like the API's.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from openjxc.bi.auth import token_user
from openjxc.bi.dates import ensure_dates
from openjxc.bi.entities import ENTITIES, Entity
from openjxc.bi.read import Scope, rows
from openjxc.core.errors import DomainError, ValidationFailed
from openjxc.reports.access import require_reader, shows_cost, warehouse_scope
from openjxc.web.excel import FORMULA_START, XLSX_TYPE, as_text

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("csv", "xlsx", "parquet")
CHUNK_ROWS = 1000  # CSV rows per chunk sent
PARQUET_BATCH = 50_000  # rows per Parquet row group
XLSX_SHEET_ROWS = 1_048_575  # Excel's rows per sheet, less the header


def _error(exc: DomainError) -> JsonResponse:
    response = JsonResponse(exc.as_dict(), status=exc.http_status, json_dumps_params={"ensure_ascii": False})
    if exc.http_status == 401:
        response["WWW-Authenticate"] = 'Basic realm="OpenJXC BI", charset="UTF-8"'
    return response


def _day(request, name: str) -> dt.date | None:
    text = request.GET.get(name)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(field=name, reason=_("is not a date (YYYY-MM-DD)")) from None


def scope_of(user, entity: Entity) -> Scope:
    """What `user` may read of `entity`: their company, their warehouses, costs or not (reports/access.py)."""
    company_id = require_reader(user)
    families = ("partner",) if entity.name == "fact_partner_day" else ()
    return Scope(company_id if entity.company_scoped else None, warehouse_scope(user, families), shows_cost(user))


@require_safe
def feed(request, entity: str, fmt: str):
    try:
        user = token_user(request)
        if user is None:
            raise DomainError("auth.required", _("Send a valid API token: Authorization: Bearer, Basic with the "
                                                 "token as the password, or ?key=."), http_status=401)
        found = ENTITIES.get(entity)
        if found is None or fmt not in FORMATS:
            raise DomainError("bi.entity_not_found", _("There is no BI feed %(name)s: an entity of the registry "
                                                       "as .csv, .xlsx or .parquet."), name=f"{entity}.{fmt}",
                              http_status=404)
        scope = scope_of(user, found)
        start, end = _day(request, "from"), _day(request, "to")
        if start and end and start > end:
            raise ValidationFailed(field="from", reason=_("is after to"))
        if found.name == "dim_date":
            ensure_dates()
        data = rows(found, scope, start=start, end=end)
        response = WRITERS[fmt](found, data)
    except DomainError as exc:
        return _error(exc)
    response["Content-Disposition"] = f'attachment; filename="{found.name}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- CSV


class _Line:
    def write(self, text: str) -> str:
        return text


def csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def csv_chunks(entity: Entity, data: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([c.name for c in entity.columns])  # the BOM: Excel reads it as UTF-8
    chunk: list[str] = []
    for row in data:
        chunk.append(writer.writerow([csv_value(v) for v in row]))
        if len(chunk) >= CHUNK_ROWS:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def _csv(entity: Entity, data: Iterable[tuple]) -> HttpResponse:
    return StreamingHttpResponse(csv_chunks(entity, data), content_type="text/csv; charset=utf-8")


# ---------------------------------------------------------------- XLSX


def write_xlsx(entity: Entity, data: Iterable[tuple], out, *, sheet_rows: int = XLSX_SHEET_ROWS) -> None:
    """The rows as a workbook; past Excel's 1,048,576 rows a sheet, they go on in the next sheet (no row cap)."""
    from openpyxl import Workbook  # here: ~21 MB a server process that writes no workbook need not hold

    wb = Workbook(write_only=True)
    header = [c.name for c in entity.columns]
    ws, n, sheets = None, sheet_rows, 0
    for row in data:
        if n >= sheet_rows:
            ws, n, sheets = _sheet(wb, entity, header, sheets + 1), 0, sheets + 1
        ws.append([as_text(ws, v) for v in row])
        n += 1
    if ws is None:
        _sheet(wb, entity, header, 1)
    wb.save(out)


def _sheet(wb, entity: Entity, header: list[str], number: int):
    ws = wb.create_sheet(entity.name[:31] if number == 1 else f"{entity.name[:26]}_{number}")
    ws.freeze_panes = "A2"
    ws.append(header)
    return ws


def _xlsx(entity: Entity, data: Iterable[tuple]) -> HttpResponse:
    out = tempfile.TemporaryFile()  # noqa: SIM115 - closed (and removed) by the response when sent
    write_xlsx(entity, data, out)
    out.seek(0)
    return FileResponse(out, content_type=XLSX_TYPE)


# ---------------------------------------------------------------- Parquet


def arrow_schema(entity: Entity) -> pa.Schema:
    import pyarrow as pa  # here: ~28 MB a server process that writes no Parquet file need not hold

    arrow = {"string": pa.string(), "int": pa.int64(), "decimal": pa.decimal128(38, 6),  # prices carry 6 places
             "date": pa.date32(), "datetime": pa.timestamp("us"), "bool": pa.bool_()}
    return pa.schema([pa.field(c.name, arrow[c.type]) for c in entity.columns])


def write_parquet(entity: Entity, data: Iterable[tuple], out) -> None:
    import pyarrow.parquet as pq

    schema = arrow_schema(entity)
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        batch: list[tuple] = []
        for row in data:
            batch.append(row)
            if len(batch) >= PARQUET_BATCH:
                writer.write_table(_table(schema, batch))
                batch = []
        if batch:
            writer.write_table(_table(schema, batch))


def _table(schema: pa.Schema, batch: list[tuple]) -> pa.Table:
    import pyarrow as pa

    columns = list(zip(*batch, strict=True))
    return pa.Table.from_arrays([pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
                                schema=schema)


def _parquet(entity: Entity, data: Iterable[tuple]) -> HttpResponse:
    out = tempfile.TemporaryFile()  # noqa: SIM115 - closed (and removed) by the response when sent
    write_parquet(entity, data, out)
    out.seek(0)
    return FileResponse(out, content_type="application/vnd.apache.parquet")


WRITERS = {"csv": _csv, "xlsx": _xlsx, "parquet": _parquet}
