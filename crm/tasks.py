"""Celery tasks of crm: thin wrappers around the services, safe to run twice."""

import smtplib

from celery import shared_task
from django.contrib.auth import get_user_model

from . import mailing

# What a later attempt may cure: the mail server down or refusing for now, the network.
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, OSError)


@shared_task(bind=True, acks_late=True, max_retries=3)
def email_document(self, kind: str, document_id: int, recipient: str, user_id: int | None = None) -> str:
    """Send a document by e-mail with its PDF (``crm.mailing``). A transient failure is retried
    with backoff; the last one, or any other, is written on the third party's timeline with its reason."""
    document = mailing.load_document(kind, document_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        mailing.deliver(document=document, recipient=recipient, user=user)
    except TRANSIENT_MAIL_ERRORS as error:
        # In-process (eager) runs have no worker to come back later: the failure is final at once.
        if not self.request.is_eager and self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=retry_countdown(self.request.retries)) from error
        mailing.record_failure(document=document, recipient=recipient, reason=_reason(error), user=user)
        return "failed"
    except Exception as error:
        mailing.record_failure(document=document, recipient=recipient, reason=_reason(error), user=user)
        raise
    return "sent"


def retry_countdown(retries: int) -> int:
    """Seconds before the next try of a sending: 30, 60, 120."""
    return 30 * 2**retries


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]  # why a sending failed, our own text cut to the column
