"""The till's closures (Z), archives and event log are lists like the others (DESIGN §6): search,
filters, sort, pagination and the spreadsheet export of exactly the rows shown; their queries do
not grow with the rows; a careless query string answers 200 or 404, never 500."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from sales.till import services as till_services
from sales.till.models import Closure
from sales.views.till import ArchiveListView, ClosureListView
from tests.helpers import get_counting_queries, page_text

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
CLOSURES, ARCHIVES, EVENTS = "sales:till_closure_list", "sales:till_archive_list", "sales:till_events"


def at(day: date, hour=20):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=PARIS), tick=False)


def close_days(till, register, days, user=None):
    closures = []
    for day in days:
        with at(day):
            session = till_services.open_session(register=register, user=till.cashier, opening_float="0")
            till_services.close_session(session, user=till.cashier, counted_cash={})
            closures.append(till_services.close_day(register=register, day=day, user=user or till.cashier))
    return closures


@pytest.fixture
def closed(till):
    """C1: 2, 3 and 4 November closed, then November; C2: 3 November."""
    days = close_days(till, till.register, [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)])
    with at(date(2026, 11, 30)):
        month = till_services.close_month(register=till.register, year=2026, month=11, user=till.manager)
    other = close_days(till, till.other_register, [date(2026, 11, 3)], user=till.manager)
    return days, month, other[0]


def shown(client, name, **params) -> list:
    response = client.get(reverse(name), params)
    assert response.status_code == 200, params
    return list(response.context["object_list"])


def exported(client, name, **params) -> list[tuple]:
    response = client.get(reverse(name), {**params, "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))


def test_the_closures_are_searched_filtered_sorted_and_exported(client, till, closed):
    days, month, other = closed
    client.force_login(till.manager)
    everything = shown(client, CLOSURES)
    assert everything == [other, month, *reversed(days)]  # newest rank first

    assert shown(client, CLOSURES, q="c2") == [other]
    ranked = shown(client, CLOSURES, q=str(month.sequence))  # the rank as typed, found as a number in a document's
    assert month in ranked and all(str(month.sequence) in str(closure.sequence) for closure in ranked)
    assert shown(client, CLOSURES, register=till.register.pk) == [month, *reversed(days)]
    assert shown(client, CLOSURES, kind="month") == [month]
    assert shown(client, CLOSURES, since="2026-11-03", until="2026-11-03") == [other, days[1]]
    assert shown(client, CLOSURES, since="2026-11-01", kind="day", register=till.register.pk, sort="sequence") == days
    assert shown(client, CLOSURES, sort="register")[:4] == [*days, month]
    assert shown(client, CLOSURES, sort="-period")[0] == days[2]

    rows = exported(client, CLOSURES, register=till.register.pk, kind="day", sort="sequence")
    assert rows[0][:5] == ("Rang", "Caisse", "Type", "Du", "Au")
    assert [(row[0], row[1], row[2]) for row in rows[1:]] == [(c.sequence, "C1", "Journalière") for c in days]
    assert [row[-1] for row in rows[1:]] == [c.content_hash for c in days]

    # the register filtered is the one the closing form proposes; the form names its own register
    page = page_text(client.get(reverse(CLOSURES), {"register": till.other_register.pk}))
    assert f'<option value="{till.other_register.pk}" selected>' in page and "Clôturer la journée" in page


def test_the_closing_form_closes_the_register_it_names_whatever_the_filter(client, till):
    client.force_login(till.cashier)
    url = f"{reverse(CLOSURES)}?register={till.register.pk}"
    with at(date(2026, 11, 5)):
        done = client.post(url, {"register": till.other_register.pk, "kind": "day", "day": "2026-11-05"})
    closure = Closure.objects.get()
    assert done.status_code == 302 and closure.register == till.other_register
    for careless in ("9" * 40, "abc", "-1", ""):
        refused = client.post(url, {"register": careless, "kind": "day", "day": "2026-11-05"})
        assert refused.status_code == 400, careless
    assert Closure.objects.count() == 1


def test_the_archives_are_searched_filtered_sorted_and_exported(client, till, closed):
    days, month, other = closed
    client.force_login(till.manager)
    assert shown(client, ARCHIVES) == [days[2], other, days[1], days[0], month]  # the latest period first
    assert shown(client, ARCHIVES, kind="month") == [month]
    assert shown(client, ARCHIVES, q="C2") == [other]
    assert shown(client, ARCHIVES, register=till.other_register.pk) == [other]
    assert shown(client, ARCHIVES, sort="total", register=till.register.pk, kind="day") == days  # equal totals: by id
    rows = exported(client, ARCHIVES, kind="month")
    assert rows[0][:4] == ("Caisse", "Type", "Du", "Au") and len(rows) == 2 and rows[1][:2] == ("C1", "Mensuelle")
    assert "Télécharger l'archive signée" in page_text(client.get(reverse(ARCHIVES)))


def test_the_event_log_is_exported_as_filtered(client, till, closed):
    client.force_login(till.manager)
    rows = exported(client, EVENTS, register=till.other_register.pk, sort="sequence")
    assert rows[0][:3] == ("Rang", "Le", "Type")
    assert [row[2] for row in rows[1:]] == ["Ouverture de session", "Clôture de session", "Clôture de période"]


def test_every_closure_stays_reachable_page_after_page(client, till, monkeypatch):
    """A register closes some 300 days a year: the closures and archives are paged, none is left out."""
    for view in (ClosureListView, ArchiveListView):
        monkeypatch.setattr(view, "paginate_by", 2)
    close_days(till, till.register, [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)])
    client.force_login(till.manager)
    for name in (CLOSURES, ARCHIVES):
        url = reverse(name)
        first, second = page_text(client.get(url)), page_text(client.get(url, {"page": "2"}))
        assert "04/11/2026" in first and "02/11/2026" not in first and "Page 1 sur 2" in first, url
        assert "02/11/2026" in second and "04/11/2026" not in second, url
        assert "02/11/2026" in page_text(client.get(url, {"page": "last"})), url


CARELESS = [
    {"page": "9" * 40},
    {"page": "1e999"},
    {"page": "NaN"},
    {"page": "-1"},
    {"page": "0"},
    {"sort": "unknown"},
    {"sort": "-"},
    {"sort": "--sequence"},
    {"sort": "\x00"},
    {"register": "9" * 40},
    {"register": "NaN"},
    {"register": "-1"},
    {"kind": "\x00"},
    {"kind": "week"},
    {"since": "NaN"},
    {"since": "2026-13-45"},
    {"until": "9" * 40},
    {"q": "\x00"},
    {"q": "9" * 40},
    {"q": "%_'\"\\"},
    {"export": "csv"},
    {"export": "NaN"},
    {"export": "xlsx", "page": "9" * 40, "sort": "unknown", "register": "NaN"},
]


@pytest.mark.parametrize("params", CARELESS, ids=range(len(CARELESS)))
def test_careless_query_strings_answer_200_or_404_never_500(client, till, closed, params):
    client.force_login(till.manager)
    for name in (CLOSURES, ARCHIVES, EVENTS):
        response = client.get(reverse(name), params)
        assert response.status_code in (200, 404), (name, params, response.status_code)
        if response.status_code == 200 and "export" not in params:
            assert response.context["object_list"] is not None


# Session, user, permissions (2), company, count, rows, the filter's registers (its choices, and
# the one chosen); the closures add their tabs and the closing form's registers; a search, the
# rows of each related table searched that hold the word (read first: lmb.text_search).
LIMITS = {CLOSURES: 12, ARCHIVES: 10, EVENTS: 11}


def test_the_lists_take_the_same_few_queries_for_one_row_or_many(client, till):
    client.force_login(till.manager)
    queries = {name: [reverse(name), f"{reverse(name)}?q=c1&sort=-total&kind=day&register={till.register.pk}"] for name in LIMITS}

    def counts():
        return {url: get_counting_queries(client, url)[1] for urls in queries.values() for url in urls}

    close_days(till, till.register, [date(2026, 11, 2)])
    few = counts()
    close_days(till, till.register, [date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5)], user=till.manager)
    close_days(till, till.other_register, [date(2026, 11, 3)], user=till.other_cashier)
    till_services.create_register(code="C3", name="Caisse 3", channel=till.shop.counter, warehouse=till.boutique)
    many = counts()
    assert many == few
    for name, urls in queries.items():
        assert max(many[url] for url in urls) <= LIMITS[name], (name, [many[url] for url in urls])
