"""The consumer as the rebuild's oracle: snapshot every fact table the consumer built event by event, rebuild from
the ledgers (set-based SQL), and the tables must hold the same rows.

A row whose sums are all zero is left out on both sides: the consumer keeps one when two batches cancel (a
receipt and its void read in different batches), the rebuild never writes one; neither changes any figure."""

from __future__ import annotations

from openjxc.reports.facts.check import check_facts
from openjxc.reports.facts.consumer import consume
from openjxc.reports.facts.rebuild import FACT_MODELS, rebuild
from openjxc.reports.models import FactCursor, PartnerRowSeen, PurchaseLine

KEEP_ZEROS = (PurchaseLine, PartnerRowSeen)  # rows that stand for a thing, not a sum


def fact_rows(company) -> dict[str, list[tuple]]:
    """Every fact table of `company` as sorted tuples of its columns but id and company."""
    out = {}
    for model in FACT_MODELS:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", "company_id")]
        sums = [f for f in fields if model._meta.get_field(f).get_internal_type() == "BigIntegerField"
                and not f.endswith("_id") and f not in ("lot_key", "row_id")]
        rows = model.objects.filter(company_id=company.pk).values_list(*fields)
        if model not in KEEP_ZEROS:
            at = [fields.index(s) for s in sums]
            rows = [r for r in rows if any(r[i] for i in at)]
        out[model.__name__] = sorted(tuple(r) for r in rows)
    return out


def assert_rebuild_equals_consumer(company) -> dict[str, list[tuple]]:
    """Catch the consumer up, snapshot, rebuild, compare table by table; then check-facts holds. The snapshot."""
    consume(company)
    before = fact_rows(company)
    closed = FactCursor.objects.get(company=company).closed_through
    rebuild(company)
    after = fact_rows(company)
    for table in before:
        assert after[table] == before[table], (table, sorted(set(before[table]) - set(after[table]))[:10],
                                               sorted(set(after[table]) - set(before[table]))[:10])
    assert FactCursor.objects.get(company=company).closed_through == closed
    report = check_facts(company)
    assert report.problems == [], report.problems
    return after
