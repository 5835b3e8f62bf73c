"""Levels and valuations always equal the ledger, whatever the sequence of moves; and 8 clerks
shipping the last units at once never take the stock below zero."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stock import queries, services
from stock.models import ProductValuation, StockLevel, StockMove
from tests.factories import ProductFactory, warehouse

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["receive", "deliver", "return", "exit", "transfer", "adjust", "reserve", "release"]),
        st.integers(min_value=1, max_value=25),
        st.booleans(),  # which warehouse
        st.decimals(min_value=D("0"), max_value=D("99.99"), places=2),
    ),
    min_size=1,
    max_size=25,
)


def apply(operation, product, warehouses):
    kind, quantity, second, cost = operation
    here, there = (warehouses[1], warehouses[0]) if second else warehouses
    source = ("tests.order", 1)
    actions = {
        "receive": lambda: services.receive(product=product, warehouse=here, quantity=quantity, unit_cost=cost),
        "deliver": lambda: services.deliver(product=product, warehouse=here, quantity=quantity, source=source),
        "return": lambda: services.customer_return(product=product, warehouse=here, quantity=quantity),
        "exit": lambda: services.exit_stock(product=product, warehouse=here, quantity=quantity, reason="breakage"),
        "transfer": lambda: services.transfer(product=product, from_warehouse=here, to_warehouse=there, quantity=quantity),
        "adjust": lambda: services.adjust(product=product, warehouse=here, difference=quantity if second else -quantity),
        "reserve": lambda: services.reserve(product=product, warehouse=here, quantity=quantity, source=source),
        "release": lambda: services.release(source=source),
    }
    try:
        with transaction.atomic():
            actions[kind]()
    except services.InsufficientStock:
        pass  # refused, and the refusal changed nothing


@pytest.mark.django_db
@pytest.mark.smoke  # on SQLite too: the ORM path of the ledger
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_levels_and_valuation_always_equal_the_ledger(operations):
    with transaction.atomic():
        warehouses = (warehouse(), warehouse(code="SHOP", name="Boutique"))
        product = ProductFactory()
        for operation in operations:
            apply(operation, product, warehouses)
        assert queries.level_differences() == []
        assert queries.valuation_differences() == ([], [])
        for where in warehouses:
            ledger = sum(StockMove.objects.filter(product=product, warehouse=where).values_list("quantity", flat=True), D(0))
            level = StockLevel.objects.filter(product=product, warehouse=where).first()
            assert (level.on_hand if level else D(0)) == ledger
            assert ledger >= 0 or any(op[0] == "adjust" for op in operations)  # only a count goes below zero
        valuation = ProductValuation.objects.filter(product=product).first()
        assert valuation is None or valuation.average_cost >= 0
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_deliveries_of_the_last_units_never_go_below_zero():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter; SQLite serialises writers")
    main = warehouse()
    product = ProductFactory()
    services.receive(product=product, warehouse=main, quantity=5, unit_cost="3")
    outcomes, start = [], threading.Barrier(8)

    def ship():
        try:
            start.wait()
            services.deliver(product=product, warehouse=main, quantity=1)
            outcomes.append("shipped")
        except services.InsufficientStock:
            outcomes.append("refused")
        except Exception as exc:  # any other failure fails the test below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=ship) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 3 + ["shipped"] * 5
    assert StockLevel.objects.get(product=product, warehouse=main).on_hand == 0
    assert StockMove.objects.filter(product=product, kind="delivery").count() == 5
    assert queries.level_differences() == [] and queries.valuation_differences() == ([], [])
