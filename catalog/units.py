"""Which quantities a unit allows: an article sold by the piece (or by the set) is counted in
whole numbers; one sold by weight, volume, length, area or time takes decimals (2,5 kg, 1,5 h).

The rule is the unit's, so it holds wherever a quantity of a product is entered: every sales
document line (``sales.models.DocumentLine.clean``, run by the services' validation), credit
note lines (``sales.services.credit_notes``), every supplier order and supplier invoice line,
every stock move (``stock.services._check_move``: exits, transfers, adjustments, receptions,
deliveries, returns), inventory counts, reception scans and delivery quantities — whatever the
edge (form, API, import, connector, scan).

Not where a fraction is legitimate: products sold by weight, volume, length, area or time; lines
without a product (a free text line: 1,5 h of work); amounts computed from quantities (average
cost, values); a deposit invoice's line (one line for an amount).
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from lmb.errors import InvalidInput
from lmb.formats import decimal_fr

from .models import Unit

# Units counted in whole numbers: the rest measure something (kg, litre, metre, hour…).
WHOLE_UNITS = frozenset({Unit.PIECE, Unit.SET})


def allows_decimals(unit: str) -> bool:
    return unit not in WHOLE_UNITS


def quantity_error(quantity, unit: str) -> str | None:
    """Why ``quantity`` does not suit ``unit`` (« Quantité : 2,5 — … »), or None."""
    if quantity is None or allows_decimals(unit):
        return None
    quantity = Decimal(quantity)
    if quantity == quantity.to_integral_value():
        return None
    return _("Quantité : %(quantity)s — l'unité de cet article (%(unit)s) ne se fractionne pas : saisissez un nombre entier.") % {
        "quantity": decimal_fr(quantity),
        "unit": Unit(unit).label,
    }


def check_quantity(quantity, unit: str, *, field: str = "quantity"):
    """Refuse, naming ``field``, a quantity with decimals for a unit counted in whole numbers."""
    message = quantity_error(quantity, unit)
    if message:
        raise InvalidInput({field: [message]})
    return quantity
