"""Celery tasks of the stock app: thin wrappers around the domain, idempotent; a job bounds its own runs (lmb.jobs)."""

from celery import shared_task

from lmb.jobs import JOB_TASK_OPTIONS, run_job

from . import labels


@shared_task(**JOB_TASK_OPTIONS)
def render_labels(job_id: int) -> None:
    """Make the PDF of a "labels" job (see ``stock.labels.start_label_job``). A job already finished
    (a redelivered or retried message) is left as it is by ``run_job``."""
    run_job(job_id, labels.labels_work)
