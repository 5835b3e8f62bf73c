"""Celery tasks of the kernel: thin wrappers around its services, safe to run at any time."""

from celery import shared_task

from . import jobs


@shared_task(acks_late=True)
def sweep_jobs() -> dict:
    """Celery beat, every minute (migration 0011): re-queue the jobs whose worker died, send again
    the pending ones whose message was lost (``lmb.jobs.sweep_jobs``)."""
    return jobs.sweep_jobs()
