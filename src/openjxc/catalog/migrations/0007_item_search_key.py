from django.db import migrations, models

from openjxc.catalog.search_keys import search_key


def fill_search_keys(apps, schema_editor):
    """Existing items get the pinyin key the catalog service now writes on every save."""
    Item = apps.get_model("catalog", "Item")
    batch = []
    for item in Item.objects.only("pk", "name").iterator(chunk_size=2000):
        item.search_key = search_key(item.name)
        batch.append(item)
        if len(batch) >= 2000:
            Item.objects.bulk_update(batch, ["search_key"])
            batch = []
    if batch:
        Item.objects.bulk_update(batch, ["search_key"])


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0006_standard_cost'),
    ]

    operations = [
        migrations.AddField(
            model_name='item',
            name='search_key',
            field=models.CharField(blank=True, default='', editable=False, max_length=1000),
        ),
        migrations.RunPython(fill_search_keys, migrations.RunPython.noop),
    ]
