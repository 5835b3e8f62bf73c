"""The analysis as JSON for integrators, saved analyses, and who may read them."""

from lmb import roles
from stats.models import SavedAnalysis
from tests.stats.test_queries import known  # noqa: F401 - the fixture

URL = "/api/v1/stats/analysis/"
PARAMS = {"levels": "month,product", "start": "2025-01-01", "end": "2025-02-28", "measures": "net,margin_rate,documents"}


def test_an_analysis_as_json(api_client, known):  # noqa: F811
    response = api_client(roles.ACCOUNTANT).get(URL, {**PARAMS, "compare": "last_year"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == {"net": "134.25", "margin_rate": "79.22", "documents": 2}
    assert body["total_compare"]["net"] == "33.00"
    january = body["rows"][0]
    assert (january["key"], january["label"], january["values"]["net"]) == ("2025-01-01", "janvier 2025", "82.50")
    assert january["children"][0]["level"] == "product"
    assert [column["measure"] for column in body["columns"]] == ["net", "margin_rate", "documents"]


def test_bad_parameters_answer_400_naming_them(api_client, db):
    client = api_client(roles.SALES)
    response = client.get(URL, {**PARAMS, "levels": "month,product,customer,channel"})
    assert response.status_code == 400 and "levels" in response.json()
    response = client.get(URL, {**PARAMS, "end": "2024-01-01"})
    assert response.status_code == 400 and "précède" in response.json()["end"][0]
    response = client.get(URL, {**PARAMS, "start": "0001-01-01"})
    assert response.status_code == 400 and "start" in response.json()


def test_the_warehouse_sees_no_analysis(api_client, db):
    assert api_client(roles.WAREHOUSE).get(URL, PARAMS).status_code == 403


def test_saved_analyses_are_private_unless_shared(api_client, known):  # noqa: F811
    anne, bob = api_client(roles.SALES), api_client(roles.ACCOUNTANT)
    created = anne.post("/api/v1/stats/analyses/", {"name": "Ventes par mois", "spec": PARAMS, "shared": False}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert bob.get("/api/v1/stats/analyses/").json()["results"] == []
    ran = anne.get(f"/api/v1/stats/analyses/{pk}/run/")
    assert ran.status_code == 200 and ran.json()["total"]["net"] == "134.25"
    SavedAnalysis.objects.filter(pk=pk).update(shared=True)
    assert [row["name"] for row in bob.get("/api/v1/stats/analyses/").json()["results"]] == ["Ventes par mois"]
    assert bob.delete(f"/api/v1/stats/analyses/{pk}/").status_code == 403
    assert anne.delete(f"/api/v1/stats/analyses/{pk}/").status_code == 204


def test_a_saved_analysis_with_a_bad_spec_is_refused_and_nothing_saved(api_client, db):
    client = api_client(roles.SALES)
    response = client.post("/api/v1/stats/analyses/", {"name": "X", "spec": {**PARAMS, "levels": "galaxy"}}, format="json")
    assert response.status_code == 400 and "spec.levels" in response.json()
    response = client.post("/api/v1/stats/analyses/", {"name": "X", "spec": [1, 2]}, format="json")
    assert response.status_code == 400 and "spec" in response.json()
    assert not SavedAnalysis.objects.exists()
