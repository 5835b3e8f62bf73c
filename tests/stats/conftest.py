"""The accounting tests' year of documents (every VAT territory, a CHF invoice, credit notes, a
deposit across year end, supplier invoices), built through the services, then its facts."""

import pytest

from stats import services as stats_services
from tests.accounting import conftest as accounting_fixtures

shop = accounting_fixtures.shop
build_year = accounting_fixtures.build_year
on = accounting_fixtures.on
sell = accounting_fixtures.sell


@pytest.fixture
def year(shop):
    return accounting_fixtures.build_year(shop)


@pytest.fixture
def facts(year):
    stats_services.refresh_facts()
    return year
