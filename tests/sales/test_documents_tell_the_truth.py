"""What sales documents print and show is what they are: the mentions of each kind of document,
the VAT treatment in words, unit prices as stored, delivery notes counted like the invoice."""

import io
from decimal import Decimal

import lxml.html
import pytest
from django.urls import reverse
from pypdf import PdfReader

from lmb.formats import money_fr
from purchasing import services as purchasing_services
from purchasing.pdfs import supplier_order_pdf
from sales import queries, services
from sales.pdfs import pdf_of, read_embedded_xml
from stock import services as stock_services
from tests.factories import ProductFactory
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


def visible_text(response) -> str:
    """A page's text as read (tags dropped, spaces made single)."""
    return " ".join(" ".join(lxml.html.fromstring(response.content.decode()).body.itertext()).split())


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


def element_text(response, element_id) -> str:
    return " ".join(lxml.html.fromstring(response.content.decode()).get_element_by_id(element_id).text_content().split())


def test_the_breakdown_reads_its_exemption_like_the_lines(shop, admin_client):
    """Under the franchise (VATEX-FR-FRANCHISE), the line column reads « 0 % — franchise en base »:
    the breakdown of the screens and of the PDFs reads the same, not the category's general word."""
    shop.company.vat_franchise = True
    shop.company.save()
    invoice = issued_invoice(shop, [{"product": shop.mug, "quantity": 2}])
    page = admin_client.get(invoice.get_absolute_url())
    assert vat_cells(page) == ["0 % — franchise en base"]
    totals = element_text(page, "document-totals")
    assert "TVA 0 % — franchise en base sur" in totals and "exonération" not in totals
    assert "0 % — franchise en base" in pdf_text(invoice)

    note = invoice.orders.get().delivery_notes.get()
    delivery = admin_client.get(reverse("sales:delivery_detail", args=[note.pk]))
    assert "TVA 0 % — franchise en base sur" in element_text(delivery, "delivery-totals")


def results_text(response) -> str:
    return " ".join(lxml.html.fromstring(response.content.decode()).get_element_by_id("list-results").text_content().split())


def test_the_account_mapping_names_treatments_and_payment_methods(admin_client):
    eu_rules = results_text(admin_client.get("/accounting/mapping/", {"q": "eu_b2b"}))
    assert "Intracommunautaire (entreprise)" in eu_rules and "eu_b2b" not in eu_rules
    bank_rules = results_text(admin_client.get("/accounting/mapping/", {"role": "bank"}))
    assert "Carte bancaire" in bank_rules and "card" not in bank_rules.split()


# --- Unit prices as stored (item 17) -------------------------------------------------------------


def editor_row(response, product):
    """The editor's row of a product: its unit price box (or cell) and its amount."""
    table = lxml.html.fromstring(response.content.decode()).get_element_by_id("document-lines-table")
    (row,) = [tr for tr in table.xpath("./tbody/tr") if product.reference in tr.text_content()]
    cells = row.xpath("./td")
    boxes = cells[2].xpath('.//input[@name="unit_price"]')
    price = boxes[0].get("value") if boxes else cells[2].text_content().strip()
    return price, " ".join(cells[5].text_content().split())


def test_a_unit_price_is_shown_with_its_decimals_wherever_an_amount_comes_from_it(shop, admin_client):
    """5 × 15,416667 = 77,08: the editor, the pages and every PDF show 15,416667, never « 15,42 »
    beside an amount it does not explain; and the editor's box sends back the stored price."""
    price = Decimal("15.416667")
    quote = services.create_quote(
        customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.jam, "quantity": 5, "unit_price": price}]
    )
    assert editor_row(admin_client.get(quote.get_absolute_url()), shop.jam) == ("15,416667", "77,08 €")
    line = quote.lines.get()
    change = reverse("sales:quote_line_change", args=[quote.pk, line.pk])
    admin_client.post(change, {"quantity": "5", "unit_price": "15,416667", "discount_percent": "0"})
    line.refresh_from_db()
    assert line.unit_price == price

    quote = services.send_quote(quote)
    assert editor_row(admin_client.get(quote.get_absolute_url()), shop.jam) == ("15,416667", "77,08 €")
    assert "15,416667 5,5 % 77,08" in pdf_text(quote)
    order = services.confirm_order(services.accept_quote(quote))
    services.ship_delivery_note(services.create_delivery_note(order))
    invoice = services.issue_invoice(services.invoice_order(order))
    credit_note = services.issue_credit_note(services.create_credit_note(invoice, reason="Retour"))
    for document in (order, order.delivery_notes.get(), invoice, credit_note):
        assert "15,416667" in pdf_text(document), document
        assert "15,42 " not in pdf_text(document), document


