"""The till's closing in a browser (issue #20), 1366 px wide: a session opened with a float on the
till home, one cash sale, then the drawer counted note by note — the counted total and the
difference shown as the cashier types (static/js/till.js), the reason asked for, the summary."""

import pytest
from playwright.sync_api import expect

from sales.till.models import TillSession
from tests.sales.conftest import customer, shop  # noqa: F401 (the shop fixture)
from tests.sales.till_fixtures import sell, till  # noqa: F401 (the till fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_open_with_a_float_then_close_with_a_counted_difference(page, login, till):  # noqa: F811
    page.set_viewport_size({"width": 1366, "height": 900})
    login(till.cashier.username)
    page.goto("/sales/till/")
    card = page.locator("#register-C1")
    card.get_by_label("Fond de caisse (€)").fill("-5")
    card.get_by_role("button", name="Ouvrir la caisse").click()
    expect(page.get_by_text("Le fond de caisse ne peut pas être négatif.")).to_be_visible()
    page.goto("/sales/till/")
    card.get_by_label("Fond de caisse (€)").fill("10")
    card.get_by_role("button", name="Ouvrir la caisse").click()
    session = TillSession.objects.get()
    sell(till, session, [{"product": till.shop.jam, "quantity": 1}])  # 4,20 in cash: 14,20 expected

    page.goto("/sales/till/")
    expect(page.locator("#register-C1 [data-figure=expected_cash]")).to_have_text("14,20\u00a0€")
    page.locator("#register-C1").get_by_role("link", name="Clôturer la session").click()
    page.fill("#id_d_10", "1")
    page.fill("#id_d_2", "2")
    expect(page.locator("#counted-total")).to_have_text("14,00\u00a0€")
    expect(page.locator("#count-difference")).to_have_text("-0,20\u00a0€")
    expect(page.locator("#reason-hint")).to_be_visible()
    page.get_by_role("button", name="Clôturer la session").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Écart de -0,20\u00a0€ entre le comptage et les espèces attendues")
    expect(page.locator("#id_d_2")).to_have_value("2")  # the count is kept
    expect(page.locator("#count-difference")).to_have_text("-0,20\u00a0€")
    page.fill("#id_difference_reason", "Erreur de rendu")
    page.get_by_role("button", name="Clôturer la session").click()
    expect(page.locator("#session-summary")).to_contain_text("Erreur de rendu")
    session.refresh_from_db()
    assert session.status == TillSession.Status.CLOSED and str(session.difference) == "-0.20"
