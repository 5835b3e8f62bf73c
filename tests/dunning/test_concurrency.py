"""The daily run from several processes at once, on PostgreSQL: each reminder is made and sent once."""

import multiprocessing
from datetime import date

import pytest
from django.db import connections

from crm.models import TimelineEntry
from dunning import services
from dunning.models import Reminder
from tests.dunning.conftest import invoice
from tests.sales.conftest import customer
from tests.sales.test_concurrency import _forget_inherited_connections, postgres_only

PROCESSES = 4
DAY = date(2026, 3, 2)


def _run_in_a_process(start, failures):
    try:
        _forget_inherited_connections()
        start.wait(timeout=60)
        services.run_reminders(on=DAY)
    except Exception as exc:  # reported to the parent, so a failure in a process fails the test
        failures.put(repr(exc))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_four_processes_running_the_day_at_once_send_each_reminder_once(shop):
    postgres_only()
    shop.company.send_reminders_automatically = True
    shop.company.save()
    customers = [customer(f"Client {n}") for n in range(6)]
    for who in customers:
        invoice(shop, who, date(2026, 1, 5))
    context = multiprocessing.get_context("fork")
    start, failures = context.Barrier(PROCESSES), context.Queue()
    connections.close_all()
    workers = [context.Process(target=_run_in_a_process, args=(start, failures)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    errors = [failures.get() for _ in range(failures.qsize())] if not failures.empty() else []
    assert errors == [] and all(worker.exitcode == 0 for worker in workers)
    reminders = Reminder.objects.all()
    assert sorted(reminders.values_list("customer_id", flat=True)) == sorted(who.pk for who in customers)
    assert set(reminders.values_list("status", "position")) == {("sent", 1)}
    assert TimelineEntry.objects.filter(third_party__in=customers).count() == len(customers)
    # And once more, in this process: nothing new.
    assert services.run_reminders(on=DAY) == []
