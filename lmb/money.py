"""Money and quantity helpers: the one place where LMB rounds.

Amounts have 2 decimal places, unit prices up to 6, quantities 3. Rounding is always
ROUND_HALF_UP (what French accountants and EN 16931 examples use), never banker's rounding.
Never pass a float here: a float has already lost the cent.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

AMOUNT_PLACES = 2
UNIT_PRICE_PLACES = 6
QUANTITY_PLACES = 3
RATE_PLACES = 3

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_decimal(value) -> Decimal:
    """Read a value typed by a user or received from outside ("12,50", "12.5", 12, Decimal)."""
    if isinstance(value, Decimal):
        if not value.is_finite():  # NaN, Infinity: no column holds them
            raise ValueError(f"« {value} » n'est pas un nombre.")
        return value
    if isinstance(value, float):
        raise TypeError("Les montants ne sont jamais des float : passez une chaîne ou un Decimal.")
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip()
    for noise in ("\u202f", "\xa0", " ", "€"):
        text = text.replace(noise, "")
    if "," in text and "." in text:
        # Both separators: the last one is the decimal mark ("1.234,56" or "1,234.56").
        thousands = "." if text.rfind(",") > text.rfind(".") else ","
        text = text.replace(thousands, "")
    text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"« {value} » n'est pas un nombre.") from exc
    if not number.is_finite():  # "NaN", "Infinity": Decimal reads them, no column holds them
        raise ValueError(f"« {value} » n'est pas un nombre.")
    return number


def round_to(value, places: int) -> Decimal:
    """Round half-up to ``places`` decimal places. A number too large to round (beyond any column
    LMB has: more than 28 digits) is refused as a ValueError, as a word would be."""
    try:
        return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"« {value} » est un nombre trop grand.") from exc


def amount(value) -> Decimal:
    """An amount in currency, to the cent."""
    return round_to(value, AMOUNT_PLACES)


def unit_price(value) -> Decimal:
    return round_to(value, UNIT_PRICE_PLACES)


def quantity(value) -> Decimal:
    return round_to(value, QUANTITY_PLACES)


def excl_from_incl(price_incl_tax, rate_percent, places=UNIT_PRICE_PLACES) -> Decimal:
    """Tax-excluded value of a tax-included one at ``rate_percent`` (e.g. 20 for 20 %)."""
    return round_to(to_decimal(price_incl_tax) / (1 + to_decimal(rate_percent) / HUNDRED), places)


def incl_from_excl(price_excl_tax, rate_percent, places=UNIT_PRICE_PLACES) -> Decimal:
    """Tax-included value of a tax-excluded one at ``rate_percent``."""
    return round_to(to_decimal(price_excl_tax) * (1 + to_decimal(rate_percent) / HUNDRED), places)


def vat_on(base_excl_tax, rate_percent) -> Decimal:
    """VAT on a tax-excluded base, to the cent (EN 16931 BT-117 on BT-116)."""
    return amount(to_decimal(base_excl_tax) * to_decimal(rate_percent) / HUNDRED)


def vat_breakdown(lines) -> dict:
    """VAT per rate on the sum of that rate's net amounts (EN 16931 BT-116/BT-117), never the sum
    of rounded line VAT. ``lines`` are (net amount, rate percent) pairs; returns
    ``{rate: {"base": Decimal, "vat": Decimal}}`` and the caller adds the totals."""
    bases: dict = {}
    for net, rate in lines:
        key = to_decimal(rate).normalize()
        bases[key] = bases.get(key, ZERO) + amount(net)
    return {rate: {"base": base, "vat": vat_on(base, rate)} for rate, base in sorted(bases.items())}
