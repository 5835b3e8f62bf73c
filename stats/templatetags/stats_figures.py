from django import template

from lmb import formats

register = template.Library()

MONEY = {"net", "vat", "gross", "cost", "margin", "basket", "net_purchases"}
QUANTITIES = {"quantity", "quantity_received"}


@register.filter
def figure(value, measure):
    """A measure in French: amounts in euros, quantities, the margin rate in %, counts; a ratio of
    nothing (no sales) as a dash."""
    if value is None:
        return "—"
    if measure in MONEY:
        return formats.money_fr(value, "EUR")
    if measure in QUANTITIES:
        return formats.decimal_fr(value.normalize() if value == value.to_integral() else value)
    if measure == "margin_rate":
        return formats.decimal_fr(value, 2) + " %"
    return formats.decimal_fr(value)
