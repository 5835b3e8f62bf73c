"""One lock order for every stock path (stock/services.py's docstring), on PostgreSQL: a till sale
that has locked its stock waits for nothing that a reception, a shipment or a web order holds
while they wait for the till. Each test pauses the till right after it confirms its order (the
order numbered, the stock of its goods locked: a counter sale reserves nothing, its goods leave
at once), starts the other transaction until PostgreSQL shows it waiting on a lock, then lets the
till go on: with two lock orders, PostgreSQL finds a deadlock and aborts one of them."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from purchasing import services as purchasing
from sales import services as sales
from sales.models import PaymentMethod
from sales.services import quotes_orders
from stock import queries
from stock.models import StockLevel
from tests.factories import ThirdPartyFactory
from tests.sales.conftest import counter_session_of, shop  # noqa: F401

TIMEOUT = 30  # seconds


def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("lock order is a PostgreSQL matter; SQLite serialises writers")


def counter_basket(shop, *products):  # noqa: F811
    return sales.create_order(
        customer=shop.walk_in,
        channel=shop.counter,
        lines=[{"product": product, "quantity": 1} for product in products],
    )


def checkout(order, shop):  # noqa: F811
    tenders = [{"method": PaymentMethod.CASH, "amount": "500"}]
    session = counter_session_of(shop)
    return lambda: sales.checkout_at_counter(order, tenders=tenders, confirm_excess=True, session=session, user=session.opened_by)


def prepared_reception(shop, *products):  # noqa: F811
    supplier = ThirdPartyFactory(name="Faïencerie de Quimper", is_customer=False, is_supplier=True)
    order = purchasing.create_supplier_order(
        supplier=supplier,
        warehouse=shop.warehouse,
        lines=[{"product": product, "quantity": 10, "unit_price": Decimal("3.50")} for product in products],
    )
    reception = purchasing.start_reception(purchasing.send_supplier_order(order))
    for product in products:
        purchasing.scan_reception(reception, product=product, quantity=10)
    return lambda: purchasing.validate_reception(reception)


def prepared_shipment(shop, *products):  # noqa: F811
    order = sales.create_order(
        customer=shop.bakery, channel=shop.phone, lines=[{"product": product, "quantity": 2} for product in products]
    )
    note = sales.create_delivery_note(sales.confirm_order(order))
    return lambda: sales.ship_delivery_note(note, carrier="Colissimo", tracking_number="6A12345678901")


def wait_until_blocked(thread: threading.Thread) -> None:
    """Until another session waits on a row lock (or the thread is done without waiting)."""
    deadline = time.monotonic() + TIMEOUT
    with connection.cursor() as cursor:
        while thread.is_alive():
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the second transaction neither waited nor ended"
            time.sleep(0.05)


def run_against_a_paused_till(monkeypatch, till_action, other_action) -> dict:
    """The till runs until its order is confirmed, and waits there (its transaction open) while
    ``other_action`` runs until it waits on a lock; then the till goes on."""
    paused, resume, outcomes = threading.Event(), threading.Event(), {}
    confirm_order = quotes_orders.confirm_order

    def confirm_then_pause(order, **arguments):
        confirmed = confirm_order(order, **arguments)
        if threading.current_thread().name == "till" and not paused.is_set():
            paused.set()
            resume.wait(TIMEOUT)
        return confirmed

    monkeypatch.setattr(quotes_orders, "confirm_order", confirm_then_pause)

    def run(name, action):
        try:
            action()
            outcomes[name] = "done"
        except Exception as exc:  # a deadlock aborts one of them: the test fails below, naming it
            outcomes[name] = repr(exc)
        finally:
            connection.close()

    till = threading.Thread(target=run, args=("till", till_action), name="till")
    other = threading.Thread(target=run, args=("other", other_action), name="other")
    till.start()
    assert paused.wait(TIMEOUT), "the till never confirmed its order"
    other.start()
    wait_until_blocked(other)
    resume.set()
    for thread in (till, other):
        thread.join(TIMEOUT * 2)
    return outcomes


def scenario(name, shop):  # noqa: F811
    mug, lamp = shop.mug, shop.lamp
    first, second = sorted((mug, lamp), key=lambda product: product.pk)
    return {
        # The reproducer: the till locked the level, the reception the valuation.
        "till and reception of one product": (checkout(counter_basket(shop, mug), shop), prepared_reception(shop, mug)),
        # A shipment numbers its delivery note; the till numbers its own after confirming.
        "till and back-office shipment": (checkout(counter_basket(shop, mug), shop), prepared_shipment(shop, mug)),
        # Lines in the opposite order of the products' ids: every path takes its products in id order.
        "till of two products and their reception": (
            checkout(counter_basket(shop, second, first), shop),
            prepared_reception(shop, first, second),
        ),
    }[name]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "name", ["till and reception of one product", "till and back-office shipment", "till of two products and their reception"]
)
def test_a_till_sale_and_another_stock_path_at_once_both_go_through(shop, monkeypatch, name):  # noqa: F811
    postgres_only()
    till_action, other_action = scenario(name, shop)
    before = {level.product_id: level.on_hand for level in StockLevel.objects.all()}

    outcomes = run_against_a_paused_till(monkeypatch, till_action, other_action)

    assert outcomes == {"till": "done", "other": "done"}
    assert queries.level_differences() == [] and queries.valuation_differences() == ([], [])
    after = {level.product_id: level.on_hand for level in StockLevel.objects.all()}
    assert after != before
