# Decision 0032: indexes written by every posting that no query needs (a prefix of another index, or
# a column nothing reads by). The fields' new state is recorded; the indexes are dropped by name as the
# database has them, without Django's rebuild of each table on SQLite (core/schema_ops.py).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from openjxc.core.schema_ops import drop_field_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_item_search_key"),
        ("core", "0005_redundant_indexes"),
        ("stock", "0007_month_end_balances"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="stockmove",
            name="stock_stock_documen_80cbff_idx",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="itemvaluation",
                    name="item",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="catalog.item",
                    ),
                ),
                migrations.AlterField(
                    model_name="stockbalance",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.company",
                    ),
                ),
                migrations.AlterField(
                    model_name="stockbalance",
                    name="item",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="catalog.item",
                    ),
                ),
                migrations.AlterField(
                    model_name="stockmove",
                    name="company",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.company",
                    ),
                ),
                migrations.AlterField(
                    model_name="stockmove",
                    name="posted_by",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                drop_field_indexes(
                    "stock",
                    {
                        "itemvaluation": ["item"],
                        "stockbalance": ["company", "item"],
                        "stockmove": ["company", "posted_by"],
                    },
                )
            ],
        ),
    ]
