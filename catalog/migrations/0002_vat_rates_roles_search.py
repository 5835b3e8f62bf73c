import datetime
from decimal import Decimal

from django.db import migrations

from lmb.migration_operations import trigram_indexes
from lmb.roles import ACCOUNTANT, ADMINISTRATOR, CUSTOMER_SERVICE, SALES, WAREHOUSE, grant

SINCE = datetime.date(2014, 1, 1)

# fr-rules VAT-01 (metropolitan France), VAT-02 (Guadeloupe, Martinique, La Réunion), VAT-05 (Corsica).
# Guyane and Mayotte have no VAT (VAT-03): no rate, the sale's treatment says so.
RATES = [
    ("FR-20", "TVA 20 %", "FR", "standard", "20"),
    ("FR-10", "TVA 10 %", "FR", "intermediate", "10"),
    ("FR-5.5", "TVA 5,5 %", "FR", "reduced", "5.5"),
    ("FR-2.1", "TVA 2,1 %", "FR", "super_reduced", "2.1"),
    ("FR-DOM-8.5", "TVA DOM 8,5 %", "FR-DOM", "standard", "8.5"),
    ("FR-DOM-2.1", "TVA DOM 2,1 %", "FR-DOM", "reduced", "2.1"),
    ("FR-DOM-1.05", "TVA DOM 1,05 %", "FR-DOM", "special", "1.05"),
    ("FR-COR-20", "TVA Corse 20 %", "FR-COR", "standard", "20"),
    ("FR-COR-13", "TVA Corse 13 %", "FR-COR", "special", "13"),
    ("FR-COR-10", "TVA Corse 10 %", "FR-COR", "intermediate", "10"),
    ("FR-COR-2.1", "TVA Corse 2,1 %", "FR-COR", "super_reduced", "2.1"),
    ("FR-COR-0.9", "TVA Corse 0,9 %", "FR-COR", "special", "0.9"),
]


def seed_rates(apps, schema_editor):
    vat_rate = apps.get_model("catalog", "VatRate")
    for code, label, territory, category, rate in RATES:
        vat_rate.objects.update_or_create(
            code=code,
            defaults={"label": label, "territory": territory, "category": category, "rate": Decimal(rate), "valid_from": SINCE},
        )


def grant_roles(apps, schema_editor):
    grant(
        apps,
        {
            ADMINISTRATOR: ["catalog.*"],
            SALES: ["catalog.view_*"],
            WAREHOUSE: [
                "catalog.view_*",
                "catalog.add_product",
                "catalog.change_product",
                "catalog.add_category",
                "catalog.change_category",
            ],
            ACCOUNTANT: ["catalog.view_*"],
            CUSTOMER_SERVICE: ["catalog.view_*"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("lmb", "0003_search_text")]

    operations = [
        migrations.RunPython(seed_rates, migrations.RunPython.noop),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
        trigram_indexes("catalog_product", ["reference", "designation", "ean13"]),
    ]
