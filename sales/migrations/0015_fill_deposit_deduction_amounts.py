from collections import defaultdict
from decimal import Decimal

from django.db import migrations

TABLE, TRIGGER = "sales_invoice_deducted_deposits", "sales_invoice_deducted_deposits_frozen"
ZERO = Decimal("0.00")


def fill_amounts(apps, schema_editor):
    """Before migration 0011 an invoice deducted each deposit whole: what the deposit still stood
    for when the invoice was issued, its total less the credit notes issued on it before (the
    chain orders both kinds of document). An invoice that deducted one deposit deducted exactly
    its ``deposits_total``. Filling the new column changes no legal content (the chained hash never
    held the link rows): the trigger that freezes the rows of issued invoices (migration 0003) is
    set aside for this statement only, inside the migration's transaction."""
    DepositDeduction = apps.get_model("sales", "DepositDeduction")
    CreditNote = apps.get_model("sales", "CreditNote")
    rows = list(
        DepositDeduction.objects.order_by("pk").values_list(
            "pk",
            "invoice_id",
            "invoice__deposits_total",
            "invoice__chain_position",
            "deposit_id",
            "deposit__total_incl_tax",
        )
    )
    if not rows:
        return
    per_invoice = defaultdict(int)
    for _pk, invoice_id, *_rest in rows:
        per_invoice[invoice_id] += 1
    credit_notes = defaultdict(list)
    for deposit_id, position, total in CreditNote.objects.filter(
        status="issued", invoice_id__in={row[4] for row in rows}
    ).values_list("invoice_id", "chain_position", "total_incl_tax"):
        credit_notes[deposit_id].append((position, total))
    deductions = []
    for pk, invoice_id, deposits_total, position, deposit_id, deposit_total in rows:
        if per_invoice[invoice_id] == 1:
            amount = deposits_total
        else:
            credited = sum(
                (total for at, total in credit_notes[deposit_id] if at is not None and position is not None and at < position),
                ZERO,
            )
            amount = deposit_total - credited
        deductions.append(DepositDeduction(pk=pk, amount=amount))
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
    DepositDeduction.objects.bulk_update(deductions, ["amount"], batch_size=1000)
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    """Every deduction recorded before 0011 gets its amount: the deposit's whole value."""

    dependencies = [("sales", "0014_deposit_deduction_amount")]

    operations = [migrations.RunPython(fill_amounts, migrations.RunPython.noop)]
