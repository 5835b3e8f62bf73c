"""The Factur-X of an issued invoice, deposit invoice or credit note is made and stored by a task
as soon as the issuing transaction commits (lmb.events → sales.tasks.store_issued_pdf), not on
first download. The test settings switch this off (it would render a PDF in every test that
issues an invoice); these tests switch it on."""

import hashlib

import pytest

from sales import pdfs, services, tasks
from sales.models import Invoice, IssuedPdf
from tests.sales.test_facturx import _all_goods, _invoice, _order_with_deposit


@pytest.fixture
def on_issue(settings):
    settings.ISSUED_PDF_ON_ISSUE = True


def _stored(document) -> IssuedPdf:
    stored = pdfs.stored_pdf(document)
    assert stored is not None, f"no stored PDF for {document}"
    return stored


@pytest.mark.django_db
def test_the_deposit_invoice_the_final_invoice_and_the_credit_note_are_stored_when_issued(
    shop, on_issue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order, deposit = _order_with_deposit(shop)
    services.ship_delivery_note(services.create_delivery_note(order))
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.issue_invoice(services.invoice_order(order))
    lamp_line = invoice.lines.get(product=shop.lamp, kind="product")
    draft = services.create_credit_note(
        invoice, reason="Retour d'une lampe", lines=[{"invoice_line": lamp_line.pk, "quantity": 1}]
    )
    with django_capture_on_commit_callbacks(execute=True):
        credit_note = services.issue_credit_note(draft)

    assert IssuedPdf.objects.count() == 3
    for document in (deposit, invoice, credit_note):
        stored = _stored(document)
        assert stored.number == document.number and stored.sha256 == hashlib.sha256(bytes(stored.content)).hexdigest()
        assert pdfs.pdf_of(document).content == bytes(stored.content)  # a download reads it, renders nothing
    assert IssuedPdf.objects.count() == 3
    assert pdfs.read_embedded_xml(bytes(_stored(deposit).content)).count(b"<ram:TypeCode>386</ram:TypeCode>") == 1


@pytest.mark.django_db
def test_the_task_run_again_keeps_the_one_stored_file(shop, on_issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = _invoice(shop, shop.bakery, _all_goods(shop))
    first = _stored(invoice)
    assert tasks.store_issued_pdf.delay("invoice", invoice.pk).get() == first.sha256
    assert IssuedPdf.objects.filter(document_id=invoice.pk).count() == 1 and _stored(invoice).created_at == first.created_at


@pytest.mark.django_db
def test_switched_off_nothing_is_rendered_at_issue_and_the_first_download_makes_it(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invoice = _invoice(shop, shop.bakery, _all_goods(shop))
    assert callbacks and not IssuedPdf.objects.exists()  # the event ran; the subscriber left it
    assert invoice.kind == Invoice.Kind.INVOICE and pdfs.pdf_of(invoice).content == bytes(_stored(invoice).content)
