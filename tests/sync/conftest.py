"""Shared by the sync tests (feed, SSE, terminals): committing tests flush the ledger, so re-export the guard."""

from __future__ import annotations

