"""Late-payment penalties (762700) and the EUR 40 recovery indemnity (758800) invoiced by dunning
(PAY-05): their accounts and their sales mapping, on installations seeded before them."""

from django.db import migrations

ACCOUNTS = [
    ("758800", "Indemnités forfaitaires de recouvrement"),
    ("762700", "Revenus des créances (pénalités de retard)"),
]
MAPPING = [("penalty", "762700"), ("indemnity", "758800")]


def seed(apps, schema_editor):
    Account = apps.get_model("accounting", "Account")
    AccountMapping = apps.get_model("accounting", "AccountMapping")
    accounts = {number: Account.objects.get_or_create(number=number, defaults={"label": label})[0] for number, label in ACCOUNTS}
    for kind, number in MAPPING:
        AccountMapping.objects.get_or_create(
            role="sales",
            product_kind=kind,
            vat_treatment="",
            vat_rate=None,
            channel=None,
            payment_method="",
            defaults={"account": accounts[number]},
        )


class Migration(migrations.Migration):
    dependencies = [("accounting", "0004_post_pending_every_quarter_hour")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
