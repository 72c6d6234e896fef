"""The tables every posting writes carry no index that another index already serves (decision 0032).

Each index on these tables is written on every insert; one whose columns begin another index's (or that sits on
a column nothing reads by) costs each posting and serves no query. The model state is checked for prefixes, and
the database for an index the models no longer declare (a migration that forgot to drop one), on both engines.
"""

from __future__ import annotations

import pytest
from django.db import connection, models

from openjxc.core.models import AuditRecord, Event
from openjxc.documents.models import Document, DocumentLine, DocumentTransition
from openjxc.finance.models import PartnerEntry
from openjxc.stock.models import ItemValuation, StockBalance, StockMove

pytestmark = pytest.mark.django_db

POSTING_WRITES = [Document, DocumentLine, DocumentTransition, StockMove, StockBalance, ItemValuation, Event,
                  AuditRecord, PartnerEntry]
NOT_PREFIXES = {"move_zero_cost"}  # partial: a few rows, not the index it begins
# made by a migration's SQL, not declared on a model: the number search's prefix LIKE (PostgreSQL only)
RAW_SQL = {"documents_number_prefix"}


def _declared(model) -> list[tuple[str, tuple[str, ...], bool]]:
    """(name, key columns, unique) of every index the model state declares."""
    out = []
    meta = model._meta
    for index in meta.indexes:
        cols = tuple(meta.get_field(f.lstrip("-")).column for f in index.fields)
        out.append((index.name, cols, False))
    for c in meta.constraints:
        if isinstance(c, models.UniqueConstraint) and c.fields and c.condition is None:
            out.append((c.name, tuple(meta.get_field(f).column for f in c.fields), True))
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        if field.unique:
            out.append((f"{field.column} (unique)", (field.column,), True))
        elif field.db_index:
            out.append((f"{field.column} (field)", (field.column,), False))
    return out


@pytest.mark.parametrize("model", POSTING_WRITES, ids=lambda m: m._meta.db_table)
def test_no_declared_index_is_served_by_another(model):
    declared = _declared(model)
    redundant = []
    for name, cols, unique in declared:
        if unique or name in NOT_PREFIXES:
            continue
        for other, other_cols, _ in declared:
            if other != name and len(other_cols) >= len(cols) and other_cols[:len(cols)] == cols:
                redundant.append(f"{name} {cols} is served by {other} {other_cols}")
                break
    assert redundant == []


@pytest.mark.parametrize("model", POSTING_WRITES, ids=lambda m: m._meta.db_table)
def test_the_database_has_only_the_declared_indexes(model):
    """Every plain single-column index in the database belongs to a field declared with db_index (the migrations
    of decision 0032 dropped the others by what the database has, not by what Django would have named them)."""
    meta = model._meta
    named = {i.name for i in meta.indexes}
    indexed = {f.column for f in meta.concrete_fields if f.db_index and not f.unique and not f.primary_key}
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, meta.db_table)
    extra = sorted(f"{name} {c['columns']}" for name, c in found.items()
                   if c.get("index") and not c.get("unique") and not c.get("primary_key") and name not in named | RAW_SQL
                   and not name.endswith("_like") and not (len(c["columns"]) == 1 and c["columns"][0] in indexed))
    assert extra == []
    missing = sorted(col for col in indexed
                     if not any(c.get("index") and c.get("columns") == [col] for c in found.values()))
    assert missing == []
