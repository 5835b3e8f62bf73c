"""The PDF of a supplier order (bon de commande fournisseur), to print or send to the supplier."""

import hashlib
from datetime import UTC, datetime, time

from django.template.loader import render_to_string

from crm import queries as crm_queries
from lmb.countries import country_name
from lmb.formats import percent_fr
from lmb.pdf import html_to_pdf
from lmb.services import get_company

from .models import SupplierOrder


def _address(address) -> dict:
    if address is None:
        return {}
    return {
        "name": address.recipient,
        "line1": address.line1,
        "line2": address.line2,
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
        "country_name": country_name(address.country or "FR"),
    }


def supplier_order_html(order: SupplierOrder) -> str:
    company = get_company()
    day = order.sent_at.date() if order.sent_at else order.created_at.date()
    context = {
        "company": company,
        "logo_url": company.logo.path if company and company.logo else "",
        "order": order,
        "title": "Bon de commande",
        "number": order.number,
        "document_date": day,
        "supplier_address": _address(crm_queries.billing_address(order.supplier)),
        "lines": order.lines.select_related("product").order_by("position", "pk"),
        "vat_groups": [{**group, "label": percent_fr(group["rate"])} for group in order.vat_breakdown],
        "created_iso": datetime.combine(day, time(), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return render_to_string("purchasing/pdf/supplier_order.html", context)


def supplier_order_pdf(order: SupplierOrder) -> tuple[str, bytes]:
    """(filename, bytes); the same order gives the same bytes (dates and identifier from it)."""
    identifier = hashlib.md5(f"lmb:SupplierOrder:{order.pk}:{order.number}".encode()).hexdigest().encode()
    filename = f"commande-fournisseur-{order.number or f'brouillon-{order.pk}'}.pdf"
    return filename, html_to_pdf(supplier_order_html(order), identifier=identifier)
