"""The PDFs of sales documents: quote, order confirmation, delivery note, invoice, deposit invoice
and credit note, rendered from ``sales/templates/sales/pdf/`` by ``lmb.pdf``.

An issued invoice or credit note is a legal document: its PDF is a Factur-X (PDF/A-3b with the
CII XML of ``sales.facturx`` inside), made once, stored with its SHA-256 in ``IssuedPdf`` and
returned as stored ever after. Its bytes depend on the document only (dates and identifier come
from the document), so rendering it again gives the same file. Quotes, orders and delivery notes
change while they live: they are rendered when asked.
"""

import hashlib
import io
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, time

import facturx
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from facturx import facturx as facturx_module

from catalog.models import Product
from lmb.countries import country_name
from lmb.errors import Conflict
from lmb.formats import unit_price_fr
from lmb.money import excl_from_incl
from lmb.pdf import html_to_pdf
from lmb.services import get_company
from lmb.text import xml_text

from . import facturx as cii
from . import queries, vat
from .models import CreditNote, DeliveryNote, DocumentLine, Invoice, IssuedPdf, Order, Quote

PDF_VARIANT = "pdf/a-3b"  # Factur-X needs PDF/A-3 (EI-06); WeasyPrint embeds every font


@dataclass
class RenderedPdf:
    filename: str
    content: bytes


# --- What a page shows ----------------------------------------------------------------------------


def title_of(document) -> str:
    if isinstance(document, Invoice):
        return _("Facture d'acompte") if document.kind == Invoice.Kind.DEPOSIT else _("Facture")
    if isinstance(document, CreditNote):
        return _("Avoir")
    if isinstance(document, Quote):
        return _("Devis")
    if isinstance(document, Order):
        return _("Confirmation de commande")
    return _("Bon de livraison")


def document_date(document):
    """The date printed on the document; a draft's is the day it was created."""
    for field in ("invoice_date", "credit_date", "quote_date", "order_date"):
        if hasattr(document, field):
            return getattr(document, field) or document.created_at.date()
    return document.shipped_at.date() if document.shipped_at else document.created_at.date()


def filename_of(document) -> str:
    prefix = {
        Invoice: "facture",
        CreditNote: "avoir",
        Quote: "devis",
        Order: "commande",
        DeliveryNote: "bon-de-livraison",
    }[type(document)]
    if isinstance(document, Invoice) and document.kind == Invoice.Kind.DEPOSIT:
        prefix = "facture-acompte"
    return f"{prefix}-{document.number or f'brouillon-{document.pk}'}.pdf"


def _unit_price_excl_tax(document, line) -> str:
    """INV-07 asks for the unit price excluding VAT, printed with the decimals it has (up to 6,
    ``lmb.formats.unit_price_fr``): the stored price of a tax-excluded document, the one the line
    amount is computed from; a tax-included document stores the price TTC, and its HT price is
    derived to the same 6 places."""
    price = excl_from_incl(line.unit_price, line.vat_rate) if document.prices_include_tax else line.unit_price
    return unit_price_fr(price)


def _operation_nature(lines) -> str:
    """INV-15(c): goods only, services only, or both (free text and shipping lines aside)."""
    kinds = set()
    for line in lines:
        if line.kind == DocumentLine.Kind.PRODUCT and line.product_id:
            kinds.add("goods" if line.product.kind == Product.Kind.GOODS else "services")
    if kinds == {"goods"}:
        return _("Livraison de biens")
    if kinds == {"services"}:
        return _("Prestation de services")
    return _("Livraison de biens et prestation de services") if kinds else ""


def _lines(document, lines):
    rows = []
    for line in lines:
        rows.append(
            {
                "line": line,
                "is_eco": line.kind == DocumentLine.Kind.ECO,
                "is_comment": line.kind == DocumentLine.Kind.TEXT and not line.unit_price,
                "reference": line.product.reference if line.product_id else "",
                "unit_price": _unit_price_excl_tax(document, line),
            }
        )
    return rows


def _line_groups(rows):
    """A line and the eco-participation lines under it stay together on one page."""
    groups = []
    for row in rows:
        if row["is_eco"] and groups:
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def _deductions(invoice):
    """Each deposit invoice the invoice deducts, with the amount deducted on this one (DEP-01):
    a deposit may be deducted over several invoices."""
    if not invoice.pk:
        return []
    return list(invoice.deposit_deductions.select_related("deposit").order_by("deposit__invoice_date", "deposit__pk"))


