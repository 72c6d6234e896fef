"""SQLite with a per-process pool of connections (docs/decisions/0026-sqlite-connections-reused.md)."""
