"""The unit decides whether a quantity may have decimals (issue #17, item 21): 2,5 mugs sold by the
piece are refused, naming the quantity, on every edge — a document line (form, scan box, API,
service), a delivery, a stock move (form, API), an inventory count, a supplier order and its
reception scan, a credit note line — while 2,5 kg of a product sold by weight go through."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog import units
from catalog.models import Unit
from lmb.errors import InvalidInput
from purchasing import services as purchasing_services
from sales import services
from sales.models import CreditNote, OrderLine, QuoteLine
from stock import services as stock_services
from stock.models import InventoryLine, StockMove
from tests.factories import ProductFactory, ThirdPartyFactory
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

REFUSED = "ne se fractionne pas : saisissez un nombre entier"


@pytest.fixture
def flour(shop):
    """Sold by the kilogram: decimals are fine."""
    product = ProductFactory(designation="Farine de sarrasin", unit=Unit.KILOGRAM, sale_price=Decimal("3.20"))
    stock_services.receive(product=product, warehouse=shop.warehouse, quantity=50, unit_cost=Decimal("1.10"))
    return product


@pytest.mark.parametrize(
    ("unit", "quantity", "allowed"),
    [
        (Unit.PIECE, "2", True),
        (Unit.PIECE, "2.5", False),
        (Unit.SET, "0.5", False),
        (Unit.KILOGRAM, "2.5", True),
        (Unit.HOUR, "1.25", True),
    ],
)
def test_the_rule(unit, quantity, allowed):
    assert (units.quantity_error(Decimal(quantity), unit) is None) == allowed


def test_a_line_typed_or_scanned_on_a_draft(shop, flour, admin_client):
    quote = services.create_quote(customer=shop.bakery, channel=shop.b2b)
    url = reverse("sales:quote_line_add", args=[quote.pk])
    response = admin_client.post(url, {"code": shop.mug.reference, "quantity": "2,5", "kind": "product"})
    assert REFUSED in page_text(response) and "Quantité : 2,5" in page_text(response)
    assert not QuoteLine.objects.exists()
    admin_client.post(url, {"code": flour.reference, "quantity": "2,5", "kind": "product"})
    assert QuoteLine.objects.get().quantity == Decimal("2.5")


def test_a_line_through_the_api_and_the_services(shop, api_client):
    api = api_client()
    order = services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 2}])
    response = api.post("/api/v1/order-lines/", {"document": order.pk, "product": shop.lamp.pk, "quantity": "2.5"}, format="json")
    assert response.status_code == 400 and REFUSED in response.json()["quantity"][0]
    line = order.lines.get()
    response = api.patch(f"/api/v1/order-lines/{line.pk}/", {"quantity": "1.5"}, format="json")
    assert response.status_code == 400 and REFUSED in response.json()["quantity"][0]
    with pytest.raises(InvalidInput) as error:
        services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": "0.5"}])
    assert REFUSED in error.value.errors["quantity"][0]
    assert list(OrderLine.objects.values_list("quantity", flat=True)) == [Decimal("2")]


def test_a_delivery_of_part_of_a_piece(shop):
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 3}])
    )
    line = order.lines.get()
    with pytest.raises(InvalidInput) as error:
        services.create_delivery_note(order, quantities={line.pk: Decimal("1.5")})
    assert REFUSED in error.value.errors["quantity"][0]
    note = services.create_delivery_note(order, quantities={line.pk: Decimal("1")})
    with pytest.raises(InvalidInput):
        services.set_delivery_quantity(note.lines.get(), Decimal("2.5"))


def test_a_stock_move_through_the_form_the_api_and_the_service(shop, flour, admin_client, api_client):
    response = admin_client.post(
        reverse("stock:exit"),
        {"product": shop.mug.reference, "warehouse": shop.warehouse.pk, "quantity": "1,5", "reason": "breakage"},
    )
    assert REFUSED in page_text(response)
    response = api_client().post(
        "/api/v1/stock-moves/",
        {"kind": "exit", "product": shop.mug.pk, "warehouse": shop.warehouse.pk, "quantity": "0.5", "reason": "breakage"},
        format="json",
    )
    assert response.status_code == 400 and REFUSED in response.json()["quantity"][0]
    with pytest.raises(InvalidInput):
        stock_services.receive(product=shop.mug, warehouse=shop.warehouse, quantity="2.5", unit_cost="3")
    assert not StockMove.objects.filter(kind__in=["exit"]).exists()
    stock_services.exit_stock(product=flour, warehouse=shop.warehouse, quantity="2.5", reason="breakage")


def test_an_inventory_count(shop, flour):
    inventory = stock_services.open_inventory(warehouse=shop.warehouse)
    with pytest.raises(InvalidInput) as error:
        stock_services.count(inventory, code=shop.mug.reference, quantity="0.5")
    assert REFUSED in error.value.errors["quantity"][0]
    stock_services.count(inventory, code=flour.reference, quantity="0.5")
    assert InventoryLine.objects.get(product=flour).counted_quantity == Decimal("0.5")


def test_a_supplier_order_and_its_reception_scan(shop):
    supplier = ThirdPartyFactory(name="Faïencerie", is_customer=False, is_supplier=True)
    with pytest.raises(InvalidInput) as error:
        purchasing_services.create_supplier_order(
            supplier=supplier, warehouse=shop.warehouse, lines=[{"product": shop.mug, "quantity": Decimal("2.5")}]
        )
    assert REFUSED in error.value.errors["quantity"][0]
    order = purchasing_services.send_supplier_order(
        purchasing_services.create_supplier_order(
            supplier=supplier, warehouse=shop.warehouse, lines=[{"product": shop.mug, "quantity": Decimal("3")}]
        )
    )
    reception = purchasing_services.start_reception(order)
    with pytest.raises(InvalidInput) as error:
        purchasing_services.scan_reception(reception, code=shop.mug.reference, quantity="1.5")
    assert REFUSED in error.value.errors["quantity"][0]


def test_a_credit_note_line(shop, api_client):
    """A credit note takes back whole pieces too (its lines were created without the line's clean)."""
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 3}])
    )
    services.ship_delivery_note(services.create_delivery_note(order))
    invoice = services.issue_invoice(services.invoice_order(order))
    line = invoice.lines.get(product=shop.mug)
    with pytest.raises(InvalidInput) as error:
        services.create_credit_note(invoice, reason="Casse", lines=[{"invoice_line": line.pk, "quantity": "1.5"}])
    assert REFUSED in error.value.errors["lines[0].quantity"][0]
    response = api_client().post(
        f"/api/v1/invoices/{invoice.pk}/credit/",
        {"reason": "Casse", "lines": [{"invoice_line": line.pk, "quantity": "0.5", "return_to_stock": True}]},
        format="json",
    )
    assert response.status_code == 400 and REFUSED in str(response.json())
    assert not CreditNote.objects.exists()
    services.create_credit_note(invoice, reason="Casse", lines=[{"invoice_line": line.pk, "quantity": "1"}])


def test_every_stock_move_goes_through_the_rule(shop, flour):
    """Adjustments and customer returns are moves too (stock.services._check_move): refused for a
    piece, taken for a product sold by weight."""
    with pytest.raises(InvalidInput) as error:
        stock_services.adjust(product=shop.mug, warehouse=shop.warehouse, difference="-0.5")
    assert REFUSED in error.value.errors["quantity"][0]
    with pytest.raises(InvalidInput):
        stock_services.customer_return(product=shop.mug, warehouse=shop.warehouse, quantity="1.5")
    stock_services.adjust(product=flour, warehouse=shop.warehouse, difference="-0.5")
    stock_services.customer_return(product=flour, warehouse=shop.warehouse, quantity="1.5")
