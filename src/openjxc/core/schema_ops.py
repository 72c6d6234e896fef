"""Migration operations of our own.

`drop_field_indexes`: a foreign key's own index dropped without touching its table (decision 0032). Django's
AlterField(db_index=False) rebuilds the whole table on SQLite — a copy of every row, and the append-only triggers
of the ledgers lost with the old table — so the migration records the field's new state and drops the index
itself, found by what the database says it has (its name differs between engines and versions).
"""

from __future__ import annotations

from django.db import migrations


def _single_column_indexes(schema_editor, model, field_name: str) -> list[str]:
    """The plain (not unique, not partial-by-Meta) indexes on exactly this field's column."""
    connection = schema_editor.connection
    column = model._meta.get_field(field_name).column
    declared = {i.name for i in model._meta.indexes}
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, model._meta.db_table)
    return sorted(name for name, c in found.items()
                  if c.get("index") and not c.get("unique") and not c.get("primary_key")
                  and c.get("columns") == [column] and name not in declared)


def drop_field_indexes(app_label: str, fields: dict[str, list[str]]) -> migrations.RunPython:
    """Drop the index each listed foreign key had of its own; reversed by creating it as Django names it."""

    def forward(apps, schema_editor):
        for model_name, names in fields.items():
            model = apps.get_model(app_label, model_name)
            for field_name in names:
                for index in _single_column_indexes(schema_editor, model, field_name):
                    schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(index)}")

    def backward(apps, schema_editor):
        for model_name, names in fields.items():
            model = apps.get_model(app_label, model_name)
            for field_name in names:
                if not _single_column_indexes(schema_editor, model, field_name):
                    field = model._meta.get_field(field_name)
                    schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    return migrations.RunPython(forward, backward)
