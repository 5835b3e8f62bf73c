"""French display of numbers and amounts (CLDR data from babel), for templates and messages:
``1 234,5``, ``1 234,50 €``, ``5,5 %``. Never ``Decimal.normalize()`` for display: it writes 10
as ``1E+1``."""

from decimal import Decimal, localcontext

from babel.numbers import format_currency, format_decimal

from .money import UNIT_PRICE_PLACES, to_decimal

LOCALE = "fr_FR"


def decimal_fr(value, places: int | None = None) -> str:
    """``1234.500`` → ``1 234,5``; with ``places``, exactly that many decimals."""
    if value is None or value == "":
        return ""
    value = to_decimal(value)
    pattern = "#,##0.######" if places is None else "#,##0" + ("." + "0" * int(places) if int(places) else "")
    # Babel rounds within the current context: a value of more than 28 digits (« 1e30 » typed in a
    # form, which its error message carries) would raise InvalidOperation instead of being written.
    with localcontext() as context:
        context.prec = max(context.prec, value.adjusted() + 16)
        return format_decimal(value, format=pattern, locale=LOCALE)


def money_fr(value, currency: str = "EUR") -> str:
    """``1234.5`` → ``1 234,50 €``."""
    if value is None or value == "":
        return ""
    return format_currency(to_decimal(value), currency or "EUR", locale=LOCALE)


# A unit price keeps the decimals it is stored with (up to 6), at least 2: 15,416667 and 12,50.
_UNIT_PRICE_DECIMALS = "00" + "#" * (UNIT_PRICE_PLACES - 2)


def unit_price_fr(value, currency: str = "") -> str:
    """A unit price as stored, the way a line's amount is computed from it: ``15.416667`` →
    ``15,416667`` (5 × 15,416667 = 77,08, where « 15,42 » would say 77,10); ``12.500000`` →
    ``12,50``. With ``currency``, its symbol follows (``15,416667 €``)."""
    if value is None or value == "":
        return ""
    pattern = f"#,##0.{_UNIT_PRICE_DECIMALS}"
    value = to_decimal(value)
    if currency:
        return format_currency(value, currency, format=f"{pattern}\u00a0¤", locale=LOCALE, currency_digits=False)
    return format_decimal(value, format=pattern, locale=LOCALE)


def percent_fr(value) -> str:
    """``20.000`` → ``20 %``; ``5.5`` → ``5,5 %``."""
    if value is None or value == "":
        return ""
    return f"{decimal_fr(Decimal(value))}\u00a0%"


def french_params(params):
    """The values a validation message is formatted with, decimals written the French way: a
    limit of ``Decimal("0.01")`` reads ``0,01``, ``Decimal("5E+1")`` reads ``50``. For the
    parameters of validation messages (Django's, ours), which are limits and lengths. Integers
    stay integers: Django's messages format lengths with ``%(…)d`` and pick their plural form
    from the number (a text there fails); other values pass as they are."""
    if not isinstance(params, dict):
        return params
    return {name: _french(value) for name, value in params.items()}


def _french(value):
    if isinstance(value, Decimal):
        # « NaN » or « Infinity » typed in a decimal box: Django's message quotes it as typed
        return decimal_fr(value) if value.is_finite() else str(value)
    if isinstance(value, float):
        return decimal_fr(str(value))
    return value
