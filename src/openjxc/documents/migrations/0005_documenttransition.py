"""The document transition log (cycle times), backfilled from the outbox's document.* events."""

import datetime as dt

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# outbox topic -> the action the log records (document.updated is an edit, not a transition)
_ACTIONS = {"created": "create", "submit": "submit", "approve": "approve", "reject": "reject", "post": "post",
            "void": "void", "cancel": "cancel", "close": "close"}


def backfill(apps, schema_editor):
    """One log row per document.* event already in the outbox, in the order they were written."""
    Event = apps.get_model("core", "Event")
    Document = apps.get_model("documents", "Document")
    Transition = apps.get_model("documents", "DocumentTransition")
    topics = [f"document.{t}" for t in _ACTIONS]
    events = (Event.objects.filter(topic__in=topics, object_type="documents.document")
              .order_by("id").values_list("object_id", "topic", "actor_id", "payload", "created_at").iterator(5000))
    docs: dict[int, tuple] = {}
    last_at: dict[int, dt.datetime] = {}
    batch: list = []
    for object_id, topic, actor_id, payload, at in events:
        try:
            pk = int(object_id)
        except ValueError:
            continue
        if pk not in docs:
            docs[pk] = Document.objects.filter(pk=pk).values_list(
                "company_id", "kind", "warehouse_id", "created_at").first()
        row = docs[pk]
        if row is None:
            continue
        company_id, kind, warehouse_id, created_at = row
        action = _ACTIONS[topic.split(".", 1)[1]]
        payload = payload or {}
        previous = last_at.get(pk, created_at)
        last_at[pk] = at
        batch.append(Transition(
            company_id=company_id, document_id=pk, kind=kind, warehouse_id=warehouse_id, action=action,
            from_status="" if action == "create" else str(payload.get("from", "")),
            to_status="draft" if action == "create" else str(payload.get("to", "")),
            at=at, by_id=actor_id, age=max(at - created_at, dt.timedelta(0)),
            waited=max(at - previous, dt.timedelta(0)),
        ))
        if len(batch) >= 5000:
            Transition.objects.bulk_create(batch)
            batch = []
    if batch:
        Transition.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        ('documents', '0004_line_discount'),
        ('stock', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DocumentTransition',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=32)),
                ('action', models.CharField(max_length=16)),
                ('from_status', models.CharField(blank=True, max_length=16)),
                ('to_status', models.CharField(max_length=16)),
                ('at', models.DateTimeField()),
                ('step', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('age', models.DurationField()),
                ('waited', models.DurationField()),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('company', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.company')),
                ('document', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='transitions', to='documents.document')),
                ('warehouse', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='stock.warehouse')),
            ],
            options={
                'indexes': [models.Index(fields=['company', 'action', 'at'], name='doctrans_company_action_at'), models.Index(fields=['document', 'at'], name='doctrans_document_at')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
