"""A real Celery worker on Redis renders an issued invoice's Factur-X, stores it, e-mails it with
the PDF attached (Django's locmem outbox, shared with the worker's thread) and writes the sending
on the customer's timeline; it also builds the archive zip of a period."""

import threading
import time
import zipfile
from datetime import date

import pytest
from celery.signals import task_postrun
from django.core import mail

from crm.timeline import timeline_for
from sales import mailing, output, pdfs
from sales.models import IssuedPdf
from tests.integration.test_workers import REDIS_URL, TIMEOUT, celery_worker, wait_until_finished  # noqa: F401
from tests.sales.conftest import shop  # noqa: F401
from tests.sales.test_facturx import _all_goods, _invoice

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is empty: the worker tests need a Redis broker")


def wait_for_outbox() -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if mail.outbox:
            return
        time.sleep(0.2)
    pytest.fail(f"No e-mail sent after {TIMEOUT} s")


@pytest.mark.django_db(transaction=True)
def test_a_worker_renders_stores_and_emails_the_invoice_and_the_timeline_shows_it(
    celery_worker,  # noqa: F811
    shop,  # noqa: F811
    settings,
    make_user,
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    invoice = _invoice(shop, shop.bakery, _all_goods(shop))
    user = make_user("sales")
    assert not IssuedPdf.objects.exists()  # made on first use, here by the worker
    runs = []

    def record(sender, task_id, task, args, **kwargs):
        runs.append((task.name, task.request.is_eager, threading.get_ident()))

    task_postrun.connect(record, weak=False)
    try:
        mailing.send_document_email(document=invoice, recipient="compta@legoff.example", user=user)
        wait_for_outbox()
        job = wait_until_finished(
            output.start_archive_job(kind="invoice", date_from=date.today(), date_to=date.today(), user=user)
        )
    finally:
        task_postrun.disconnect(record)

    names = [name for name, eager, thread in runs if not eager and thread != threading.get_ident()]
    assert names == ["crm.tasks.email_document", "sales.tasks.build_archive"]
    stored = IssuedPdf.objects.get(document_id=invoice.pk)
    (message,) = mail.outbox
    assert message.to == ["compta@legoff.example"] and message.attachments[0][1] == bytes(stored.content)
    assert pdfs.read_embedded_xml(bytes(stored.content)).count(invoice.number.encode()) >= 1
    deadline = time.monotonic() + TIMEOUT  # the timeline entry is written right after the sending
    while not (items := [item for item in timeline_for(shop.bakery) if item.kind == "email"]):
        assert time.monotonic() < deadline, "no e-mail on the timeline"
        time.sleep(0.2)
    assert items[0].title == f"Facture {invoice.number} envoyé à compta@legoff.example"
    assert job.status == job.Status.DONE, job.message
    with job.result.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        assert archive.read(stored.filename) == bytes(stored.content)
        assert stored.sha256 in archive.read("index.csv").decode()


@pytest.mark.django_db(transaction=True)
def test_a_worker_stores_the_factur_x_as_soon_as_the_invoice_is_issued(
    celery_worker,  # noqa: F811
    shop,  # noqa: F811
    settings,
):
    settings.ISSUED_PDF_ON_ISSUE = True  # the test settings turn it off for the eager run
    invoice = _invoice(shop, shop.bakery, _all_goods(shop))  # committed: the event's subscriber queues the task
    deadline = time.monotonic() + TIMEOUT
    while not (stored := pdfs.stored_pdf(invoice)):
        assert time.monotonic() < deadline, "the worker stored no PDF after issue"
        time.sleep(0.2)
    assert stored.number == invoice.number and pdfs.read_embedded_xml(bytes(stored.content)).count(invoice.number.encode()) >= 1
    assert pdfs.pdf_of(invoice).content == bytes(stored.content)
