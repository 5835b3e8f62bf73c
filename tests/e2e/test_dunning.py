"""Dunning in a browser (issue #23), 1366 px wide: the aged balance sorted by days late, the first
reminder of a business customer validated and sent from « Relances à valider », its letter
downloaded as PDF, and seen on the customer's timeline; the accountant sees the same screens without their buttons.

Set DUNNING_SCREENSHOTS=/some/dir to keep a screenshot of each step."""

import os
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dunning import services
from dunning.models import Reminder
from lmb import roles
from tests.dunning.conftest import invoice
from tests.sales.conftest import customer, shop  # noqa: F401 (the shop fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = {"width": 1366, "height": 900}


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def shot(page, name):
    folder = os.environ.get("DUNNING_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_validate_and_send_a_business_customers_first_reminder(page, login, make_user, shop):  # noqa: F811
    today = timezone.localdate()
    bakery = shop.bakery  # net 30: 120 € due 40 days ago minus 30, i.e. 10 days late
    oldest = customer("Crêperie Éole")
    invoice(shop, oldest, today - timedelta(days=70))  # 40 days late
    bill = invoice(shop, bakery, today - timedelta(days=40))
    invoice(shop, customer("Le Bihan", business=False), today - timedelta(days=5), net="50.00", channel=shop.phone)
    made = services.run_reminders(on=today)
    assert {reminder.customer for reminder in made} == {bakery, oldest}
    make_user(roles.SALES, username="soizic")
    make_user(roles.ACCOUNTANT, username="anne")
    page.set_viewport_size(WIDTH)

    login("soizic")
    page.goto("/")
    page.click("nav >> text=Relances")
    page.click("text=Balance âgée")
    rows = page.locator("#aged-balance tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Crêperie Éole")  # sorted by days late: the oldest first
    expect(rows.nth(0).locator("[data-days-late]")).to_contain_text("40 j")
    expect(rows.nth(1)).to_contain_text(bakery.name)
    expect(rows.nth(1)).to_contain_text("120,00")
    expect(page.locator("#aged-balance thead th[aria-sort=ascending]")).to_contain_text("Retard")
    shot(page, "1-aged-balance-sales")

    page.click("a.nav-link:has-text('Relances à valider')")
    reminder = Reminder.objects.get(customer=bakery)
    expect(page.locator("#reminders tbody tr")).to_have_count(2)
    page.click(f"tr[data-reminder='{reminder.pk}'] >> text=Voir")
    expect(page.locator("#reminder-body")).to_contain_text(f"Facture {bill.number}")
    expect(page.locator("#reminder-items")).to_contain_text("10 j")
    shot(page, "2-reminder-sales")
    page.go_back()
    page.check(f"#reminder-{reminder.pk}")
    page.click("#send-selection")
    expect(page.locator(".alert-success")).to_contain_text("1 relance(s) envoyée(s)")
    expect(page.locator("#reminders tbody tr")).to_have_count(1)
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT

    page.goto(f"/dunning/reminders/{reminder.pk}/")
    with page.expect_download() as downloaded:
        page.click("#reminder-pdf-download")
    letter = downloaded.value
    assert letter.suggested_filename == f"relance-{reminder.number}.pdf"
    with open(letter.path(), "rb") as downloaded_file:
        pdf = downloaded_file.read()
    assert pdf.startswith(b"%PDF") and bill.number in pdf_text(pdf)
    shot(page, "3-reminder-sent-sales")

    page.goto(bakery.get_absolute_url())
    expect(page.locator("#timeline")).to_contain_text(reminder.step.name)
    page.click("#third-party-tabs [data-tab=dunning]")
    expect(page.locator("#customer-reminders tbody tr")).to_have_count(1)
    expect(page.locator("#customer-reminders")).to_contain_text("Envoyée")
    expect(page.locator("#balance-total")).to_contain_text("120,00")
    shot(page, "4-customer-tab-sales")

    page.context.clear_cookies()
    login("anne")
    page.goto("/dunning/aged-balance/")
    expect(page.locator("#aged-balance tbody tr")).to_have_count(3)
    shot(page, "5-aged-balance-accountant")
    page.goto("/dunning/reminders/")
    expect(page.locator("#send-selection")).to_have_count(0)
    expect(page.locator("#run-today")).to_have_count(0)
    shot(page, "6-reminders-accountant")
    page.goto(f"/dunning/customers/{bakery.pk}/")
    expect(page.locator("form#dunning-settings")).to_have_count(0)
    expect(page.locator("dl#dunning-settings")).to_be_visible()
    shot(page, "7-customer-tab-accountant")
    assert Decimal(reminder.total) == Decimal("120.00")
