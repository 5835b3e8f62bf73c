"""What a number column can hold, and the refusal when a value does not fit.

A ``DecimalField(max_digits=14, decimal_places=2)`` holds 999 999 999 999,99 at most. PostgreSQL
refuses more (an error, a 500); SQLite stores it, then can never read it back — the page that
shows it, and every list that contains it, fail for everyone. Numbers typed by users are bounded
by their column (forms and serializers take ``max_digits`` from the model), but amounts computed
from them (quantity × unit price, totals, stock values) must be checked too. Three layers:

- the services check what they compute before saving, naming the input at fault (``check``,
  ``too_large``: « Quantité : … trop grand … »);
- every model ``DecimalField`` of LMB is ``lmb.fields.DecimalField``, which refuses, on any
  write path (``save``, ``bulk_create``, ``bulk_update``, ``update``, ``lmb.rows``), a value its
  column cannot hold — the last guard, on SQLite and PostgreSQL alike;
- ``lmb.money`` refuses numbers beyond any column before rounding them.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .errors import InvalidInput
from .formats import decimal_fr
from .text import capitalized

# The largest integer column LMB has (a bigint): an integer field of a form or a serializer that
# says no bound of its own gets this one (``lmb.forms``, ``lmb.api``), so a number typed beyond
# it is refused in French instead of failing in the database.
LARGEST_INTEGER = 2**63 - 1

# A number typed beyond this many digits is said by its length in a refusal, not written out:
# « 1e999 » is a thousand digits, a wall of text in a form's error.
SHOWN_DIGITS = 40


def largest(max_digits: int, decimal_places: int) -> Decimal:
    """The largest value a column holds: 999999999999.99 for (14, 2)."""
    return Decimal(10) ** (max_digits - decimal_places) - Decimal(1).scaleb(-decimal_places)


def fits(value, max_digits: int, decimal_places: int) -> bool:
    """Whether ``value`` (rounded to the column's places, as the database would) fits the column."""
    if value is None:
        return True
    try:
        value = Decimal(value)
        if not value.is_finite():
            return False
        rounded = value.quantize(Decimal(1).scaleb(-decimal_places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return False
    return abs(rounded) <= largest(max_digits, decimal_places)


def too_large(label, value, max_digits: int, decimal_places: int) -> str:
    """« Quantité : 99 999 999 999 999 est trop grand (999 999 999,999 au plus). »"""
    return _("%(label)s : %(value)s est trop grand (%(largest)s au plus).") % {
        "label": capitalized(label),
        "value": _shown(value),
        "largest": decimal_fr(largest(max_digits, decimal_places)),
    }


def too_large_result(label, what, value, max_digits: int, decimal_places: int) -> str:
    """A value computed from the input does not fit: « Quantité : le montant de la ligne
    (1 234 567 890 123,45) serait trop grand (999 999 999 999,99 au plus). »"""
    return _("%(label)s : trop grand, %(what)s (%(value)s) dépasserait %(largest)s.") % {
        "label": capitalized(label),
        "what": what,
        "value": _shown(value),
        "largest": decimal_fr(largest(max_digits, decimal_places)),
    }


def check(value, max_digits: int, decimal_places: int, *, field: str, label):
    """Refuse ``value`` naming ``field`` when its column cannot hold it."""
    if not fits(value, max_digits, decimal_places):
        raise InvalidInput({field: [too_large(label, value, max_digits, decimal_places)]})
    return value


def _shown(value) -> str:
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if number.adjusted() >= SHOWN_DIGITS:
        return _("un nombre de %(digits)s chiffres") % {"digits": decimal_fr(number.adjusted() + 1)}
    return decimal_fr(number)
