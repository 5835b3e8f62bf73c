"""What the schema promises about answers, rule by rule (the schemathesis run in test_schema.py
checks them over every operation): error statuses and their bodies documented, nulls and blank
choices declared, dates read within bounds, every answer under /api/ in JSON, and a schema that
is valid OpenAPI 3 without a warning."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from crm.models import TimelineEntry
from lmb import roles
from lmb.api import source_may_be_null
from sales.models import Payment
from stock import services as stock_services
from stock.models import InventoryLine
from tests.factories import ProductFactory, ThirdPartyFactory, warehouse

API = "/api/v1"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operation(schema, path, method):
    return schema["paths"][path][method]


# --- Error answers -------------------------------------------------------------------------------


def test_every_operation_documents_its_error_answers(schema):
    send = operation(schema, "/api/v1/quotes/{id}/send/", "post")["responses"]
    assert sorted(send) == ["200", "400", "401", "403", "404", "409"]
    # An operation that reads a body may get one of another type.
    assert sorted(operation(schema, "/api/v1/tasks/", "post")["responses"]) == ["201", "400", "401", "403", "409", "415"]
    assert send["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FieldErrors"}
    assert send["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorDetail"}
    # A list reads filters and pages: 400 and 404 (a page past the last one), never 409.
    assert sorted(operation(schema, "/api/v1/channels/", "get")["responses"]) == ["200", "400", "401", "403", "404"]
    # A list paged by cursor has no page past the last one: a bad cursor is a 400 naming it.
    assert sorted(operation(schema, "/api/v1/quotes/", "get")["responses"]) == ["200", "400", "401", "403"]
    # Reading one object takes no input: no 400.
    assert sorted(operation(schema, "/api/v1/vat-rates/{id}/", "get")["responses"]) == ["200", "401", "403", "404"]
    assert sorted(operation(schema, "/api/v1/tasks/{id}/", "delete")["responses"]) == ["204", "400", "401", "403", "404", "409"]
    for path, methods in schema["paths"].items():
        for method, details in methods.items():
            assert {"401", "403"} <= set(details["responses"]), f"{method.upper()} {path}"


def test_error_bodies_are_objects_as_documented(api_client, db):
    api = api_client(roles.ADMINISTRATOR)
    # A search term with a NUL character: DRF refuses it with a bare list of messages.
    response = api.get(f"{API}/third-parties/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert list(response.json()) == ["detail"] and isinstance(response.json()["detail"], list)


def test_an_api_url_that_matches_nothing_answers_json(api_client, db):
    response = api_client(roles.ADMINISTRATOR).get(f"{API}/quotes/0.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_a_back_office_page_that_matches_nothing_stays_html(admin_client):
    response = admin_client.get("/sales/nothing-here/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


# --- Nulls and blank choices ---------------------------------------------------------------------


def test_fields_declared_by_hand_are_nullable_when_their_source_may_be_none(schema):
    components = schema["components"]["schemas"]
    assert components["InventoryLine"]["properties"]["difference"]["nullable"] is True  # uncounted
    assert components["Payment"]["properties"]["voucher_code"]["nullable"] is True  # not paid by voucher
    assert components["TimelineEntry"]["properties"]["author"]["nullable"] is True  # logged by a task
    assert components["DeliveryNoteLine"]["properties"]["product"]["nullable"] is True  # a text line
    assert "nullable" not in components["StockLevel"]["properties"]["reference"]  # a product always has one


def test_the_source_of_a_field_says_whether_it_may_be_none():
    assert source_may_be_null(Payment, ["voucher", "code"])  # nullable relation on the way
    assert source_may_be_null(InventoryLine, ["difference"])  # property annotated ``-> Decimal | None``
    assert not source_may_be_null(InventoryLine, ["product", "reference"])
    assert not source_may_be_null(InventoryLine, ["expected_quantity"])


def test_choices_left_blank_are_in_the_enum(schema):
    properties = schema["components"]["schemas"]
    blank = {"$ref": "#/components/schemas/BlankEnum"}
    assert blank in properties["TimelineEntry"]["properties"]["incident_status"]["oneOf"]  # not an incident
    assert blank in properties["StockMove"]["properties"]["reason"]["oneOf"]  # not an exit
    assert properties["BlankEnum"] == {"enum": [""]}


def test_an_uncounted_inventory_line_answers_null(api_client, db):
    product = ProductFactory()
    main = warehouse()
    stock_services.receive(product=product, warehouse=main, quantity=3, unit_cost=Decimal("1.00"))
    inventory = stock_services.open_inventory(warehouse=main)
    line = api_client(roles.ADMINISTRATOR).get(f"{API}/inventories/{inventory.pk}/").json()["lines"][0]
    assert (line["counted_quantity"], line["difference"]) == (None, None)


# --- Dates read within bounds --------------------------------------------------------------------


@pytest.mark.parametrize(
    "occurred_at", ["0424-05-01T10:00:00Z", "0001-01-01T00:00:00", "1969-12-31T23:00:00Z", "2101-01-01T12:00:00+01:00"]
)
def test_a_date_and_time_out_of_bounds_is_refused_by_name(api_client, db, occurred_at):
    customer = ThirdPartyFactory()
    api = api_client(roles.ADMINISTRATOR)
    response = api.post(
        f"{API}/timeline-entries/",
        {"third_party": customer.pk, "kind": "call", "subject": "Rappel", "occurred_at": occurred_at},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert "entre le 01/01/1970 et le 31/12/2100" in response.json()["occurred_at"][0]
    assert not TimelineEntry.objects.exists()


def test_a_date_and_time_within_bounds_answers_a_valid_offset(api_client, db):
    customer = ThirdPartyFactory()
    response = api_client(roles.ADMINISTRATOR).post(
        f"{API}/timeline-entries/",
        {"third_party": customer.pk, "kind": "call", "subject": "Rappel", "occurred_at": "1970-01-02T10:00:00Z"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["occurred_at"] == "1970-01-02T11:00:00+01:00"


def test_a_date_and_time_already_stored_out_of_bounds_is_still_answered(api_client, db):
    # The bounds are those of inputs: an answer never fails on what is stored.
    entry = TimelineEntry.objects.create(
        third_party=ThirdPartyFactory(), kind="note", subject="Archive", occurred_at=datetime(1950, 5, 1, tzinfo=UTC)
    )
    response = api_client(roles.ADMINISTRATOR).get(f"{API}/timeline-entries/{entry.pk}/")
    assert response.status_code == 200 and response.json()["occurred_at"] == "1950-05-01T01:00:00+01:00"


@pytest.mark.parametrize("on", ["1899-12-31", "2101-01-01"])
def test_a_date_out_of_bounds_is_refused_by_name(api_client, db, on):
    api = api_client(roles.ADMINISTRATOR)
    response = api.post(f"{API}/tasks/", {"title": "Relancer", "assignee": api.user.pk, "due_date": on}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["due_date"] == ["Saisissez une date entre le 01/01/1900 et le 31/12/2100."]


def test_a_time_of_day_is_documented_and_answered_without_offset(schema, api_client, db):
    due_time = schema["components"]["schemas"]["Task"]["properties"]["due_time"]
    # ``format: time`` is RFC 3339's full-time, which requires an offset: a pattern instead.
    assert "format" not in due_time and due_time["nullable"] is True
    api = api_client(roles.ADMINISTRATOR)
    response = api.post(
        f"{API}/tasks/",
        {"title": "Relancer", "assignee": api.user.pk, "due_date": "2026-03-02", "due_time": "09:45"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["due_time"] == "09:45:00"
    assert re.fullmatch(due_time["pattern"], "09:45:00") and not re.fullmatch(due_time["pattern"], "09:45:00+01:00")


# --- The schema itself ---------------------------------------------------------------------------


def test_the_schema_is_valid_openapi_without_a_warning(tmp_path):
    # --fail-on-warn: a serializer field the generator cannot type, an enum named twice… fail here.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")
