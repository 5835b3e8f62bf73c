"""Celery tasks of the kernel: thin wrappers around the services, safe to run twice."""

from celery import shared_task

from . import imports
from .jobs import run_job


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def check_import(job_id: int) -> None:
    """Check a large imported file and store its preview (``lmb.imports.check_work``)."""
    run_job(job_id, imports.check_work)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def write_import(job_id: int) -> None:
    """Write the valid rows of a large import, batch by batch (``lmb.imports.write_work``)."""
    run_job(job_id, imports.write_work)
