"""Receivables to chase, built through the sales services on their own days (a travelling clock):
the sales tests' shop, customers of each type, invoices with their installments, payments."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sales import services
from sales.models import PaymentMethod
from tests.factories import ThirdPartyFactory
from tests.sales import conftest as sales_fixtures
from tests.sales.conftest import customer

PARIS = ZoneInfo("Europe/Paris")
shop = sales_fixtures.shop  # the shop of the sales tests, reused


def on(day: date, hour: int = 10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, 0, tzinfo=PARIS), tick=False)


def invoice(shop, who, day: date, *, net="100.00", installments=None, channel=None, **fields):
    """An invoice of ``net`` € HT (20 % VAT: 120,00 € TTC for 100), issued on ``day``, net 30 unless
    ``installments`` [(due date, amount)] say otherwise."""
    with on(day):
        draft = services.create_direct_invoice(
            customer=who,
            channel=channel or shop.b2b,
            lines=[{"description": "Prestation", "unit_price": Decimal(net), "quantity": 1, "vat_rate": Decimal("20")}],
            **fields,
        )
        return services.issue_invoice(draft, issue_date=day, installments=installments)


def pay(invoice, day: date, amount=None, *, invoices=None):
    with on(day):
        return services.record_payment(
            customer=invoice.customer,
            amount=amount if amount is not None else invoice.amount_due,
            method=PaymentMethod.TRANSFER,
            payment_date=day,
            invoices=[invoice] if invoices is None else invoices,
        )


@pytest.fixture
def consumer(shop):
    return customer("Le Bihan", business=False)


@pytest.fixture
def business(shop):
    return shop.bakery


@pytest.fixture
def public_buyer(shop):
    return ThirdPartyFactory(name="Mairie de Quimper", customer_category="public")
