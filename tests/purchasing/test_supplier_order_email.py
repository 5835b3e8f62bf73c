"""A supplier order goes to the supplier by e-mail with its PDF attached, through the task of
``crm.mailing`` (run eagerly here); the sending, or its failure with the reason, is on the
supplier's timeline. From the order screen, the API, and with the company's own text."""

from datetime import date
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from crm import mailing
from crm.models import Contact, EmailTemplate, TimelineEntry
from lmb import roles
from lmb.errors import Conflict, InvalidInput
from lmb.services import save_company
from purchasing import pdfs, services
from tests.factories import ProductFactory, ThirdPartyFactory, warehouse
from tests.sales.conftest import COMPANY


@pytest.fixture
def supplier(db):
    supplier = ThirdPartyFactory(name="Faïencerie de Quimper", is_customer=False, is_supplier=True, email="")
    Contact.objects.create(third_party=supplier, last_name="Le Bihan", email="commandes@faiencerie.example", is_primary=True)
    return supplier


@pytest.fixture
def order(supplier):
    save_company(**COMPANY)
    bowl = ProductFactory(reference="BOL-01", designation="Bol breton prénom", purchase_price=D("4.20"))
    order = services.create_supplier_order(supplier=supplier, warehouse=warehouse(), expected_date=date(2026, 12, 14))
    services.add_order_line(order, product=bowl, quantity=D("24"))
    return services.send_supplier_order(order)


def _text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.django_db
def test_the_supplier_order_is_e_mailed_to_the_supplier_with_its_pdf_and_the_timeline_shows_it(
    order, supplier, locmem, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert mailing.send_document_email(document=order) == "commandes@faiencerie.example"
    (message,) = mail.outbox
    assert message.to == ["commandes@faiencerie.example"]
    assert message.subject == f"Commande {order.number} — Au Comptoir Breton"
    assert "d'un montant de 100,80\xa0€ HT" in message.body and "Livraison souhaitée : 14/12/2026." in message.body
    assert f"dépôt {order.warehouse.name}" in message.body
    filename, content, mimetype = message.attachments[0]
    expected_filename, expected_content = pdfs.supplier_order_pdf(order)
    assert (filename, mimetype) == (expected_filename, "application/pdf")
    # The same document: its text (the bytes differ by the creation time the PDF records).
    assert order.number in _text_of(content)
    assert _text_of(content) == _text_of(expected_content)
    entry = TimelineEntry.objects.get(third_party=supplier)
    assert entry.kind == "email" and entry.direction == "out"
    assert entry.subject == f"Commande fournisseur {order.number} envoyé à commandes@faiencerie.example"


@pytest.mark.django_db
def test_a_mail_server_that_stays_down_leaves_the_failure_on_the_supplier_timeline(
    order, supplier, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.sales.test_documents_out.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        mailing.send_document_email(document=order, recipient="achats@faiencerie.example")
    entry = TimelineEntry.objects.get(third_party=supplier)
    assert entry.subject == f"Échec de l'envoi de Commande fournisseur {order.number} à achats@faiencerie.example"
    assert "SMTPServerDisconnected" in entry.body


@pytest.mark.django_db
def test_a_draft_a_cancelled_order_or_a_bad_address_queues_nothing(order, supplier, django_capture_on_commit_callbacks):
    draft = services.create_supplier_order(supplier=supplier, warehouse=warehouse())
    with django_capture_on_commit_callbacks() as queued:
        with pytest.raises(Conflict, match="brouillon"):
            mailing.send_document_email(document=draft, recipient="a@b.example")
        with pytest.raises(InvalidInput, match="n'est pas une adresse") as refused:
            mailing.send_document_email(document=order, recipient="commandes@")
        with pytest.raises(Conflict, match="annulée"):
            mailing.send_document_email(document=services.cancel_supplier_order(order), recipient="a@b.example")
    assert refused.value.errors.keys() == {"recipient"} and queued == []


@pytest.mark.django_db
def test_the_company_writes_the_supplier_order_text(order, admin_client):
    url = reverse("crm:email_template_edit", args=["supplier_order"])
    form = admin_client.get(url).content.decode()
    assert "{supplier}" in form and "{warehouse}" in form and "{expected_date}" in form
    response = admin_client.post(
        url, {"subject": "Bon de commande {number}", "body": "Bonjour {supplier}, livraison {expected_date}."}
    )
    assert response.status_code == 302
    assert mailing.compose(order) == (f"Bon de commande {order.number}", "Bonjour Faïencerie de Quimper, livraison 14/12/2026.")
    assert "Commande fournisseur" in admin_client.get(reverse("crm:email_templates")).content.decode()
    assert EmailTemplate.objects.get(document_type="supplier_order").subject == "Bon de commande {number}"


@pytest.mark.django_db
def test_from_the_order_screen(order, supplier, role_client, locmem, django_capture_on_commit_callbacks):
    client = role_client(roles.WAREHOUSE)
    page = client.get(order.get_absolute_url()).content.decode()
    url = reverse("purchasing:order_email", args=[order.pk])
    assert url in page
    form = client.get(url)
    assert form.status_code == 200 and "commandes@faiencerie.example" in form.content.decode()
    assert client.post(url, {"recipient": "pas-une-adresse"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"recipient": "direction@faiencerie.example"})
    assert response.status_code == 302 and response.url == order.get_absolute_url()
    assert mail.outbox[0].to == ["direction@faiencerie.example"]
    assert TimelineEntry.objects.filter(third_party=supplier, kind="email").count() == 1
    assert role_client(roles.SALES).post(url, {"recipient": "x@y.example"}).status_code == 403  # sales may only read orders


@pytest.mark.django_db
def test_from_the_api(order, supplier, api_client, locmem, django_capture_on_commit_callbacks):
    url = f"/api/v1/supplier-orders/{order.pk}/email/"
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(roles.WAREHOUSE).post(url, {}, format="json")
    assert response.status_code == 202 and response.json() == {"recipient": "commandes@faiencerie.example", "status": "queued"}
    assert len(mail.outbox) == 1
    refused = api_client(roles.WAREHOUSE).post(url, {"recipient": "nope"}, format="json")
    assert refused.status_code == 400 and "recipient" in refused.json()
    assert api_client(roles.SALES).post(url, {}, format="json").status_code == 403
