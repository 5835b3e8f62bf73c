"""Invoicing policies: business channels invoice by month (INV-18's periodic invoice), the others
at shipment (the field's default). Celery beat runs the grouped invoicing every evening (it
invoices only on a period's last day, or what an earlier run missed) and, every ten minutes, the
sweep of shipped notes an « à l'expédition » policy left uninvoiced and of invoice e-mails not sent."""

from django.db import migrations

GROUPED = "Facturation groupée (fin de mois, semaine)"
SWEEP = "Facturer les expéditions restées en attente"


def set_policies_and_schedule(apps, schema_editor):
    apps.get_model("sales", "Channel").objects.filter(kind="b2b").update(invoicing_policy="monthly")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    evening, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="23", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/Paris"
    )
    every_ten_minutes, _ = CrontabSchedule.objects.get_or_create(
        minute="*/10", hour="*", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/Paris"
    )
    PeriodicTask.objects.get_or_create(name=GROUPED, defaults={"task": "sales.tasks.run_grouped_invoicing", "crontab": evening})
    PeriodicTask.objects.get_or_create(name=SWEEP, defaults={"task": "sales.tasks.sweep_invoicing", "crontab": every_ten_minutes})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[GROUPED, SWEEP]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0010_invoicing_policy"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(set_policies_and_schedule, unschedule)]
