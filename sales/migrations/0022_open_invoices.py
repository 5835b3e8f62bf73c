"""The issued invoices still owed, kept apart (``OpenInvoice``): filled here from the allocations."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce


def fill_open_invoices(apps, schema_editor):
    Invoice, Allocation = apps.get_model("sales", "Invoice"), apps.get_model("sales", "Allocation")
    OpenInvoice = apps.get_model("sales", "OpenInvoice")
    amount = DecimalField(max_digits=14, decimal_places=2)
    paid = Allocation.objects.filter(invoice=OuterRef("pk")).order_by().values("invoice").annotate(total=Sum("amount"))
    owed = (
        Invoice.objects.filter(status="issued")
        .annotate(balance=F("amount_due") - Coalesce(Subquery(paid.values("total")), Value(0), output_field=amount))
        .filter(balance__gt=0)
        .values_list("pk", "balance")
    )
    batch = []
    for pk, balance in owed.iterator(chunk_size=5000):
        batch.append(OpenInvoice(invoice_id=pk, balance=balance))
        if len(batch) == 5000:
            OpenInvoice.objects.bulk_create(batch)
            batch = []
    OpenInvoice.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0021_delivery_note_sort_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="OpenInvoice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "invoice",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="sales.invoice",
                    ),
                ),
                ("balance", models.DecimalField(decimal_places=2, max_digits=14, verbose_name="reste dû")),
            ],
            options={
                "verbose_name": "facture à régler",
                "verbose_name_plural": "factures à régler",
            },
        ),
        migrations.RunPython(fill_open_invoices, migrations.RunPython.noop),
    ]
