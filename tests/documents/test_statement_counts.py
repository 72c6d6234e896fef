"""Statements the hot paths of the document lifecycle take: a new statement there is a decision, not an accident.

The figures are per engine (the document's UPDATE, events, audit records, the transition log, the posted line
costs, the search row and the stock balances and valuations go in one statement: on PostgreSQL as CTEs,
decision 0017; on SQLite through the together view's triggers, decision 0022). Changing one means saying why in the commit that changes it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openjxc.documents import services as docs
from openjxc.documents.services import LineInput

D = Decimal

# path -> (SQLite, PostgreSQL)
EXPECTED = {
    "delivery created and posted at once": (12, 12),
    "submit": (7, 6),
    "approve": (7, 6),
    "post a delivery": (14, 13),
    "return made from a delivery": (17, 17),
    "return posted": (21, 21),
}


def _count(run) -> int:
    with CaptureQueriesContext(connection) as ctx:
        run()
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_lifecycle_takes_the_statements_it_took(shop):
    shop.receive(shop.flour, 100, "5.00")
    shop.receive(shop.water, 100, "1.20")
    by = shop.admin

    def delivery(**kw):
        return docs.create_document(by=by, kind="sales_delivery", warehouse=shop.main, partner=shop.customer,
                                    lines=[LineInput(item=shop.flour, quantity=2), LineInput(item=shop.water,
                                                                                            quantity=3)], **kw)

    delivery(advance_to="posted")  # warm the per-process caches (virtual locations, SQL text)
    seen = {"delivery created and posted at once": _count(lambda: delivery(advance_to="posted"))}
    doc = delivery()
    seen["submit"] = _count(lambda: docs.submit_document(doc, by=by))
    seen["approve"] = _count(lambda: docs.approve_document(doc, by=by))
    seen["post a delivery"] = _count(lambda: docs.post_document(doc, by=by))
    doc.refresh_from_db()
    made = []
    seen["return made from a delivery"] = _count(lambda: made.append(
        docs.create_from(doc, by=by, kind="sales_return")))
    ret = docs.advance_document(made[0], by=by, to="approved")
    seen["return posted"] = _count(lambda: docs.post_document(ret, by=by))
    column = 1 if connection.vendor == "postgresql" else 0
    assert seen == {path: counts[column] for path, counts in EXPECTED.items()}
