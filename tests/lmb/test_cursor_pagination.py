"""The big API lists page by cursor (lmb.api_access.CursorPagination), shown on third parties:
walking ``next`` (or ``previous``) gives every row once, in the order asked, with ties on the
sorted value; a bad cursor answers 400 naming ``cursor``; an unknown sort is ignored; the
default order is newest first; a search keeps its order page after page."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import ThirdParty
from lmb.api_access import CursorPagination
from tests.factories import ThirdPartyFactory
from tests.helpers import walk_pages

pytestmark = pytest.mark.django_db

URL = "/api/v1/third-parties/"


def walk(api, params, *, link="next"):
    return walk_pages(api, URL, params, link=link)


@pytest.fixture
def tied():
    """Eleven third parties: names tied by threes (« Dupont » × 3…), creation times tied by
    twos; the ids run against the names so that the id alone would give another order."""
    names = ["Martin", "Martin", "Martin", "Dupont", "Dupont", "Dupont", "Bernard", "Bernard", "Bernard", "Abalain", "Zoé"]
    parties = [ThirdPartyFactory(name=name) for name in names]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for index, party in enumerate(parties):
        ThirdParty.objects.filter(pk=party.pk).update(created_at=start + timedelta(hours=index // 2))
    return list(ThirdParty.objects.all())


@pytest.mark.parametrize("ordering", ["name", "-name", "created_at", "-created_at", "code", "-code"])
@pytest.mark.parametrize("link", ["next", "previous"])
def test_walking_the_pages_gives_every_row_once_in_the_order_asked(api_client, tied, ordering, link):
    field = ordering.lstrip("-")
    expected = sorted(tied, key=lambda party: (getattr(party, field), party.pk), reverse=ordering.startswith("-"))
    ids, pages = walk(api_client(), {"ordering": ordering, "page_size": 2}, link=link)
    assert ids == [party.pk for party in expected]
    assert pages == 6


def test_the_default_order_is_newest_first(api_client, tied):
    page = api_client().get(URL).json()
    newest_first = sorted(tied, key=lambda party: (party.created_at, party.pk), reverse=True)
    assert [row["id"] for row in page["results"]] == [party.pk for party in newest_first]
    assert set(page) == {"next", "previous", "results"}  # no count: counting is the scan avoided


def test_a_sort_not_offered_is_ignored(api_client, tied):
    api = api_client()
    default = api.get(URL).json()["results"]
    for ordering in ("siren", "-email", "nothing", "name__len"):
        response = api.get(URL, {"ordering": ordering})
        assert response.status_code == 200
        assert response.json()["results"] == default


def test_only_the_first_of_several_sorts_is_kept(api_client, tied):
    ids, _pages = walk(api_client(), {"ordering": "-name,created_at", "page_size": 4})
    assert ids == [party.pk for party in sorted(tied, key=lambda party: (party.name, party.pk), reverse=True)]


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        "cD0x",  # p=1: not one of our positions
        "cD1bIi1jcmVhdGVkX2F0Il0=",  # p=["-created_at"]: no values
        "cD1bIi1jcmVhdGVkX2F0IiwgImhpZXIiLCAxXQ==",  # p=["-created_at", "hier", 1]: not a date
        "cD1bIi1jcmVhdGVkX2F0IiwgbnVsbCwgMV0=",  # p=["-created_at", null, 1]: never null
        "cj14",  # r=x
    ],
)
def test_a_bad_cursor_answers_400_naming_the_field(api_client, tied, cursor):
    response = api_client().get(URL, {"cursor": cursor})
    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]
    assert "Curseur invalide" in response.json()["cursor"][0]


def test_a_cursor_given_with_another_sort_is_refused(api_client, tied):
    api = api_client()
    by_name = api.get(URL, {"ordering": "name", "page_size": 2}).json()
    (cursor,) = parse_qs(urlsplit(by_name["next"]).query)["cursor"]  # decoded: the client quotes it again
    response = api.get(URL, {"ordering": "-created_at", "page_size": 2, "cursor": cursor})
    assert response.status_code == 400
    assert "autre tri" in response.json()["cursor"][0]


def test_a_search_keeps_its_matches_and_its_order_page_after_page(api_client, tied):
    ThirdPartyFactory(name="Crêperie Dupont")
    ids, _pages = walk(api_client(), {"search": "dupont", "ordering": "-name", "page_size": 2})
    matches = ThirdParty.objects.filter(name__contains="Dupont").order_by("-name", "-pk")
    assert ids == list(matches.values_list("pk", flat=True)) and len(ids) == 4


@pytest.mark.parametrize("many_matches", [10_000, 3])
def test_a_common_word_walks_the_sort_a_rare_one_sorts_its_matches_the_same_pages(api_client, tied, many_matches, monkeypatch):
    """Four « Dupont »: below the limit they are read from the trigram indexes then sorted (the
    sort column hidden from its index by a COALESCE); above it, by walking the name's index.
    Either way the same rows in the same order, page after page."""
    monkeypatch.setattr(CursorPagination, "MANY_MATCHES", many_matches)
    ThirdPartyFactory(name="Crêperie Dupont")
    with CaptureQueriesContext(connection) as queries:
        ids, _pages = walk(api_client(), {"search": "dupont", "ordering": "-name", "page_size": 2})
    matches = ThirdParty.objects.filter(name__contains="Dupont").order_by("-name", "-pk")
    assert ids == list(matches.values_list("pk", flat=True))
    pages_sql = [
        query["sql"] for query in queries.captured_queries if "ORDER BY" in query["sql"] and "crm_thirdparty" in query["sql"]
    ]
    walked = many_matches < len(ids)
    assert pages_sql and all(('COALESCE("crm_thirdparty"."name"' in sql) != walked for sql in pages_sql)


def test_the_schema_describes_the_cursor_and_no_count(api_client):
    schema = api_client().get("/api/schema/", {"format": "json"}).json()
    parameters = {parameter["name"] for parameter in schema["paths"][URL]["get"]["parameters"]}
    assert {"cursor", "page_size", "ordering"} <= parameters and "page" not in parameters
    page = schema["components"]["schemas"]["PaginatedThirdPartyList"]
    assert set(page["properties"]) == {"next", "previous", "results"}
    ordering = next(p for p in schema["paths"][URL]["get"]["parameters"] if p["name"] == "ordering")
    assert "name, code, created_at, updated_at" in ordering["description"]
