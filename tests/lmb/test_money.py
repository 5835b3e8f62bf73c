from decimal import Decimal

import pytest

from lmb import money


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,5", "12.5"),
        ("1 234,56", "1234.56"),
        ("1\u202f234,56 €", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("0.1", "0.1"),
        (7, "7"),
    ],
)
def test_to_decimal_reads_what_users_type(text, expected):
    assert money.to_decimal(text) == Decimal(expected)


def test_floats_are_refused_because_they_already_lost_the_cent():
    with pytest.raises(TypeError):
        money.to_decimal(0.1)


def test_not_a_number_is_reported():
    with pytest.raises(ValueError, match="douze"):
        money.to_decimal("douze")


def test_rounding_is_half_up_not_bankers():
    assert money.amount("0.125") == Decimal("0.13")
    assert money.amount("0.135") == Decimal("0.14")
    assert money.amount("2.675") == Decimal("2.68")  # a float would give 2.67
    assert money.amount("-0.125") == Decimal("-0.13")
    assert money.quantity("1.0005") == Decimal("1.001")
    assert money.unit_price("1.0000005") == Decimal("1.000001")


def test_tax_included_and_excluded_prices():
    assert money.excl_from_incl("19.99", "20") == Decimal("16.658333")
    assert money.incl_from_excl("10", "5.5") == Decimal("10.550000")
    assert money.excl_from_incl("19.99", "20", places=2) == Decimal("16.66")
    assert money.vat_on("16.66", "20") == Decimal("3.33")
