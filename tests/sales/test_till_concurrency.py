"""Two cashiers on two registers at once, each on its own database connection: every ticket
lands in its own session with its own cashier, each session's figures are its own, the event
log stays one unbroken chain; and of two terminals opening one register at once, one is refused."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from lmb.errors import Conflict
from sales.till import chain, queries
from sales.till import services as till_services
from sales.till.models import Ticket, TillEvent, TillSession
from tests.sales.test_concurrency import postgres_only
from tests.sales.till_fixtures import sell

SALES_PER_CASHIER = 4


def run_at_once(*jobs):
    """Run each job in its own thread (its own connection), released together; returns the
    outcomes (a job's result, or the exception's repr)."""
    outcomes, start = [None] * len(jobs), threading.Barrier(len(jobs))

    def run(index, job):
        try:
            start.wait()
            outcomes[index] = job()
        except Exception as exc:  # reported, so that the test fails on it
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, job)) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_cashiers_on_two_registers_never_mix_sessions(till):
    postgres_only()

    def cashier_day(register, user, product):
        session = till_services.open_session(register=register, user=user, opening_float="10")
        for _ in range(SALES_PER_CASHIER):
            sell(till, session, [{"product": product, "quantity": 1}], user=user)
        return session.pk

    outcomes = run_at_once(
        lambda: cashier_day(till.register, till.cashier, till.shop.jam),
        lambda: cashier_day(till.other_register, till.other_cashier, till.shop.mug),
    )
    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    first, second = (TillSession.objects.get(pk=pk) for pk in outcomes)
    for session, user, product, price in (
        (first, till.cashier, till.shop.jam, Decimal("4.20")),
        (second, till.other_cashier, till.shop.mug, Decimal("9.90")),
    ):
        tickets = Ticket.objects.filter(session=session).select_related("invoice")
        assert tickets.count() == SALES_PER_CASHIER
        assert {ticket.user_id for ticket in tickets} == {user.pk}
        assert {line.product_id for ticket in tickets for line in ticket.invoice.lines.all()} == {product.pk}
        figures = queries.session_figures(session)
        assert figures.sales_total == SALES_PER_CASHIER * price
        assert figures.expected_cash == Decimal("10") + SALES_PER_CASHIER * price
    assert chain.verify_events() == (TillEvent.objects.count(), None)


@pytest.mark.django_db(transaction=True)
def test_two_terminals_opening_one_register_at_once_open_one_session(till):
    postgres_only()

    def open_with(user):
        return till_services.open_session(register=till.register, user=user, opening_float="20").pk

    outcomes = run_at_once(lambda: open_with(till.cashier), lambda: open_with(till.other_cashier))
    refused = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert len(refused) == 1 and "déjà une session ouverte" in str(refused[0]), outcomes
    assert TillSession.objects.filter(register=till.register, status="open").count() == 1
