"""A small shop to sell from: the company, its warehouse with stock, channels, products and
customers from every VAT territory the issue names."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from crm.models import Address, ThirdParty
from lmb.services import save_company
from sales.models import Channel
from stock import services as stock_services
from tests.factories import ProductFactory, ThirdPartyFactory, vat_rate, warehouse

COMPANY = {
    "name": "Au Comptoir Breton",
    "legal_form": "SARL",
    "share_capital": "20000",
    "siren": "902114305",
    "siret": "90211430500011",
    "rcs_city": "Rennes",
    "vat_number": "FR53902114305",
    "address_line1": "12 quai Duguay-Trouin",
    "postal_code": "35000",
    "city": "Rennes",
    "country": "FR",
    "iban": "FR7630006000011234567890189",
    "default_payment_terms": "net_30",
    "late_penalty_rate": "12.15",
    "early_payment_terms": "Pas d'escompte pour paiement anticipé.",
}


def customer(name, *, country="FR", postal_code="35000", business=True, vat_number="", **fields):
    return ThirdPartyFactory(
        name=name,
        kind=ThirdParty.Kind.COMPANY if business else ThirdParty.Kind.INDIVIDUAL,
        customer_category="business" if business else "consumer",
        vat_number=vat_number,
        addresses=[
            {
                "kind": Address.Kind.BILLING,
                "line1": "1 rue du Port",
                "postal_code": postal_code,
                "city": "Ville",
                "country": country,
            }
        ],
        **({"first_name": "Marie", "last_name": name} if not business else {}),
        **fields,
    )


@dataclass
class Shop:
    company: object
    warehouse: object
    counter: Channel
    phone: Channel
    b2b: Channel
    web: Channel
    lamp: object  # goods, 20 %, with eco-participation
    jam: object  # goods, 5.5 %
    mug: object  # goods, 20 %
    fitting: object  # service, 20 %
    walk_in: object
    bakery: object  # French business


@pytest.fixture
def shop(db):
    company = save_company(**COMPANY)
    main = warehouse()
    channels = {channel.kind: channel for channel in Channel.objects.all()}
    web = Channel.objects.create(code="WEB", name="Boutique en ligne", kind=Channel.Kind.WEB, prices_include_tax=True)
    lamp = ProductFactory(
        designation="Lampe Breizh",
        sale_price=Decimal("49.90"),
        price_includes_tax=True,
        eco_participation=Decimal("0.50"),
        purchase_price=Decimal("18.00"),
    )
    jam = ProductFactory(
        designation="Confiture de fraises",
        sale_price=Decimal("4.20"),
        price_includes_tax=True,
        vat_rate=vat_rate("FR-5.5"),
        purchase_price=Decimal("1.90"),
    )
    mug = ProductFactory(
        designation="Mug triskell", sale_price=Decimal("8.25"), price_includes_tax=False, purchase_price=Decimal("3.10")
    )
    fitting = ProductFactory(
        designation="Pose et réglage", sale_price=Decimal("60.00"), price_includes_tax=False, kind="service", ean13=""
    )
    for product, cost in ((lamp, "18.00"), (jam, "1.90"), (mug, "3.10")):
        stock_services.receive(product=product, warehouse=main, quantity=100, unit_cost=Decimal(cost))
    walk_in = customer("Client de passage", business=False)
    channels["counter"].default_customer = walk_in
    channels["counter"].save()
    return Shop(
        company=company,
        warehouse=main,
        counter=channels["counter"],
        phone=channels["phone"],
        b2b=channels["b2b"],
        web=web,
        lamp=lamp,
        jam=jam,
        mug=mug,
        fitting=fitting,
        walk_in=walk_in,
        bakery=customer("Boulangerie Le Goff", siren="732829320", vat_number="FR44732829320"),
    )


def counter_session_of(shop):
    """The open till session of the register « C0 » selling from the shop's warehouse, opened
    at the first call: a counter sale is always rung up in one (POS-01). Its cashier is
    ``opened_by``."""
    from lmb import roles
    from sales.till import services as till_services
    from sales.till.models import Register, TillSession
    from tests.factories import UserFactory

    session = TillSession.objects.filter(register__code="C0", status=TillSession.Status.OPEN).first()
    if session is not None:
        return session
    register = Register.objects.filter(code="C0").first() or till_services.create_register(
        code="C0", name="Caisse 0", channel=shop.counter, warehouse=shop.warehouse
    )
    cashier = UserFactory(roles=[roles.SALES], username="caissier")
    return till_services.open_session(register=register, user=cashier, opening_float="0")


@pytest.fixture
def counter_session(shop):
    return counter_session_of(shop)


# The till's fixture (a shop with registers, a cashier and a manager) lives beside its helpers.
from tests.sales.till_fixtures import till  # noqa: E402, F401
