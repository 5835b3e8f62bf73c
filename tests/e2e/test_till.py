"""The till in a browser (issue #20), as a cashier runs it: a session opened with a float, three
articles scanned (one twice), paid part card part cash, the ticket printed and reprinted, a return
turned into a voucher, the session closed with a counted difference and the day's Z sealed.

The steps that s3's management screens will take over (open the session, close it, print the Z)
are the functions ``open_session``, ``close_session`` and ``close_day`` below: they call the
services today; switch their bodies to the screens without touching the flow.

Keystrokes are counted with ``Keys``: a sale of three scanned articles paid in cash takes 2 keys
after the scans when paid exact (Enter on the empty scan box, Enter), 4 with a 50 € note
(Enter, 5, 0, Enter) — the issue asks for under ten."""

import os
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lmb import roles
from lmb.services import save_company
from sales.models import Channel, Voucher
from sales.till import services as till_services
from sales.till.models import Closure, Ticket, TillEvent, TillSession
from stock import services as stock_services
from tests.factories import ProductFactory, vat_rate, warehouse
from tests.sales.conftest import COMPANY, customer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("LMB_SCREENSHOTS", "")


def shot(page, name):
    """Screenshots for a human look (``LMB_SCREENSHOTS=/some/dir``); nothing otherwise."""
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"till-{name}.png"), full_page=True)


def euros(text):
    return re.compile(rf"^{re.escape(text)}\s€$")


