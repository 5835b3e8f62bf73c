"""Countries as ISO 3166-1 alpha-2 codes, named in French (CLDR data from babel)."""

from functools import cache

from babel import Locale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Codes CLDR lists that are not countries (continents, unions, reserved and private-use codes).
_NOT_COUNTRIES = {"AC", "CP", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}

# Member states of the European Union (for VAT: intra-EU supplies, OSS). Greece is "GR" in ISO
# 3166 but "EL" in VAT numbers; the country code stays ISO here.
EU_MEMBER_STATES = frozenset(
    {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"}
    | {"IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}
)


@cache
def country_names() -> dict[str, str]:
    territories = Locale("fr").territories
    return {code: name for code, name in territories.items() if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES}


@cache
def country_choices() -> list[tuple[str, str]]:
    names = country_names()
    france_first = [("FR", names["FR"])]
    return france_first + sorted(((c, n) for c, n in names.items() if c != "FR"), key=lambda item: item[1])


def country_name(code: str) -> str:
    return country_names().get((code or "").upper(), code or "")


def validate_country(code: str):
    if (code or "").upper() not in country_names():
        raise ValidationError(
            _("« %(code)s » n'est pas un code pays ISO 3166 (deux lettres, ex. FR, DE, CH).") % {"code": code},
            code="invalid_country",
        )
