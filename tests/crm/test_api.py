import pytest
from django.utils import timezone

from crm.models import ThirdParty
from lmb import roles
from tests.factories import ThirdPartyFactory, valid_siren

pytestmark = pytest.mark.django_db


def test_create_a_customer_with_its_address_then_read_it_back(api_client):
    api = api_client(roles.SALES)
    response = api.post(
        "/api/v1/third-parties/",
        {"name": "Crêperie Ker Avel", "customer_category": "business", "siren": valid_siren(7)},
        format="json",
    )
    assert response.status_code == 201, response.json()
    third_party = response.json()
    assert third_party["code"].startswith("T") and third_party["customer_account"].startswith("C")
    address = api.post(
        "/api/v1/addresses/",
        {"third_party": third_party["id"], "line1": "3 rue du Port", "postal_code": "29200", "city": "Brest"},
        format="json",
    )
    assert address.status_code == 201
    listed = api.get("/api/v1/third-parties/", {"search": "ker avel"}).json()["results"][0]
    assert listed["billing_address"]["city"] == "Brest"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "siret": "12345678901234"}, "siret"),
        ({"name": "X", "vat_number": "FR00"}, "vat_number"),
        ({"name": "X", "email": "pas-un-email"}, "email"),
        ({"name": "X", "customer_category": "vip"}, "customer_category"),
        ({"kind": "individual", "first_name": "Anne"}, "last_name"),
        ({"name": "X", "is_customer": False}, "is_customer"),
    ],
)
def test_bad_input_gets_400_naming_the_field(api_client, payload, field):
    response = api_client().post("/api/v1/third-parties/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ThirdParty.objects.exists()


def test_an_address_with_a_bad_postal_code_names_the_field(api_client):
    customer = ThirdPartyFactory()
    response = api_client().post(
        "/api/v1/addresses/", {"third_party": customer.pk, "line1": "x", "postal_code": "12", "city": "Brest"}, format="json"
    )
    assert response.status_code == 400 and "postal_code" in response.json()


def test_timeline_entries_through_the_api(api_client):
    customer = ThirdPartyFactory()
    api = api_client(roles.CUSTOMER_SERVICE)
    created = api.post(
        "/api/v1/timeline-entries/", {"third_party": customer.pk, "kind": "incident", "subject": "Colis abîmé"}, format="json"
    )
    assert created.status_code == 201
    entry = created.json()
    assert entry["incident_status"] == "open" and entry["author"]
    moved = api.post(f"/api/v1/timeline-entries/{entry['id']}/incident-status/", {"status": "closed"}, format="json")
    assert moved.status_code == 200 and moved.json()["incident_status"] == "closed"
    refused = api.post(f"/api/v1/timeline-entries/{entry['id']}/incident-status/", {"status": "in_progress"}, format="json")
    assert refused.status_code == 409 and "ne peut pas passer" in refused.json()["detail"][0]
    assert api.delete(f"/api/v1/timeline-entries/{entry['id']}/").status_code == 403  # no role may delete history
    assert api_client(roles.ADMINISTRATOR).delete(f"/api/v1/timeline-entries/{entry['id']}/").status_code == 405
    assert api.get("/api/v1/timeline-entries/", {"third_party": customer.pk}).json()["count"] == 2  # + status note


def test_tasks_and_the_complete_action(api_client):
    api = api_client(roles.SALES)
    task = api.post(
        "/api/v1/tasks/",
        {"title": "Rappeler", "assignee": api.user.pk, "due_date": timezone.localdate().isoformat()},
        format="json",
    )
    assert task.status_code == 201, task.json()
    task_id = task.json()["id"]
    assert api.post(f"/api/v1/tasks/{task_id}/complete/").json()["is_done"] is True
    again = api.post(f"/api/v1/tasks/{task_id}/complete/")
    assert again.status_code == 409 and "déjà faite" in again.json()["detail"][0]
    bad = api.post("/api/v1/tasks/", {"title": "x", "assignee": api.user.pk, "due_date": "31/02/2026"}, format="json")
    assert bad.status_code == 400 and "due_date" in bad.json()


def test_roles_on_third_parties(api_client):
    customer = ThirdPartyFactory()
    warehouse = api_client(roles.WAREHOUSE)
    assert warehouse.get("/api/v1/third-parties/").status_code == 200
    assert warehouse.post("/api/v1/third-parties/", {"name": "X"}, format="json").status_code == 403
    assert api_client(roles.CUSTOMER_SERVICE).delete(f"/api/v1/third-parties/{customer.pk}/").status_code == 403


def test_list_query_count_is_pinned(api_client, django_assert_max_num_queries):
    for index in range(60):
        ThirdPartyFactory(addresses=[{"line1": f"{index} rue", "postal_code": "35000", "city": "Rennes"}])
    api = api_client()
    with django_assert_max_num_queries(7):  # no count: the list pages by cursor
        page = api.get("/api/v1/third-parties/").json()
    assert len(page["results"]) == 50 and all(row["billing_address"] for row in page["results"])
    with django_assert_max_num_queries(7):
        following = api.get(page["next"]).json()
    assert len(following["results"]) == 10 and all(row["billing_address"] for row in following["results"])
