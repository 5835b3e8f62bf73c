from django.db import migrations

from lmb.migration_operations import immutable_rows
from lmb.roles import ACCOUNTANT, ADMINISTRATOR, CUSTOMER_SERVICE, SALES, WAREHOUSE, grant


def grant_roles(apps, schema_editor):
    grant(
        apps,
        {
            ADMINISTRATOR: ["stock.*"],
            WAREHOUSE: ["stock.view_*", "stock.add_*", "stock.change_*"],
            SALES: ["stock.view_*"],
            ACCOUNTANT: ["stock.view_*"],
            CUSTOMER_SERVICE: ["stock.view_stocklevel", "stock.view_stockmove", "stock.view_warehouse"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("stock", "0001_initial"), ("lmb", "0004_company_allow_negative_stock_job")]

    operations = [
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
        immutable_rows("stock_stockmove", "Un mouvement de stock ne se modifie pas et ne se supprime pas"),
    ]
