"""Products carry their category's sort key (see ``Product.category_sort_key``): the list sorted by
category walks one index."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_category_sort_keys(apps, schema_editor):
    Category, Product = apps.get_model("catalog", "Category"), apps.get_model("catalog", "Product")
    own_key = Category.objects.filter(pk=OuterRef("category_id")).values("sort_key")
    Product.objects.filter(category__isnull=False).update(category_sort_key=Subquery(own_key))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_product_variants"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="category_sort_key",
            field=models.CharField(default="", db_default="", editable=False, max_length=500),
        ),
        migrations.RunPython(copy_category_sort_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(fields=["category_sort_key", "reference", "id"], name="catalog_prod_cat_sort_idx"),
        ),
    ]
