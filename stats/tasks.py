"""Celery tasks of stats: thin wrappers over the services, idempotent."""

from celery import shared_task

from . import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def refresh_facts():
    """Add the facts of every document that has none yet (scheduled by migration 0002)."""
    return str(services.refresh_facts())
