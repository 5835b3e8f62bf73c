"""French display of numbers and amounts (CLDR data from babel), for templates and messages:
``1 234,5``, ``1 234,50 €``, ``5,5 %``. Never ``Decimal.normalize()`` for display: it writes 10
as ``1E+1``."""

from decimal import Decimal

from babel.numbers import format_currency, format_decimal

from .money import to_decimal

LOCALE = "fr_FR"


def decimal_fr(value, places: int | None = None) -> str:
    """``1234.500`` → ``1 234,5``; with ``places``, exactly that many decimals."""
    if value is None or value == "":
        return ""
    value = to_decimal(value)
    if places is None:
        return format_decimal(value, format="#,##0.######", locale=LOCALE)
    pattern = "#,##0" + ("." + "0" * int(places) if int(places) else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def money_fr(value, currency: str = "EUR") -> str:
    """``1234.5`` → ``1 234,50 €``."""
    if value is None or value == "":
        return ""
    return format_currency(to_decimal(value), currency or "EUR", locale=LOCALE)


def percent_fr(value) -> str:
    """``20.000`` → ``20 %``; ``5.5`` → ``5,5 %``."""
    if value is None or value == "":
        return ""
    return f"{decimal_fr(Decimal(value))}\u00a0%"
