"""Indexes of the stock-move list (issue #21): its date sort, alone or after a kind or a
warehouse, and its search by piece number, served by an index at 1,000,000 moves. The index on
created_at alone and (kind, created_at) give way to the same columns followed by the id."""

from django.conf import settings
from django.db import migrations, models

from lmb.migration_operations import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_product_variants"),
        ("stock", "0002_roles_and_immutable_moves"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="stockmove",
            index=models.Index(fields=["created_at", "id"], name="stock_move_date_idx"),
        ),
        migrations.AddIndex(
            model_name="stockmove",
            index=models.Index(fields=["kind", "created_at", "id"], name="stock_move_kind_date_id_idx"),
        ),
        migrations.AddIndex(
            model_name="stockmove",
            index=models.Index(fields=["warehouse", "created_at", "id"], name="stock_move_warehouse_date_idx"),
        ),
        migrations.RemoveIndex(model_name="stockmove", name="stock_move_kind_date_idx"),
        migrations.AlterField(
            model_name="stockmove",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="date"),
        ),
        trigram_indexes("stock_stockmove", ["reference"]),
    ]
