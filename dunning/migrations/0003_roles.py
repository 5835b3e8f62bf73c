"""Who may do what in dunning: administrators everything (the daily run by hand, plans and rates);
sales staff see, validate or cancel reminders and set a customer's dunning (promise, plan,
disputes); accountants and customer service see; the warehouse nothing."""

from django.db import migrations

from lmb.roles import ACCOUNTANT, ADMINISTRATOR, CUSTOMER_SERVICE, SALES, grant, revoke

READERS = ["dunning.view_*"]
GRANTS = {
    ADMINISTRATOR: ["dunning.*"],
    SALES: [
        *READERS,
        "dunning.change_reminder",
        "dunning.add_customerdunning",
        "dunning.change_customerdunning",
        "dunning.add_invoicedispute",
        "dunning.change_invoicedispute",
    ],
    ACCOUNTANT: READERS,
    CUSTOMER_SERVICE: READERS,
}


def grant_roles(apps, schema_editor):
    grant(apps, GRANTS)


def revoke_roles(apps, schema_editor):
    revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("dunning", "0002_default_plans_and_rates"),
    ]

    operations = [migrations.RunPython(grant_roles, revoke_roles)]
