"""What survives a killed worker, as configured (lmb/settings.py, lmb/celery.py): every task of
the project is acknowledged once it has run and goes back to the queue when its worker process
dies; Redis hands out a dead worker's messages again well before its default hour, yet never
while a message may still be waiting in a live worker for its retry time."""

import inspect

from crm.tasks import email_document, retry_countdown
from lmb.celery import app

PROJECT_APPS = ("lmb.", "crm.", "catalog.", "stock.", "purchasing.", "sales.", "accounting.", "dunning.", "connectors.")


def project_tasks():
    app.loader.import_default_modules()  # every app's tasks.py, as a worker imports them
    tasks = [task for name, task in app.tasks.items() if name.startswith(PROJECT_APPS)]
    assert len(tasks) >= 12
    return tasks


def longest_wait_before_running(task) -> int:
    """The longest countdown a message of this task may wait, unacknowledged, in a worker."""
    waits = [task.default_retry_delay if task.retry_on_worker_lost else 0]
    autoretry = getattr(task, "autoretry_for", ())
    if autoretry and getattr(task, "retry_backoff", False):
        waits.append(getattr(task, "retry_backoff_max", 600))  # Celery's default cap
    elif autoretry:
        waits.append(task.default_retry_delay)
    if task is email_document:
        waits.append(retry_countdown(task.max_retries - 1))
    return max(waits)


def test_every_task_goes_back_to_the_queue_when_its_worker_dies():
    for task in project_tasks():
        assert task.acks_late and task.reject_on_worker_lost, task.name
        # Jobs bound their runs themselves and come back at once; other tasks as a bounded retry.
        assert task.retry_on_worker_lost == (task.name not in JOB_TASKS), task.name


def test_a_job_task_is_never_retried_by_celery():
    """The job bounds its runs itself (lmb.jobs): a run that failed marked its job failed, and an
    autoretry would only deliver again a message whose job is finished."""
    job_tasks = [task for task in project_tasks() if "run_job(" in inspect.getsource(task.run)]
    assert {task.name for task in job_tasks} == JOB_TASKS  # the list below misses none
    for task in job_tasks:
        assert not getattr(task, "autoretry_for", ()), task.name


JOB_TASKS = {
    "lmb.tasks.check_import",
    "lmb.tasks.write_import",
    "dunning.tasks.print_reminders",
    "sales.tasks.build_archive",
    "sales.tasks.print_batch",
    "sales.tasks.run_grouped_invoicing_job",
    "stock.tasks.render_labels",
    "connectors.prestashop.tasks.run_sync_job",
}


def test_the_visibility_timeout_outlasts_every_retry_wait_and_is_shorter_than_redis_default():
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert timeout < 3600
    longest = max(project_tasks(), key=longest_wait_before_running)
    assert longest.name == "connectors.prestashop.tasks.send_push" and longest_wait_before_running(longest) == 900
    # A task's run after its wait (the longest are a few seconds) fits in what is left.
    assert timeout - longest_wait_before_running(longest) >= 5 * 60
