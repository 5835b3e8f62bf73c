"""The entry-line list never reads the whole ledger (issue #21): on PostgreSQL, with books large
enough for the planner to care, no page the screen offers — first or deep, each sort, each filter
— plans a sequential scan of the lines or the entries."""

from datetime import date

import pytest
from django.db import connection

from accounting import services
from accounting.models import Journal, Period
from accounting.views import EntryLineListView
from tests.query_plans import analyze, page_queryset, tables_read_whole

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans"),
]

ENTRIES = 8_000  # of 4 lines each
LARGE = {"accounting_journalline", "accounting_journalentry"}


@pytest.fixture
def books():
    """8,000 sales and bank entries of four lines over 2024 and 2025, written by SQL."""
    for year in (2024, 2025):
        services.create_fiscal_year(start=date(year, 1, 1), end=date(year, 12, 31))
    with connection.cursor() as cursor:
        # The balance trigger off while loading (it would check 32,000 lines one by one at the end).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            WITH raw AS (
                SELECT n, date '2024-01-01' + (n - 1) * 730 / %(entries)s AS d,
                       CASE WHEN n %% 3 = 0 THEN 'BQ1' ELSE 'VT' END AS code
                  FROM generate_series(1, %(entries)s) AS n)
            INSERT INTO accounting_journalentry (journal_id, number, fiscal_year_id, period_id, date, piece_ref, piece_date,
                                                 label, source_type, source_id, posted_at)
            SELECT j.id, row_number() OVER (PARTITION BY j.id, p.fiscal_year_id ORDER BY r.n), p.fiscal_year_id, p.id, r.d,
                   'FA-' || r.n, r.d, 'Facture ' || r.n, 'test', r.n, now()
              FROM raw r
              JOIN accounting_journal j ON j.code = r.code
              JOIN accounting_period p ON p.start <= r.d AND p."end" >= r.d
            """,
            {"entries": ENTRIES},
        )
        cursor.execute(
            """
            INSERT INTO accounting_journalline (entry_id, position, account_id, auxiliary_number, auxiliary_label, label, debit,
                                                credit, currency, lettering_code)
            SELECT e.id, l.position, a.id, '', '', e.label, l.debit, l.credit, '', CASE WHEN e.id % 3 = 0 THEN 'A' ELSE '' END
              FROM accounting_journalentry e
             CROSS JOIN (VALUES (1, '411000', 120.00, 0.00), (2, '707100', 0.00, 60.00),
                                (3, '706100', 0.00, 40.00), (4, '445711', 0.00, 20.00)) AS l(position, account, debit, credit)
              JOIN accounting_account a ON a.number = l.account
            """
        )
        cursor.execute("SET LOCAL session_replication_role = origin")
    analyze(*LARGE)
    return {"journal": Journal.objects.get(code="BQ1").pk, "period": Period.objects.get(start=date(2024, 3, 1)).pk}


PAGES = {
    "first page (newest first)": ({}, 1),
    "deep page": ({}, 50),
    "by date, oldest first": ({"sort": "date"}, 1),
    "by journal": ({"sort": "journal"}, 1),
    "by journal, descending": ({"sort": "-journal"}, 1),
    "by debit, largest first": ({"sort": "-debit"}, 1),
    "by credit": ({"sort": "credit"}, 1),
    "by debit, deep page": ({"sort": "-debit"}, 50),
    "a journal": ({"journal": "{journal}"}, 1),
    "a period": ({"period": "{period}"}, 1),
    "a period and a journal, by date": ({"period": "{period}", "journal": "{journal}", "sort": "date"}, 1),
    "an account": ({"account": "411"}, 1),
    "an account no line uses": ({"account": "6"}, 1),
}


@pytest.mark.parametrize("params, page", PAGES.values(), ids=PAGES.keys())
def test_no_page_of_the_entry_list_reads_the_whole_ledger(books, admin_user, params, page):
    params = {key: value.format(**books) for key, value in params.items()}
    queryset = page_queryset(EntryLineListView, admin_user, params, page=page)
    assert list(queryset) or params.get("account") == "6"  # the plan is that of a real page
    assert tables_read_whole(queryset, LARGE) == set()


@pytest.mark.parametrize("index", ["accounting_entry_date_idx", "accounting_line_entry_idx"])
def test_without_its_indexes_the_date_sort_reads_the_whole_ledger(books, admin_user, index):
    """The check can fail: drop either index the date sort walks, and the first page reads every
    line or every entry (the test's transaction puts the index back)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {index}")
    queryset = page_queryset(EntryLineListView, admin_user, {})
    assert tables_read_whole(queryset, LARGE)


@pytest.mark.parametrize("params", [{"q": "FA-1234"}, {"q": "facture 1234", "sort": "-debit"}])
def test_a_search_reads_the_trigram_indexes_not_the_ledger(books, admin_user, params):
    queryset = page_queryset(EntryLineListView, admin_user, params)
    assert list(queryset)
    assert tables_read_whole(queryset, LARGE) == set()
