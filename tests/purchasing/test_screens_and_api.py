from decimal import Decimal as D

import pytest
from django.urls import reverse

from lmb import roles
from purchasing import services
from purchasing.models import Reception, SupplierInvoice, SupplierOrder
from stock import services as stock_services
from stock.models import StockLevel
from tests.factories import ProductFactory, ThirdPartyFactory, warehouse
from tests.helpers import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier():
    return ThirdPartyFactory(name="Faïencerie de Quimper", is_customer=False, is_supplier=True)


@pytest.fixture
def main():
    return warehouse()


@pytest.fixture
def bowl(supplier):
    product = ProductFactory(reference="BOL-01", ean13="3760123456784", purchase_price=D("4"))
    services.set_supplier_price(product=product, supplier=supplier, purchase_price=D("4.20"), is_preferred=True)
    return product


def test_order_screens_from_draft_to_reception(role_client, supplier, main, bowl):
    client = role_client(roles.WAREHOUSE)
    response = client.post(reverse("purchasing:order_create"), {"supplier": supplier.code, "warehouse": main.pk})
    order = SupplierOrder.objects.get()
    assert response["Location"] == order.get_absolute_url()
    lines_url = reverse("purchasing:order_add_line", args=[order.pk])
    client.post(lines_url, {"product": "3760123456784"}, HTTP_HX_REQUEST="true")
    scanned_again = client.post(lines_url, {"product": "3760123456784", "quantity": "5"}, HTTP_HX_REQUEST="true")
    assert scanned_again.status_code == 200 and order.lines.get().quantity == 6
    bad = client.post(lines_url, {"product": "INCONNU"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and "Aucun produit" in page_text(bad)
    client.post(reverse("purchasing:order_send", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == "sent" and order.number
    reception_page = client.post(reverse("purchasing:order_receive", args=[order.pk]))
    reception = Reception.objects.get()
    assert reception_page["Location"] == reception.get_absolute_url()
    scan_url = reverse("purchasing:reception_scan", args=[reception.pk])
    for _ in range(6):
        client.post(scan_url, {"code": "3760123456784"}, HTTP_HX_REQUEST="true")
    over = client.post(scan_url, {"code": "3760123456784"}, HTTP_HX_REQUEST="true")
    assert over.status_code == 422 and "sur-réception" in page_text(over)
    client.post(reverse("purchasing:reception_validate", args=[reception.pk]))
    assert StockLevel.objects.get(product=bowl, warehouse=main).on_hand == 6
    page = page_text(client.get(reception.get_absolute_url()))
    assert "Imprimer les étiquettes" in page and f"items={bowl.pk}:6" in page


def test_supplier_invoice_screens_show_warnings(role_client, supplier, main, bowl):
    order = services.send_supplier_order(
        services.create_supplier_order(supplier=supplier, warehouse=main, lines=[{"product": bowl, "quantity": 10}])
    )
    reception = services.receive_order(order, lines=[{"product": bowl, "quantity": 8}])
    client = role_client(roles.ACCOUNTANT)
    form = client.get(reverse("purchasing:invoice_create"), {"reception": reception.pk})
    assert reception.number in page_text(form)
    response = client.post(
        reverse("purchasing:invoice_create"),
        {
            "supplier_id": supplier.pk,
            "supplier": supplier.code,
            "number": "F-118",
            "invoice_date": "2026-11-02",
            "due_date": "2026-12-02",
            "receptions": [reception.pk],
        },
    )
    invoice = SupplierInvoice.objects.get()
    assert response["Location"] == invoice.get_absolute_url()
    line = invoice.lines.get()
    client.post(
        reverse("purchasing:invoice_line_update", args=[invoice.pk, line.pk]),
        {
            f"l{line.pk}-quantity": "10",
            f"l{line.pk}-unit_price": "4,20",
            f"l{line.pk}-discount_percent": "0",
            f"l{line.pk}-vat_rate": "20",
        },
    )
    page = page_text(client.get(invoice.get_absolute_url()))
    assert "10 facturé(s), 8 reçu(s)" in page
    client.post(reverse("purchasing:invoice_record", args=[invoice.pk]))
    assert SupplierInvoice.objects.get().status == "recorded"


def test_replenishment_screen_creates_draft_orders(role_client, supplier, main, bowl):
    stock_services.set_stock_setting(product=bowl, warehouse=main, min_quantity=5, max_quantity=20)
    client = role_client(roles.WAREHOUSE)
    page = page_text(client.get(reverse("purchasing:replenishment")))
    assert "Faïencerie de Quimper" in page and "BOL-01" in page
    key = f"{bowl.pk}-{main.pk}"
    response = client.post(reverse("purchasing:replenishment"), {"pick": [key], f"quantity-{key}": "24"})
    assert response.status_code == 302
    order = SupplierOrder.objects.get()
    assert order.status == "draft" and order.lines.get().quantity == 24


def test_supplier_prices_page(role_client, supplier, bowl):
    client = role_client(roles.WAREHOUSE)
    other = ThirdPartyFactory(name="Grès du Trégor", is_customer=False, is_supplier=True)
    client.post(
        reverse("purchasing:product_prices", args=[bowl.pk]),
        {"supplier": other.code, "purchase_price": "3,90", "min_quantity": "1", "lead_time_days": "5", "is_preferred": "on"},
    )
    prices = {p.supplier.name: p.is_preferred for p in bowl.supplier_prices.select_related("supplier")}
    assert prices == {"Faïencerie de Quimper": False, "Grès du Trégor": True}
    customer = ThirdPartyFactory(name="Client")
    refused = client.post(
        reverse("purchasing:product_prices", args=[bowl.pk]),
        {"supplier": customer.code, "purchase_price": "1", "min_quantity": "1", "lead_time_days": "0"},
    )
    assert "Aucun tiers ne porte ce code" in page_text(refused)


def test_api_order_lifecycle(api_client, supplier, main, bowl):
    api = api_client(roles.WAREHOUSE)
    order = api.post("/api/v1/supplier-orders/", {"supplier": supplier.pk, "warehouse": main.pk}, format="json").json()
    line = api.post("/api/v1/supplier-order-lines/", {"order": order["id"], "product": bowl.pk, "quantity": "12"}, format="json")
    assert line.status_code == 201 and line.json()["unit_price"] == "4.200000"
    sent = api.post(f"/api/v1/supplier-orders/{order['id']}/send/").json()
    assert sent["status"] == "sent" and sent["total_excl_tax"] == "50.40"
    locked = api.post("/api/v1/supplier-order-lines/", {"order": order["id"], "product": bowl.pk, "quantity": "1"}, format="json")
    assert locked.status_code == 409
    over = api.post(
        f"/api/v1/supplier-orders/{order['id']}/receive/", {"lines": [{"code": "BOL-01", "quantity": "13"}]}, format="json"
    )
    assert over.status_code == 409 and "sur-réception" in str(over.json())
    bad = api.post(f"/api/v1/supplier-orders/{order['id']}/receive/", {"lines": [{"quantity": "1"}]}, format="json")
    assert bad.status_code == 400 and "product" in str(bad.json())
    received = api.post(
        f"/api/v1/supplier-orders/{order['id']}/receive/", {"lines": [{"code": "BOL-01", "quantity": "12"}]}, format="json"
    )
    assert received.status_code == 201 and received.json()["number"].startswith("BR")
    assert api.get(f"/api/v1/supplier-orders/{order['id']}/").json()["status"] == "received"
    assert api.post(f"/api/v1/supplier-orders/{order['id']}/cancel/").status_code == 409

    accountant = api_client(roles.ACCOUNTANT)
    invoice = accountant.post(
        "/api/v1/supplier-invoices/",
        {
            "supplier": supplier.pk,
            "number": "F-1",
            "invoice_date": "2026-11-02",
            "due_date": "2026-10-02",
            "receptions": [received.json()["id"]],
        },
        format="json",
    )
    assert invoice.status_code == 400 and "due_date" in invoice.json()
    invoice = accountant.post(
        "/api/v1/supplier-invoices/",
        {
            "supplier": supplier.pk,
            "number": "F-1",
            "invoice_date": "2026-11-02",
            "due_date": "2026-12-02",
            "receptions": [received.json()["id"]],
        },
        format="json",
    )
    assert invoice.status_code == 201 and invoice.json()["warnings"] == []
    duplicate = accountant.post(
        "/api/v1/supplier-invoices/",
        {
            "supplier": supplier.pk,
            "number": "F-1",
            "invoice_date": "2026-11-02",
            "due_date": "2026-12-02",
        },
        format="json",
    )
    assert duplicate.status_code == 400
    assert accountant.post(f"/api/v1/supplier-invoices/{invoice.json()['id']}/record/").json()["status"] == "recorded"
