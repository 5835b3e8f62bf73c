"""A shop to import from: the PrestaShop stand-in (fixtures served over HTTP on 127.0.0.1), a
company and warehouse in LMB, and the channel that binds them."""

import pytest

from connectors.prestashop import services
from lmb.services import save_company
from tests.connectors.prestashop_standin import API_KEY, StandinShop
from tests.factories import warehouse
from tests.sales.conftest import COMPANY


@pytest.fixture
def standin():
    with StandinShop() as shop:
        yield shop


@pytest.fixture(autouse=True)
def _fast_client(settings):
    """No backoff waits and short timeouts in tests: retries are counted, not slept through."""
    settings.PRESTASHOP_CLIENT = {"backoff": 0, "timeout": (2, 0.5), "attempts": 3}


# The fixtures' shop charges its Spanish customer Spain's 21 % (order 6): it sells under the EU's
# one-stop shop, and so does the company selling through it (destination VAT, fr-rules VAT-15).
SHOP_COMPANY = {**COMPANY, "oss_registered": True}


@pytest.fixture
def main_warehouse(db):
    save_company(**SHOP_COMPANY)
    return warehouse()


@pytest.fixture
def channel(standin, main_warehouse):
    channel, _secret = services.add_channel(name="Boutique", base_url=standin.base_url, api_key=API_KEY, warehouse=main_warehouse)
    return channel


@pytest.fixture
def shop_client(channel):
    return services.client_for(channel)
