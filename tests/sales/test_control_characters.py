"""Sales documents and control characters (issue #17, item 2): refused when typed on a draft
(form, API, service), and an invoice issued before the rule, holding one, still gets its PDF and
a Factur-X that passes the EN 16931 XSD and schematron."""

import io
import zipfile

import pytest
from django.urls import reverse
from lxml import etree

from lmb.errors import InvalidInput
from sales import pdfs, services
from sales.models import Invoice, InvoiceLine, Quote
from tests.helpers import page_text
from tests.sales.facturx_validation import schematron_errors, xsd_errors

pytestmark = pytest.mark.django_db

REFUSED = "caractère de contrôle invisible (U+0007)"


def test_a_sales_line_typed_on_a_draft_is_refused(shop, admin_client):
    quote = services.create_quote(customer=shop.bakery, channel=shop.b2b)
    url = reverse("sales:quote_line_add", args=[quote.pk])
    response = admin_client.post(url, {"description": "Mug\x07", "quantity": "1", "unit_price": "5", "kind": "product"})
    assert REFUSED in page_text(response)
    assert not quote.lines.exists()


def test_api_plain_serializers_refuse_it_too_nested_lines_included(shop, api_client):
    api = api_client()
    payload = {"customer": shop.bakery.pk, "channel": shop.b2b.pk, "lines": [{"description": "Mug\x07", "unit_price": "5"}]}
    response = api.post("/api/v1/quotes/", payload, format="json")
    assert response.status_code == 400 and REFUSED in str(response.json()["lines"])
    response = api.post("/api/v1/quotes/", {**payload, "lines": [], "customer_reference": "BC\x0777"}, format="json")
    assert response.status_code == 400 and REFUSED in response.json()["customer_reference"][0]
    assert not Quote.objects.exists()
    # A note is a text area: it keeps its line breaks.
    response = api.post("/api/v1/quotes/", {**payload, "lines": [], "note": "Ligne 1\nLigne 2"}, format="json")
    assert response.status_code == 201 and Quote.objects.get().note == "Ligne 1\nLigne 2"


def test_the_service_refuses_it_whatever_the_edge(shop):
    with pytest.raises(InvalidInput) as error:
        services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"description": "Mug\x07", "unit_price": 5}])
    assert REFUSED in str(error.value.errors["description"])
    quote = services.create_quote(customer=shop.bakery, channel=shop.b2b)
    with pytest.raises(InvalidInput) as error:
        services.update_draft(quote, customer_reference="BC\x0777")
    assert "Référence de commande du client" in error.value.errors["customer_reference"][0]


def _invoice_issued_before_the_rule(shop) -> Invoice:
    """An issued invoice whose customer name, address and line hold control characters (written
    on the draft behind the services' back, as data stored before the rule)."""
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 2}])
    )
    services.ship_delivery_note(services.create_delivery_note(order))
    draft = services.invoice_order(order)
    Invoice.objects.filter(pk=draft.pk).update(
        customer_name="Boulangerie\x07 Le Goff", billing_address={**draft.billing_address, "city": "Ren\x1bnes"}
    )
    InvoiceLine.objects.filter(document=draft).update(description="Mug\x07\x0b triskell")
    draft.refresh_from_db()
    return services.issue_invoice(draft)


def test_an_invoice_issued_with_one_still_gets_a_valid_factur_x(shop):
    invoice = _invoice_issued_before_the_rule(shop)
    assert "\x07" in invoice.customer_name  # the stored document is never changed

    content = bytes(pdfs.issued_pdf(invoice).content)

    xml = pdfs.read_embedded_xml(content)
    assert xsd_errors(xml) == [] and schematron_errors(xml) == []
    root = etree.fromstring(xml)
    names = root.xpath("//ram:BuyerTradeParty/ram:Name/text()", namespaces=pdfs.cii.NS)
    assert names == ["Boulangerie Le Goff"]
    assert root.xpath("//ram:SpecifiedTradeProduct/ram:Name/text()", namespaces=pdfs.cii.NS) == ["Mug triskell"]


def test_its_list_export_opens_too(shop, admin_client):
    _invoice_issued_before_the_rule(shop)
    response = admin_client.get(reverse("sales:invoice_list"), {"export": "ods"})
    content = b"".join(response.streaming_content)
    etree.fromstring(zipfile.ZipFile(io.BytesIO(content)).read("content.xml"))  # well-formed XML
