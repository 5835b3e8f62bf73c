from decimal import Decimal as D

import pytest
from django.urls import reverse

from lmb import roles
from stock import services
from stock.models import Inventory, StockLevel, StockMove
from tests.factories import ProductFactory, warehouse
from tests.helpers import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def main():
    return warehouse()


@pytest.fixture
def bowl(main):
    product = ProductFactory(reference="BOL-01", ean13="3760123456784", designation="Bol breton")
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="4")
    return product


def test_levels_list_filters_and_exports(role_client, main, bowl):
    client = role_client(roles.WAREHOUSE)
    services.set_stock_setting(product=bowl, warehouse=main, min_quantity=20, max_quantity=50)
    other = ProductFactory(reference="TASSE-01")
    services.receive(product=other, warehouse=main, quantity=3, unit_cost="2")
    url = reverse("stock:level_list")
    page = client.get(url)
    assert page.context["paginator"].count == 2
    assert [level.product.reference for level in client.get(url, {"below_minimum": "true"}).context["object_list"]] == ["BOL-01"]
    assert client.get(url, {"q": "bol breton"}).context["paginator"].count == 1
    export = client.get(url, {"export": "xlsx"})
    assert export.status_code == 200 and export.streaming


def test_product_stock_page_and_settings(role_client, main, bowl):
    client = role_client(roles.WAREHOUSE)
    page = page_text(client.get(reverse("stock:product_stock", args=[bowl.pk])))
    assert "Bol breton" in page and "Réception fournisseur" in page
    location = services.create_location(warehouse=main, code="A-01-2")
    response = client.post(
        reverse("stock:product_stock_setting", args=[bowl.pk, main.pk]),
        {f"w{main.pk}-location": location.pk, f"w{main.pk}-min_quantity": "5", f"w{main.pk}-max_quantity": "2"},
    )
    assert response.status_code == 302
    assert not bowl.stock_settings.exists()  # max below min is refused
    client.post(
        reverse("stock:product_stock_setting", args=[bowl.pk, main.pk]),
        {f"w{main.pk}-location": location.pk, f"w{main.pk}-min_quantity": "5", f"w{main.pk}-max_quantity": "20"},
    )
    assert bowl.stock_settings.get().location == location
    detail = page_text(client.get(reverse("catalog:product_detail", args=[bowl.pk])))
    assert "Détail et mouvements" in detail  # the stock panel on the product page


def test_exit_form_by_scanning_and_its_errors(role_client, main, bowl):
    client = role_client(roles.WAREHOUSE)
    url = reverse("stock:exit")
    too_many = client.post(url, {"product": "3760123456784", "warehouse": main.pk, "quantity": "11", "reason": "breakage"})
    assert "Stock insuffisant" in page_text(too_many)
    response = client.post(url, {"product": "3760123456784", "warehouse": main.pk, "quantity": "2", "reason": "breakage"})
    assert response.status_code == 302
    assert StockLevel.objects.get(product=bowl, warehouse=main).on_hand == 8
    assert role_client(roles.SALES).get(url).status_code == 403


def test_transfer_form(role_client, main, bowl):
    shop = warehouse(code="SHOP", name="Boutique")
    client = role_client(roles.WAREHOUSE)
    client.post(
        reverse("stock:transfer"), {"product": "BOL-01", "quantity": "3", "from_warehouse": main.pk, "to_warehouse": shop.pk}
    )
    assert StockLevel.objects.get(product=bowl, warehouse=shop).on_hand == 3


def test_inventory_screens_count_by_scanning(role_client, main, bowl):
    client = role_client(roles.WAREHOUSE)
    response = client.post(reverse("stock:inventory_open"), {"warehouse": main.pk})
    inventory = Inventory.objects.get()
    assert response["Location"] == reverse("stock:inventory_detail", args=[inventory.pk])
    count_url = reverse("stock:inventory_count", args=[inventory.pk])
    for _ in range(3):
        ok = client.post(count_url, {"code": "3760123456784"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and "compté 3 (attendu 10)" in page_text(ok)
    bad = client.post(count_url, {"code": "0000"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and "Aucun produit" in page_text(bad)
    client.post(reverse("stock:inventory_validate", args=[inventory.pk]))
    assert StockLevel.objects.get(product=bowl, warehouse=main).on_hand == 3
    assert StockMove.objects.filter(kind="adjustment").get().quantity == D("-7")


def test_valuation_page(role_client, main, bowl):
    page = page_text(role_client(roles.ACCOUNTANT).get(reverse("stock:valuation")))
    assert "40,00\xa0€" in page  # 10 × 4


def test_api_moves_levels_and_inventories(api_client, main, bowl):
    api = api_client(roles.WAREHOUSE)
    exit_move = api.post(
        "/api/v1/stock-moves/",
        {"kind": "exit", "product": bowl.pk, "warehouse": main.pk, "quantity": "1", "reason": "sample"},
        format="json",
    )
    assert exit_move.status_code == 201 and exit_move.json()[0]["quantity"] == "-1.000"
    missing = api.post(
        "/api/v1/stock-moves/", {"kind": "exit", "product": bowl.pk, "warehouse": main.pk, "quantity": "1"}, format="json"
    )
    assert missing.status_code == 400 and "reason" in missing.json()
    refused = api.post(
        "/api/v1/stock-moves/", {"kind": "delivery", "product": bowl.pk, "warehouse": main.pk, "quantity": "1"}, format="json"
    )
    assert refused.status_code == 400 and "kind" in refused.json()
    too_many = api.post(
        "/api/v1/stock-moves/",
        {"kind": "exit", "product": bowl.pk, "warehouse": main.pk, "quantity": "99", "reason": "loss"},
        format="json",
    )
    assert too_many.status_code == 409 and "Stock insuffisant" in too_many.json()["quantity"][0]
    level = api.get("/api/v1/stock-levels/", {"product": bowl.pk}).json()["results"][0]
    assert (level["on_hand"], level["available"]) == ("9.000", "9.000")

    inventory = api.post("/api/v1/inventories/", {"warehouse": main.pk}, format="json").json()
    counted = api.post(
        f"/api/v1/inventories/{inventory['id']}/count/", {"code": "BOL-01", "quantity": "7", "replace": True}, format="json"
    )
    assert counted.json()["difference"] == "-2.000"
    assert api.post(f"/api/v1/inventories/{inventory['id']}/validate/", {}, format="json").json()["status"] == "validated"
    again = api.post(f"/api/v1/inventories/{inventory['id']}/cancel/")
    assert again.status_code == 409
    assert api_client(roles.SALES).post("/api/v1/stock-moves/", {}, format="json").status_code == 403


def test_the_moves_list_takes_the_calendars_first_and_last_days(admin_client):
    """The day filters are bounds on the moment (the index serves them): the day after the last
    day there is cannot be computed, and is no bound (it was a 500)."""
    for params in ({"until": "9999-12-31"}, {"since": "0001-01-01"}, {"since": "9999-12-31"}, {"until": "0001-01-01"}):
        assert admin_client.get("/stock/moves/", params).status_code == 200, params


def test_the_moves_list_names_each_product_so_a_search_by_its_designation_shows_why_a_row_matched(role_client, bowl):
    page = role_client(roles.WAREHOUSE).get("/stock/moves/", {"q": "breton"})
    assert page.context["paginator"].count == 1
    assert "BOL-01" in page_text(page) and "Bol breton" in page_text(page)
