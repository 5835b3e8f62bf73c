"""Day one at the shop: log in, scan a product, create a customer (a bad SIRET first), log a call
on their timeline, and find it again."""

import pytest
from playwright.sync_api import expect
from stdnum import luhn

from crm.models import ThirdParty, TimelineEntry
from lmb import roles
from tests.factories import ProductFactory, ThirdPartyFactory, valid_siren

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_shopkeeper_day_one(page, login, make_user):
    make_user(roles.SALES, username="yann")
    product = ProductFactory(designation="Bol breton prénom — bleu", ean13="3760123456784")
    login("yann")

    # A barcode scanner types the code and Enter into the search box of the top bar.
    search_box = page.locator("#global-search")
    search_box.fill(product.ean13)
    search_box.press("Enter")
    page.wait_for_url(f"**/catalog/products/{product.pk}/")
    expect(page.locator("#product-title")).to_contain_text("Bol breton prénom — bleu")

    # A new customer, with a mistyped SIRET first.
    page.goto("/crm/third-parties/new/")
    page.fill("#id_name", "Crêperie Ker Avel")
    page.select_option("#id_customer_category", "business")
    page.fill("#id_siret", "123 456 789 01234")
    page.fill("#id_address-line1", "3 rue du Port")
    page.fill("#id_address-postal_code", "29200")
    page.fill("#id_address-city", "Brest")
    page.click("#thirdparty-form button[type=submit]")
    error = page.locator('[data-error-for="siret"]')
    expect(error).to_contain_text("n'est pas valide")
    expect(page.locator("#id_siret")).to_have_class("form-control is-invalid")
    assert not ThirdParty.objects.exists()

    siren = valid_siren(42)
    page.fill("#id_siret", siren + "0001" + luhn.calc_check_digit(siren + "0001"))
    page.click("#thirdparty-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Crêperie Ker Avel")
    customer = ThirdParty.objects.get()
    assert customer.siren == siren

    # Log a phone call on the timeline: htmx saves it and refreshes the timeline in place.
    page.evaluate("window.__samePage = true")
    page.select_option("#id_kind", "call")
    page.select_option("#id_direction", "in")
    page.fill("#id_subject", "Commande de galettes pour le marché")
    page.fill("#id_body", "Rappeler vendredi pour confirmer 200 galettes.")
    page.click("#timeline-form button[type=submit]")
    expect(page.locator("#timeline-entries li").first).to_contain_text("Commande de galettes pour le marché")
    assert page.evaluate("window.__samePage") is True  # no full page reload
    expect(page.locator("#id_subject")).to_have_value("")  # a fresh form for the next call
    assert TimelineEntry.objects.get().author.username == "yann"

    # Find it again later: search the customer by name, open it, the call is on the timeline.
    page.goto("/")
    search_box = page.locator("#global-search")
    search_box.fill("ker avel")
    search_box.press("Enter")
    page.click("text=Crêperie Ker Avel")
    expect(page.locator("#timeline-entries")).to_contain_text("Rappeler vendredi pour confirmer 200 galettes.")


def test_a_form_error_from_htmx_stays_beside_the_field(page, login, make_user):
    make_user(roles.CUSTOMER_SERVICE, username="nolwenn")
    customer = ThirdPartyFactory(name="Cave des Halles")
    login("nolwenn")
    page.goto(customer.get_absolute_url())
    page.click("#timeline-form button[type=submit]")  # no subject
    expect(page.locator('#timeline [data-error-for="subject"]')).to_be_visible()
    assert not TimelineEntry.objects.exists()
