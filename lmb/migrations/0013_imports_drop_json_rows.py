"""The JSON cells of imports, copied into ImportRow by 0012, go (apart: PostgreSQL does not alter a
table in the transaction that just wrote rows pointing at it)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("lmb", "0012_imports_import_rows"),
    ]

    operations = [
        migrations.RemoveField(model_name="importjob", name="errors"),
        migrations.RemoveField(model_name="importjob", name="old_rows"),
    ]
