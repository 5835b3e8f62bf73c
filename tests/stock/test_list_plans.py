"""The stock-move list never reads the whole ledger (issue #21): on PostgreSQL, with a ledger
large enough for the planner to care, no page the screen offers — first or deep, each sort, each
filter — plans a sequential scan of the moves or the products."""

import pytest
from django.db import connection

from stock.views import MoveListView
from tests.factories import vat_rate, warehouse
from tests.query_plans import analyze, page_queryset, tables_read_whole

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans"),
]

PRODUCTS = 2_000
MOVES = 30_000
LARGE = {"stock_stockmove", "catalog_product"}


@pytest.fixture
def ledger(admin_user):
    """30,000 moves over 2,000 products and two warehouses, written by SQL (the services would
    take minutes), spread over ten years."""
    shop, depot = warehouse("MAG", "Magasin"), warehouse("DEP", "Entrepôt")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO catalog_product (reference, designation, description, kind, unit, purchase_price, price_includes_tax,
                                         sale_price, sale_price_excl_tax, sale_price_incl_tax, eco_participation, is_active,
                                         created_at, updated_at, vat_rate_id, variant_attributes)
            SELECT 'P' || lpad(n::text, 6, '0'), 'Bol modèle ' || n, '', 'goods', 'pce', 5, false, 10, 10, 12, 0, true,
                   now(), now(), %s, ''
              FROM generate_series(1, %s) AS n
            """,
            [vat_rate().pk, PRODUCTS],
        )
        cursor.execute(
            """
            INSERT INTO stock_stockmove (kind, quantity, unit_cost, value, product_quantity_after, average_cost_after, reason,
                                         note, reference, source_type, created_at, product_id, warehouse_id)
            SELECT CASE WHEN n %% 10 = 0 THEN 'exit' ELSE 'reception' END, CASE WHEN n %% 10 = 0 THEN -1 ELSE 1 END,
                   5, 5, 1, 5, '', '', 'BR-' || n, '', timestamptz '2016-01-01' + n * interval '3 hours',
                   (SELECT min(id) FROM catalog_product) + n * 7 %% %s, CASE WHEN n %% 3 = 0 THEN %s ELSE %s END
              FROM generate_series(1, %s) AS n
            """,
            [PRODUCTS, depot.pk, shop.pk, MOVES],
        )
    analyze(*LARGE)
    return {"warehouse": depot.pk}


PAGES = {
    "first page (newest first)": ({}, 1),
    "deep page": ({}, 100),
    "by date, oldest first": ({"sort": "date"}, 1),
    "by product": ({"sort": "product"}, 1),
    "by product, descending": ({"sort": "-product"}, 1),
    "by product, deep page": ({"sort": "product"}, 100),
    "a kind": ({"kind": "exit"}, 1),
    "a warehouse": ({"warehouse": "{warehouse}"}, 1),
    "a warehouse, page 20": ({"warehouse": "{warehouse}"}, 20),
    "a month": ({"since": "2020-03-01", "until": "2020-03-31"}, 1),
    "a kind over a year": ({"kind": "exit", "since": "2019-01-01", "until": "2019-12-31"}, 1),
    "a warehouse, by product": ({"warehouse": "{warehouse}", "sort": "product"}, 1),
}


@pytest.mark.parametrize("params, page", PAGES.values(), ids=PAGES.keys())
def test_no_page_of_the_move_list_reads_the_whole_ledger(ledger, admin_user, params, page):
    params = {key: value.format(**ledger) for key, value in params.items()}
    queryset = page_queryset(MoveListView, admin_user, params, page=page)
    assert list(queryset)  # the page has rows: the plan is that of a real page
    assert tables_read_whole(queryset, LARGE) == set()


def test_without_its_index_the_date_sort_reads_the_whole_ledger(ledger, admin_user):
    """The check can fail: drop the index that serves the date sort, and the first page is a
    scan of every move, then a sort (the test's transaction puts the index back)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX stock_move_date_idx")
    queryset = page_queryset(MoveListView, admin_user, {})
    assert "stock_stockmove" in tables_read_whole(queryset, LARGE)


@pytest.mark.parametrize("params", [{"q": "BR-1234"}, {"q": "P000123", "sort": "product"}])
def test_a_search_reads_the_trigram_indexes_not_the_ledger(ledger, admin_user, params):
    queryset = page_queryset(MoveListView, admin_user, params)
    assert list(queryset)
    # the 2,000 products of this test are few enough for the planner to read them whole (the
    # product list's own plan test covers their trigram indexes at scale): not so the moves
    assert tables_read_whole(queryset, LARGE) <= {"catalog_product"}
