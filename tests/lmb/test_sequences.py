import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from lmb.models import Sequence
from lmb.services import next_reference, next_value, next_values


def test_numbers_follow_each_other(db):
    with transaction.atomic():
        assert [next_value("demo") for _ in range(3)] == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_a_number_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        next_value("demo")


def test_a_rolled_back_transaction_gives_its_number_back(db):
    with transaction.atomic():
        next_value("demo")
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        next_value("demo")
        1 / 0  # noqa: B018
    with transaction.atomic():
        assert next_value("demo") == 2


def test_yearly_series_restart_and_carry_the_year(db):
    import datetime

    with transaction.atomic():
        first = next_reference("invoice", prefix="FA", yearly=True, on_date=datetime.date(2026, 12, 31))
        second = next_reference("invoice", prefix="FA", yearly=True, on_date=datetime.date(2027, 1, 1))
    assert (first, second) == ("FA2026-000001", "FA2027-000001")


@pytest.mark.django_db(transaction=True)
def test_concurrent_takers_get_a_continuous_series_without_duplicates():
    """8 threads, each with its own PostgreSQL connection, take 25 numbers each."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    taken, errors = [], []
    start = threading.Barrier(8)

    def take():
        try:
            start.wait()
            for _ in range(25):
                with transaction.atomic():
                    taken.append(next_value("concurrent"))
        except Exception as exc:  # reported below, so a failure in a thread fails the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(taken) == list(range(1, 201))
    assert Sequence.objects.get(code="concurrent").last_value == 200


def test_several_series_taken_in_one_statement_continue_each_one(db):
    with transaction.atomic():
        next_value("chain")
        with CaptureQueriesContext(connection) as captured:
            taken = next_values(("invoice", "2026"), ("chain", ""))
        assert taken == [1, 2]
        assert next_values(("invoice", "2026"), ("chain", "")) == [2, 3]
    assert len(captured.captured_queries) == 1
    assert Sequence.objects.get(code="invoice", period="2026").last_value == 2
