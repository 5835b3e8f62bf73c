"""Administrators manage the shops; sales and customer service see them and work the error queue."""

from django.db import migrations

from lmb.roles import ADMINISTRATOR, CUSTOMER_SERVICE, SALES, grant


def grant_permissions(apps, schema_editor):
    grant(
        apps,
        {
            ADMINISTRATOR: ["prestashop.*"],
            SALES: ["prestashop.view_*", "prestashop.change_shopchannel", "prestashop.change_importissue"],
            CUSTOMER_SERVICE: ["prestashop.view_*"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("prestashop", "0002_poll_schedule"), ("lmb", "0002_roles")]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
