"""In a browser, as a salesperson: open an issued invoice, download its PDF (the stored Factur-X),
send it by e-mail, and find the sending on the customer's timeline."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from crm.models import Contact
from lmb import roles
from sales.models import IssuedPdf
from tests.sales.conftest import shop  # noqa: F401
from tests.sales.test_facturx import _all_goods, _invoice

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_open_download_send_and_see_it_on_the_timeline(page, login, make_user, shop, settings):  # noqa: F811
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Contact.objects.create(third_party=shop.bakery, last_name="Le Goff", email="compta@legoff.example", is_primary=True)
    invoice = _invoice(shop, shop.bakery, _all_goods(shop))
    make_user(roles.SALES, username="soizic")
    login("soizic")

    page.goto(invoice.get_absolute_url())
    expect(page.locator("#document-number")).to_have_text(invoice.number)
    with page.expect_download() as download_info:
        page.click('[data-output="pdf-download"]')
    download = download_info.value
    assert download.suggested_filename == f"facture-{invoice.number}.pdf"
    with open(download.path(), "rb") as handle:
        downloaded = handle.read()
    assert downloaded == bytes(IssuedPdf.objects.get(document_id=invoice.pk).content)

    page.click('[data-output="email"]')
    expect(page.locator("#id_recipient")).to_have_value("compta@legoff.example")
    expect(page.locator("#email-subject")).to_have_text(f"Facture {invoice.number} — Au Comptoir Breton")
    page.click('[data-output="send-email"]')
    page.wait_for_url(f"**{invoice.get_absolute_url()}")
    expect(page.get_by_text("Envoi à compta@legoff.example en cours")).to_be_visible()
    assert [message.to for message in mail.outbox] == [["compta@legoff.example"]]
    assert mail.outbox[0].attachments[0][1] == downloaded

    page.click(f'a:has-text("{invoice.customer_name}")')
    expect(page.get_by_text(f"Facture {invoice.number} envoyé à compta@legoff.example")).to_be_visible()
