"""Celery tasks of sales: thin wrappers around the services, safe to run twice."""

from celery import shared_task

from lmb.jobs import run_job

from . import output, services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def expire_quotes() -> int:
    """Sent quotes past their validity date become "expired" (daily, by Celery beat)."""
    return services.expire_quotes()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def build_archive(job_id: int) -> None:
    """The zip of issued documents' PDFs and their index (``sales.output.archive_work``)."""
    run_job(job_id, output.archive_work)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def print_batch(job_id: int) -> None:
    """One PDF of the selected documents (``sales.output.batch_work``)."""
    run_job(job_id, output.batch_work)
