"""Automatic invoicing in a browser (issue #22), 1366 px wide: a web order's parcel shipped on
screen gives its issued invoice at once (the note, the order and the customer's timeline show it);
a business customer's shipped notes, seen on the Facturation groupée screen, invoiced now for a
selection, the job's progress followed to its end and the periodic invoice opened.

Set AUTO_INVOICING_SCREENSHOTS=/some/dir to keep a screenshot of each step."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lmb import roles
from lmb.models import InvoicingPolicy
from lmb.services import save_company
from sales import services
from sales.models import Channel, Invoice
from stock import services as stock_services
from tests.factories import ProductFactory, warehouse
from tests.sales.conftest import COMPANY, customer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = {"width": 1366, "height": 900}


def shot(page, name):
    folder = os.environ.get("AUTO_INVOICING_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


@pytest.fixture
def goods(db):
    save_company(**COMPANY)
    main = warehouse(code="RENNES", name="Entrepôt de Rennes")
    lamp = ProductFactory(reference="LAMPE-01", designation="Lampe Breizh", sale_price=Decimal("49.90"), price_includes_tax=True)
    mug = ProductFactory(reference="MUG-01", designation="Mug triskell", sale_price=Decimal("8.25"), price_includes_tax=False)
    for product in (lamp, mug):
        stock_services.receive(product=product, warehouse=main, quantity=50, unit_cost=Decimal("2.00"))
    return {"lamp": lamp, "mug": mug}


def test_a_web_parcel_shipped_on_screen_is_invoiced_at_once(page, login, make_user, goods):
    web = Channel.objects.create(code="WEB", name="Boutique en ligne", kind=Channel.Kind.WEB, prices_include_tax=True)
    assert web.invoicing_policy == InvoicingPolicy.AT_SHIPMENT
    buyer = customer("Le Bihan", business=False)
    order = services.confirm_order(
        services.create_order(customer=buyer, channel=web, lines=[{"product": goods["lamp"], "quantity": 2}])
    )
    note = services.create_delivery_note(order)
    make_user(roles.WAREHOUSE, username="yann")
    make_user(roles.SALES, username="soizic")
    page.set_viewport_size(WIDTH)

    login("yann")  # the warehouse ships the parcel
    page.goto(f"/sales/deliveries/{note.pk}/")
    page.click('[data-action="ship"]')
    page.fill("#id_carrier", "Colissimo")
    page.fill("#id_tracking_number", "6A12345678901")
    page.click("#action-form button[type=submit]")
    expect(page.locator("h1 [data-status]")).to_have_text("Expédié")
    invoice = Invoice.objects.get(kind=Invoice.Kind.INVOICE)
    assert invoice.status == Invoice.Status.ISSUED and not invoice.periodic
    shot(page, "1-note-shipped-warehouse")

    page.context.clear_cookies()
    login("soizic")
    page.goto(f"/sales/deliveries/{note.pk}/")
    expect(page.locator("#invoicing-state")).to_contain_text(invoice.number)
    expect(page.locator("#invoicing-waiting")).to_have_count(0)
    page.goto(order.get_absolute_url())
    page.click(f"#order-invoices a:has-text('{invoice.number}')")
    expect(page.locator("#document-number")).to_have_text(invoice.number)
    expect(page.locator("h1 [data-status]")).to_have_text("Émise")
    shot(page, "2-invoice")
    page.goto(buyer.get_absolute_url())
    expect(page.locator("#timeline")).to_contain_text(invoice.number)
    shot(page, "3-timeline")
    page.goto("/sales/to-invoice/")
    expect(page.locator("#to-invoice-table")).to_contain_text("Rien à facturer")


def test_a_business_customer_is_invoiced_now_from_the_grouped_screen(page, login, make_user, goods):
    b2b = Channel.objects.get(kind=Channel.Kind.B2B)
    assert b2b.invoicing_policy == InvoicingPolicy.MONTHLY
    bakery = customer("Boulangerie Le Goff", siren="732829320", vat_number="FR44732829320")
    notes = []
    for quantity in (3, 5):
        order = services.confirm_order(
            services.create_order(customer=bakery, channel=b2b, lines=[{"product": goods["mug"], "quantity": quantity}])
        )
        notes.append(services.ship_delivery_note(services.create_delivery_note(order)))
    assert not Invoice.objects.exists()  # the month is not over: nothing invoiced at shipment
    make_user(roles.SALES, username="soizic")
    page.set_viewport_size(WIDTH)
    login("soizic")

    page.goto("/sales/to-invoice/")
    for note in notes:
        expect(page.locator(f'[data-note="{note.number}"]')).to_contain_text("Facture périodique le")
    shot(page, "4-to-invoice")

    page.goto("/sales/grouped-invoicing/")
    row = page.locator(f'#grouped-preview tr[data-customer="{bakery.code}"]')
    expect(row).to_contain_text(notes[0].number)
    expect(row).to_contain_text(notes[1].number)
    expect(row).to_contain_text("Groupée en fin de mois")
    expect(row).to_contain_text("66,00")  # 8 × 8,25 HT
    shot(page, "5-grouped-preview")
    row.locator("input[name=customers]").check()
    page.click("#run-selection")

    expect(page.locator("#job-progress")).to_have_attribute("data-status", "done")
    expect(page.locator("#job-message")).to_contain_text("1 facture(s) émise(s) pour 1 client(s)")
    shot(page, "6-job-done")
    invoice = Invoice.objects.get(kind=Invoice.Kind.INVOICE)
    assert invoice.periodic and invoice.customer == bakery
    assert invoice.due_date <= timezone.localdate() + timedelta(days=45)  # PAY-02
    page.click("#job-done-link")
    page.click(f"#list-results a:has-text('{invoice.number}')")
    expect(page.locator("#periodic-invoice")).to_have_text("Facture périodique")
    expect(page.locator("#total-excl-tax")).to_contain_text("66,00")
    shot(page, "7-periodic-invoice")
    page.goto("/sales/grouped-invoicing/")
    expect(page.locator("#grouped-preview")).to_contain_text("Aucune livraison en attente")
