import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from lmb import roles, services
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


def pytest_collection_modifyitems(items):
    """A transactional test empties the database when it ends, taking with it what migrations
    seeded (roles, VAT rates). Every transactional test therefore restores that data from the
    serialized copy made at setup (Django's ``serialized_rollback``)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            item.add_marker(pytest.mark.django_db(*marker.args, **{**marker.kwargs, "serialized_rollback": True}), append=False)
