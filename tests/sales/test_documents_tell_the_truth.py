"""What sales documents print and show is what they are: the mentions of each kind of document,
the VAT treatment in words, unit prices as stored, delivery notes counted like the invoice."""

import io

import lxml.html
import pytest
from pypdf import PdfReader

from sales import services
from sales.pdfs import pdf_of, read_embedded_xml
from tests.helpers import page_text
from tests.sales.conftest import customer

pytestmark = pytest.mark.django_db

PENALTIES = "pénalités au taux annuel de 12,15 %"
INDEMNITY = "Indemnité forfaitaire pour frais de recouvrement"
NO_ESCOMPTE = "Pas d'escompte pour paiement anticipé."


def pdf_text(document) -> str:
    """The text a reader of the PDF sees, spaces made single."""
    pages = PdfReader(io.BytesIO(pdf_of(document).content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def issued_invoice(shop, lines, customer=None, channel=None):
    order = services.confirm_order(
        services.create_order(customer=customer or shop.bakery, channel=channel or shop.b2b, lines=lines)
    )
    services.ship_delivery_note(services.create_delivery_note(order))
    return services.issue_invoice(services.invoice_order(order))


def test_payment_mentions_are_printed_on_invoices_only(shop):
    """INV-12 and INV-13 are what an invoice asks of its payer: a credit note, a quote or an order
    confirmation asks no payment and prints none of them."""
    invoice = issued_invoice(shop, [{"product": shop.mug, "quantity": 2}])
    credit_note = services.issue_credit_note(services.create_credit_note(invoice, reason="Geste commercial"))
    quote = services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug}])
    invoice_text = pdf_text(invoice)
    assert PENALTIES in invoice_text and INDEMNITY in invoice_text and NO_ESCOMPTE in invoice_text
    for document in (credit_note, quote, invoice.orders.get()):
        text = pdf_text(document)
        assert PENALTIES not in text and INDEMNITY not in text and NO_ESCOMPTE not in text, document
        assert "40 €" not in text


# --- VAT in words (item 19) --------------------------------------------------------------------


def vat_cells(response) -> list[str]:
    """The VAT column of a document page's lines, as read."""
    table = lxml.html.fromstring(response.content.decode()).get_element_by_id("document-lines-table")
    column = [" ".join(th.text_content().split()) for th in table.xpath("./thead//th")].index("TVA")
    return [" ".join(row.xpath("./td")[column].text_content().split()) for row in table.xpath("./tbody/tr")]


def test_the_vat_of_a_line_and_of_the_breakdown_is_read_in_words(shop, admin_client):
    """A shopkeeper reads « 0 % — autoliquidation intracommunautaire », never a bare « K »; the
    EN 16931 codes stay in the Factur-X XML."""
    muller = customer("Bäckerei Müller", country="DE", postal_code="10115", vat_number="DE136695976")
    eu = issued_invoice(shop, [{"product": shop.mug, "quantity": 2}, {"product": shop.fitting}], customer=muller)
    geneva = customer("Horlogerie Genevoise", country="CH", postal_code="1201")
    export = services.create_order(customer=geneva, channel=shop.b2b, lines=[{"product": shop.mug}])

    assert vat_cells(admin_client.get(eu.get_absolute_url())) == [
        "0 % — autoliquidation intracommunautaire",
        "0 % — autoliquidation",
    ]
    export_page = admin_client.get(export.get_absolute_url())
    assert vat_cells(export_page) == ["0 % — exportation"]
    assert "TVA 0 % — exportation sur" in " ".join(page_text(export_page).split())
    text = pdf_text(eu)
    assert "0 % — autoliquidation intracommunautaire" in text and "0 % — autoliquidation" in text
    xml = read_embedded_xml(pdf_of(eu).content).decode()
    assert "<ram:CategoryCode>K</ram:CategoryCode>" in xml and "<ram:CategoryCode>AE</ram:CategoryCode>" in xml


def results_text(response) -> str:
    return " ".join(lxml.html.fromstring(response.content.decode()).get_element_by_id("list-results").text_content().split())


def test_the_account_mapping_names_treatments_and_payment_methods(admin_client):
    eu_rules = results_text(admin_client.get("/accounting/mapping/", {"q": "eu_b2b"}))
    assert "Intracommunautaire (entreprise)" in eu_rules and "eu_b2b" not in eu_rules
    bank_rules = results_text(admin_client.get("/accounting/mapping/", {"role": "bank"}))
    assert "Carte bancaire" in bank_rules and "card" not in bank_rules.split()
