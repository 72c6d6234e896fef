"""Committing tests here (backup/restore) reuse the stock tests' way of letting the flush empty the ledger."""

