"""Every list page and every API list answers in a fixed number of queries, whatever the number
of rows (no query per row): measured with 3 rows then 30, and pinned."""

import pytest
from django.utils import timezone

from catalog import services as catalog_services
from crm import services as crm_services
from lmb import roles
from purchasing import services as purchasing_services
from stock import services as stock_services
from tests.factories import CategoryFactory, ProductFactory, ThirdPartyFactory, warehouse
from tests.helpers import get_counting_queries

pytestmark = pytest.mark.django_db

# url → the most queries it may take (session, user, permissions, company, count, rows, prefetches)
SCREENS = {
    "/catalog/products/": 9,
    "/catalog/products/?q=produit&sort=category": 9,
    "/catalog/categories/": 8,
    "/catalog/price-lists/": 8,
    "/catalog/vat-rates/": 8,
    "/crm/third-parties/": 9,
    "/crm/third-parties/?country=FR&role=customer": 9,
    "/crm/incidents/": 8,
    "/crm/tasks/": 9,
    "/crm/agenda/": 7,
    "/stock/": 9,
    "/stock/moves/": 9,
    "/stock/inventories/": 8,
    "/stock/warehouses/": 8,
    "/purchasing/orders/": 9,
    "/purchasing/receptions/": 8,
    "/purchasing/invoices/": 8,
}
API = {
    "/api/v1/products/": 6,
    "/api/v1/categories/": 6,
    "/api/v1/vat-rates/": 6,
    "/api/v1/price-lists/": 7,
    "/api/v1/price-list-items/": 6,
    "/api/v1/third-parties/": 7,
    "/api/v1/addresses/": 6,
    "/api/v1/contacts/": 6,
    "/api/v1/timeline-entries/": 6,
    "/api/v1/tasks/": 6,
    "/api/v1/warehouses/": 6,
    "/api/v1/locations/": 6,
    "/api/v1/stock-settings/": 6,
    "/api/v1/stock-levels/": 6,
    "/api/v1/stock-moves/": 6,
    "/api/v1/inventories/": 8,
    "/api/v1/supplier-prices/": 6,
    "/api/v1/supplier-orders/": 7,
    "/api/v1/supplier-order-lines/": 6,
    "/api/v1/receptions/": 7,
    "/api/v1/supplier-invoices/": 9,
}


def add_rows(count, user):
    main = warehouse()
    supplier = ThirdPartyFactory(is_customer=False, is_supplier=True)
    category = CategoryFactory()
    price_list = catalog_services.create_price_list(name=f"Tarif {count}", customer_category="reseller")
    for _ in range(count):
        product = ProductFactory(category=CategoryFactory(parent=category))
        catalog_services.set_price_list_item(price_list=price_list, product=product, discount_percent=10)
        third_party = ThirdPartyFactory(
            addresses=[{"line1": "1 rue", "postal_code": "35000", "city": "Rennes"}], contacts=[{"last_name": "Riou"}]
        )
        crm_services.log_interaction(third_party=third_party, kind="incident", subject="Colis", author=user)
        crm_services.create_task(title="Rappeler", assignee=user, third_party=third_party, due_date=timezone.localdate())
        stock_services.set_stock_setting(product=product, warehouse=main, min_quantity=1, max_quantity=5)
        stock_services.create_location(warehouse=main, code=f"L-{product.pk}")
        purchasing_services.set_supplier_price(product=product, supplier=supplier, purchase_price=2)
        order = purchasing_services.send_supplier_order(
            purchasing_services.create_supplier_order(
                supplier=supplier, warehouse=main, lines=[{"product": product, "quantity": 2}]
            )
        )
        reception = purchasing_services.receive_order(order, lines=[{"product": product, "quantity": 2}])
        stock_services.exit_stock(product=product, warehouse=main, quantity=1, reason="sample")
        purchasing_services.create_supplier_invoice(
            supplier=supplier,
            number=f"F{product.pk}",
            invoice_date=timezone.localdate(),
            due_date=timezone.localdate(),
            receptions=[reception],
        )
    inventory = stock_services.open_inventory(warehouse=main)
    stock_services.cancel_inventory(inventory)


def count_queries(client, url):
    return get_counting_queries(client, url)[1]


def test_list_pages_take_a_fixed_number_of_queries(client, admin_user):
    client.force_login(admin_user)
    add_rows(3, admin_user)
    few = {url: count_queries(client, url) for url in SCREENS}
    add_rows(27, admin_user)
    many = {url: count_queries(client, url) for url in SCREENS}
    assert few == many
    assert {url: n for url, n in many.items() if n > SCREENS[url]} == {}


def test_api_lists_take_a_fixed_number_of_queries(api_client, admin_user):
    api = api_client(roles.ADMINISTRATOR)
    add_rows(3, admin_user)
    few = {url: count_queries(api, url) for url in API}
    add_rows(27, admin_user)
    many = {url: count_queries(api, url) for url in API}
    assert few == many
    assert {url: n for url, n in many.items() if n > API[url]} == {}
