from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import Product
from catalog.queries import find_by_code
from lmb.lists import search
from lmb.text_search import search_text
from sales import services as sales_services
from sales.forms import NewDocumentForm
from tests.factories import ProductFactory
from tests.sales.conftest import shop as shop  # noqa: F401 (the shop fixture)

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


# --- Codes typed without their accents (issue #17, item 22) ---------------------------------------


@pytest.mark.smoke
def test_a_code_typed_without_accents_and_case_opens_its_product(admin_client, api_client):
    """The search box: "cpe-0002" opens CPÉ-0002 (not CPÉ-00021, which only contains it); a
    scanned EAN still opens exactly its product. Lists and the API find it too (SQLite as well)."""
    coffee_pot = ProductFactory(reference="CPÉ-0002", designation="Cafetière émaillée")
    ProductFactory(reference="CPÉ-00021", designation="Cafetière émaillée XL")
    scanned = ProductFactory(reference="EAN-1", ean13="2000000000015")
    assert admin_client.get("/search/", {"q": "cpe-0002"})["Location"] == f"/catalog/products/{coffee_pot.pk}/"
    assert admin_client.get("/search/", {"q": "2000000000015"})["Location"] == f"/catalog/products/{scanned.pk}/"
    listed = admin_client.get("/catalog/products/", {"q": "cpe-0002"}).context["object_list"]
    assert {product.reference for product in listed} == {"CPÉ-0002", "CPÉ-00021"}
    found = api_client().get("/api/v1/products/", {"search": "cafetiere emaillee"}).json()
    assert {row["reference"] for row in found["results"]} == {"CPÉ-0002", "CPÉ-00021"}


def test_find_by_code_prefers_the_code_as_written_and_refuses_to_guess():
    plain, accented = ProductFactory(reference="CPE-0002"), ProductFactory(reference="CPÉ-0002")
    ProductFactory(reference="BOL-Ê"), ProductFactory(reference="BOL-È")
    assert find_by_code("cpe-0002") == plain
    assert find_by_code("cpé-0002") == accented
    assert find_by_code("bol-e") is None  # two references read "BOL-E": no guess
    assert find_by_code("BOL-Ê").reference == "BOL-Ê"


def test_a_scanned_code_without_accents_adds_its_product_to_a_document(shop):
    product = ProductFactory(reference="THÉ-0007", designation="Thé vert", sale_price=Decimal("6.00"))
    quote = sales_services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"code": "the-0007"}])
    assert [line.product for line in quote.lines.all()] == [product]


def test_code_boxes_and_filters_read_a_code_without_accents_and_case(admin_client, shop):
    order = sales_services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug}])
    code = shop.bakery.code
    listed = admin_client.get("/sales/orders/", {"customer": code.lower()}).context["object_list"]
    assert list(listed) == [order]
    assert admin_client.get("/search/", {"q": code.lower()})["Location"] == shop.bakery.get_absolute_url()
    form = NewDocumentForm(data={"customer": code.lower(), "channel": shop.b2b.pk})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["customer"] == shop.bakery


def test_postgresql_answers_a_code_from_the_trigram_index():
    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's")
    ProductFactory(reference="CPÉ-0002")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = Product.objects.filter(reference__same_text="cpe-0002").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "catalog_product_reference_trgm" in plan
