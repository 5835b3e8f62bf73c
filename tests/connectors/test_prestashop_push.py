"""Back to the shop: shipped state and tracking number after a delivery, cancelled and refunded
states, the available stock after a reception; idempotent pushes, failures kept and retried."""

import contextlib
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from celery.exceptions import Retry
from django.db import connection, connections
from django.utils import timezone

from connectors.prestashop import importer, services
from connectors.prestashop.client import Unreachable
from connectors.prestashop.models import Binding, Push
from sales import services as sales_services
from sales.models import Order
from stock import services as stock_services
from tests.connectors.prestashop_standin import derived
from tests.factories import ProductFactory


@pytest.fixture
def processor(db):
    """The PrestaShop order 1 sells COMP-0003, which LMB stocks: the import binds it."""
    return ProductFactory(reference="COMP-0003", designation="Processeur 4x3,4 GHz", sale_price=Decimal("180.00"))


@pytest.fixture
def imported(channel, shop_client, processor, main_warehouse):
    stock_services.receive(product=processor, warehouse=main_warehouse, quantity=10, unit_cost=Decimal("120.00"))
    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")
    assert outcome.status == "created", outcome.error
    return Order.objects.get(pk=outcome.order_id)


def ship(order, tracking="6A12345678901"):
    note = sales_services.create_delivery_note(order)
    return sales_services.ship_delivery_note(note, carrier="Colissimo", tracking_number=tracking)


def test_a_shipped_delivery_pushes_the_tracking_number_and_the_shipped_state(
    imported, standin, django_capture_on_commit_callbacks
):
    assert Binding.objects.filter(kind="product", external_id="24:0").exists()
    with django_capture_on_commit_callbacks(execute=True):
        ship(imported)

    [tracking] = standin.writes_to("order_carriers")
    assert (tracking["method"], tracking["id"], tracking["record"]["tracking_number"]) == ("PUT", "1", "6A12345678901")
    assert tracking["params"]["sendemail"] == "1" and tracking["record"]["id_order"] == "1"
    [history] = standin.writes_to("order_histories")
    assert (history["method"], history["record"]["id_order"], history["record"]["id_order_state"]) == ("POST", "1", "4")
    assert standin.records["orders"]["1"]["current_state"] == "4"
    assert set(Push.objects.values_list("kind", "status")) >= {("tracking", "sent"), ("state", "sent")}


def test_the_tracking_number_goes_on_the_row_of_the_carrier_the_order_ships_with(
    imported, standin, django_capture_on_commit_callbacks
):
    # The order has two order_carriers rows: the first (id 1) of a former carrier, 7; the one of its
    # carrier (order 1's id_carrier is 1) comes second. The first row found is not the answer.
    current = standin.records["order_carriers"]["1"]
    standin.put_record("order_carriers", derived(current, id_carrier=7, tracking_number="OLD"))
    standin.put_record("order_carriers", derived(current, id=50))
    with django_capture_on_commit_callbacks(execute=True):
        ship(imported)

    [tracking] = standin.writes_to("order_carriers")
    assert (tracking["id"], tracking["record"]["id_carrier"], tracking["record"]["tracking_number"]) == (
        "50",
        "1",
        "6A12345678901",
    )
    assert standin.records["order_carriers"]["1"]["tracking_number"] == "OLD"
    assert Push.objects.get(kind="tracking").payload["carrier"] == "Colissimo"


