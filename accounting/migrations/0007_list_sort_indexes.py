"""Indexes of the entry-line list (issue #21): each sort it offers and its search served by an
index at 800,000 lines. Plain CREATE INDEX: a large ledger is locked for writes while they build."""

import django.db.models.deletion
from django.db import migrations, models

from lmb.migration_operations import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0006_penalty_product_kinds"),
        ("crm", "0006_sales_rep"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="journalentry",
            index=models.Index(fields=["journal", "date", "number"], name="accounting_entry_journal_idx"),
        ),
        migrations.AddIndex(
            model_name="journalline",
            index=models.Index(fields=["entry", "position", "id"], name="accounting_line_entry_idx"),
        ),
        # (entry, position, id) above serves what the foreign key's own index served.
        migrations.AlterField(
            model_name="journalline",
            name="entry",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lines",
                to="accounting.journalentry",
            ),
        ),
        migrations.AddIndex(
            model_name="journalline",
            index=models.Index(fields=["debit", "id"], name="accounting_line_debit_idx"),
        ),
        migrations.AddIndex(
            model_name="journalline",
            index=models.Index(fields=["credit", "id"], name="accounting_line_credit_idx"),
        ),
        trigram_indexes("accounting_journalentry", ["piece_ref"]),
        trigram_indexes("accounting_journalline", ["label", "auxiliary_number", "auxiliary_label"]),
    ]
