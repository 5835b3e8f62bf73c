"""VAT in words for the sales templates (and the accounting ones that show a treatment): the one
mapping lives in ``sales.vat``."""

from django import template

from sales import vat
from sales.models import PaymentMethod

register = template.Library()


@register.simple_tag
def vat_label(category, rate, exemption_code=""):
    """``{% vat_label line.vat_category line.vat_rate line.vat_exemption_code %}`` → « 0 % — exportation »."""
    return vat.vat_label(category, rate, exemption_code)


@register.filter
def vat_treatment(code):
    """``eu_b2b`` → « Intracommunautaire (entreprise) »."""
    return vat.treatment_label(code) if code else ""


@register.filter
def payment_method(code):
    """``card`` → « Carte bancaire »."""
    return PaymentMethod.label_of(code)
