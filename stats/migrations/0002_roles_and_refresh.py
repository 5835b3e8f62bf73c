"""Who sees the analyses (administrators, accountants, sales), and Celery beat refreshing the read
model every five minutes."""

from django.db import migrations

from lmb.roles import ACCOUNTANT, ADMINISTRATOR, SALES, grant, revoke

READERS = ["stats.view_salefact", "stats.view_orderfact", "stats.view_purchasefact", "stats.view_savedanalysis"]
GRANTS = {
    ADMINISTRATOR: ["stats.*"],
    ACCOUNTANT: [*READERS, "stats.add_savedanalysis", "stats.delete_savedanalysis"],
    SALES: [*READERS, "stats.add_savedanalysis", "stats.delete_savedanalysis"],
}
TASK_NAME = "Compléter les statistiques"


def grant_roles(apps, schema_editor):
    grant(apps, GRANTS)


def revoke_roles(apps, schema_editor):
    revoke(apps, GRANTS)


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five, _ = CrontabSchedule.objects.get_or_create(
        minute="*/5", hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/Paris"
    )
    PeriodicTask.objects.get_or_create(name=TASK_NAME, defaults={"task": "stats.tasks.refresh_facts", "crontab": every_five})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_read_model"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(grant_roles, revoke_roles), migrations.RunPython(schedule, unschedule)]
