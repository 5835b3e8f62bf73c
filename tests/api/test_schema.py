"""The API matches its own OpenAPI schema: schemathesis reads the schema the app serves at
``/api/schema/`` and sends every operation requests made from it, through the WSGI app (no
server), against seeded data, as an administrator (every operation) and as an accountant (a
read-only role: 403s and reads). A 5xx, an undocumented status code, a wrong content type or
header, or a body that breaks the schema fails the test.

Bounded to stay a few minutes: a fixed number of examples per operation, no shrinking, no
coverage phase, derandomized (the same requests at every run; ``SCHEMATHESIS_SEED`` changes them
for a longer hunt on a workstation, e.g. with ``SCHEMATHESIS_EXAMPLES=100``)."""

import copy
import functools
import json
import os

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.plumbing import ResolvedComponent
from hypothesis import HealthCheck, settings
from rest_framework import serializers
from rest_framework.test import APIRequestFactory, force_authenticate

from lmb import roles, services
from lmb.wsgi import application
from tests.api.seed import seed_every_resource
from tests.factories import UserFactory

CHECKS = {
    "enabled": False,
    "not_a_server_error": {"enabled": True},
    "status_code_conformance": {"enabled": True},
    "content_type_conformance": {"enabled": True},
    "response_schema_conformance": {"enabled": True},
    "response_headers_conformance": {"enabled": True},
}


def config(max_examples: int, **checks) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": int(os.environ.get("SCHEMATHESIS_SEED", 17)),
            "generation": {
                "max-examples": int(os.environ.get("SCHEMATHESIS_EXAMPLES", max_examples)),
                "deterministic": "SCHEMATHESIS_SEED" not in os.environ,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {
                "stateful": {"enabled": False},
                # The coverage phase would send every value of every enum (250 countries for each
                # address operation): thousands of requests. The fuzzing tries valid and invalid
                # values at random, boundaries first.
                "coverage": {"enabled": False},
            },
            "checks": {**CHECKS, **checks},
            "operations": [
                # A PDF takes half a second to render, an e-mail renders one, and so may a till receipt.
                {"include-path-regex": "/(pdf|email|receipt)/$", "generation": {"max-examples": min(3, max_examples)}},
            ],
        }
    )


def served_schema() -> dict:
    """The schema ``GET /api/schema/`` answers (read at collection, before any database exists:
    the view is called directly, as a user who needs no row)."""
    request = APIRequestFactory().get("/api/schema/", {"format": "json"})
    force_authenticate(request, user=get_user_model()(username="schema-reader"))
    response = resolve("/api/schema/").func(request)
    response.render()
    assert response.status_code == 200, response.content
    return json.loads(response.content)


SERVED_SCHEMA = served_schema()
as_administrator = schemathesis.openapi.from_dict(copy.deepcopy(SERVED_SCHEMA), config=config(10))
as_administrator.app = application
# The accountant reads everything and writes nothing: every write answers 403. Requests without
# a key (ignored_auth) must answer 401.
as_accountant = schemathesis.openapi.from_dict(copy.deepcopy(SERVED_SCHEMA), config=config(2, ignored_auth={"enabled": True}))
as_accountant.app = application


