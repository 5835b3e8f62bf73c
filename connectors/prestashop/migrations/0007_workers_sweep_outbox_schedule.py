"""Celery beat (database scheduler) sweeps the PrestaShop outbox every minute: webhook events left
« received » and pushes left « pending » whose message was lost (the broker was down, or a worker
died) are sent again (services.sweep_outbox)."""

from django.db import migrations

TASK_NAME = "Relancer les évènements et envois PrestaShop en attente"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME, defaults={"task": "connectors.prestashop.tasks.sweep_outbox", "interval": every_minute}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("prestashop", "0006_workers_outbox_sweep"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
