"""Celery tasks of sales: thin wrappers around the services, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def expire_quotes() -> int:
    """Sent quotes past their validity date become "expired" (daily, by Celery beat)."""
    return services.expire_quotes()
