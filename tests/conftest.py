import socket

import pytest
from django.core.cache import cache
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from lmb import roles, services
from lmb.celery import app
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    """Login throttling counters live in the cache (Redis in the test run): start each test clean."""
    cache.clear()
    yield


@pytest.fixture
def make_user(db):
    def make(*role_names, **fields):
        return UserFactory(roles=list(role_names), **fields)

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user(roles.ADMINISTRATOR, username="claire")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def role_client(client, make_user):
    """A browser session for a user with the given role."""

    def login(role):
        client.force_login(make_user(role))
        return client

    return login


@pytest.fixture
def api_client(make_user):
    """An API client authenticated by a token of a user with the given role (administrator by default)."""

    def make(role=roles.ADMINISTRATOR):
        user = make_user(role)
        _token, key = services.create_api_token(user=user, name="tests")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        client.user = user
        return client

    return make


class BrokerDown:
    """The Celery broker refuses connections, as when Redis is down: tasks are sent (not run in
    the process) to a Redis URL on a port of localhost that nothing listens on. ``back()`` brings
    the test run's own setting back (tasks run in the process again). The shared Redis server is
    left alone."""

    def __init__(self):
        with socket.socket() as probe:  # a free port, closed again: connecting to it is refused
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
        app.conf.update(broker_url=f"redis://127.0.0.1:{port}/0", task_always_eager=False)
        self._reset_pools()
        with pytest.raises(OperationalError), app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)  # never a test against a broker that answers

    def back(self):
        app.conf.update(self.saved)
        self._reset_pools()

    @staticmethod
    def _reset_pools():  # the connection pools were made for the broker URL of their time
        app._pool = None
        app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    down = BrokerDown()
    try:
        yield down
    finally:
        down.back()


def pytest_collection_modifyitems(items):
    """A transactional test empties the database when it ends, taking with it what migrations
    seeded (roles, VAT rates). Every transactional test therefore restores that data from the
    serialized copy made at setup (Django's ``serialized_rollback``)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            item.add_marker(pytest.mark.django_db(*marker.args, **{**marker.kwargs, "serialized_rollback": True}), append=False)
