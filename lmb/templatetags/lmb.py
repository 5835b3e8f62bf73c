"""Template helpers: French formats (1 234,56 €), Bootstrap widgets, sortable column headers."""

from django import template
from django.utils.html import format_html
from django.utils.http import urlencode

from lmb import access, formats

register = template.Library()


@register.filter
def money(value, currency="EUR"):
    """``1234.5`` → ``1 234,50 €`` (French grouping with a narrow no-break space)."""
    return formats.money_fr(value, currency)


@register.filter
def number(value, places=None):
    """A decimal number in French: ``1234.5`` → ``1 234,5``; ``places`` fixes the decimals."""
    return formats.decimal_fr(value, places)


@register.filter
def unit_price(value, currency=""):
    """A unit price with the decimals it is stored with, at least 2: ``15,416667``; with a
    currency, ``15,416667 €``. For every price a line's amount is computed from."""
    return formats.unit_price_fr(value, currency)


@register.filter
def percent(value):
    """``20.000`` → ``20 %``; ``5.5`` → ``5,5 %``."""
    return formats.percent_fr(value)


_WIDGET_CLASSES = {
    "checkbox": "form-check-input",
    "select": "form-select",
    "selectmultiple": "form-select",
    "nullbooleanselect": "form-select",
}


@register.filter
def bootstrap_widget(bound_field):
    """Render a field's widget with Bootstrap classes, marked invalid when it has errors."""
    css = _WIDGET_CLASSES.get(bound_field.widget_type, "form-control")
    if bound_field.errors:
        css += " is-invalid"
    existing = bound_field.field.widget.attrs.get("class", "")
    attrs = {"class": f"{existing} {css}".strip()}
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return bound_field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def sort_header(context, key, label):
    """A column header that sorts the list by ``key`` and shows the current direction."""
    request = context["request"]
    current = context.get("current_sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    params["sort"] = f"-{key}" if current == key else key
    arrow = ""
    if current == key:
        arrow = " ▲"
    elif current == f"-{key}":
        arrow = " ▼"
    aria = "ascending" if current == key else "descending" if current == f"-{key}" else "none"
    return format_html(
        '<th scope="col" aria-sort="{}"><a href="?{}" hx-boost="true" class="link-dark text-decoration-none">{}{}</a></th>',
        aria,
        urlencode(params, doseq=True),
        label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def export_url(context, fmt):
    params = context["request"].GET.copy()
    params.pop("page", None)
    params["export"] = fmt
    return "?" + urlencode(params, doseq=True)


@register.inclusion_tag("lmb/_menu_tabs.html", takes_context=True)
def menu_tabs(context, section_key):
    """A section's entries as tabs on its pages: the same entries as its drop-down in the top
    bar (``lmb.navigation``), so the tabs offer only pages the user may open."""
    sections = context.get("navigation") or []
    return {"section": next((section for section in sections if section["key"] == section_key), None)}


@register.simple_tag(takes_context=True)
def can_open(context, url_name):
    """``{% can_open "company" as allowed %}``: whether the user may open that page, read from
    its view (``lmb.access``), for a link offered outside the menu."""
    return access.can_open(context["request"].user, url_name)
