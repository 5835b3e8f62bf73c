import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from catalog.models import Product
from lmb import roles
from tests.factories import CategoryFactory, ProductFactory, vat_rate
from tests.helpers import page_text

pytestmark = pytest.mark.django_db


def test_product_list_searches_filters_sorts_and_pages(admin_client):
    kitchen = CategoryFactory(name="Cuisine")
    ProductFactory.create_batch(60, category=kitchen)
    ProductFactory(reference="ZZ-LAST", designation="Théière fonte", sale_price=Decimal("999"))
    url = reverse("catalog:product_list")

    page = admin_client.get(url)
    assert page.context["paginator"].count == 61 and len(page.context["object_list"]) == 50
    assert admin_client.get(url, {"q": "théière fonte"}).context["paginator"].count == 1
    assert admin_client.get(url, {"category": kitchen.pk}).context["paginator"].count == 60
    by_price = admin_client.get(url, {"sort": "-price"}).context["object_list"]
    assert by_price[0].reference == "ZZ-LAST"
    assert admin_client.get(url, {"sort": "-reference", "page": 2}).status_code == 200


def test_list_query_count_does_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    ProductFactory.create_batch(60, category=CategoryFactory())
    with django_assert_max_num_queries(10):
        admin_client.get(reverse("catalog:product_list"), {"q": "produit", "sort": "category"})


def test_htmx_search_returns_only_the_results(admin_client):
    ProductFactory(designation="Bol breton")
    response = admin_client.get(
        reverse("catalog:product_list"), {"q": "bol"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="list-results"
    )
    html = page_text(response)
    assert "Bol breton" in html and "<nav" not in html and "<table" in html


def test_export_is_the_filtered_list_as_a_spreadsheet(admin_client):
    ProductFactory(designation="Bol breton", sale_price=Decimal("12.5"))
    ProductFactory(designation="Cafetière")
    response = admin_client.get(reverse("catalog:product_list"), {"q": "bol", "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Référence", "Désignation")
    assert len(rows) == 2 and rows[1][1] == "Bol breton" and rows[1][8] == 12.5
    ods = admin_client.get(reverse("catalog:product_list"), {"export": "ods"})
    assert ods["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert admin_client.get(reverse("catalog:product_list"), {"export": "pdf"}).status_code == 404


def test_scanning_a_code_opens_the_product(admin_client):
    product = ProductFactory(ean13="3760123456784")
    response = admin_client.get(reverse("search"), {"q": "3760123456784"})
    assert response.status_code == 302 and response["Location"] == reverse("catalog:product_detail", args=[product.pk])
    by_reference = admin_client.get(reverse("search"), {"q": product.reference.lower()})
    assert by_reference["Location"] == reverse("catalog:product_detail", args=[product.pk])
    listing = admin_client.get(reverse("search"), {"q": "Produit"})
    assert listing.status_code == 200 and product.designation in page_text(listing)


def test_product_form_shows_errors_beside_fields_and_saves_through_the_service(admin_client):
    url = reverse("catalog:product_create")
    data = {
        "reference": "BOL-01",
        "designation": "Bol",
        "kind": "goods",
        "unit": "C62",
        "vat_rate": vat_rate().pk,
        "purchase_price": "4",
        "sale_price": "12,90",
        "price_includes_tax": "on",
        "eco_participation": "0",
        "ean13": "3760123456787",
        "is_active": "on",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "clé de contrôle est fausse" in page_text(response)
    assert not Product.objects.exists()
    response = admin_client.post(url, {**data, "ean13": "", "generate_ean": "on"})
    product = Product.objects.get()
    assert response["Location"] == reverse("catalog:product_detail", args=[product.pk])
    assert product.ean13.startswith("20") and product.sale_price_incl_tax == Decimal("12.9")
    detail = page_text(admin_client.get(response["Location"]))
    assert "12,90\xa0€" in detail and "10,75\xa0€" in detail


def test_warehouse_edits_products_but_sales_only_reads(role_client):
    product = ProductFactory()
    assert role_client(roles.SALES).get(reverse("catalog:product_update", args=[product.pk])).status_code == 403


def test_category_and_price_list_pages(admin_client):
    home = CategoryFactory(name="Maison")
    product = ProductFactory(category=home, reference="BOL-01")
    assert "Maison" in page_text(admin_client.get(reverse("catalog:category_list")))
    response = admin_client.post(
        reverse("catalog:pricelist_create"), {"name": "Revendeurs", "customer_category": "reseller", "is_active": "on"}
    )
    price_list_url = response["Location"]
    bad = admin_client.post(price_list_url, {"product": "INCONNU", "min_quantity": "1", "discount_percent": "10"})
    assert "Aucun produit" in page_text(bad)
    admin_client.post(price_list_url, {"product": "BOL-01", "min_quantity": "1", "discount_percent": "10"})
    assert product.price_list_items.count() == 1
    assert admin_client.post(reverse("catalog:category_delete", args=[home.pk])).status_code == 302
    assert home.__class__.objects.filter(pk=home.pk).exists()  # still holds a product


def test_decimals_typed_the_french_way_with_grouping_spaces(admin_client):
    data = {
        "reference": "MEUBLE-01",
        "designation": "Buffet",
        "kind": "goods",
        "unit": "C62",
        "vat_rate": vat_rate().pk,
        "purchase_price": "1 234,50",
        "sale_price": "2\u202f469,00",
        "eco_participation": "0",
        "is_active": "on",
    }
    admin_client.post(reverse("catalog:product_create"), data)
    product = Product.objects.get()
    assert (product.purchase_price, product.sale_price_excl_tax) == (Decimal("1234.5"), Decimal("2469"))


def test_list_rows_open_their_page_and_invalid_filters_say_so(admin_client):
    product = ProductFactory()
    page = page_text(admin_client.get(reverse("catalog:product_list"), {"category": "abc"}))
    assert "invalid-feedback" in page
    results = page.split('id="list-results"', 1)[1]
    row_link = f'<a href="{reverse("catalog:product_detail", args=[product.pk])}">'
    assert row_link in results  # a plain link: the product opens as its own page, not inside the list
