"""The PCG chart of a trading company, its journals, the default account mapping (accounting.chart),
and the accountant's and administrator's permissions on accounting."""

from decimal import Decimal

from django.db import migrations

from accounting.chart import ACCOUNTS, JOURNALS, MAPPING
from lmb.roles import ACCOUNTANT, ADMINISTRATOR, grant


def seed(apps, schema_editor):
    Account = apps.get_model("accounting", "Account")
    Journal = apps.get_model("accounting", "Journal")
    AccountMapping = apps.get_model("accounting", "AccountMapping")
    accounts = {}
    for number, label, is_control in ACCOUNTS:
        accounts[number], _ = Account.objects.get_or_create(number=number, defaults={"label": label, "is_control": is_control})
    journals = {}
    for code, label, kind in JOURNALS:
        journals[code], _ = Journal.objects.get_or_create(code=code, defaults={"label": label, "kind": kind})
    for role, qualifiers, number, journal in MAPPING:
        fields = dict(qualifiers)
        if "vat_rate" in fields:
            fields["vat_rate"] = Decimal(fields["vat_rate"])
        AccountMapping.objects.get_or_create(
            role=role, **fields, defaults={"account": accounts[number], "journal": journals.get(journal)}
        )
    grant(apps, {ACCOUNTANT: ["accounting.*"], ADMINISTRATOR: ["accounting.*"]})


class Migration(migrations.Migration):
    dependencies = [("accounting", "0002_posted_entries_are_frozen"), ("lmb", "0002_roles")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
