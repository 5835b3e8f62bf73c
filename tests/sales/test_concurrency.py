"""Under concurrency, on PostgreSQL: invoice numbers stay one continuous series with no gap and
no duplicate, the hash chain stays whole, and a voucher's balance never goes below zero."""

import multiprocessing
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from lmb.errors import Conflict
from sales import chain, services
from sales.models import Invoice, PaymentMethod, Voucher

PROCESSES = 8
INVOICES_PER_PROCESS = 5


def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter; SQLite serialises writers")


_INHERITED_CONNECTIONS = []


def _forget_inherited_connections():
    """A forked child opens its own connections. It may inherit open ones (the parent's
    close_all() only reaches its current context, and Playwright's session fixture leaves
    another): their sockets belong to the parent, so the child neither uses nor closes them,
    and keeps a reference so that no finaliser closes them before the child exits."""
    for conn in connections.all():
        _INHERITED_CONNECTIONS.append(conn.connection)
        conn.connection = None


def _issue_in_a_process(invoice_ids, start, failures):
    """Runs in a forked process: its own database connection, then issue the drafts."""
    try:
        _forget_inherited_connections()
        start.wait(timeout=60)
        for pk in invoice_ids:
            services.issue_invoice(Invoice.objects.get(pk=pk))
    except Exception as exc:  # reported to the parent, so a failure in a process fails the test
        failures.put(repr(exc))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_eight_processes_issuing_at_once_make_a_continuous_series(shop):
    postgres_only()
    drafts = [
        services.create_direct_invoice(
            customer=shop.bakery,
            channel=shop.b2b,
            lines=[{"description": f"Prestation {n}.{k}", "unit_price": "12.50", "quantity": k} for k in range(1, 6)],
        ).pk
        for n in range(PROCESSES * INVOICES_PER_PROCESS)
    ]
    context = multiprocessing.get_context("fork")
    start, failures = context.Barrier(PROCESSES), context.Queue()
    connections.close_all()  # the children must not share the parent's connection
    workers = [
        context.Process(target=_issue_in_a_process, args=(drafts[i::PROCESSES], start, failures)) for i in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    errors = [failures.get() for _ in range(failures.qsize())] if not failures.empty() else []
    assert errors == [] and all(worker.exitcode == 0 for worker in workers)

    issued = list(Invoice.objects.filter(status=Invoice.Status.ISSUED).order_by("issued_at", "pk"))
    assert len(issued) == PROCESSES * INVOICES_PER_PROCESS
    serials = [int(invoice.number.rsplit("-", 1)[1]) for invoice in issued]
    assert serials == list(range(1, len(issued) + 1))  # no gap, no duplicate, in the order of issue
    assert [invoice.chain_position for invoice in issued] == list(range(1, len(issued) + 1))
    assert chain.verify() == (len(issued), None)


@pytest.mark.django_db(transaction=True)
def test_a_voucher_spent_from_two_tills_at_once_never_goes_below_zero(shop):
    postgres_only()
    voucher = services.issue_voucher(amount=Decimal("50.00"), customer=shop.walk_in)
    outcomes, start = [], threading.Barrier(2)

    def spend():
        try:
            start.wait()
            services.record_payment(
                customer=shop.walk_in, amount=Decimal("40.00"), method=PaymentMethod.VOUCHER, voucher_code=voucher.code
            )
            outcomes.append("paid")
        except Conflict as exc:
            outcomes.append("refused: " + str(exc))
        except Exception as exc:  # any other failure fails the test below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    tills = [threading.Thread(target=spend) for _ in range(2)]
    for till in tills:
        till.start()
    for till in tills:
        till.join()
    assert sorted(outcome.split(":")[0] for outcome in outcomes) == ["paid", "refused"], outcomes
    assert "Solde insuffisant" in next(outcome for outcome in outcomes if outcome.startswith("refused"))
    assert Voucher.objects.get(pk=voucher.pk).balance == Decimal("10.00")
