"""The list machinery at scale (issue #21): a search through a foreign key that keeps the
table's indexes usable, a count that stops at a limit and says « environ » beyond, and pages
read by their ids first."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from catalog.views import ProductListView
from lmb import text_search
from lmb.lists import ListPaginator, search
from tests.factories import CategoryFactory, ProductFactory
from tests.helpers import get_counting_queries, page_text

pytestmark = pytest.mark.django_db


def test_a_field_behind_a_foreign_key_is_searched_in_its_own_table():
    kitchen, garden = CategoryFactory(name="Cuisine"), CategoryFactory(name="Jardin")
    pan = ProductFactory(designation="Poêle", category=kitchen)
    ProductFactory(designation="Râteau", category=garden)
    cuisine_pot = ProductFactory(designation="Pot « cuisine »", category=garden)
    products = Product.objects.order_by("pk")
    assert list(search(products, "cuisine", ["designation", "category__name"])) == [pan, cuisine_pot]
    # every word in some field: « poele » in the designation, « cuisine » in the category
    assert list(search(products, "poele cuisine", ["designation", "category__name"])) == [pan]
    assert list(search(products, "CUISINE jardin", ["designation", "category__name"])) == [cuisine_pot]
    # a nullable key: the rows without a category are not matched by the category's name
    ProductFactory(designation="Sans rayon", category=None)
    assert list(search(products, "jardin", ["category__name"])) == [product for product in products if product.category == garden]


def test_the_related_ids_are_read_first_and_the_list_filters_by_them_without_a_join():
    kitchen = CategoryFactory(name="Cuisine")
    pan = ProductFactory(designation="Poêle", category=kitchen)
    sql = str(search(Product.objects.all(), "cuisine", ["designation", "category__name"]).query)
    assert f'"catalog_product"."category_id" IN ({kitchen.pk})' in sql
    assert "JOIN" not in sql  # the products' own indexes stay usable
    assert list(search(Product.objects.all(), "cuisine", ["designation", "category__name"])) == [pan]


def test_a_word_found_in_many_related_rows_is_looked_for_by_a_subquery(monkeypatch):
    monkeypatch.setattr(text_search, "RELATED_IDS_LIMIT", 1)
    first, second = CategoryFactory(name="Rayon bols"), CategoryFactory(name="Rayon tasses")
    bowl, cup = ProductFactory(designation="Bol", category=first), ProductFactory(designation="Tasse", category=second)
    ProductFactory(designation="Sans rayon", category=None)
    found = search(Product.objects.order_by("pk"), "rayon", ["category__name"])
    assert '"catalog_product"."category_id" IN (SELECT' in str(found.query)
    assert list(found) == [bowl, cup]


@pytest.fixture
def seven_products(db):
    return [ProductFactory(reference=f"P-{index}", designation=f"Bol n° {index}") for index in range(1, 8)]


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of two rows, counted exactly up to three rows."""
    monkeypatch.setattr(ProductListView, "paginate_by", 2)
    monkeypatch.setattr(ProductListView, "exact_count_limit", 3)


def shown_references(response) -> list[str]:
    return re.findall(r">(P-\d)<", page_text(response))


def test_beyond_the_limit_the_count_is_an_estimate_and_pages_read_the_right_rows(admin_client, seven_products, small_pages):
    first = admin_client.get("/catalog/products/?sort=-reference")
    assert shown_references(first) == ["P-7", "P-6"]
    text = page_text(first)
    assert re.search(r"environ [\d\s]+ résultats", text), "beyond the limit the count says « environ »"
    assert "sur" not in re.search(r'aria-current="page"><span class="page-link">([^<]*)<', text).group(1)
    assert "»" not in text  # no link to a last page only estimated
    pages = [shown_references(admin_client.get(f"/catalog/products/?sort=-reference&page={n}")) for n in (2, 3, 4)]
    assert pages == [["P-5", "P-4"], ["P-3", "P-2"], ["P-1"]]


def test_a_search_beyond_the_limit_says_more_than_the_limit_not_an_estimate(admin_client, seven_products, small_pages):
    """The planner cannot estimate a word looked for in a related table: the list says what it
    knows, and still pages through every match."""
    text = page_text(admin_client.get("/catalog/products/?q=bol&sort=-reference"))
    assert "plus de 3 résultats" in text and "environ" not in text
    assert "»" not in text and 'rel="next"' in text
    last = admin_client.get("/catalog/products/?q=bol&sort=-reference&page=4")
    assert shown_references(last) == ["P-1"] and 'rel="next"' not in page_text(last)