@pytest.fixture(scope="module")
def api_keys(django_db_setup, django_db_blocker):
    """An API key per role and a few rows of everything, made once for the module in a
    transaction rolled back at its end; each test runs in a savepoint inside it (pytest-django's
    ``db``), and each example in a savepoint inside that."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            keys = {}
            for role in (roles.ADMINISTRATOR, roles.ACCOUNTANT):
                user = UserFactory(roles=[role], username=f"api-{role}")
                _token, keys[role] = services.create_api_token(user=user, name="schemathesis")
            seed_every_resource(user=get_user_model().objects.get(username=f"api-{roles.ADMINISTRATOR}"))
            yield keys
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def in_test_transaction(db):
    """Django closes the connection at each request's start and end when it is not in autocommit
    (it is not, in a test's transaction); Django's test client disconnects the same handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@functools.cache
def request_relations() -> dict[str, dict[str, tuple[bool, object]]]:
    """For each request body component of the schema, the fields that name rows, with whether
    they take a list and the queryset of the rows they accept (from the serializer behind it).
    Read at the first test that needs it: generating a schema takes seconds."""
    generator = SchemaGenerator()
    generator.get_schema(request=None, public=True)
    relations = {}
    for (name, kind), component in generator.registry._components.items():
        if kind != ResolvedComponent.SCHEMA or not isinstance(component.object, serializers.BaseSerializer):
            continue
        for field_name, field in component.object.fields.items():
            if isinstance(field, serializers.ManyRelatedField) and not field.read_only:
                relations.setdefault(name, {})[field_name] = (True, field.child_relation.queryset)
            elif isinstance(field, serializers.RelatedField) and not field.read_only:
                relations.setdefault(name, {})[field_name] = (False, field.queryset)
    return relations


def seeded_id(value, queryset):
    """Four generated ids in five become the id of a seeded row (a made-up id only ever meets a
    404 or a 400 "does not exist", and never reaches the services)."""
    if not isinstance(value, int) or isinstance(value, bool) or not value % 5:
        return value
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    return ids[value % len(ids)] if ids else value


def component_of(schema: dict) -> str | None:
    """The component a property's schema refers to, itself or as the items of its array."""
    schema = schema.get("items", schema)
    ref = schema.get("$ref") or next((part.get("$ref") for part in schema.get("allOf", ()) if "$ref" in part), None)
    return ref.rsplit("/", 1)[1] if ref else None


def aim_body_at_seeded_rows(body, component):
    if isinstance(body, list):
        for item in body:
            aim_body_at_seeded_rows(item, component)
        return
    if not isinstance(body, dict) or component is None:
        return
    relations = request_relations().get(component, {})
    properties = SERVED_SCHEMA["components"]["schemas"].get(component, {}).get("properties", {})
    for name, value in body.items():
        if name in relations:
            many, queryset = relations[name]
            body[name] = (
                [seeded_id(item, queryset) for item in value] if many and isinstance(value, list) else seeded_id(value, queryset)
            )
        elif name in properties:
            aim_body_at_seeded_rows(value, component_of(properties[name]))


def aim_at_seeded_rows(case):
    """The ids of the path and of the body point at seeded rows, most of the time."""
    if "id" in (case.path_parameters or {}):
        model = resolve(case.operation.path.replace("{id}", "0")).func.cls.queryset.model
        case.path_parameters["id"] = seeded_id(case.path_parameters["id"], model.objects.all())
    request_body = SERVED_SCHEMA["paths"][case.operation.path][case.operation.method.lower()].get("requestBody")
    if request_body and isinstance(case.body, dict):
        schema = next(iter(request_body["content"].values()))["schema"]
        aim_body_at_seeded_rows(case.body, component_of(schema))


def call_and_validate(case, key):
    aim_at_seeded_rows(case)
    # Each example runs in a savepoint rolled back after it: a DELETE or an action does not change
    # what the next example finds.
    with transaction.atomic():
        case.call_and_validate(headers={"Authorization": f"Token {key}"})
        transaction.set_rollback(True)


# The fixtures hold what every example shares (the seeded rows, the keys); each example's own
# writes are rolled back (call_and_validate).
SHARED_FIXTURES = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@as_administrator.parametrize()
@SHARED_FIXTURES
def test_every_operation_answers_as_documented(case, api_keys, in_test_transaction):
    call_and_validate(case, api_keys[roles.ADMINISTRATOR])


@as_accountant.parametrize()
@SHARED_FIXTURES
def test_every_operation_answers_a_read_only_role_as_documented(case, api_keys, in_test_transaction):
    call_and_validate(case, api_keys[roles.ACCOUNTANT])


def test_the_schema_fuzzed_is_the_one_served(api_client):
    response = api_client(roles.ACCOUNTANT).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert json.loads(response.content) == SERVED_SCHEMA
