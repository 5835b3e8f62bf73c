"""Celery beat runs the reminders each morning at 07:00, Paris time (``dunning.tasks.run_reminders``):
each customer's next step due that day or before, queued « à valider » or sent at once when the
company says so (``Company.send_reminders_automatically``)."""

from django.db import migrations

DAILY_RUN = "Relances clients du jour"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    morning, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="7", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/Paris"
    )
    PeriodicTask.objects.get_or_create(name=DAILY_RUN, defaults={"task": "dunning.tasks.run_reminders", "crontab": morning})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=DAILY_RUN).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dunning", "0003_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