def _context(document, lines) -> dict:
    company = get_company()
    delivery = document.delivery_address or {}
    billing = document.billing_address or {}
    context = {
        "company": company,
        "logo_url": company.logo.path if company and company.logo else "",
        "document": document,
        "number": document.number,
        "billing_address": _with_country_name(billing),
        "delivery_address": _with_country_name(delivery),
        "vat_groups": vat.labelled_breakdown(document.vat_breakdown, lines),
        "has_line_discount": any(line.discount_percent for line in lines),
        "orders": _orders(document),
        "title": title_of(document),
        "document_date": document_date(document),
        "line_groups": _line_groups(_lines(document, lines)),
        "operation_nature": _operation_nature(lines),
        "show_delivery_address": bool(delivery) and _address_key(delivery) != _address_key(billing),
        "is_invoice": isinstance(document, Invoice),
        "is_credit_note": isinstance(document, CreditNote),
        "is_quote": isinstance(document, Quote),
        "is_deposit": isinstance(document, Invoice) and document.kind == Invoice.Kind.DEPOSIT,
        "foreign_currency": document.currency != "EUR",
        "created_iso": _timestamp(document).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if isinstance(document, Invoice):
        context["installments"] = list(document.installments.all()) if document.pk else []
        context["deductions"] = _deductions(document)
        context["delivery_notes"] = _delivery_notes(document, lines)
    return context


def _with_country_name(address: dict) -> dict:
    return {**address, "country_name": country_name(address.get("country") or "FR")} if address else {}


def _orders(document):
    if isinstance(document, Invoice) and document.pk:
        return list(document.orders.order_by("pk"))
    return []


def _delivery_notes(invoice, lines) -> list:
    """The delivery notes an invoice bills (a periodic invoice lists its month's), oldest first."""
    delivery_lines = {line.delivery_line_id for line in lines if getattr(line, "delivery_line_id", None)}
    if not delivery_lines:
        return []
    return list(DeliveryNote.objects.filter(lines__in=delivery_lines).distinct().order_by("shipped_at", "pk"))


def _address_key(address: dict):
    return tuple((address.get(key) or "").strip().lower() for key in ("line1", "line2", "postal_code", "city", "country"))


def _timestamp(document) -> datetime:
    """The PDF's creation date: when the document was issued (else its date), so it never
    depends on when the file is made."""
    issued = getattr(document, "issued_at", None)
    if issued:
        return issued.astimezone(UTC).replace(microsecond=0)
    return datetime.combine(document_date(document), time(), tzinfo=UTC)


def _prefetched_lines(document):
    return list(document.lines.select_related("product").order_by("position", "pk"))


def document_html(document, lines=None) -> str:
    """The HTML of a sales document's PDF (invoice, credit note, quote, order)."""
    lines = _prefetched_lines(document) if lines is None else lines
    return render_to_string("sales/pdf/document.html", _context(document, lines))


def _identifier(document) -> bytes:
    return hashlib.md5(f"lmb:{type(document).__name__}:{document.pk}:{document.number}".encode()).hexdigest().encode()


# --- Quotes, orders, delivery notes: rendered when asked ------------------------------------------


def render_document(document) -> RenderedPdf:
    """The PDF of a quote or an order, as it stands."""
    content = html_to_pdf(document_html(document), identifier=_identifier(document))
    return RenderedPdf(filename_of(document), content)


def delivery_note_html(note: DeliveryNote) -> str:
    """Every goods line of the order, shipped now or not (what is left is the backorder the
    customer waits for), and the amounts of what is shipped as its invoice will compute them."""
    company = get_company()
    order = note.order
    content = queries.delivery_note_content(note)
    rows = [
        {
            "row": row,
            "reference": row.line.product.reference if row.line.product_id and not row.is_eco else "",
            "unit_price": _unit_price_excl_tax(order, row.line),
        }
        for row in content.rows
    ]
    show_prices = not (company and company.delivery_note_without_prices)
    context = {
        "company": company,
        "logo_url": company.logo.path if company and company.logo else "",
        "note": note,
        "order": order,
        "number": note.number,
        "delivery_address": _with_country_name(note.delivery_address or order.delivery_address),
        "billing_address": _with_country_name(order.billing_address),
        "title": title_of(note),
        "document_date": document_date(note),
        "rows": rows,
        "content": content,
        "vat_groups": content.vat_groups,
        "has_backorder": content.has_backorder,
        "show_prices": show_prices,
        "has_line_discount": show_prices and any(row.line.discount_percent for row in content.rows),
        "created_iso": _timestamp(note).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return render_to_string("sales/pdf/delivery_note.html", context)


def render_delivery_note(note: DeliveryNote) -> RenderedPdf:
    """Quantities shipped, ordered and left on backorder, with the prices of the goods shipped
    unless the company prefers a delivery note without prices (a parcel's paper)."""
    return RenderedPdf(filename_of(note), html_to_pdf(delivery_note_html(note), identifier=_identifier(note)))


# --- Issued invoices and credit notes: Factur-X, stored once --------------------------------------

# The factur-x library stamps its XMP and attachment dates with "now": the lock lets one thread at
# a time give it the document's date instead (the bytes must not depend on the clock).
_facturx_clock = threading.Lock()


def _embed_facturx(pdf: bytes, xml: bytes, document, company) -> bytes:
    stamp = _timestamp(document)
    metadata = {  # written into the PDF's XMP (XML): what XML cannot carry is dropped
        "author": xml_text(company.name),
        "keywords": "Factur-X",
        "title": xml_text(f"{title_of(document)} {document.number}"),
        "subject": xml_text(f"{title_of(document)} {document.number} — {document.customer_name}"),
    }
    with _facturx_clock:
        saved = facturx_module._get_metadata_timestamp, facturx_module._get_pdf_timestamp
        facturx_module._get_metadata_timestamp = lambda: stamp.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        facturx_module._get_pdf_timestamp = lambda date=None: (date or stamp).strftime("D:%Y%m%d%H%M%S+00'00'")
        try:
            return facturx.generate_from_binary(
                pdf, xml, flavor="factur-x", level="en16931", check_xsd=False, pdf_metadata=metadata, lang="fr-FR"
            )
        finally:
            facturx_module._get_metadata_timestamp, facturx_module._get_pdf_timestamp = saved


def render_issued(document) -> RenderedPdf:
    """Render an issued invoice or credit note as Factur-X (not stored: see ``issued_pdf``)."""
    if document.status != document.Status.ISSUED:
        raise Conflict(_("Seul un document émis a un PDF Factur-X : émettez-le d'abord."))
    company = get_company()
    lines = _prefetched_lines(document)
    pdf = html_to_pdf(document_html(document, lines), pdf_variant=PDF_VARIANT, identifier=_identifier(document))
    xml = cii.build_xml(document, company=company, lines=lines)
    return RenderedPdf(filename_of(document), _embed_facturx(pdf, xml, document, company))


def _document_type(document) -> str:
    return IssuedPdf.DocumentType.CREDIT_NOTE if isinstance(document, CreditNote) else IssuedPdf.DocumentType.INVOICE


def stored_pdf(document) -> IssuedPdf | None:
    return IssuedPdf.objects.filter(document_type=_document_type(document), document_id=document.pk).first()


def issued_pdf(document) -> IssuedPdf:
    """The stored Factur-X of an issued invoice or credit note, made and stored the first time.
    Two workers making it at once store one: the second takes the first's row."""
    existing = stored_pdf(document)
    if existing is not None:
        return existing
    rendered = render_issued(document)
    try:
        with transaction.atomic():
            return IssuedPdf.objects.create(
                document_type=_document_type(document),
                document_id=document.pk,
                number=document.number,
                filename=rendered.filename,
                content=rendered.content,
                sha256=hashlib.sha256(rendered.content).hexdigest(),
                size=len(rendered.content),
            )
    except IntegrityError:
        return stored_pdf(document)


def pdf_of(document) -> RenderedPdf:
    """The PDF to download, print or send: the stored file for an issued invoice or credit
    note, a fresh render for anything else."""
    if isinstance(document, Invoice | CreditNote) and document.status == document.Status.ISSUED:
        stored = issued_pdf(document)
        return RenderedPdf(stored.filename, bytes(stored.content))
    if isinstance(document, DeliveryNote):
        return render_delivery_note(document)
    return render_document(document)


def read_embedded_xml(pdf: bytes) -> bytes:
    """The factur-x.xml inside a Factur-X PDF (for checks and the archive)."""
    _filename, xml = facturx.get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    return xml
