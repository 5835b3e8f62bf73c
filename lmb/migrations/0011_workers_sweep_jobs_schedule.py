"""Celery beat (database scheduler) sweeps the background jobs every minute: a job whose worker
died is re-queued (or failed past its attempts), a pending job whose message was lost is sent
again (lmb.jobs.sweep_jobs)."""

from django.db import migrations

TASK_NAME = "Reprendre les tâches de fond interrompues"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(name=TASK_NAME, defaults={"task": "lmb.tasks.sweep_jobs", "interval": every_minute})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("lmb", "0010_workers_job_liveness"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
