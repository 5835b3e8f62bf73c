"""Validators for French and European identifiers, built on python-stdnum.

Each raises a Django ValidationError with a French message; models use them as field
validators so forms, the API and services (``full_clean``) all give the same answer.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import bic, ean, iban, luhn
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret
from stdnum.util import clean

_REASONS = {
    InvalidLength: "la longueur est incorrecte",
    InvalidFormat: "le format est incorrect",
    InvalidChecksum: "la clé de contrôle est fausse",
    InvalidComponent: "un élément est invalide",
}


def _reason(exc: StdnumError) -> str:
    for kind, text in _REASONS.items():
        if isinstance(exc, kind):
            return text
    return "il est invalide"


def _check(module, value, label, code):
    try:
        module.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("%(label)s « %(value)s » n'est pas valide : %(reason)s.")
            % {"label": label, "value": value, "reason": _reason(exc)},
            code=code,
        ) from exc


def validate_siren(value):
    _check(siren, value, _("Le SIREN"), "invalid_siren")


def validate_siret(value):
    _check(siret, value, _("Le SIRET"), "invalid_siret")


# The prefixes python-stdnum reads: the member states (Greece as EL), Northern Ireland (XI) and the
# OSS identification numbers (EU, IM).
VAT_PREFIXES = {*eu_vat.MEMBER_STATES, "el", "eu", "im"}


def validate_eu_vat_number(value):
    label = _("Le numéro de TVA intracommunautaire")
    if compact_vat_number(value)[:2].lower() not in VAT_PREFIXES:  # stdnum says only "invalid component"
        raise ValidationError(
            _(
                "%(label)s « %(value)s » n'est pas valide : il doit commencer par le code d'un pays de l'Union "
                "européenne (FR, DE, BE…)."
            )
            % {"label": label, "value": value},
            code="invalid_vat_number",
        )
    _check(eu_vat, value, label, "invalid_vat_number")


def validate_iban(value):
    _check(iban, value, _("L'IBAN"), "invalid_iban")


def validate_ean13(value):
    if len(ean.compact(value)) != 13:
        raise ValidationError(
            _("Le code EAN-13 « %(value)s » doit compter 13 chiffres.") % {"value": value}, code="invalid_ean13"
        )
    _check(ean, value, _("Le code EAN-13"), "invalid_ean13")


# Compacting never raises: it runs while the input is read (form field, serializer field, model
# field's ``to_python``), before any validator; a number stdnum cannot read keeps its plain compact
# form (no spaces, dots, dashes or slashes) and its validator then says, in French, what is wrong.


def _compact(module, value: str) -> str:
    try:
        return module.compact(value or "")
    except StdnumError:
        return clean(value or "", " -./").upper().strip()


def compact_siren(value: str) -> str:
    return _compact(siren, value)


def compact_siret(value: str) -> str:
    return _compact(siret, value)


def compact_vat_number(value: str) -> str:
    return _compact(eu_vat, value)


def compact_iban(value: str) -> str:
    return _compact(iban, value)


def compact_ean(value: str) -> str:
    return _compact(ean, value)


def ean13_with_check_digit(first_twelve_digits: str) -> str:
    """The EAN-13 made of 12 digits and their check digit."""
    return first_twelve_digits + ean.calc_check_digit(first_twelve_digits)


def siren_with_check_digit(first_eight_digits: str) -> str:
    """A SIREN (Luhn checked) from 8 digits; used by demo data and tests."""
    return first_eight_digits + luhn.calc_check_digit(first_eight_digits)


def validate_bic(value):
    _check(bic, value, _("Le BIC"), "invalid_bic")


def french_vat_mismatch(vat_number: str, siren: str) -> str | None:
    """A French VAT number is FR + a key + the SIREN: the message to show when they disagree."""
    if vat_number.startswith("FR") and siren and vat_number[-9:] != siren:
        return _("Ce numéro de TVA (FR…%(end)s) n'est pas celui du SIREN %(siren)s.") % {"end": vat_number[-9:], "siren": siren}
    return None
