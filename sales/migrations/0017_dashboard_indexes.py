"""Indexes of the home dashboard (issue #19, stats.dashboard): the orders taken on a day or in a
month, and the money received on a day by method."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sales", "0016_penalty_line_kinds")]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["order_date"], name="sales_order_date_idx"),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["payment_date", "method"], name="sales_payment_date_idx"),
        ),
    ]
