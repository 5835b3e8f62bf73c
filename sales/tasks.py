"""Celery tasks of sales: thin wrappers around the services, safe to run twice."""

from celery import shared_task
from django.conf import settings

from crm.tasks import TRANSIENT_MAIL_ERRORS, retry_countdown
from lmb import queueing
from lmb.jobs import JOB_TASK_OPTIONS, run_job

from . import output, pdfs, services
from .invoicing import services as invoicing
from .models import CreditNote, Invoice

ISSUED_MODELS = {"invoice": Invoice, "credit_note": CreditNote}


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def expire_quotes() -> int:
    """Sent quotes past their validity date become "expired" (daily, by Celery beat)."""
    return services.expire_quotes()


@shared_task(**JOB_TASK_OPTIONS)
def build_archive(job_id: int) -> None:
    """The zip of issued documents' PDFs and their index (``sales.output.archive_work``)."""
    run_job(job_id, output.archive_work)


@shared_task(**JOB_TASK_OPTIONS)
def print_batch(job_id: int) -> None:
    """One PDF of the selected documents (``sales.output.batch_work``)."""
    run_job(job_id, output.batch_work)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def store_issued_pdf(kind: str, document_id: int) -> str:
    """Render and store the Factur-X of an issued invoice (deposit invoices included) or credit
    note (``sales.pdfs.issued_pdf``); a second run finds it stored. Returns its SHA-256."""
    return pdfs.issued_pdf(ISSUED_MODELS[kind].objects.get(pk=document_id)).sha256


# Subscribers of lmb.events (SalesConfig.ready): they run once the issuing transaction commits.
# A broker that cannot take the message loses nothing: the PDF is made on first use instead.


def on_invoice_issued(*, invoice_id, **_payload):
    if settings.ISSUED_PDF_ON_ISSUE:
        queueing.send(store_issued_pdf.name, "invoice", invoice_id)


def on_credit_note_issued(*, credit_note_id, **_payload):
    if settings.ISSUED_PDF_ON_ISSUE:
        queueing.send(store_issued_pdf.name, "credit_note", credit_note_id)


# --- Automatic invoicing (sales.invoicing) ---------------------------------------------------------


@shared_task(acks_late=True)
def run_grouped_invoicing() -> str:
    """The evening run of the grouped policies (Celery beat): it invoices on a period's last day,
    and whatever an earlier run missed. Safe to run twice."""
    return invoicing.run_grouped_invoicing().summary()


@shared_task(**JOB_TASK_OPTIONS)
def run_grouped_invoicing_job(job_id: int) -> None:
    """« Facturer maintenant » on the preview screen: the run for a selection, with progress."""
    run_job(job_id, invoicing.grouped_job_work)


@shared_task(acks_late=True)
def sweep_invoicing() -> dict:
    """Every ten minutes: shipments left uninvoiced, invoice e-mails left pending."""
    return invoicing.sweep_invoicing()


@shared_task(bind=True, acks_late=True, max_retries=3)
def send_invoice_mailing(self, mailing_id: int) -> str:
    """Send a new invoice's e-mail (``sales.invoicing.services.send_invoice_mailing``); a mail
    server error is retried with backoff, then recorded as a failure."""
    try:
        return invoicing.send_invoice_mailing(mailing_id=mailing_id)
    except TRANSIENT_MAIL_ERRORS as error:
        if not self.request.is_eager and self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=retry_countdown(self.request.retries)) from error
        invoicing.fail_mailing(mailing_id=mailing_id, reason=f"{type(error).__name__}: {error}"[:500])
        return "failed"
