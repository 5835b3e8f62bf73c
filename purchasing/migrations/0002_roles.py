from django.db import migrations

from lmb.roles import ACCOUNTANT, ADMINISTRATOR, CUSTOMER_SERVICE, SALES, WAREHOUSE, grant


def grant_roles(apps, schema_editor):
    grant(
        apps,
        {
            ADMINISTRATOR: ["purchasing.*"],
            # In a small shop the warehouse manager reorders and receives.
            WAREHOUSE: [
                "purchasing.view_*",
                "purchasing.add_supplierorder",
                "purchasing.change_supplierorder",
                "purchasing.add_supplierorderline",
                "purchasing.change_supplierorderline",
                "purchasing.delete_supplierorderline",
                "purchasing.add_reception",
                "purchasing.change_reception",
                "purchasing.add_receptionline",
                "purchasing.change_receptionline",
                "purchasing.add_supplierprice",
                "purchasing.change_supplierprice",
            ],
            ACCOUNTANT: [
                "purchasing.view_*",
                "purchasing.add_supplierinvoice",
                "purchasing.change_supplierinvoice",
                "purchasing.add_supplierinvoiceline",
                "purchasing.change_supplierinvoiceline",
            ],
            SALES: ["purchasing.view_supplierorder", "purchasing.view_supplierprice"],
            CUSTOMER_SERVICE: ["purchasing.view_supplierorder"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("purchasing", "0001_initial"), ("lmb", "0004_company_allow_negative_stock_job")]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
