from django.db import migrations

from lmb.roles import ACCOUNTANT, ADMINISTRATOR, CUSTOMER_SERVICE, SALES, WAREHOUSE, grant


def create_roles(apps, schema_editor):
    grant(
        apps,
        {
            ADMINISTRATOR: ["lmb.*", "auth.*", "django_celery_beat.*"],
            SALES: ["lmb.view_company"],
            WAREHOUSE: ["lmb.view_company"],
            ACCOUNTANT: ["lmb.view_company"],
            CUSTOMER_SERVICE: ["lmb.view_company"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("lmb", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("django_celery_beat", "__latest__"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
