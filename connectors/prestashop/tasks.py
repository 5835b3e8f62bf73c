"""Celery tasks of the PrestaShop connector: thin wrappers around the services, idempotent,
retried with backoff when the shop cannot be reached."""

from celery import shared_task

from lmb.errors import DomainError
from lmb.jobs import JOB_TASK_OPTIONS, run_job

from . import services
from .client import Unreachable, WebserviceError
from .models import Push, ShopChannel, WebhookEvent


@shared_task(acks_late=True, autoretry_for=(Unreachable,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def process_webhook_event(event_id: int) -> str:
    """Import the order a webhook named (an event already processed is left alone)."""
    event = WebhookEvent.objects.select_related("channel").get(pk=event_id)
    if event.status == WebhookEvent.Status.PROCESSED:
        return "already processed"
    return services.process_webhook_event(event).status


@shared_task(
    acks_late=True,
    autoretry_for=(Unreachable,),
    retry_backoff=True,
    retry_backoff_max=services.PUSH_RETRY_BACKOFF_MAX,
    max_retries=6,
)
def send_push(push_id: int) -> str:
    push = Push.objects.get(pk=push_id)
    return services.send_push(push).status


@shared_task(acks_late=True)
def sweep_outbox() -> dict:
    """Celery beat, every minute (migration 0007): send again the webhook events and the pushes
    whose message was lost (``services.sweep_outbox``)."""
    return services.sweep_outbox()


@shared_task(acks_late=True)
def poll_shops() -> dict:
    """Celery beat: import what every active shop changed since its last run (what webhooks missed)."""
    results = {}
    for channel in ShopChannel.objects.filter(is_active=True):
        try:
            run = services.sync_channel(channel, trigger="poll")
            results[channel.name] = {"read": run.read, "created": run.created, "failed": run.failed}
        except Exception as error:  # one shop down does not stop the others; the run keeps the error
            results[channel.name] = {"error": str(error)}
    return results


@shared_task(**JOB_TASK_OPTIONS)
def run_sync_job(job_id: int) -> None:
    def work(job, report):
        channel = ShopChannel.objects.get(pk=job.parameters["channel"])
        try:
            run = services.sync_channel(channel, trigger="manual", report=report)
        except WebserviceError as error:  # the shop's answer, shown on the job as it is
            raise DomainError(str(error)) from error
        job.parameters = {**job.parameters, "run": run.pk}
        job.save(update_fields=["parameters"])
        return None

    run_job(job_id, work)
