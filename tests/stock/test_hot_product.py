"""A move that is a whole transaction on its own (one reception, delivery, exit, return or
adjustment called from a view, the API or a task) holds its product's lock only while PostgreSQL
runs its statement: the statement is its own transaction, committed by the server before it
answers, so the lock never waits for this process to send COMMIT (issue #21: eight writers of one
hot product). Checked on the wire, with libpq's trace of the protocol messages, and by the
outcomes: a refused or failed move on its own changes nothing, a move inside a caller's
transaction still rolls back with it."""

import re
import tempfile
from contextlib import contextmanager
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from psycopg import pq

from lmb.errors import InvalidInput
from lmb.services import save_company
from stock import queries, services
from stock.models import ProductValuation, StockLevel, StockMove
from tests.factories import ProductFactory, warehouse
from tests.lmb.test_company import IDENTITY

pytestmark = pytest.mark.django_db(transaction=True)

LEDGER_STATEMENT = re.compile(r'^F\t\d+\tParse\t "(?P<name>_pg3_\d+)" "\s*WITH valuation AS', re.MULTILINE)
READY = re.compile(r"^B\t\d+\tReadyForQuery\t (?P<status>\w)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the ledger's single statement is PostgreSQL's (SQLite runs the ORM path)")


@pytest.fixture
def product():
    return ProductFactory(reference="BOL-01", purchase_price=D("4"))


@pytest.fixture
def main(product):
    main = warehouse()
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="5")  # the rows exist
    return main


@contextmanager
def wire():
    """The protocol messages exchanged meanwhile ("F …" sent, "B …" received), in a list of one
    text. On a fresh connection, so that the ledger statement is prepared, text and all, inside."""
    connection.close()
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    messages = []
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield messages
        finally:
            pgconn.untrace()
            trace.seek(0)
            messages.append(trace.read())


def statuses_after_the_ledger_statement(trace: str) -> list[str]:
    """For each run of the ledger statement, the transaction status the server reported when it
    was done: "I" (idle: the transaction ended with the statement, its locks released) or "T"
    (still open: the locks wait for this process's next statements and COMMIT)."""
    names = "|".join(statement["name"] for statement in LEDGER_STATEMENT.finditer(trace))  # one per kind of parameters
    assert names, "the ledger statement was not sent"
    runs = re.compile(rf'^F\t\d+\tBind\t "" "({names})"', re.MULTILINE)
    return [READY.search(trace, run.end())["status"] for run in runs.finditer(trace)]


@pytest.mark.parametrize(
    "move",
    [
        lambda product, where: services.receive(product=product, warehouse=where, quantity=2, unit_cost="7"),
        lambda product, where: services.deliver(product=product, warehouse=where, quantity=1),
        lambda product, where: services.exit_stock(product=product, warehouse=where, quantity=1, reason="breakage"),
        lambda product, where: services.customer_return(product=product, warehouse=where, quantity=1),
        lambda product, where: services.adjust(product=product, warehouse=where, difference=-1),
    ],
    ids=["receive", "deliver", "exit_stock", "customer_return", "adjust"],
)
def test_a_move_on_its_own_ends_its_transaction_with_its_statement(product, main, move):
    with wire() as trace:
        move(product, main)
    assert statuses_after_the_ledger_statement(trace[0]) == ["I"]
    assert queries.level_differences() == [] and queries.valuation_differences() == ([], [])


def test_a_move_inside_a_callers_transaction_keeps_it_open_and_rolls_back_with_it(product, main):
    with wire() as trace, transaction.atomic():
        services.receive(product=product, warehouse=main, quantity=2, unit_cost="7")
        services.deliver(product=product, warehouse=main, quantity=1, source=("sales.order", 1))  # a reservation
        transaction.set_rollback(True)
    assert statuses_after_the_ledger_statement(trace[0]) == ["T", "T"]
    assert StockMove.objects.count() == 1 and StockLevel.objects.get().on_hand == 10


def test_a_delivery_that_consumes_a_reservation_is_not_on_its_own(product, main):
    services.reserve(product=product, warehouse=main, quantity=3, source=("sales.order", 1))
    with wire() as trace:
        services.deliver(product=product, warehouse=main, quantity=2, source=("sales.order", 1))
    assert statuses_after_the_ledger_statement(trace[0]) == ["T"]  # the reservation's rows first
    level = StockLevel.objects.get()
    assert (level.on_hand, level.reserved) == (8, 1)


def test_the_weighted_average_cost_of_moves_on_their_own(product, main):
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="8")
    delivery = services.deliver(product=product, warehouse=main, quantity=5)
    assert (delivery.unit_cost, delivery.value, delivery.product_quantity_after) == (D("6.5"), D("-32.50"), D("15"))
    services.receive(product=product, warehouse=main, quantity=5, unit_cost="10")
    valuation = ProductValuation.objects.get()
    assert (valuation.quantity, valuation.average_cost) == (D("20"), D("7.375"))


def test_a_refused_move_on_its_own_changes_nothing_and_the_company_setting_still_applies(product, main):
    with pytest.raises(services.InsufficientStock):
        services.deliver(product=product, warehouse=main, quantity=11)
    assert StockMove.objects.count() == 1 and StockLevel.objects.get().on_hand == 10
    save_company(**IDENTITY, allow_negative_stock=True)
    services.deliver(product=product, warehouse=main, quantity=11)  # refused alone, allowed in the second try
    assert StockLevel.objects.get().on_hand == -1 and ProductValuation.objects.get().quantity == -1


def test_the_first_move_of_a_product_makes_its_rows(main):
    other = ProductFactory()
    move = services.receive(product=other, warehouse=main, quantity=3, unit_cost="2")
    assert move.product_quantity_after == 3 and StockLevel.objects.get(product=other).on_hand == 3


def test_a_move_too_large_on_its_own_changes_nothing_and_the_connection_goes_on(product, main):
    with pytest.raises(InvalidInput):
        services.receive(product=product, warehouse=main, quantity="99999999999", unit_cost="0")  # the level overflows
    assert StockMove.objects.count() == 1
    services.receive(product=product, warehouse=main, quantity=1, unit_cost="5")
    assert StockLevel.objects.get().on_hand == 11
