"""Documents leaving the building: the PDF from the screens, e-mail with the PDF attached and its
outcome on the customer's timeline, the archive (command and zip job with its index of SHA-256),
batch printing, and the company's e-mail texts."""

import csv
import hashlib
import io
import smtplib
import zipfile
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict
from django.urls import reverse
from pypdf import PdfReader

from crm.models import Contact, EmailTemplate, TimelineEntry
from lmb import roles
from lmb.errors import Conflict, InvalidInput
from lmb.formats import money_fr
from lmb.models import Job
from lmb.services import get_company
from sales import mailing, pdfs, services
from sales.models import DocumentEvent, IssuedPdf
from tests.sales.test_facturx import _all_goods, _invoice


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.fixture
def sales_client(role_client):
    return role_client(roles.SALES)


@pytest.fixture
def invoice(shop):
    Contact.objects.create(third_party=shop.bakery, last_name="Le Goff", email="compta@legoff.example", is_primary=True)
    return _invoice(shop, shop.bakery, _all_goods(shop))


@pytest.mark.django_db
def test_the_invoice_is_e_mailed_with_its_stored_pdf_and_the_timeline_shows_it(
    shop, invoice, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert mailing.send_document_email(document=invoice) == "compta@legoff.example"
    (message,) = mail.outbox
    assert message.to == ["compta@legoff.example"]
    assert message.subject == f"Facture {invoice.number} — Au Comptoir Breton"
    assert money_fr(invoice.total_incl_tax) in message.body and f"{invoice.due_date:%d/%m/%Y}" in message.body
    filename, content, mimetype = message.attachments[0]
    stored = pdfs.stored_pdf(invoice)
    assert (filename, content, mimetype) == (stored.filename, bytes(stored.content), "application/pdf")
    entry = TimelineEntry.objects.get(third_party=shop.bakery)
    assert entry.kind == "email" and entry.subject == f"Facture {invoice.number} envoyé à compta@legoff.example"
    assert DocumentEvent.objects.filter(document_type="invoice", document_id=invoice.pk, action="emailed").exists()


@pytest.mark.django_db
def test_a_mail_server_that_stays_down_leaves_the_failure_and_its_reason_on_the_timeline(
    shop, invoice, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.sales.test_documents_out.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        mailing.send_document_email(document=invoice, recipient="achats@legoff.example")
    entry = TimelineEntry.objects.get(third_party=shop.bakery)  # one entry, after the retries
    assert entry.subject == f"Échec de l'envoi de Facture {invoice.number} à achats@legoff.example"
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in entry.body
    assert DocumentEvent.objects.filter(document_id=invoice.pk, action="email_failed").count() == 1


@pytest.mark.django_db
def test_sending_while_the_broker_is_down_answers_and_leaves_the_failure_on_the_timeline(
    shop, invoice, sales_client, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(reverse("sales:invoice_email", args=[invoice.pk]), {"recipient": "achats@legoff.example"})
    assert response.status_code == 302 and not mail.outbox
    entry = TimelineEntry.objects.get(third_party=shop.bakery)
    assert entry.subject == f"Échec de l'envoi de Facture {invoice.number} à achats@legoff.example"
    assert entry.body == "Raison : la file d'envoi ne répond pas ; l'e-mail n'est pas parti, renvoyez-le dans un instant."
    assert DocumentEvent.objects.filter(document_id=invoice.pk, action="email_failed").count() == 1


@pytest.mark.django_db
def test_nothing_is_queued_for_a_bad_address_a_customer_without_one_or_a_draft(shop, invoice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        with pytest.raises(InvalidInput, match="n'est pas une adresse"):
            mailing.send_document_email(document=invoice, recipient="compta@")
        order = services.create_order(customer=shop.walk_in, channel=shop.counter, lines=[{"product": shop.mug}])
        with pytest.raises(Conflict, match="sans numéro"):
            mailing.send_document_email(document=order, recipient="a@b.example")
        order = services.confirm_order(order)
        with pytest.raises(InvalidInput, match="pas d'adresse e-mail") as refused:
            mailing.send_document_email(document=order)
    # Nothing for the mailing; the business events of the order (lmb.events) are not e-mails.
    mails = [callback for callback in queued if getattr(callback, "__name__", "") == "send_after_commit"]
    assert refused.value.errors.keys() == {"recipient"} and mails == []


@pytest.mark.django_db
def test_the_company_writes_the_e_mail_text_of_each_document_type(shop, invoice, admin_client):
    url = reverse("crm:email_template_edit", args=["invoice"])
    response = admin_client.post(url, {"subject": "Votre facture {number}", "body": "Merci {customer}, total {total}."})
    assert response.status_code == 302
    expected_body = f"Merci Boulangerie Le Goff, total {money_fr(invoice.total_incl_tax)}."
    assert mailing.compose(invoice) == (f"Votre facture {invoice.number}", expected_body)
    assert admin_client.get(reverse("crm:email_templates")).status_code == 200
    assert admin_client.post(url, {"subject": "", "body": ""}).status_code == 400
    assert EmailTemplate.objects.get(document_type="invoice").subject == "Votre facture {number}"


@pytest.mark.django_db
def test_screens_download_the_stored_pdf_and_send_it(shop, invoice, sales_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    page = sales_client.get(invoice.get_absolute_url())
    assert reverse("sales:invoice_pdf", args=[invoice.pk]) in page.content.decode()
    response = sales_client.get(reverse("sales:invoice_pdf", args=[invoice.pk]) + "?download=1")
    assert response["Content-Disposition"] == f'attachment; filename="facture-{invoice.number}.pdf"'
    assert response.content == bytes(IssuedPdf.objects.get(document_id=invoice.pk).content)
    form = sales_client.get(reverse("sales:invoice_email", args=[invoice.pk]))
    assert "compta@legoff.example" in form.content.decode()
    refused = sales_client.post(reverse("sales:invoice_email", args=[invoice.pk]), {"recipient": "pas-une-adresse"})
    assert refused.status_code == 400 and not mail.outbox


@pytest.mark.django_db
def test_quote_order_and_delivery_note_pdfs(shop, sales_client):
    quote = services.send_quote(services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=_all_goods(shop)))
    text = _text(sales_client.get(reverse("sales:quote_pdf", args=[quote.pk])).content)
    assert f"Devis N° {quote.number}" in text and "BON POUR ACCORD" in text and "Valable jusqu'au" in text
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 5}])
    )
    text = _text(sales_client.get(reverse("sales:order_pdf", args=[order.pk])).content)
    assert f"Confirmation de commande N° {order.number}" in text and "41,25 €" in text
    note = services.create_delivery_note(order)
    services.set_delivery_quantity(note.lines.get(), quantity=3)
    note = services.ship_delivery_note(note)
    response = sales_client.get(reverse("sales:delivery_pdf", args=[note.pk]))
    text = _text(response.content)
    assert f"Bon de livraison N° {note.number}" in text
    assert "Commandé Déjà livré Livré ici Reste à livrer P.U. HT TVA Montant HT" in text
    assert "Mug triskell 5 — 3 2 8,25 20 % 24,75 €" in text and "Total HT livré 24,75 €" in text  # the 3 shipped, priced


