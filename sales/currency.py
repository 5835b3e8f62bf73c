"""Exchange rates for documents in another currency (fr-rules CUR-01/02): the ECB reference rate
of the day (or of the previous publication day), stored per date."""

import xml.etree.ElementTree as ElementTree
from datetime import date
from decimal import Decimal

import requests
from django.utils.translation import gettext as _

from lmb.errors import InvalidInput

from .models import ExchangeRate

ECB_DAILY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
_ECB_NAMESPACE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"


def rate_for(currency: str, day: date) -> ExchangeRate:
    """The latest ECB rate published on or before ``day``."""
    rate = ExchangeRate.objects.filter(currency=currency.upper(), day__lte=day).order_by("-day").first()
    if rate is None:
        raise InvalidInput(
            {
                "currency": [
                    _("Aucun cours BCE de %(currency)s au %(day)s : récupérez les cours ou saisissez-le.")
                    % {"currency": currency, "day": day.strftime("%d/%m/%Y")}
                ]
            }
        )
    return rate


def parse_ecb_daily(xml_text: str) -> list[tuple[date, str, Decimal]]:
    """(day, currency, rate) of the ECB daily feed."""
    root = ElementTree.fromstring(xml_text)
    rates = []
    for day_cube in root.iter(f"{_ECB_NAMESPACE}Cube"):
        if "time" not in day_cube.attrib:
            continue
        day = date.fromisoformat(day_cube.attrib["time"])
        for cube in day_cube:
            rates.append((day, cube.attrib["currency"], Decimal(cube.attrib["rate"])))
    return rates


def store_rates(rates) -> int:
    for day, currency, rate in rates:
        ExchangeRate.objects.update_or_create(day=day, currency=currency, defaults={"rate": rate, "source": "BCE"})
    return len(rates)


def fetch_ecb_rates(timeout: float = 10) -> int:
    """Download and store the day's ECB reference rates (run daily by Celery beat)."""
    response = requests.get(ECB_DAILY_URL, timeout=timeout)
    response.raise_for_status()
    return store_rates(parse_ecb_daily(response.text))
