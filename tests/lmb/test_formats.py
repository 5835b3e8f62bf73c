from decimal import Decimal

from django.template import Context, Template

from lmb.templatetags.lmb import money, number, percent, unit_price


def test_money_is_written_the_french_way():
    # CLDR French: narrow no-break space for thousands, comma for decimals, no-break space before €.
    assert money(Decimal("1234.5")) == "1\u202f234,50\xa0€"
    assert money("0") == "0,00\xa0€"
    assert money(Decimal("-12.3")) == "-12,30\xa0€"
    assert money(Decimal("99.5"), "CHF") == "99,50\xa0CHF"
    assert money(None) == ""


def test_numbers_and_rates():
    assert number(Decimal("1234.500"), 2) == "1\u202f234,50"
    assert number(Decimal("2.000")) == "2"
    assert number(Decimal("0.125")) == "0,125"
    assert percent(Decimal("5.500")) == "5,5\xa0%"
    assert percent(Decimal("20.000")) == "20\xa0%"


def test_dates_use_the_french_short_format():
    import datetime

    rendered = Template('{{ day|date:"SHORT_DATE_FORMAT" }} {{ day|date }}').render(Context({"day": datetime.date(2026, 11, 22)}))
    assert rendered == "22/11/2026 22 novembre 2026"


def test_unit_prices_keep_their_decimals():
    """Up to the 6 places a unit price is stored with, at least 2: the amount it makes is explained."""
    assert unit_price(Decimal("15.416667")) == "15,416667"
    assert unit_price(Decimal("12.500000")) == "12,50"
    assert unit_price(Decimal("3.125000")) == "3,125"
    assert unit_price(Decimal("1234.5"), "EUR") == "1\u202f234,50\xa0€"
    assert unit_price(Decimal("0.000001"), "EUR") == "0,000001\xa0€"
    assert unit_price(None) == ""


def test_a_validation_message_quoting_nan_or_infinity_is_formatted_not_a_server_error():
    """Django's DecimalField refuses « NaN » and « Infinity » with the value in its parameters."""
    from lmb.formats import french_params

    assert french_params({"value": Decimal("NaN"), "limit": Decimal("0.01")}) == {"value": "NaN", "limit": "0,01"}
    assert french_params({"value": Decimal("-Infinity")}) == {"value": "-Infinity"}
