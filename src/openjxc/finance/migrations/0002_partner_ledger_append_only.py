"""The partner ledger and its allocations are append-only in the database, like the stock ledger."""

from django.db import migrations

TABLES = ("finance_partnerentry", "finance_allocation")
MESSAGE = "the partner ledger is append-only: write a reversal instead"

SQLITE_UP = [
    sql
    for t in TABLES
    for sql in (
        f"CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
        f"CREATE TRIGGER IF NOT EXISTS {t}_no_delete BEFORE DELETE ON {t} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    )
]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS {t}_{op};" for t in TABLES for op in ("no_update", "no_delete")]

PG_UP = [
    f"""CREATE OR REPLACE FUNCTION partner_ledger_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END; $$ LANGUAGE plpgsql;""",
    *[
        sql
        for t in TABLES
        for sql in (
            f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} FOR EACH ROW "
            "EXECUTE FUNCTION partner_ledger_append_only();",
            f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} FOR EACH ROW "
            "EXECUTE FUNCTION partner_ledger_append_only();",
            # TRUNCATE bypasses row triggers; refuse it too
            f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT "
            "EXECUTE FUNCTION partner_ledger_append_only();",
        )
    ],
]
PG_DOWN = [
    *[f"DROP TRIGGER IF EXISTS {t}_{op} ON {t};" for t in TABLES for op in ("no_update", "no_delete", "no_truncate")],
    "DROP FUNCTION IF EXISTS partner_ledger_append_only();",
]


def up(apps, schema_editor):
    for sql in SQLITE_UP if schema_editor.connection.vendor == "sqlite" else PG_UP:
        schema_editor.execute(sql)


def down(apps, schema_editor):
    for sql in SQLITE_DOWN if schema_editor.connection.vendor == "sqlite" else PG_DOWN:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
