"""Celery tasks of the kernel: thin wrappers around its services, safe to run twice."""

from celery import shared_task

from . import imports, jobs
from .jobs import JOB_TASK_OPTIONS, run_job


@shared_task(acks_late=True)
def sweep_jobs() -> dict:
    """Celery beat, every minute (migration 0011): re-queue the jobs whose worker died, send again
    the pending ones whose message was lost (``lmb.jobs.sweep_jobs``)."""
    return jobs.sweep_jobs()


@shared_task(**JOB_TASK_OPTIONS)
def check_import(job_id: int) -> None:
    """Check a large imported file and store its preview (``lmb.imports.check_work``)."""
    run_job(job_id, imports.check_work)


@shared_task(**JOB_TASK_OPTIONS)
def write_import(job_id: int) -> None:
    """Write the valid rows of a large import, batch by batch (``lmb.imports.write_work``)."""
    run_job(job_id, imports.write_work)