def test_many_matches_sorted_are_read_by_their_ids_first_on_page_one_too(admin_client, seven_products, small_pages, monkeypatch):
    """Seven « bol » sorted (within the exact count): past ``ids_first_beyond`` the first page
    reads the ids, then the rows, like a later page — the same rows as one query gives."""
    monkeypatch.setattr(ProductListView, "exact_count_limit", 10)
    url = "/catalog/products/?q=bol&sort=-reference"
    one_query, queries = get_counting_queries(admin_client, url)
    monkeypatch.setattr(ListPaginator, "ids_first_beyond", 3)
    ids_first, queries_ids_first = get_counting_queries(admin_client, url)
    assert shown_references(ids_first) == shown_references(one_query) == ["P-7", "P-6"]
    assert queries_ids_first == queries + 1
    assert "COALESCE" in page_query(admin_client, url)  # still the matches sorted, not the index walked


def test_a_search_of_control_characters_alone_is_no_search(admin_client, seven_products, small_pages):
    """``search`` drops control characters: the list is the whole list, and says so."""
    text = page_text(admin_client.get("/catalog/products/?q=%01%00&sort=-reference"))
    assert re.search(r"environ [\d\s]+ résultats", text) and "plus de" not in text


def test_within_the_limit_the_count_is_exact(admin_client, seven_products, small_pages):
    response = admin_client.get("/catalog/products/?q=p-1")
    assert shown_references(response) == ["P-1"]
    assert "1 résultat" in page_text(response) and "environ" not in page_text(response)


def test_a_page_after_the_first_takes_one_more_query_whatever_the_rows(admin_client, seven_products, small_pages):
    _response, first = get_counting_queries(admin_client, "/catalog/products/?page=1")
    _response, second = get_counting_queries(admin_client, "/catalog/products/?page=2")
    _response, third = get_counting_queries(admin_client, "/catalog/products/?page=3")
    assert second == third == first + 1  # the page's ids, then its rows


def test_past_an_estimate_a_page_beyond_the_rows_is_empty_but_a_typed_number_refused(admin_client, seven_products, small_pages):
    """The planner may guess low: a page past the estimate is read, not refused."""
    empty = admin_client.get("/catalog/products/?page=999")
    assert empty.status_code == 200 and shown_references(empty) == [] and 'rel="next"' not in page_text(empty)
    assert admin_client.get(f"/catalog/products/?page={10**22}").status_code == 404  # beyond any OFFSET


def test_within_the_limit_a_page_beyond_the_last_is_not_found(admin_client, seven_products, monkeypatch):
    monkeypatch.setattr(ProductListView, "paginate_by", 2)
    assert admin_client.get("/catalog/products/?page=4").status_code == 200
    assert admin_client.get("/catalog/products/?page=5").status_code == 404


def page_query(admin_client, url) -> str:
    """The SQL of the query that read the page's rows (the last one reading the products)."""
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.get(url).status_code == 200
    return [query["sql"] for query in captured if 'FROM "catalog_product"' in query["sql"] and "LIMIT" in query["sql"]][-1]


def test_a_search_that_matches_many_rows_walks_the_sort_a_rare_one_sorts_its_matches(admin_client, seven_products, small_pages):
    """A word matching beyond the count's limit is read in the list's order (its index walked);
    a rarer one from the trigram indexes, then sorted (the order written so no b-tree serves it)."""
    many = page_query(admin_client, "/catalog/products/?q=bol&sort=-reference")
    few = page_query(admin_client, "/catalog/products/?q=p-1&sort=-reference")
    assert "COALESCE" not in many and "COALESCE" in few
    assert shown_references(admin_client.get("/catalog/products/?q=bol&sort=-reference&page=2")) == ["P-5", "P-4"]


