"""Documents posted before the partner ledger existed get their entries (and voided ones their reversals).

Returns' credits stay unapplied: allocation is a business decision, made through the services.
"""

from decimal import Decimal

from django.db import migrations

EFFECTS = {"sales_delivery": ("receivable", 1), "sales_return": ("receivable", -1),
           "purchase_receipt": ("payable", 1), "purchase_return": ("payable", -1)}


def backfill(apps, schema_editor):
    Document = apps.get_model("documents", "Document")
    PartnerEntry = apps.get_model("finance", "PartnerEntry")
    done = set(PartnerEntry.objects.filter(document__isnull=False).values_list("document_id", flat=True))
    docs = Document.objects.filter(kind__in=EFFECTS, partner__isnull=False, status__in=["posted", "voided"])
    for doc in docs.exclude(pk__in=done).order_by("pk").iterator():
        book, sign = EFFECTS[doc.kind]
        amount = (getattr(doc, "total_with_tax", None) or doc.total_amount).quantize(Decimal("0.01"))
        if not amount:
            continue
        entry = PartnerEntry.objects.create(
            company_id=doc.company_id, partner_id=doc.partner_id, book=book, document=doc, amount=sign * amount,
            business_on=doc.business_on, due_on=doc.business_on, created_by_id=doc.posted_by_id,
            created_at=doc.posted_at or doc.updated_at,
        )
        if doc.status == "voided":
            on = (doc.voided_at or doc.updated_at).date()
            PartnerEntry.objects.create(
                company_id=doc.company_id, partner_id=doc.partner_id, book=book, document=doc,
                amount=-entry.amount, business_on=max(on, doc.business_on), due_on=entry.due_on, reverses=entry,
                created_by_id=doc.voided_by_id, created_at=doc.voided_at or doc.updated_at,
            )


class Migration(migrations.Migration):
    dependencies = [("finance", "0002_partner_ledger_append_only")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
