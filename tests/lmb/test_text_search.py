import pytest
from django.db import connection

from catalog.models import Product
from lmb.lists import search
from lmb.text_search import search_text
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_python_twin_of_the_sql_function():
    assert search_text("Théière Œuvre façade straße") == "THEIERE OEUVRE FACADE STRASSE"


def test_search_ignores_accents_case_and_ligatures():
    teapot = ProductFactory(designation="Théière fonte — Œuvre d'art")
    ProductFactory(designation="Tasse")
    products = Product.objects.all()
    for typed in ["theiere", "THÉIÈRE", "oeuvre", "œuvre d'art", "théière fonte"]:
        assert list(search(products, typed, ["designation"])) == [teapot], typed


def test_like_wildcards_typed_by_the_user_are_literal():
    ProductFactory(designation="Remise 50 % sur le lot")
    ProductFactory(designation="Pot 500 ml")
    assert search(Product.objects.all(), "50%", ["designation"]).count() == 0
    assert search(Product.objects.all(), "50", ["designation"]).count() == 2
    assert search(Product.objects.all(), "_", ["designation"]).count() == 0


def test_api_search_uses_the_same_rules(api_client):
    ProductFactory(designation="Crêpière électrique")
    assert api_client().get("/api/v1/products/", {"search": "crepiere"}).json()["count"] == 1


def test_postgresql_answers_a_search_from_the_trigram_index():
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's")
    ProductFactory(designation="Théière")
    with connection.cursor() as cursor:
        # On a table this small the planner prefers scanning: forbid the table scan and a walk of the
        # primary key (which it picked once, after a long run), so that only a usable index can answer.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = search(Product.objects.all(), "theiere", ["designation"]).query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "catalog_product_designation_trgm" in plan
