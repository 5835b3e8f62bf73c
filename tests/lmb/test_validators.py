import pytest
from django.core.exceptions import ValidationError

from lmb import validators


@pytest.mark.parametrize(
    ("validator", "good"),
    [
        (validators.validate_siren, "902114305"),
        (validators.validate_siret, "90211430500011"),
        (validators.validate_eu_vat_number, "FR53902114305"),
        (validators.validate_eu_vat_number, "DE136695976"),
        (validators.validate_iban, "FR7630006000011234567890189"),
        (validators.validate_ean13, "3760123456784"),
    ],
)
def test_valid_identifiers_pass(validator, good):
    validator(good)


@pytest.mark.parametrize(
    ("validator", "bad", "words"),
    [
        (validators.validate_siren, "902114306", "SIREN"),
        (validators.validate_siret, "90211430500012", "SIRET"),
        (validators.validate_siret, "9021143050", "longueur"),
        (validators.validate_eu_vat_number, "FR00902114305", "TVA"),
        (validators.validate_iban, "FR7630006000011234567890188", "IBAN"),
        (validators.validate_ean13, "3760123456787", "clé de contrôle"),
        (validators.validate_ean13, "12345678", "13 chiffres"),
    ],
)
def test_invalid_identifiers_are_refused_in_french(validator, bad, words):
    with pytest.raises(ValidationError) as error:
        validator(bad)
    assert words in error.value.messages[0]
    assert bad in error.value.messages[0]


def test_check_digit_helpers_make_valid_numbers():
    validators.validate_ean13(validators.ean13_with_check_digit("376012345678"))
    validators.validate_siren(validators.siren_with_check_digit("90211430"))
