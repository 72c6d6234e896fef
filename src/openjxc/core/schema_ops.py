"""Migration operations of our own.

`drop_field_indexes`: a foreign key's own index dropped without touching its table (decision 0032). Django's
AlterField(db_index=False) rebuilds the whole table on SQLite — a copy of every row, and the append-only triggers
of the ledgers lost with the old table — so the migration records the field's new state and drops the index
itself, found by what the database says it has (its name differs between engines and versions).
"""

from __future__ import annotations

from django.db import migrations


def _plain_indexes(schema_editor, model) -> dict[str, list[str]]:
    """Per column, the names of the plain (not unique, not declared in Meta) indexes on that column alone."""
    connection = schema_editor.connection
    declared = {i.name for i in model._meta.indexes}
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, model._meta.db_table)
    out: dict[str, list[str]] = {}
    for name, c in sorted(found.items()):
        columns = c.get("columns") or []
        if (c.get("index") and not c.get("unique") and not c.get("primary_key") and len(columns) == 1
                and name not in declared):
            out.setdefault(columns[0], []).append(name)
    return out


def drop_field_indexes(app_label: str, fields: dict[str, list[str]]) -> migrations.RunPython:
    """Drop the index each listed foreign key had of its own; reversed by creating it as Django names it."""

    def forward(apps, schema_editor):
        for model_name, names in fields.items():
            model = apps.get_model(app_label, model_name)
            indexes = _plain_indexes(schema_editor, model)
            for field_name in names:
                for index in indexes.get(model._meta.get_field(field_name).column, []):
                    schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(index)}")

    def backward(apps, schema_editor):
        for model_name, names in fields.items():
            model = apps.get_model(app_label, model_name)
            indexes = _plain_indexes(schema_editor, model)
            for field_name in names:
                field = model._meta.get_field(field_name)
                if not indexes.get(field.column):
                    schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    return migrations.RunPython(forward, backward)
