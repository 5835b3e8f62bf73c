from django.db import migrations

from lmb.migration_operations import trigram_indexes
from lmb.roles import ACCOUNTANT, ADMINISTRATOR, CUSTOMER_SERVICE, SALES, WAREHOUSE, grant

KEEP_IN_TOUCH = [
    "crm.add_address",
    "crm.change_address",
    "crm.delete_address",
    "crm.add_contact",
    "crm.change_contact",
    "crm.delete_contact",
    "crm.add_timelineentry",
    "crm.change_timelineentry",
    "crm.add_timelineattachment",
    "crm.add_task",
    "crm.change_task",
    "crm.delete_task",
]


def grant_roles(apps, schema_editor):
    grant(
        apps,
        {
            ADMINISTRATOR: ["crm.*"],
            SALES: ["crm.view_*", "crm.add_thirdparty", "crm.change_thirdparty", *KEEP_IN_TOUCH],
            CUSTOMER_SERVICE: ["crm.view_*", "crm.change_thirdparty", *KEEP_IN_TOUCH],
            WAREHOUSE: ["crm.view_*", "crm.add_timelineentry", "crm.add_task", "crm.change_task"],
            ACCOUNTANT: ["crm.view_*", "crm.add_task", "crm.change_task"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial"), ("lmb", "0003_search_text")]

    operations = [
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
        trigram_indexes("crm_thirdparty", ["name", "code", "email", "siren", "phone"]),
    ]
