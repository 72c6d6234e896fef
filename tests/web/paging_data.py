"""Bulk rows for the paging tests (and bench/list_pages.py): a category tree and documents, inserted directly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from openjxc.catalog.models import Category


def bulk_categories(company, n: int, *, width: int = 100) -> None:
    """`width` roots and n - width children spread over them, with their paths (/root/child/)."""
    roots = Category.objects.bulk_create([Category(company=company, code=f"R{i:03d}", name=f"大类{i}")
                                          for i in range(width)])
    for r in roots:
        r.path = f"/{r.pk}/"
    Category.objects.bulk_update(roots, ["path"])
    kids = Category.objects.bulk_create([Category(company=company, code=f"C{i:06d}", name=f"小类{i}",
                                                  parent=roots[i % width]) for i in range(n - width)],
                                        batch_size=5000)
    for c in kids:
        c.path = f"{c.parent.path}{c.pk}/"
    Category.objects.bulk_update(kids, ["path"], batch_size=5000)


def bulk_documents(company, warehouse, partner, user, n: int, *, start: dt.date, per_day: int = 300,
                   batch: int = 10_000) -> None:
    """n posted-looking purchase orders (no lines, no moves: the list reads only headers), `per_day` a day."""
    from django.utils import timezone

    from openjxc.documents.models import Document

    now = timezone.now()
    for first in range(0, n, batch):
        Document.objects.bulk_create([
            Document(company=company, kind="purchase_order", number=f"CGDD-B{i:08d}", status="draft",
                     warehouse=warehouse, partner=partner, business_on=start + dt.timedelta(days=i // per_day),
                     created_by=user, created_at=now, updated_at=now, total_quantity=Decimal("1"),
                     total_amount=Decimal(i % 997), total_with_tax=Decimal(i % 997))
            for i in range(first, min(n, first + batch))
        ], batch_size=5000)