def test_pushes_are_idempotent(imported, standin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ship(imported)
    for push in Push.objects.all():
        services.send_push(push)  # sent already: nothing more goes out
    services.on_delivery_note_shipped(delivery_note_id=imported.delivery_notes.get().pk, order_id=imported.pk)
    assert len(standin.writes_to("order_histories")) == 1 and len(standin.writes_to("order_carriers")) == 1
    # A state the order already has on the shop is not posted again (a retry after a lost answer).
    push = Push.objects.get(kind="state")
    Push.objects.filter(pk=push.pk).update(status=Push.Status.PENDING)
    services.send_push(push)
    assert len(standin.writes_to("order_histories")) == 1


def test_stock_is_pushed_after_a_reception(imported, standin, processor, main_warehouse, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        stock_services.receive(product=processor, warehouse=main_warehouse, quantity=5, unit_cost=Decimal("121.00"))

    [write] = standin.writes_to("stock_availables")
    # 10 + 5 received, 1 reserved by the web order: 14 can be sold.
    assert (write["method"], write["id"], write["record"]["quantity"]) == ("PUT", "24", "14")
    assert write["record"]["id_product"] == "24" and standin.records["stock_availables"]["24"]["quantity"] == "14"


def test_a_cancelled_order_pushes_the_cancelled_state(imported, standin, django_capture_on_commit_callbacks):
    from sales.models import Invoice

    # The paid order has a deposit invoice: a credit note first, then the cancellation.
    deposit = Invoice.objects.get(kind=Invoice.Kind.DEPOSIT, orders=imported)
    credit = sales_services.create_credit_note(invoice=deposit, reason="Annulation client")
    with django_capture_on_commit_callbacks(execute=True):
        sales_services.issue_credit_note(credit)
        sales_services.cancel_order(imported, reason="Client")
    states = [write["record"]["id_order_state"] for write in standin.writes_to("order_histories")]
    assert states == ["7", "6"]  # refunded, then cancelled


def test_a_failing_push_is_kept_with_its_error_and_can_be_retried(imported, standin, django_capture_on_commit_callbacks):
    standin.inject("order_carriers", 500, times=100)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ship(imported)
    for callback in callbacks:  # the event handlers: each records its push and queues its task
        try:
            with django_capture_on_commit_callbacks(execute=True):
                callback()
        except (Unreachable, Retry):
            pass  # the task raises for Celery to retry it with backoff; its state is on the push
    tracking = Push.objects.get(kind="tracking")
    assert tracking.status in (Push.Status.PENDING, Push.Status.FAILED) and "HTTP 500" in tracking.last_error
    assert tracking.attempts >= 1
    standin.faults.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_push(tracking)
    tracking.refresh_from_db()
    assert tracking.status == Push.Status.SENT and tracking.last_error == ""


def test_the_final_invoice_pushes_the_invoiced_state_and_a_deposit_invoice_does_not(
    channel, shop_client, processor, main_warehouse, standin, django_capture_on_commit_callbacks
):
    channel.states = {**channel.states, "invoiced": "5"}
    channel.save(update_fields=["states"])
    stock_services.receive(product=processor, warehouse=main_warehouse, quantity=10, unit_cost=Decimal("120.00"))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")
    assert standin.writes_to("order_histories") == []  # the deposit invoice issued by the import pushes nothing
    order = Order.objects.get(pk=outcome.order_id)
    with django_capture_on_commit_callbacks(execute=True):
        ship(order)  # a web shop invoices at shipment (sales.invoicing): the invoice follows the parcel
    assert order.invoices.filter(kind="invoice", status="issued").count() == 1
    assert [write["record"]["id_order_state"] for write in standin.writes_to("order_histories")] == ["4", "5"]


@pytest.fixture
def imported_with_carrier(channel, shop_client, processor, main_warehouse):
    channel.carriers = {"1": "Colissimo suivi"}  # order 1 ships with the shop's carrier 1
    channel.save(update_fields=["carriers"])
    stock_services.receive(product=processor, warehouse=main_warehouse, quantity=10, unit_cost=Decimal("120.00"))
    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")
    assert outcome.status == "created", outcome.error
    return Order.objects.get(pk=outcome.order_id)


def test_the_delivery_note_ships_with_the_carrier_the_customer_chose_on_the_shop(
    imported_with_carrier, standin, django_capture_on_commit_callbacks
):
    assert imported_with_carrier.carrier == "Colissimo suivi"
    note = sales_services.create_delivery_note(imported_with_carrier)
    assert note.carrier == "Colissimo suivi"  # prepared with it: shown on the ship form
    with django_capture_on_commit_callbacks(execute=True):
        shipped = sales_services.ship_delivery_note(note, tracking_number="6A12345678901")  # no carrier typed
    assert shipped.carrier == "Colissimo suivi"
    [tracking] = standin.writes_to("order_carriers")
    assert tracking["record"]["tracking_number"] == "6A12345678901"
    [push] = Push.objects.filter(kind="tracking")
    assert push.payload["carrier"] == "Colissimo suivi"


def test_a_carrier_typed_at_shipping_replaces_the_order_s(imported_with_carrier):
    note = sales_services.ship_delivery_note(sales_services.create_delivery_note(imported_with_carrier), carrier="Chronopost")
    assert note.carrier == "Chronopost"


# --- Two deliveries of one push at once ------------------------------------------------------------


def _push_sent_by_two_workers_at_once(channel, monkeypatch, *, attempts_before: int) -> list:
    """Two threads (two connections) deliver the same pending push, and each, as it counts its
    attempt (the moment it stamps ``attempted_at``), waits for the other to get there too: a
    count read and written back without a lock is then read by both before either writes it.
    Under the row lock the second waits for the first instead, so the first stops waiting after
    a short while and goes on. Returns what each delivery did (the push, or the error)."""
    push = Push.objects.create(channel=channel, kind=Push.Kind.STOCK, key="stock:race", attempts=attempts_before)
    both_counting = threading.Barrier(2, timeout=2)

    def now_once_both_count():
        # the other delivery may be held by the lock (or have nothing to send): then go on alone
        with contextlib.suppress(threading.BrokenBarrierError):
            both_counting.wait()
        return timezone.now()

    def sending(client, push):
        raise Unreachable("boutique injoignable")

    monkeypatch.setattr(services, "timezone", SimpleNamespace(now=now_once_both_count))
    monkeypatch.setattr(services, "_send_stock", sending)
    outcomes = []

    def deliver():
        try:
            outcomes.append(services.send_push(push, client=object()))
        except Exception as error:  # noqa: BLE001 — the outcome is what the test reads
            outcomes.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=deliver) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=20)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_each_count_their_attempt(channel, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter; SQLite serialises writers")
    outcomes = _push_sent_by_two_workers_at_once(channel, monkeypatch, attempts_before=0)
    assert [type(outcome) for outcome in outcomes] == [Unreachable, Unreachable]
    push = Push.objects.get(key="stock:race")
    assert push.attempts == 2 and push.status == Push.Status.PENDING  # two attempts, not one written twice


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_never_start_more_than_the_maximum(channel, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter; SQLite serialises writers")
    outcomes = _push_sent_by_two_workers_at_once(channel, monkeypatch, attempts_before=services.PUSH_MAX_ATTEMPTS - 1)
    assert sum(isinstance(outcome, Unreachable) for outcome in outcomes) == 1  # one sent the last attempt
    push = Push.objects.get(key="stock:race")
    assert push.attempts == services.PUSH_MAX_ATTEMPTS and push.status == Push.Status.FAILED
