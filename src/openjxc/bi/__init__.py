"""BI connections: the star-schema entity registry (entities.py), the PostgreSQL `bi` schema and its read-only roles
(schema.py, roles.py), the CSV / XLSX / Parquet feeds by URL (feeds.py) and the Chinese calendar (dates.py)."""
