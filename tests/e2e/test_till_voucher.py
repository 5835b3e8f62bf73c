"""A voucher sold at the till in a browser (issue #20), keyboard only: F4 on the sale screen, the
amount typed, Enter; the ticket page shows its code and validity, the session's expected cash
counts it, and the closures list closes the day with the voucher apart on the Z."""

import pytest
from playwright.sync_api import expect

from sales.models import Voucher
from sales.till.models import Closure, TillSession
from tests.sales.conftest import customer, shop  # noqa: F401 (the shop fixture)
from tests.sales.till_fixtures import till  # noqa: F401 (the till fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_f4_sells_a_voucher_in_the_session_and_the_z_keeps_it_apart(page, login, till):  # noqa: F811
    page.set_viewport_size({"width": 1366, "height": 900})
    login(till.cashier.username)
    page.goto("/sales/till/")
    card = page.locator("#register-C1")
    card.get_by_label("Fond de caisse (€)").fill("10")
    card.get_by_role("button", name="Ouvrir la caisse").click()
    session = TillSession.objects.get()

    page.goto(f"/sales/till/sessions/{session.pk}/sale/")
    page.locator("#till-scan").focus()
    page.keyboard.press("F4")
    amount = page.get_by_label("Montant du bon d'achat")
    expect(amount).to_be_focused()
    page.keyboard.type("0")
    page.keyboard.press("Enter")
    expect(page.locator(".invalid-feedback")).to_contain_text("Montant du bon d'achat : saisissez un montant positif.")
    assert not Voucher.objects.exists()
    amount.fill("25,50")
    amount.press("Enter")  # cash is chosen already
    voucher = Voucher.objects.get()
    expect(page.locator("h1")).to_contain_text(f"Bon d'achat vendu — {voucher.code}")
    expect(page.locator("#ticket-voucher")).to_contain_text(f"valable jusqu'au {voucher.expires_on:%d/%m/%Y}")

    page.goto("/sales/till/")
    expect(page.locator("#register-C1 [data-figure=expected_cash]")).to_have_text("35,50\u00a0€")
    expect(page.locator("#register-C1 [data-figure=vouchers_sold_total]")).to_have_text("25,50\u00a0€")
    page.locator("#register-C1").get_by_role("link", name="Clôturer la session").click()
    page.fill("#id_d_20", "1")
    page.fill("#id_d_10", "1")
    page.fill("#id_d_5", "1")
    page.fill("#id_d_0_50", "1")
    page.get_by_role("button", name="Clôturer la session").click()
    expect(page.locator("#session-summary")).to_be_visible()

    page.goto("/sales/till/closures/")
    form = page.locator("#closure-form")
    form.get_by_label("Caisse").select_option(str(till.register.pk))
    form.get_by_role("button", name="Clôturer la journée").click()
    closure = Closure.objects.get()
    expect(page.locator("#closure-vouchers-sold")).to_contain_text("25,50\u00a0€")
    expect(page.locator("#closure-rates")).to_contain_text("Aucune vente.")
    assert closure.totals["vouchers_sold"]["total"] == "25.50" and closure.period_total == 0