@pytest.mark.django_db
def test_the_company_may_prefer_delivery_notes_without_prices(shop, sales_client, admin_client):
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 5}])
    )
    note = services.ship_delivery_note(services.create_delivery_note(order))
    settings_page = admin_client.get(reverse("company_edit")).content.decode()
    assert 'name="delivery_note_without_prices"' in settings_page
    fields = {**model_to_dict(get_company(), exclude=["logo", "id"]), "delivery_note_without_prices": "on"}
    response = admin_client.post(
        reverse("company_edit"), {key: value for key, value in fields.items() if value not in (None, False)}
    )
    assert response.status_code == 302 and get_company().delivery_note_without_prices
    assert "sans prix (quantités seules)" in admin_client.get(reverse("company")).content.decode()
    text = _text(sales_client.get(reverse("sales:delivery_pdf", args=[note.pk])).content)
    assert "Commandé Déjà livré Livré ici Reste à livrer" in text and "Mug triskell 5 — 5 —" in text  # quantities only
    assert "8,25" not in text and "41,25" not in text and "Montant" not in text and "P.U." not in text


@pytest.mark.django_db
def test_export_documents_writes_the_stored_pdfs_and_an_index_with_their_hashes(shop, tmp_path):
    first, second = (_invoice(shop, shop.bakery, [{"product": shop.mug, "quantity": n}]) for n in (1, 2))
    today = date.today()
    out = tmp_path / "archive"
    call_command("export_documents", "--kind", "invoice", "--from", str(today), "--to", str(today), "--output", str(out))
    with open(out / "index.csv", encoding="utf-8-sig") as index:
        rows = list(csv.DictReader(index, delimiter=";"))
    assert [row["numero"] for row in rows] == [first.number, second.number]
    for row, invoice in zip(rows, (first, second), strict=True):
        content = (out / row["fichier"]).read_bytes()
        assert row["sha256"] == hashlib.sha256(content).hexdigest() == pdfs.stored_pdf(invoice).sha256
        assert (row["date"], row["total_ttc"], row["net_a_payer"], row["client"]) == (
            invoice.invoice_date.strftime("%d/%m/%Y"),
            f"{invoice.total_incl_tax:f}".replace(".", ","),
            f"{invoice.amount_due:f}".replace(".", ","),
            "Boulangerie Le Goff",
        )
    empty = tmp_path / "empty"
    yesterday = str(today - timedelta(days=1))
    call_command("export_documents", "--kind", "credit_note", "--from", yesterday, "--to", yesterday, "--output", str(empty))
    assert [path.name for path in empty.iterdir()] == ["index.csv"]
    with pytest.raises(CommandError, match="précède"):
        call_command("export_documents", "--kind", "invoice", "--from", str(today), "--to", yesterday, "--output", str(out))
    with pytest.raises(CommandError, match="n'est pas une date"):
        call_command("export_documents", "--kind", "invoice", "--from", "22/11/2026", "--to", yesterday, "--output", str(out))


