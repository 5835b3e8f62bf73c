from decimal import Decimal

from django.db import migrations, models


class Migration(migrations.Migration):
    """The amount (tax included) an invoice deducts from a deposit invoice. Existing rows get
    their amount from migration 0012."""

    dependencies = [("sales", "0013_deposit_deduction")]

    operations = [
        migrations.AddField(
            model_name="depositdeduction",
            name="amount",
            field=models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=14, verbose_name="montant déduit TTC"),
            preserve_default=False,
        ),
    ]
