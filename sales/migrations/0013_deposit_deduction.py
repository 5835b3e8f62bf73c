import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """``Invoice.deducted_deposits`` gets a through model, ``DepositDeduction``, on the table the
    plain many-to-many link created (Django's recipe for changing a ManyToManyField to use a
    through model): the state changes, the database does not — same table, same columns
    (``from_invoice_id``, ``to_invoice_id``), same pair constraint, same indexes, same trigger
    (migration 0003). Migration 0011 then adds the amount deducted, 0012 fills it."""

    dependencies = [("sales", "0012_channel_settings_permission")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="DepositDeduction",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        (
                            "invoice",
                            models.ForeignKey(
                                db_column="from_invoice_id",
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="deposit_deductions",
                                to="sales.invoice",
                                verbose_name="facture",
                            ),
                        ),
                        (
                            "deposit",
                            models.ForeignKey(
                                db_column="to_invoice_id",
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="deductions",
                                to="sales.invoice",
                                verbose_name="facture d'acompte",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "acompte déduit",
                        "verbose_name_plural": "acomptes déduits",
                        "db_table": "sales_invoice_deducted_deposits",
                        "unique_together": {("invoice", "deposit")},
                    },
                ),
                migrations.AlterField(
                    model_name="invoice",
                    name="deducted_deposits",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="deducted_by",
                        through="sales.DepositDeduction",
                        through_fields=("invoice", "deposit"),
                        to="sales.invoice",
                        verbose_name="factures d'acompte déduites",
                    ),
                ),
            ],
        ),
    ]