def test_words_split_between_the_row_and_its_related_row_are_found_as_words_all_in_one(monkeypatch):
    """The extra condition that lets indexes find the candidates changes no result: words all in
    the category, split between the product and its category, or one missing — over the limit
    of related ids too (a subquery, then each candidate's category looked at)."""
    kitchen_tools = CategoryFactory(name="Cuisine ustensiles")
    garden = CategoryFactory(name="Jardin")
    in_category = ProductFactory(designation="Louche", category=kitchen_tools)
    split = ProductFactory(designation="Poêle ustensiles", category=CategoryFactory(name="Cuisine"))
    ProductFactory(designation="Râteau", category=garden)
    ProductFactory(designation="Poêle", category=garden)  # « cuisine » nowhere
    products = Product.objects.order_by("pk")
    for limit in (2_000, 0):
        monkeypatch.setattr(text_search, "RELATED_IDS_LIMIT", limit)
        assert list(search(products, "cuisine ustensiles", ["designation", "category__name"])) == [in_category, split]
        assert list(search(products, "poele cuisine", ["designation", "category__name"])) == [split]
        assert list(search(products, "cuisine ustensiles e", ["designation", "category__name"])) == [in_category, split]


def test_a_row_whose_related_row_holds_every_word_matches_and_a_short_word_is_still_required(monkeypatch):
    """The shortcut (the related row holds every word, short ones too) and the word-by-word test
    of the other candidates give the search box's result: « 7 », too short for an index, is
    found in the product or in its category, and a candidate without it is left out."""
    tools, tools_seven = CategoryFactory(name="Cuisine ustensiles"), CategoryFactory(name="Cuisine ustensiles 7")
    seven_in_own_field = ProductFactory(designation="Louche 7", category=tools)
    ProductFactory(designation="Louche", category=tools)  # « 7 » nowhere
    all_in_category = ProductFactory(designation="Écumoire", category=tools_seven)
    split = ProductFactory(designation="Ustensiles 7", category=CategoryFactory(name="Cuisine"))
    products = Product.objects.order_by("pk")
    for limit in (2_000, 0):
        monkeypatch.setattr(text_search, "RELATED_IDS_LIMIT", limit)
        found = search(products, "cuisine ustensiles 7", ["designation", "category__name"])
        assert list(found) == [seven_in_own_field, all_in_category, split]


def test_a_word_no_row_holds_in_its_own_fields_is_looked_for_through_the_key_alone():
    """« cuisine » in no product's designation: the condition is the category's key alone (a join
    PostgreSQL plans from the categories found), not « designation OR key » tested on every
    product; once a designation holds it, both again. The same products either way."""
    kitchen = CategoryFactory(name="Cuisine")
    pan, pot = ProductFactory(designation="Poêle", category=kitchen), ProductFactory(designation="Faitout", category=kitchen)
    ProductFactory(designation="Râteau", category=CategoryFactory(name="Jardin"))
    products = Product.objects.order_by("pk")
    through_key = search(products, "cuisine", ["designation", "category__name"])
    assert list(through_key) == [pan, pot]
    assert 'lmb_search_text(("catalog_product"."designation")' not in str(through_key.query)
    apron = ProductFactory(designation="Tablier de cuisine", category=None)
    both = search(products, "cuisine", ["designation", "category__name"])
    assert list(both) == [pan, pot, apron]
    assert 'lmb_search_text(("catalog_product"."designation")' in str(both.query)


def test_long_words_in_no_row_of_its_own_are_looked_for_in_the_related_rows_once(monkeypatch):
    """« cuisine ustensiles 7 » where no designation holds « cuisine » nor « ustensiles »: the
    categories holding both are read once, and « 7 » (too short for an index) is found in the
    product or in one of those categories — the search box's result, by one list of keys."""
    tools, tools_seven = CategoryFactory(name="Cuisine ustensiles"), CategoryFactory(name="Cuisine ustensiles 7")
    seven_in_own_field = ProductFactory(designation="Louche 7", category=tools)
    ProductFactory(designation="Louche", category=tools)  # « 7 » nowhere
    all_in_category = ProductFactory(designation="Écumoire", category=tools_seven)
    ProductFactory(designation="Poêle 7", category=CategoryFactory(name="Cuisine"))  # « ustensiles » nowhere
    ProductFactory(designation="Râteau 7", category=None)
    products = Product.objects.order_by("pk")
    found = search(products, "cuisine ustensiles 7", ["designation", "category__name"])
    assert list(found) == [seven_in_own_field, all_in_category]
    sql = str(found.query)
    assert "%cuisine%" not in sql and "%ustensiles%" not in sql  # not tested word by word on each product
    assert f'"catalog_product"."category_id" IN ({tools.pk}, {tools_seven.pk})' in sql
    monkeypatch.setattr(text_search, "RELATED_IDS_LIMIT", 1)  # too many categories to list: the general way
    found = search(products, "cuisine ustensiles 7", ["designation", "category__name"])
    assert list(found) == [seven_in_own_field, all_in_category]