@pytest.mark.django_db
def test_archive_zip_and_batch_print_are_jobs_started_from_the_invoice_list(
    shop, invoice, sales_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    other = _invoice(shop, shop.bakery, [{"product": shop.mug, "quantity": 1}] * 40)
    listing = sales_client.get(reverse("sales:invoice_list")).content.decode()
    assert 'name="ids"' in listing and reverse("sales:invoice_archive") in listing
    today = str(date.today())
    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(reverse("sales:invoice_archive"), {"kind": "invoice", "date_from": today, "date_to": today})
    job = Job.objects.get()
    assert response.url == reverse("jobs:detail", args=[job.pk]) and job.status == Job.Status.DONE
    with job.result.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(["index.csv", f"facture-{invoice.number}.pdf", f"facture-{other.number}.pdf"])
        assert archive.read(f"facture-{other.number}.pdf") == bytes(pdfs.stored_pdf(other).content)

    with django_capture_on_commit_callbacks(execute=True):
        sales_client.post(reverse("sales:invoice_batch_print"), {"ids": [other.pk, invoice.pk]})
    batch = Job.objects.exclude(pk=job.pk).get()
    assert batch.status == Job.Status.DONE, batch.message
    with batch.result.open("rb") as handle:
        merged = PdfReader(io.BytesIO(handle.read()))
    pages = [len(PdfReader(io.BytesIO(bytes(pdfs.stored_pdf(doc).content))).pages) for doc in (other, invoice)]
    assert len(merged.pages) == sum(pages) and pages[0] > 1
    assert other.number in merged.pages[0].extract_text() and invoice.number in merged.pages[-1].extract_text()

    refused = sales_client.post(reverse("sales:invoice_batch_print"), {"ids": []})
    assert refused.status_code == 302 and Job.objects.count() == 2


@pytest.mark.django_db
def test_api_gives_the_stored_pdf_and_queues_the_e_mail(shop, invoice, api_client, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = api_client(roles.SALES)
    response = client.get(f"/api/v1/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == bytes(pdfs.stored_pdf(invoice).content)
    refused = client.post(f"/api/v1/invoices/{invoice.pk}/email/", {"recipient": "pas-une-adresse"}, format="json")
    assert refused.status_code == 400 and "recipient" in refused.json()
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(f"/api/v1/invoices/{invoice.pk}/email/", {}, format="json")
    assert queued.status_code == 202 and queued.json() == {"recipient": "compta@legoff.example", "status": "queued"}
    assert [message.to for message in mail.outbox] == [["compta@legoff.example"]]
    draft = services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=_all_goods(shop))
    assert client.post(f"/api/v1/quotes/{draft.pk}/email/", {}, format="json").status_code == 409


def _two_quotes(shop):
    return [
        services.send_quote(services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=_all_goods(shop))) for _ in "ab"
    ]


def _two_orders(shop):
    lines = [{"product": shop.mug, "quantity": 2}]
    return [services.confirm_order(services.create_order(customer=shop.bakery, channel=shop.b2b, lines=lines)) for _ in "ab"]


def _two_delivery_notes(shop):
    return [services.ship_delivery_note(services.create_delivery_note(order)) for order in _two_orders(shop)]


def _a_credit_note(shop):
    invoice = _invoice(shop, shop.bakery, [{"product": shop.mug, "quantity": 2}])
    line = invoice.lines.get(product=shop.mug)
    draft = services.create_credit_note(invoice, reason="Retour", lines=[{"invoice_line": line.pk, "quantity": 1}])
    return [services.issue_credit_note(draft)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("list_url", "print_url", "make"),
    [
        ("sales:quote_list", "sales:quote_batch_print", _two_quotes),
        ("sales:order_list", "sales:order_batch_print", _two_orders),
        ("sales:delivery_list", "sales:delivery_note_batch_print", _two_delivery_notes),
        ("sales:credit_note_list", "sales:credit_note_batch_print", _a_credit_note),
    ],
)
def test_the_other_document_lists_tick_documents_and_print_them_as_one_pdf(
    shop, sales_client, settings, tmp_path, django_capture_on_commit_callbacks, list_url, print_url, make
):
    settings.MEDIA_ROOT = str(tmp_path)
    documents = make(shop)
    listing = sales_client.get(reverse(list_url)).content.decode()
    assert f'action="{reverse(print_url)}" id="batch-print-form"' in listing
    for document in documents:
        assert f'name="ids" value="{document.pk}" form="batch-print-form"' in listing
    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(reverse(print_url), {"ids": [document.pk for document in reversed(documents)]})
    job = Job.objects.get()
    assert response.url == reverse("jobs:detail", args=[job.pk]) and job.status == Job.Status.DONE, job.message
    with job.result.open("rb") as handle:
        pages = [page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages]
    assert len(pages) == len(documents)  # one page each, in the order ticked
    assert [document.number in text for document, text in zip(reversed(documents), pages, strict=True)] == [True] * len(documents)
