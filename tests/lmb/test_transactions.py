"""Services nested in an all-or-nothing transaction open no savepoint; elsewhere they keep theirs."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from lmb import transactions
from lmb.models import Sequence


class Refused(Exception):
    pass


@transactions.atomic
def count(code: str, *, fail: bool = False):
    Sequence.objects.create(code=code)
    if fail:
        raise Refused(code)


def _savepoints(queries) -> int:
    return sum(1 for query in queries if query["sql"].startswith("SAVEPOINT"))


@pytest.mark.django_db
def test_a_nested_service_keeps_its_savepoint_so_a_caller_may_catch_its_failure():
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        count("kept")
        with pytest.raises(Refused):
            count("undone", fail=True)
        assert list(Sequence.objects.values_list("code", flat=True)) == ["kept"]
    assert _savepoints(queries) == 2


@pytest.mark.django_db
def test_within_all_or_nothing_the_services_open_no_savepoint():
    with CaptureQueriesContext(connection) as queries, transactions.all_or_nothing():
        count("first")
        count("second")
    assert _savepoints(queries) == 1  # the all-or-nothing block's own (the test runs in a transaction)
    assert Sequence.objects.filter(code__in=["first", "second"]).count() == 2


@pytest.mark.django_db
def test_a_failure_within_all_or_nothing_undoes_everything_and_refuses_to_go_on():
    with pytest.raises(Refused), transactions.all_or_nothing():
        count("first")
        try:
            count("second", fail=True)
        except Refused:
            with pytest.raises(transaction.TransactionManagementError):  # no half-applied work
                count("third")
            raise
    assert not Sequence.objects.filter(code__in=["first", "second", "third"]).exists()


@pytest.mark.django_db
def test_after_all_or_nothing_the_services_have_their_savepoints_again():
    with transactions.all_or_nothing():
        count("inside")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        count("after")
    assert _savepoints(queries) == 1
