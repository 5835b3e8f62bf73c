"""Saved analyses on the screen: saved under a name for oneself or shared, opened again on today's
data (a moving period on today's dates), deleted by their author only; bad input named."""

import re
from datetime import date

import pytest
from django.test import Client

from lmb import roles
from lmb.errors import InvalidInput
from stats.models import SavedAnalysis
from stats.spec import parse, period_dates
from tests.helpers import page_text
from tests.stats.conftest import on
from tests.stats.test_queries import known  # noqa: F401 - the fixture

THIS_YEAR = {"period": "this_year", "levels": "month", "measures": "net,quantity"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _query(response) -> str:
    return re.search(r'name="query" value="([^"]*)"', response.content.decode()).group(1).replace("&amp;", "&")


@pytest.mark.parametrize(
    "period, start, end",
    [
        ("today", date(2025, 3, 31), date(2025, 3, 31)),
        ("this_week", date(2025, 3, 31), date(2025, 3, 31)),  # a Monday
        ("this_month", date(2025, 3, 1), date(2025, 3, 31)),
        ("last_month", date(2025, 2, 1), date(2025, 2, 28)),
        ("this_quarter", date(2025, 1, 1), date(2025, 3, 31)),
        ("this_year", date(2025, 1, 1), date(2025, 3, 31)),
        ("last_year", date(2024, 1, 1), date(2024, 12, 31)),
        ("last_12_months", date(2024, 4, 1), date(2025, 3, 31)),
    ],
)
def test_moving_periods_on_a_day(period, start, end):
    assert period_dates(period, date(2025, 3, 31)) == (start, end)


def test_a_moving_period_overrides_the_dates_and_an_unknown_one_is_named():
    with on(date(2025, 3, 31)):
        spec = parse({**THIS_YEAR, "start": "2020-01-01", "end": "2020-12-31"})
    assert (spec.start, spec.end, spec.as_dict()["period"]) == (date(2025, 1, 1), date(2025, 3, 31), "this_year")
    with pytest.raises(InvalidInput) as refused:
        parse({**THIS_YEAR, "period": "next_century"})
    assert "Période inconnue « next_century »" in refused.value.errors["period"][0]


def test_saved_on_screen_and_opened_again_on_todays_dates(make_user, known):  # noqa: F811
    seller = make_user(roles.SALES)
    client = _client(seller)
    with on(date(2025, 1, 20)):
        page = client.get("/stats/", THIS_YEAR)
        assert "Du 01/01/2025 au 20/01/2025" in page_text(page)
        saved = client.post("/stats/analyses/", {"name": "CA de l'année", "query": _query(page)}, follow=True)
    assert "Analyse « CA de l'année » enregistrée." in page_text(saved)
    analysis = SavedAnalysis.objects.get(owner=seller)
    assert (analysis.name, analysis.shared, analysis.spec["period"], analysis.spec["levels"]) == (
        "CA de l'année",
        False,
        "this_year",
        ["month"],
    )
    with on(date(2025, 2, 28)):
        listed = client.get("/stats/")
        assert f'href="/stats/analyses/{analysis.pk}/"' in listed.content.decode()
        opened = client.get(f"/stats/analyses/{analysis.pk}/", follow=True)
    text = page_text(opened)
    assert "Du 01/01/2025 au 28/02/2025" in text and "janvier 2025" in text and "février 2025" in text
    assert "134,25" in text  # today's data: January's and February's sales, the credit note subtracting


def test_drilling_into_a_month_of_a_moving_period_keeps_that_month(role_client, known):  # noqa: F811
    with on(date(2025, 2, 28)):
        html = role_client(roles.SALES).get("/stats/", {**THIS_YEAR, "levels": "month,product"}).content.decode()
    link = re.search(r'<a href="([^"]+)" class="drill"[^>]*>janvier 2025', html).group(1).replace("&amp;", "&")
    assert "period=" not in link and "start=2025-01-01" in link and "end=2025-01-31" in link


def test_shared_with_others_private_otherwise_and_deleted_by_its_author_only(make_user, known):  # noqa: F811
    author, colleague = make_user(roles.SALES), make_user(roles.ACCOUNTANT)
    mine, theirs = _client(author), _client(colleague)
    query = _query(mine.get("/stats/", THIS_YEAR))
    mine.post("/stats/analyses/", {"name": "Privée", "query": query})
    mine.post("/stats/analyses/", {"name": "Pour l'équipe", "query": query, "shared": "on"})
    private, shared = SavedAnalysis.objects.get(name="Privée"), SavedAnalysis.objects.get(name="Pour l'équipe")
    listed = theirs.get("/stats/").content.decode()
    assert f"/stats/analyses/{shared.pk}/" in listed and f"/stats/analyses/{private.pk}/" not in listed
    assert theirs.get(f"/stats/analyses/{private.pk}/").status_code == 404
    assert theirs.get(f"/stats/analyses/{shared.pk}/").status_code == 302
    refused = theirs.post(f"/stats/analyses/{shared.pk}/delete/", follow=True)
    assert "Seul l'auteur d'une analyse peut la supprimer." in page_text(refused)
    assert SavedAnalysis.objects.filter(pk=shared.pk).exists()
    mine.post(f"/stats/analyses/{shared.pk}/delete/")
    assert not SavedAnalysis.objects.filter(pk=shared.pk).exists()


def test_bad_input_is_named_and_saves_nothing(make_user, known):  # noqa: F811
    client = _client(make_user(roles.SALES))
    query = _query(client.get("/stats/", THIS_YEAR))
    nameless = client.post("/stats/analyses/", {"name": "  ", "query": query}, follow=True)
    assert "Nom :" in page_text(nameless)
    broken = client.post("/stats/analyses/", {"name": "Cassée", "query": "levels=weather&period=this_year"}, follow=True)
    assert "Niveau d'analyse inconnu" in page_text(broken)
    client.post("/stats/analyses/", {"name": "Une", "query": query})
    twice = client.post("/stats/analyses/", {"name": "Une", "query": query}, follow=True)
    assert "Vous avez déjà une analyse de ce nom." in page_text(twice)
    assert list(SavedAnalysis.objects.values_list("name", flat=True)) == ["Une"]
    unknown = client.get("/stats/", {**THIS_YEAR, "period": "demain"})
    assert unknown.status_code == 400 and 'data-error-for="period"' in unknown.content.decode()
    assert _client(make_user(roles.WAREHOUSE)).post("/stats/analyses/", {"name": "X", "query": query}).status_code == 403
