"""Business events reach their subscribers only for work that was committed, and a failing
subscriber never undoes the business action that published the event."""

import pytest
from django.db import transaction

from lmb import events


@pytest.fixture
def received():
    calls = []

    def handler(**payload):
        calls.append(payload)

    events.subscribe("test.happened", handler)
    yield calls
    events.unsubscribe("test.happened", handler)


@pytest.mark.django_db
def test_subscribers_run_after_commit(received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish("test.happened", order_id=7)
        assert received == []  # not before the commit
    assert received == [{"order_id": 7}]


@pytest.mark.django_db
def test_rolled_back_work_publishes_nothing(received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        events.publish("test.happened", order_id=7)
        raise RuntimeError("the business action failed")
    assert received == []


@pytest.mark.django_db
def test_a_failing_subscriber_is_logged_and_the_others_still_run(received, django_capture_on_commit_callbacks, caplog):
    def broken(**payload):
        raise ValueError("shop unreachable")

    events.subscribe("test.happened", broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish("test.happened", order_id=8)
    finally:
        events.unsubscribe("test.happened", broken)
    assert received == [{"order_id": 8}]
    assert "shop unreachable" in caplog.text
