"""Who invoices or waives penalties (PAY-05): administrators and sales staff; accountants and
customer service see what was claimed."""

from django.db import migrations

from lmb.roles import ACCOUNTANT, ADMINISTRATOR, CUSTOMER_SERVICE, SALES, grant, revoke

GRANTS = {
    ADMINISTRATOR: ["dunning.*"],
    SALES: ["dunning.view_penaltyclaim", "dunning.add_penaltyclaim"],
    ACCOUNTANT: ["dunning.view_penaltyclaim"],
    CUSTOMER_SERVICE: ["dunning.view_penaltyclaim"],
}


def grant_roles(apps, schema_editor):
    grant(apps, GRANTS)


def revoke_roles(apps, schema_editor):
    revoke(apps, {role: patterns for role, patterns in GRANTS.items() if role != ADMINISTRATOR})


class Migration(migrations.Migration):
    dependencies = [("dunning", "0005_penalty_claims")]

    operations = [migrations.RunPython(grant_roles, revoke_roles)]
