"""The whole sales chain in a browser, as a salesperson does it: a quote typed by scanning, accepted,
the order confirmed, shipped in part, invoiced from what was shipped, paid in part, and a returned
article credited — checking the totals the pages show at every step."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from lmb import roles
from lmb.services import save_company
from sales.models import Channel, CreditNote, Invoice, Order
from stock import services as stock_services
from stock.models import StockLevel
from tests.factories import ProductFactory, vat_rate, warehouse
from tests.sales.conftest import COMPANY, customer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def euros(text):
    """A French amount as shown, whatever no-break space separates the euro sign."""
    return re.compile(rf"^{re.escape(text)}\s€$")


def scan(page, code, quantity=None):
    if quantity is not None:
        page.locator("#id_quantity").fill(quantity)
    box = page.locator("#id_code")
    box.fill(code)
    box.press("Enter")


def act(page, name):
    page.click(f'[data-action="{name}"]')
    page.wait_for_load_state()


def test_quote_to_credit_note_with_the_totals_shown(page, login, make_user):
    save_company(**COMPANY)
    main = warehouse(code="RENNES", name="Entrepôt de Rennes")
    lamp = ProductFactory(
        reference="LAMPE-01",
        designation="Lampe Breizh",
        ean13="3760123456784",
        sale_price=Decimal("49.90"),
        price_includes_tax=True,
        eco_participation=Decimal("0.50"),
    )
    jam = ProductFactory(
        reference="CONF-01", designation="Confiture de fraises", sale_price=Decimal("4.20"), price_includes_tax=True
    )
    jam.vat_rate = vat_rate("FR-5.5")
    jam.save()
    for product in (lamp, jam):
        stock_services.receive(product=product, warehouse=main, quantity=10, unit_cost=Decimal("2.00"))
    buyer = customer("Le Bihan", business=False, invoicing_policy="manual")  # invoiced by hand, from the order
    make_user(roles.SALES, username="soizic")
    page.on("dialog", lambda dialog: dialog.accept())  # "an issued invoice never changes: issue?"
    login("soizic")

    # A quote by phone (prices tax-included), lines scanned: 3 lamps, 2 jars.
    page.goto("/sales/quotes/new/")
    page.fill("#id_customer", buyer.code)
    page.select_option("#id_channel", str(Channel.objects.get(code="TELEPHONE").pk))
    page.click("#create-document")
    expect(page.locator("h1")).to_contain_text("Devis")
    scan(page, lamp.ean13, quantity="3")
    scan(page, "CONF-01", quantity="2")
    # 3 × 49,90 + 3 × 0,60 eco-participation (0,50 HT) + 2 × 4,20 = 159,90
    expect(page.locator("#total-incl-tax")).to_have_text(euros("159,90"))
    expect(page.locator("#document-lines-table")).to_contain_text("Éco-participation")

    act(page, "send")
    expect(page.locator("h1 [data-status]")).to_have_text("Envoyé")
    act(page, "accept")
    expect(page.locator("h1")).to_contain_text("Commande")
    expect(page.locator("#total-incl-tax")).to_have_text(euros("159,90"))
    act(page, "confirm")
    expect(page.locator("h1 [data-status]")).to_have_text("Confirmée")

    # Two of the three lamps are in the parcel; the third stays as a backorder.
    act(page, "deliver")
    expect(page.locator("h1")).to_contain_text("Bon de livraison")
    lamp_row = page.locator("#delivery-lines tr", has_text="Lampe Breizh")
    lamp_row.locator("input[name=quantity]").fill("2")
    lamp_row.locator("button").click()
    expect(page.locator("#delivery-lines tr", has_text="Lampe Breizh").locator("input[name=quantity]")).to_have_value("2")
    page.click('[data-action="ship"]')
    page.fill("#id_carrier", "Colissimo")
    page.fill("#id_tracking_number", "6A12345678901")
    page.click("#action-form button[type=submit]")
    expect(page.locator("h1 [data-status]")).to_have_text("Expédié")
    order = Order.objects.get()
    assert StockLevel.objects.get(product=lamp, warehouse=main).on_hand == 8

    page.goto("/sales/backorders/")
    expect(page.locator("#list-results")).to_contain_text(order.number)
    expect(page.locator("#list-results")).to_contain_text("Lampe Breizh")

    # The invoice is made from what was shipped: 2 × 49,90 + 2 × 0,60 + 2 × 4,20 = 109,40.
    page.goto(order.get_absolute_url())
    act(page, "invoice")
    expect(page.locator("#total-incl-tax")).to_have_text(euros("109,40"))
    act(page, "issue")
    invoice = Invoice.objects.get()
    expect(page.locator("#document-number")).to_have_text(invoice.number)
    expect(page.locator("#amount-due")).to_have_text(euros("109,40"))
    expect(page.locator("#total-vat")).to_have_text(euros(_fr(invoice.total_vat)))

    page.click('[data-action="pay"]')
    expect(page.locator("#id_amount")).to_have_value("109,40")
    page.fill("#id_amount", "50")
    page.select_option("#id_method", "card")
    page.click("#action-form button[type=submit]")
    expect(page.locator("#invoice-balance")).to_have_text(euros("59,40"))

    # One lamp comes back: the credit note (49,90 + 0,60) settles what the invoice still awaits.
    page.click('[data-action="credit"]')
    page.fill("#id_reason", "Lampe rendue, rayée")
    page.locator("#action-form input[name^=line_]").nth(0).fill("1")
    page.locator("#action-form input[name^=line_]").nth(1).fill("0")
    page.check("#id_return_to_stock")
    page.click("#action-form button[type=submit]")
    expect(page.locator("#total-incl-tax")).to_have_text(euros("50,50"))
    act(page, "issue")
    credit_note = CreditNote.objects.get()
    expect(page.locator("#document-number")).to_have_text(credit_note.number)
    assert credit_note.status == CreditNote.Status.ISSUED and credit_note.number.startswith("AV")
    assert StockLevel.objects.get(product=lamp, warehouse=main).on_hand == 9

    page.goto(invoice.get_absolute_url())
    expect(page.locator("#invoice-balance")).to_have_text(euros("8,90"))
    expect(page.locator("#invoice-credit-notes")).to_contain_text(credit_note.number)


def _fr(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")
