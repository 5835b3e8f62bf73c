"""The warehouse with a scanner only: receive a supplier order by scanning each article, then
count an inventory by scanning."""

import pytest
from playwright.sync_api import expect

from lmb import roles
from purchasing import services as purchasing_services
from stock.models import Inventory, StockLevel
from tests.factories import ProductFactory, ThirdPartyFactory, warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def scan(page, code):
    """What a barcode scanner does: type the code, then Enter."""
    box = page.locator("#id_code")
    box.fill(code)
    box.press("Enter")


def test_receive_by_scanning_then_count_an_inventory(page, login, make_user):
    make_user(roles.WAREHOUSE, username="mathis")
    main = warehouse(code="RENNES", name="Entrepôt de Rennes")
    supplier = ThirdPartyFactory(name="Faïencerie de Quimper", is_customer=False, is_supplier=True)
    bowl = ProductFactory(reference="BOL-01", designation="Bol breton", ean13="3760123456784")
    cup = ProductFactory(reference="TASSE-01", designation="Tasse grès", ean13="3760123456791")
    order = purchasing_services.send_supplier_order(
        purchasing_services.create_supplier_order(
            supplier=supplier,
            warehouse=main,
            lines=[{"product": bowl, "quantity": 3}, {"product": cup, "quantity": 2}],
        )
    )
    login("mathis")

    page.goto(order.get_absolute_url())
    page.click("#receive-order")
    expect(page.locator("h1")).to_contain_text("Réception")
    # As fast as a scanner: no waiting for the server between codes; every scan must count.
    for code in ["3760123456784", "3760123456784", "3760123456791", "3760123456784"]:
        scan(page, code)
    expect(page.locator("#row-bol-01 .this-reception")).to_have_text("3")
    expect(page.locator("#row-tasse-01 .this-reception")).to_have_text("1")
    scan(page, "3760123456784")  # one bowl too many: refused beside the box, nothing counted
    expect(page.locator('#reception-results [data-error-for="quantity"]')).to_contain_text("sur-réception")
    expect(page.locator("#row-bol-01 .this-reception")).to_have_text("3")
    page.click("#validate-reception")
    expect(page.locator(".alert-success")).to_contain_text("validée")
    assert StockLevel.objects.get(product=bowl, warehouse=main).on_hand == 3
    assert StockLevel.objects.get(product=cup, warehouse=main).on_hand == 1

    page.goto("/stock/inventories/new/")
    page.select_option("#id_warehouse", str(main.pk))
    page.click("#open-inventory")
    expect(page.locator("h1")).to_contain_text("Inventaire")
    scan(page, "3760123456784")
    scan(page, "3760123456784")
    expect(page.locator("#line-bol-01 .counted")).to_have_text("2")
    page.locator("#id_quantity").fill("4")
    scan(page, "TASSE-01")
    expect(page.locator("#line-tasse-01 .counted")).to_have_text("4")
    expect(page.locator("#line-tasse-01 .difference")).to_have_text("+3")
    page.click("#validate-inventory")
    expect(page.locator("#inventory-status")).to_have_text("Validé")
    assert StockLevel.objects.get(product=bowl, warehouse=main).on_hand == 2
    assert StockLevel.objects.get(product=cup, warehouse=main).on_hand == 4
    assert Inventory.objects.get().status == "validated"