class Keys:
    """The keyboard, counting each key pressed."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def press(self, key):
        self.count += 1
        self.page.keyboard.press(key)

    def type(self, text):
        for char in text:
            self.press(char)


@pytest.fixture
def shop(make_user):
    save_company(**COMPANY)
    boutique = warehouse(code="BOUT", name="Boutique du quai")
    jam = ProductFactory(
        reference="CONF-01", designation="Confiture de fraises", sale_price=Decimal("4.20"), price_includes_tax=True
    )
    jam.vat_rate = vat_rate("FR-5.5")
    jam.save()
    mug = ProductFactory(reference="MUG-01", designation="Mug triskell", sale_price=Decimal("8.25"), price_includes_tax=False)
    candle = ProductFactory(reference="BOUG-01", designation="Bougie", sale_price=Decimal("6.00"), price_includes_tax=True)
    for product in (jam, mug, candle):
        stock_services.receive(product=product, warehouse=boutique, quantity=20, unit_cost=Decimal("1.00"))
    counter = Channel.objects.get(kind=Channel.Kind.COUNTER)
    counter.default_customer = customer("Client de passage", business=False)
    counter.save()
    register = till_services.create_register(code="C1", name="Caisse 1", channel=counter, warehouse=boutique)
    cashier = make_user(roles.SALES, username="maela")
    return {"register": register, "cashier": cashier, "jam": jam, "mug": mug, "candle": candle}


# --- the steps s3's screens will take over ------------------------------------------------------


def open_session(page, register, user, opening_float: str) -> TillSession:
    return till_services.open_session(register=register, user=user, opening_float=opening_float)


def close_session(page, session, user, counted: dict, reason: str) -> TillSession:
    return till_services.close_session(session, user=user, counted_cash=counted, difference_reason=reason)


def close_day(page, register, user) -> Closure:
    return till_services.close_day(register=register, day=timezone.localdate(), user=user)


# --- the flow -------------------------------------------------------------------------------------


def scan(page, code):
    box = page.locator("#till-scan")
    box.fill(code)
    box.press("Enter")


def scan_three_articles_one_twice(page, shop):
    """Confiture ×2 (8,40) + mug (9,90) + bougie (6,00) = 24,30."""
    for product in (shop["jam"], shop["mug"], shop["jam"], shop["candle"]):
        scan(page, product.ean13)
    expect(page.locator("#till-due")).to_have_text(euros("24,30"))
    expect(page.locator("#till-lines tbody tr[data-line]")).to_have_count(3)


def test_a_day_at_the_till(page, login, shop):
    session = open_session(page, shop["register"], shop["cashier"], "150,00")
    login("maela")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/sales/till/sessions/{session.pk}/sale/")
    expect(page.locator("#till-scan")).to_be_focused()
    scan_three_articles_one_twice(page, shop)
    expect(page.locator("#till-lines tbody tr[data-line]").first.locator("input[name=quantity]")).to_have_value("2")
    shot(page, "1-scanned")

    # part card part cash: Enter on the empty box, Tab to the card, 10, Shift+Tab back to the cash, 20, Enter
    keys = Keys(page)
    keys.press("Enter")
    expect(page.locator("#id_cash")).to_be_focused()
    expect(page.locator("#id_cash")).to_have_value("24,30")
    keys.press("Tab")
    keys.type("10")
    expect(page.locator("#id_cash")).to_have_value("14,30")  # the cash follows the card
    keys.press("Shift+Tab")
    keys.type("20")
    expect(page.locator("#till-change")).to_have_text(euros("5,70"))
    shot(page, "2-payment")
    keys.press("Enter")
    expect(page.locator("#ticket-change")).to_have_text(euros("5,70"))
    assert keys.count == 8
    shot(page, "3-ticket")
    ticket = Ticket.objects.get(kind="sale")
    assert ticket.change == Decimal("5.70") and ticket.session_id == session.pk

    # print: the 80 mm PDF; reprint: a duplicate counted
    receipt = page.request.get(page.locator("#ticket-print").get_attribute("href"))
    assert receipt.ok and receipt.headers["content-type"] == "application/pdf"
    with page.context.expect_page():
        page.click("#ticket-reprint")
    page.reload()
    expect(page.locator("#ticket-reprints")).to_have_text("1")
    assert TillEvent.objects.filter(kind="reprint").count() == 1

    # a return: F9, the ticket's number, one jar back as a voucher
    page.click("#ticket-next")
    expect(page.locator("#till-scan")).to_be_focused()
    page.keyboard.press("F9")
    page.locator("#id_number").fill(ticket.invoice.number)
    page.locator("#id_number").press("Enter")
    jam_line = ticket.invoice.lines.get(product=shop["jam"])
    page.locator(f'input[name="qty-{jam_line.pk}"]').fill("1")
    page.select_option("#id_settle", "voucher")
    shot(page, "4-return")
    page.click("#return-submit")
    voucher = Voucher.objects.get()
    expect(page.locator("#ticket-voucher")).to_contain_text(voucher.code)
    assert voucher.amount == Decimal("4.20")
    shot(page, "5-return-ticket")

    # the day ends: 150 float + 14,30 cash kept, counted 2 × 50 + 3 × 20 + 4 € short
    closed = close_session(page, session, shop["cashier"], {"50": 2, "20": 3, "0.10": 3}, "Erreur de rendu")
    assert closed.expected_cash == Decimal("164.30") and closed.difference == Decimal("-4.00")
    closure = close_day(page, shop["register"], shop["cashier"])
    assert closure.kind == "day"


def test_three_scanned_articles_paid_in_cash_take_few_keystrokes(page, login, shop):
    session = open_session(page, shop["register"], shop["cashier"], "100")
    login("maela")
    page.goto(f"/sales/till/sessions/{session.pk}/sale/")
    scan_three_articles_one_twice(page, shop)
    keys = Keys(page)
    keys.press("Enter")  # the empty scan box opens the payment, cash = 24,30
    keys.press("Enter")  # validates
    expect(page.locator("#ticket-change")).to_have_text(euros("0,00"))
    assert keys.count == 2

    page.keyboard.press("Enter")  # « Nouvelle vente » has the focus
    expect(page.locator("#till-scan")).to_be_focused()
    scan_three_articles_one_twice(page, shop)
    keys = Keys(page)
    keys.press("Enter")
    keys.type("50")  # a 50 € note replaces the prefilled amount
    keys.press("Enter")
    expect(page.locator("#ticket-change")).to_have_text(euros("25,70"))
    assert keys.count == 4
    assert list(Ticket.objects.order_by("pk").values_list("change", flat=True)) == [Decimal("0.00"), Decimal("25.70")]