def test_a_tax_included_document_prints_its_unit_price_excluding_vat_to_the_same_decimals(shop):
    """INV-07: 18,50 TTC at 20 % is 15,416667 HT (5 of them: 77,08 HT)."""
    quote = services.create_quote(
        customer=shop.walk_in, channel=shop.phone, lines=[{"product": shop.mug, "quantity": 5, "unit_price": Decimal("18.50")}]
    )
    text = pdf_text(quote)
    assert quote.prices_include_tax and "15,416667 20 % 77,08" in text
    assert "Devis Brouillon — page 1 / 1" in text  # a draft has no number yet (was « Devis None »)


def test_a_supplier_order_prints_its_unit_prices_as_stored(shop):
    supplier = customer("Fonderie Bretonne", is_customer=False, is_supplier=True)
    order = purchasing_services.create_supplier_order(
        supplier=supplier,
        warehouse=shop.warehouse,
        lines=[{"product": shop.mug, "quantity": 3, "unit_price": Decimal("4.123456")}],
    )
    _filename, pdf = supplier_order_pdf(order)
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "4,123456" in text and "12,37" in text


# --- Delivery notes counted like their invoice (item 16) -------------------------------------------


def test_a_delivery_note_is_counted_like_its_invoice_and_lists_what_is_left_to_ship(shop, admin_client):
    """Tax-included prices, two rates, eco-participation, a document discount: the delivery note
    of two kettles and three jars says, to the cent, what their invoice says; the mug not shipped
    at all is on it with its backorder, so the customer knows it is coming."""
    kettle = ProductFactory(
        designation="Bouilloire inox",
        sale_price=Decimal("272.49"),
        price_includes_tax=True,
        eco_participation=Decimal("0.42"),
    )
    stock_services.receive(product=kettle, warehouse=shop.warehouse, quantity=10, unit_cost=Decimal("90"))
    order = services.create_order(
        customer=customer("Le Bihan", business=False),
        channel=shop.web,
        lines=[{"product": kettle, "quantity": 3}, {"product": shop.jam, "quantity": 3}, {"product": shop.mug, "quantity": 1}],
    )
    order = services.confirm_order(services.update_draft(order, discount_percent=Decimal("5")))
    lines = {line.product: line for line in order.lines.filter(parent=None)}
    note = services.create_delivery_note(order, quantities={lines[kettle].pk: 2, lines[shop.jam].pk: 3})
    note = services.ship_delivery_note(note)
    invoice = services.issue_invoice(services.create_invoice(delivery_notes=[note]))

    total = money_fr(invoice.total_incl_tax).replace("\u202f", " ").replace("\xa0", " ")
    excl = money_fr(invoice.total_excl_tax).replace("\u202f", " ").replace("\xa0", " ")
    text = pdf_text(note)
    # The eco-participation is part of the amounts shipped (ECO-02): the HT total says it includes it.
    assert f"Total TTC livré {total}" in text and f"Total HT livré, éco-participation comprise {excl}" in text
    assert "Mug triskell 1 — 0 1" in text and "Les quantités restant à livrer suivront" in text
    page = visible_text(admin_client.get(note.get_absolute_url()))
    assert f"Total TTC livré {total}" in page and f"Total HT livré, éco-participation comprise {excl}" in page
    assert "Mug triskell reste à livrer 1 0 0 1" in page
    assert "Bouilloire inox reste à livrer 3 0 2 1" in page  # partly shipped: the rest is captioned too

    content = queries.delivery_note_content(note)
    computed = content.totals
    assert (computed.total_excl_tax, computed.total_vat, computed.total_incl_tax) == (
        invoice.total_excl_tax,
        invoice.total_vat,
        invoice.total_incl_tax,
    )
    assert [group.as_dict() for group in computed.groups] == invoice.vat_breakdown
    assert content.eco_participation_total == invoice.eco_participation_total > 0
    rows = {(row.line.product.designation, row.is_eco): row for row in content.rows}
    mug = rows["Mug triskell", False]
    assert (mug.ordered, mug.already_shipped, mug.shipped, mug.remaining, mug.net_amount) == (1, 0, 0, 1, None)
    assert (rows["Bouilloire inox", False].remaining, rows["Bouilloire inox", True].shipped) == (1, 2)

    # The rest ships later: the second note counts what the first shipped, and the first, printed
    # again, still says what it said.
    second = services.ship_delivery_note(services.create_delivery_note(order))
    rows = {(row.line.product.designation, row.is_eco): row for row in queries.delivery_note_content(second).rows}
    kettle_row, jam_row = rows["Bouilloire inox", False], rows["Confiture de fraises", False]
    assert (kettle_row.already_shipped, kettle_row.shipped, kettle_row.remaining) == (2, 1, 0)
    assert (jam_row.already_shipped, jam_row.shipped, jam_row.remaining, jam_row.net_amount) == (3, 0, 0, None)
    assert "Mug triskell 1 — 0 1" in pdf_text(note)
