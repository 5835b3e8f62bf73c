"""Till receipts (issue #20): a counter sale's ticket as a PDF for 80 mm and 58 mm rolls and as
plain text for ESC/POS printers — legal mentions, VAT per rate, tenders and change to the cent, a
reprint marked « DUPLICATA n° N », nothing a stored text holds ever breaking the layout."""

import io
import re
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from lmb import roles
from sales import receipts, services
from sales.models import CreditNote, Invoice, InvoiceLine, PaymentMethod
from tests.sales.conftest import counter_session_of

pytestmark = pytest.mark.django_db

MM = 72 / 25.4  # PDF points per millimetre


def _sale(shop, tenders=None, lines=None):
    """3 jars of jam (5,5 %) and a lamp with its eco-participation (20 %): 63,10 € TTC."""
    order = services.create_order(
        customer=shop.walk_in,
        channel=shop.counter,
        lines=lines or [{"code": shop.jam.ean13, "quantity": 3}, {"code": shop.lamp.ean13}],
    )
    session = counter_session_of(shop)
    tenders = tenders or [{"method": PaymentMethod.CASH, "amount": "100"}]
    return services.checkout_at_counter(order, tenders=tenders, session=session, user=session.opened_by)


def _pdf_text(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode().replace("\u202f", " ").replace("\xa0", " ")


def test_the_text_ticket_holds_the_legal_mentions_vat_per_rate_tenders_and_change(shop):
    sale = _sale(shop)
    assert sale.invoice.total_incl_tax == Decimal("63.10") and sale.change == Decimal("36.90")
    text = receipts.receipt_text(receipts.receipt_of(sale.invoice, change=sale.change), columns=48)
    lines = text.splitlines()
    for mention in ("Au Comptoir Breton", "12 quai Duguay-Trouin", "35000 Rennes", "SIRET 90211430500011", "FR53902114305"):
        assert mention in text
    assert f"n° {sale.invoice.number}" in text
    local = sale.invoice.issued_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert local.strftime("Le %d/%m/%Y à %H:%M") in text
    assert "Confiture de fraises" in text and "3 x 4,20 €" in text and "Éco-participation" in text
    # Amounts end on the right margin, French formats with plain spaces.
    assert "TOTAL TTC" + " " * (48 - len("TOTAL TTC") - len("63,10 €")) + "63,10 €" in lines
    # VAT per rate to the cent: 12,60 TTC at 5,5 % = 11,94 + 0,66; 50,50 at 20 % = 42,08 + 8,42.
    rates = {(group["rate"], group["base"], group["vat"]) for group in sale.invoice.vat_breakdown}
    assert rates == {("5.5", "11.94", "0.66"), ("20", "42.08", "8.42")}
    assert any(line.startswith("  HT 11,94 €") and line.endswith("TVA 0,66 €") for line in lines)
    assert any(line.startswith("  HT 42,08 €") and line.endswith("TVA 8,42 €") for line in lines)
    assert "Espèces" + " " * (48 - len("Espèces") - len("100,00 €")) + "100,00 €" in lines
    assert "Rendu monnaie" + " " * (48 - len("Rendu monnaie") - len("36,90 €")) + "36,90 €" in lines
    assert "DUPLICATA" not in text
    assert max(len(line) for line in lines) <= 48


def test_several_tenders_are_listed_in_order_and_add_up_to_the_total_plus_change(shop):
    sale = _sale(shop, tenders=[{"method": PaymentMethod.CARD, "amount": "50"}, {"method": PaymentMethod.CASH, "amount": "20"}])
    receipt = receipts.receipt_of(sale.invoice, change=sale.change)
    assert receipt.tenders == [("Carte bancaire", Decimal("50.00")), ("Espèces", Decimal("20.00"))]
    assert receipt.change == Decimal("6.90")
    assert sum(amount for _label, amount in receipt.tenders) - receipt.change == sale.invoice.total_incl_tax


@pytest.mark.parametrize("columns", [48, 32, 24])
def test_no_text_line_exceeds_the_width_even_with_long_designations_and_huge_amounts(shop, columns):
    invoice = _issued_with(shop, "Mug\x1b@\x1dV\x07 triskell\tbleu\nmarine " + "y" * 200, quantity="99999999")
    change = Decimal("99999999999.99")
    text = receipts.receipt_text(receipts.receipt_of(invoice, change=change, duplicate_number=12), columns=columns)
    assert max(len(line) for line in text.splitlines()) <= columns
    assert not any(char in text for char in "\x1b\x1d\x07\t")  # never a command to the printer
    assert "Mug@Vtriskellbleumarine" + "y" * 200 in "".join(text.split())  # wrapped, never cut
    assert "99 999 999 x 72,00 €" in text  # 60,00 HT, 72,00 TTC at the counter
    assert "7 199 999 928,00 € A" in text and "Rendu monnaie" in text and "99 999 999 999,99 €" in text
    assert "DUPLICATA n° 12" in text


def test_the_duplicate_mark_is_printed_only_on_a_reprint(shop):
    sale = _sale(shop)
    original = receipts.receipt_of(sale.invoice, change=sale.change)
    reprint = receipts.receipt_of(sale.invoice, change=sale.change, duplicate_number=2)
    assert "DUPLICATA" not in receipts.receipt_text(original)
    assert receipts.receipt_text(reprint).count("*** DUPLICATA n° 2 ***") == 2  # at the top and at the bottom
    assert "DUPLICATA" not in _pdf_text(receipts.receipt_pdf(original))
    assert "DUPLICATA n° 2" in _pdf_text(receipts.receipt_pdf(reprint, width_mm=58))
    with pytest.raises(ValueError):
        receipts.receipt_of(sale.invoice, duplicate_number=0)


@pytest.mark.parametrize(("width_mm", "columns"), [(80, 48), (58, 32)])
def test_the_pdf_is_as_wide_as_the_roll_as_long_as_its_content_and_holds_the_number_and_total(shop, width_mm, columns):
    sale = _sale(shop)
    content = receipts.receipt_pdf(receipts.receipt_of(sale.invoice, change=sale.change), width_mm=width_mm)
    pages = PdfReader(io.BytesIO(content)).pages
    assert len(pages) == 1
    width, height = float(pages[0].mediabox.width) / MM, float(pages[0].mediabox.height) / MM
    assert width == pytest.approx(width_mm, abs=0.1)
    assert 60 < height < 300  # the roll is cut after the content, not at A4's length
    text = _pdf_text(content)
    assert sale.invoice.number in text and "63,10 €" in text and "Rendu monnaie" in text and "36,90 €" in text
    assert "SIRET 90211430500011" in text and "Merci de votre visite" in text
    boxes = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()
    bottoms = [float(edge) for edge in re.findall(r'yMax="([0-9.]+)"', boxes)]
    assert height * MM - 12 * MM < max(bottoms) <= height * MM  # the last line is on the page, and the page ends soon after
    assert receipts.columns_for(width_mm) == columns


def test_a_longer_ticket_is_a_longer_page(shop):
    short = receipts.receipt_pdf(receipts.receipt_of(_sale(shop).invoice))
    many = [{"product": shop.mug, "quantity": 1, "description": f"Mug n° {index}"} for index in range(40)]
    sale = _sale(shop, lines=many, tenders=[{"method": PaymentMethod.CARD, "amount": "396"}])
    long = receipts.receipt_pdf(receipts.receipt_of(sale.invoice))
    heights = [float(PdfReader(io.BytesIO(content)).pages[0].mediabox.height) / MM for content in (short, long)]
    assert heights[1] > heights[0] + 100


def test_the_pdf_survives_control_characters_and_long_designations(shop):
    invoice = _issued_with(shop, "Mug\x07\x0b " + "z" * 240)
    content = receipts.receipt_pdf(receipts.receipt_of(invoice), width_mm=58)
    text = _pdf_text(content)
    assert "zzzz" in text and invoice.number in text
    assert float(PdfReader(io.BytesIO(content)).pages[0].mediabox.width) / MM == pytest.approx(58, abs=0.1)


def test_huge_amounts_on_the_narrow_roll_stack_the_vat_table_inside_the_page(shop):
    invoice = _issued_with(shop, "Pose " + "y" * 200, quantity="99999999")
    content = receipts.receipt_pdf(receipts.receipt_of(invoice, change=Decimal("99999999999.99")), width_mm=58)
    page = PdfReader(io.BytesIO(content)).pages[0]
    assert float(page.mediabox.width) / MM == pytest.approx(58, abs=0.1)
    done = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()
    right_edges = [float(edge) for edge in re.findall(r'xMax="([0-9.]+)"', done)]
    assert right_edges and max(right_edges) <= 58 * MM  # nothing printed beyond the roll
    text = _pdf_text(content)
    for amount in ("5 999 999 940,00 €", "1 199 999 988,00 €", "7 199 999 928,00 €", "99 999 999 999,99 €"):
        assert amount in text


def test_escpos_bytes_start_with_init_and_code_page_and_end_with_the_cut(shop):
    sale = _sale(shop)
    text = receipts.receipt_text(receipts.receipt_of(sale.invoice, change=sale.change), columns=32)
    data = receipts.to_escpos_bytes(text + "Ǆ→☃")
    assert data.startswith(b"\x1b@\x1bt\x13") and data.endswith(b"\x1dVB\x00")
    body = data[len(b"\x1b@\x1bt\x13") : -len(b"\x1dVB\x00")]
    assert "63,10 €".encode("cp858") in body and b"\xd5" in body  # the euro sign of CP858
    assert "Espèces".encode("cp858") in body
    assert body.endswith(b"???")  # what CP858 cannot hold
    assert b"\x1b" not in body and b"\x1d" not in body
    assert receipts.to_escpos_bytes("A\x1bB") == b"\x1b@\x1bt\x13AB\x1dVB\x00"


def test_a_return_ticket_names_the_invoice_and_the_refund(shop):
    sale = _sale(shop, tenders=[{"method": PaymentMethod.CASH, "amount": "63.10"}])
    jam = sale.invoice.lines.get(product=shop.jam)
    credit_note = services.create_credit_note(
        sale.invoice,
        reason="Retour client",
        lines=[{"invoice_line": jam, "quantity": 1}],
        return_to_stock=True,
        settlement=CreditNote.Settlement.REFUND,
    )
    credit_note = services.issue_credit_note(credit_note, refund_method=PaymentMethod.CASH)
    text = receipts.receipt_text(receipts.receipt_of(credit_note))
    assert f"avoir n° {credit_note.number}" in text
    assert f"Retour sur la facture n° {sale.invoice.number}" in text
    assert "Remboursé — Espèces" in text and "4,20 €" in text


def test_a_draft_has_no_receipt(shop):
    order = services.create_order(customer=shop.walk_in, channel=shop.counter)
    draft = services.create_direct_invoice(customer=shop.walk_in, channel=shop.counter)
    with pytest.raises(ValueError):
        receipts.receipt_of(draft)
    assert order.pk


def test_the_receipt_page_serves_pdf_and_text_to_who_may_view_the_invoice(role_client, client, shop, make_user):
    sale = _sale(shop)
    url = reverse("sales:invoice_receipt", args=[sale.invoice.pk])
    seller = role_client(roles.SALES)
    pdf = seller.get(url, {"width": "58", "format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    page = PdfReader(io.BytesIO(pdf.content)).pages[0]
    assert float(page.mediabox.width) / MM == pytest.approx(58, abs=0.1)
    text = seller.get(url, {"width": "80", "format": "txt"})
    assert text.status_code == 200 and text["Content-Type"].startswith("text/plain")
    body = text.content.decode()
    assert sale.invoice.number in body and max(len(line) for line in body.splitlines()) <= 48
    assert "DUPLICATA" not in body
    assert seller.get(url, {"width": "57"}).status_code == 400
    assert seller.get(url, {"format": "docx"}).status_code == 400

    client.force_login(make_user(roles.WAREHOUSE))
    assert client.get(url).status_code == 403


def _issued_with(shop, description: str, quantity="1") -> Invoice:
    """A counter invoice whose line holds what the inputs refuse today, written on the draft behind
    the services' back (data stored before the rules), then issued."""
    draft = services.create_direct_invoice(customer=shop.walk_in, channel=shop.counter)
    services.add_line(draft, product=shop.fitting, quantity=quantity)
    InvoiceLine.objects.filter(document=draft).update(description=description)
    return services.issue_invoice(draft)


def test_the_page_of_a_counter_sale_offers_its_ticket_and_a_b2b_invoice_does_not(role_client, shop):
    client = role_client(roles.SALES)
    sale = _sale(shop)
    page = client.get(sale.invoice.get_absolute_url()).content.decode()
    receipt = reverse("sales:invoice_receipt", args=[sale.invoice.pk])
    assert f'href="{receipt}?width=80&amp;format=pdf"' in page and f'href="{receipt}?width=58&amp;format=pdf"' in page

    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 1}])
    )
    services.ship_delivery_note(services.create_delivery_note(order))
    invoice = services.issue_invoice(services.invoice_order(order))
    assert "receipt" not in client.get(invoice.get_absolute_url()).content.decode()


def test_the_receipt_page_reads_a_fixed_number_of_queries(role_client, shop, django_assert_max_num_queries):
    client = role_client(roles.SALES)
    tenders = [{"method": PaymentMethod.CARD, "amount": "50"}, {"method": PaymentMethod.CASH, "amount": "13.10"}]
    sale = _sale(shop, tenders=tenders)
    url = reverse("sales:invoice_receipt", args=[sale.invoice.pk])
    # The session and rights, the invoice with its channel, its lines, the company, its tenders.
    with django_assert_max_num_queries(8):
        assert client.get(url, {"format": "txt"}).status_code == 200
