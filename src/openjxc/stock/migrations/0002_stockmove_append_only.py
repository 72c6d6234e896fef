"""The stock ledger is append-only in the database itself: UPDATE and DELETE on moves are refused."""

from django.db import migrations

SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS stockmove_no_update BEFORE UPDATE ON stock_stockmove
       BEGIN SELECT RAISE(ABORT, 'stock moves are append-only: post a reversal instead'); END;""",
    """CREATE TRIGGER IF NOT EXISTS stockmove_no_delete BEFORE DELETE ON stock_stockmove
       BEGIN SELECT RAISE(ABORT, 'stock moves are append-only: post a reversal instead'); END;""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS stockmove_no_update;", "DROP TRIGGER IF EXISTS stockmove_no_delete;"]

PG_UP = [
    """CREATE OR REPLACE FUNCTION stockmove_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'stock moves are append-only: post a reversal instead'
             USING ERRCODE = 'integrity_constraint_violation'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER stockmove_no_update BEFORE UPDATE ON stock_stockmove
       FOR EACH ROW EXECUTE FUNCTION stockmove_append_only();""",
    """CREATE TRIGGER stockmove_no_delete BEFORE DELETE ON stock_stockmove
       FOR EACH ROW EXECUTE FUNCTION stockmove_append_only();""",
    # TRUNCATE bypasses row triggers; refuse it too
    """CREATE TRIGGER stockmove_no_truncate BEFORE TRUNCATE ON stock_stockmove
       FOR EACH STATEMENT EXECUTE FUNCTION stockmove_append_only();""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS stockmove_no_update ON stock_stockmove;",
    "DROP TRIGGER IF EXISTS stockmove_no_delete ON stock_stockmove;",
    "DROP TRIGGER IF EXISTS stockmove_no_truncate ON stock_stockmove;",
    "DROP FUNCTION IF EXISTS stockmove_append_only();",
]


def up(apps, schema_editor):
    statements = SQLITE_UP if schema_editor.connection.vendor == "sqlite" else PG_UP
    for sql in statements:
        schema_editor.execute(sql)


def down(apps, schema_editor):
    statements = SQLITE_DOWN if schema_editor.connection.vendor == "sqlite" else PG_DOWN
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("stock", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
