"""Celery tasks of sales: thin wrappers around the services, safe to run twice."""

from celery import shared_task
from django.conf import settings

from lmb import queueing
from lmb.jobs import JOB_TASK_OPTIONS, run_job

from . import output, pdfs, services
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
