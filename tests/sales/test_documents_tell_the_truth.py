"""What sales documents print and show is what they are: the mentions of each kind of document,
the VAT treatment in words, unit prices as stored, delivery notes counted like the invoice."""

import io

import pytest
from pypdf import PdfReader

from sales import services
from sales.pdfs import pdf_of

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
