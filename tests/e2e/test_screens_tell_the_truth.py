"""The screens of issue #17's « screens that tell the truth », in Chromium at 1366 × 768 as the
roles that use them: the inventory and reception lists show their rows, a delivery note lists
every order line with its backorder and amounts, the editor shows unit prices as stored and VAT
in words, the account mapping names treatments. No page scrolls sideways.

With ``LMB_SCREENSHOTS=<folder>``, each page is also saved there as a PNG (to look at)."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lmb import roles
from purchasing import services as purchasing_services
from sales import services
from stock import services as stock_services
from tests.factories import ProductFactory, ThirdPartyFactory
from tests.sales.conftest import customer
from tests.sales.conftest import shop as shop  # noqa: F401 (the shop fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def look(page, name):
    """A screenshot when asked; the page's content fits 1366 px (the navigation bar is the
    browser tour's, tests/e2e: it is left out here)."""
    folder = os.environ.get("LMB_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
    overflow = page.evaluate("(main => main.scrollWidth - main.clientWidth)(document.querySelector('main'))")
    assert overflow <= 0, f"{name}: the content is {overflow} px too wide"


def test_the_screens_tell_the_truth_at_1366_px(page, login, make_user, shop):  # noqa: F811
    page.set_viewport_size({"width": 1366, "height": 768})
    for role, username in ((roles.WAREHOUSE, "mathis"), (roles.SALES, "lena"), (roles.ACCOUNTANT, "yves")):
        make_user(role, username=username)
    supplier = ThirdPartyFactory(name="Fonderie Bretonne", is_customer=False, is_supplier=True)
    supplier_order = purchasing_services.send_supplier_order(
        purchasing_services.create_supplier_order(
            supplier=supplier,
            warehouse=shop.warehouse,
            lines=[{"product": shop.mug, "quantity": 4, "unit_price": Decimal("3.104167")}],
        )
    )
    reception = purchasing_services.receive_order(supplier_order, lines=[{"product": shop.mug, "quantity": 4}])
    inventory = stock_services.open_inventory(warehouse=shop.warehouse)

    kettle = ProductFactory(
        designation="Bouilloire inox", sale_price=Decimal("272.49"), price_includes_tax=True, eco_participation=Decimal("0.42")
    )
    stock_services.receive(product=kettle, warehouse=shop.warehouse, quantity=10, unit_cost=Decimal("90"))
    order = services.confirm_order(
        services.create_order(
            customer=customer("Le Bihan", business=False),
            channel=shop.web,
            lines=[{"product": kettle, "quantity": 3}, {"product": shop.jam, "quantity": 3}, {"product": shop.mug}],
        )
    )
    lines = {line.product: line for line in order.lines.filter(parent=None)}
    note = services.ship_delivery_note(
        services.create_delivery_note(order, quantities={lines[kettle].pk: 2, lines[shop.jam].pk: 3})
    )
    muller = customer("Bäckerei Müller", country="DE", postal_code="10115", vat_number="DE136695976")
    quote = services.create_quote(
        customer=muller,
        channel=shop.b2b,
        lines=[{"product": shop.mug, "quantity": 5, "unit_price": Decimal("15.416667")}, {"product": shop.fitting}],
    )

    login("mathis")
    page.goto("/stock/inventories/")
    expect(page.locator("#list-results")).to_contain_text(inventory.reference)
    look(page, "warehouse-inventories")
    page.goto("/purchasing/receptions/")
    expect(page.locator("#list-results")).to_contain_text(reception.number)
    expect(page.locator("#list-results")).to_contain_text("Fonderie Bretonne")
    look(page, "warehouse-receptions")
    page.goto(supplier_order.get_absolute_url())
    expect(page.locator("body")).to_contain_text("3,104167")
    look(page, "warehouse-supplier-order")
    page.goto(note.get_absolute_url())
    expect(page.locator("#delivery-lines tr", has_text="Mug triskell")).to_contain_text("reste à livrer")
    look(page, "warehouse-delivery-note")

    page.context.clear_cookies()
    login("lena")
    page.goto(note.get_absolute_url())
    expect(page.locator("#delivery-totals")).to_contain_text("Total TTC livré")
    look(page, "sales-delivery-note")
    page.goto(quote.get_absolute_url())
    row = page.locator("#document-lines-table tbody tr", has_text="Mug triskell")
    expect(row.locator("input[name=unit_price]")).to_have_value("15,416667")
    expect(row).to_contain_text("0 % — autoliquidation intracommunautaire")
    expect(page.locator("#document-totals")).to_contain_text("TVA 0 % — autoliquidation sur")
    look(page, "sales-quote-editor")

    page.context.clear_cookies()
    login("yves")
    page.goto("/accounting/mapping/?q=eu_b2b")
    expect(page.locator("#list-results")).to_contain_text("Intracommunautaire (entreprise)")
    look(page, "accountant-mapping")
