"""Celery tasks of accounting: thin wrappers over the services, idempotent."""

from celery import shared_task

from . import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def post_pending():
    """Book every document that has no entry yet (scheduled by migration 0004)."""
    return str(services.post_pending())
