"""Gap-free document numbers: PREFIX-YYYYMMDD-NNNN per company, prefix and business day."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction


def next_number(company, prefix: str, day: dt.date) -> str:
    """Allocate the next number in the caller's transaction.

    One UPSERT both creates the day's counter and increments it, holding the row lock until the
    caller commits: two concurrent documents can never get the same number, and a rolled-back
    document gives its number back, so the sequence has no gaps.
    """
    assert transaction.get_connection().in_atomic_block
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO core_numbersequence (company_id, prefix, day, last) VALUES (%s, %s, %s, 1) "
            "ON CONFLICT (company_id, prefix, day) DO UPDATE SET last = core_numbersequence.last + 1 "
            "RETURNING last",
            [company.pk, prefix, day],
        )
        (n,) = cur.fetchone()
    return f"{prefix}-{day:%Y%m%d}-{n:04d}"
