"""A shop with a till: the boutique's own warehouse (stocked apart from the main one), two
registers of the counter channel, a cashier and a manager. Import the ``till`` fixture."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from lmb import roles
from sales import services
from sales.models import PaymentMethod
from sales.till import services as till_services
from stock import services as stock_services
from stock.models import StockLevel
from tests.factories import UserFactory, warehouse


@dataclass
class Till:
    shop: object
    boutique: object  # the register's warehouse (not the default one)
    register: object
    other_register: object
    cashier: object
    other_cashier: object
    manager: object


@pytest.fixture
def till(shop):
    boutique = warehouse(code="BOUT", name="Boutique du quai")
    for product, cost in ((shop.lamp, "18.00"), (shop.jam, "1.90"), (shop.mug, "3.10")):
        stock_services.receive(product=product, warehouse=boutique, quantity=50, unit_cost=Decimal(cost))
    register = till_services_register("C1", "Caisse 1", shop.counter, boutique)
    other = till_services_register("C2", "Caisse 2", shop.counter, shop.warehouse)
    return Till(
        shop=shop,
        boutique=boutique,
        register=register,
        other_register=other,
        cashier=UserFactory(roles=[roles.SALES], username="yann"),
        other_cashier=UserFactory(roles=[roles.SALES], username="soazig"),
        manager=UserFactory(roles=[roles.ADMINISTRATOR], username="gwen"),
    )


def till_services_register(code, name, channel, depot):
    return till_services.create_register(code=code, name=name, channel=channel, warehouse=depot, max_discount_percent=10)


def on_hand(product, depot) -> Decimal:
    return StockLevel.objects.get(product=product, warehouse=depot).on_hand


def sell(till_, session, lines, tenders=None, user=None, **options):
    """A sale rung up in ``session``; paid in cash to the cent unless ``tenders`` say otherwise."""
    user = user or session.opened_by
    order = services.create_order(customer=till_.shop.walk_in, channel=till_.shop.counter, lines=lines, user=user)
    if tenders is None:
        order.refresh_from_db()
        tenders = [{"method": PaymentMethod.CASH, "amount": order.total_incl_tax}]
    return services.checkout_at_counter(order, tenders=tenders, user=user, session=session, **options)
