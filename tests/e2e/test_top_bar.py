"""The top bar on the screens shops have: a 1366 px laptop and smaller. It overflowed at 1366 px
(the user menu and « Se déconnecter » were off screen); it must hold at every width, long
company and user names included, and its drop-downs must lead to their pages."""

import re

import pytest
from playwright.sync_api import expect

from lmb import roles
from lmb.services import save_company
from tests.sales.conftest import COMPANY

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FOLDED = 1200  # below this width (Bootstrap's xl), the menu folds behind the toggler


def unfold_the_menu(page):
    """Open the folded menu and wait for Bootstrap's unfolding to end (on a loaded machine a click
    during the animation can land on an element still moving)."""
    page.click(".navbar-toggler")
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    expect(page.locator("#main-nav")).not_to_have_class(re.compile(r"\bcollapsing\b"))


@pytest.mark.parametrize("width", [1920, 1366, 1280, 1200, 1024, 390])
def test_the_top_bar_holds_and_its_user_menu_opens(page, login, make_user, width):
    save_company(**{**COMPANY, "name": "Au Comptoir Breton de la Rance et de l'Odet", "trade_name": ""})
    make_user(roles.ADMINISTRATOR, username="mclaire", first_name="Marie-Claire", last_name="Le Guillou-Kerhervé")
    page.set_viewport_size({"width": width, "height": 768})
    login("mclaire")
    page.goto("/sales/quotes/")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    top_bar_height = page.locator("#top-bar").bounding_box()["height"]
    assert top_bar_height < 80, f"the top bar wraps onto {top_bar_height} px"
    if width < FOLDED:
        unfold_the_menu(page)
    toggle = page.locator("#user-menu-toggle")
    expect(toggle).to_be_in_viewport(ratio=1)
    toggle.click()
    expect(page.locator("#logout")).to_be_in_viewport(ratio=1)
    # A domain's drop-down leads to its pages.
    toggle.click()
    page.click("#menu-sales")
    page.locator("#main-menu").get_by_role("link", name="Factures", exact=True).click()
    page.wait_for_url("**/sales/invoices/")
    expect(page.locator("#sales-nav .active")).to_have_text("Factures")
    if width < FOLDED:
        unfold_the_menu(page)
    page.click("#user-menu-toggle")
    page.click("#logout")
    expect(page.locator("#id_username")).to_be_visible()
