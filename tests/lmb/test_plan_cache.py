"""A list searched again and again on one connection keeps plans made for the words searched.

psycopg prepares a statement run twice on a connection; after five runs PostgreSQL may keep a
generic plan, made without the parameters' values. For a search (``LIKE '%P0050000%'``) that
plan cannot know the word is rare: on a connection kept between requests it read the whole
catalogue, 9 ms became 590 ms at 100,000 products (bench/lists.py). The settings ask for plans
made for the values bound (``plan_cache_mode``); PostgreSQL counts, per prepared statement, the
generic and the custom plans it used (``pg_prepared_statements``)."""

import pytest
from django.db import connection

from tests.factories import ProductFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan cache"),
]


def _search_plans():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements "
            "WHERE statement LIKE '%%lmb_search_text%%' AND statement LIKE '%%catalog_product%%'"
        )
        generic, custom = cursor.fetchone()
    return generic or 0, custom or 0


def test_a_search_run_again_on_one_connection_is_planned_for_its_words(api_client):
    ProductFactory(reference="P0050000", designation="Cocotte en fonte")
    ProductFactory.create_batch(3)
    client = api_client()
    for _ in range(8):
        response = client.get("/api/v1/products/", {"search": "P0050000"})
        assert [row["reference"] for row in response.json()["results"]] == ["P0050000"]
    generic, custom = _search_plans()
    assert custom >= 6  # the statements were prepared and run again on this connection
    assert generic == 0
