import pytest

from catalog.models import Product
from lmb import roles
from tests.factories import CategoryFactory, ProductFactory, vat_rate

pytestmark = pytest.mark.django_db


def product_payload(**changes):
    return {
        "reference": "BOL-01",
        "designation": "Bol breton",
        "vat_rate": vat_rate().pk,
        "sale_price": "12.90",
        "price_includes_tax": True,
        "ean13": "3760123456784",
        **changes,
    }


def test_create_read_update_delete_a_product(api_client):
    api = api_client()
    created = api.post("/api/v1/products/", product_payload(), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["sale_price_incl_tax"] == "12.900000"
    assert body["sale_price_excl_tax"] == "10.750000"
    product_id = body["id"]
    assert api.get(f"/api/v1/products/{product_id}/").json()["reference"] == "BOL-01"
    patched = api.patch(f"/api/v1/products/{product_id}/", {"sale_price": "24", "price_includes_tax": False}, format="json")
    assert patched.status_code == 200
    assert patched.json()["sale_price_incl_tax"] == "28.800000"
    assert api.delete(f"/api/v1/products/{product_id}/").status_code == 204
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ean13": "3760123456787"}, "ean13"),
        ({"designation": ""}, "designation"),
        ({"vat_rate": 99999}, "vat_rate"),
        ({"sale_price": "douze"}, "sale_price"),
        ({"reference": None}, "reference"),
    ],
)
def test_bad_input_gets_400_naming_the_field_and_writes_nothing(api_client, changes, field):
    response = api_client().post("/api/v1/products/", product_payload(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Product.objects.exists()


def test_an_overseas_rate_is_refused_by_the_service_with_400(api_client):
    response = api_client().post("/api/v1/products/", product_payload(vat_rate=vat_rate("FR-DOM-8.5").pk), format="json")
    assert response.status_code == 400
    assert "métropolitaine" in response.json()["vat_rate"][0]


def test_a_duplicate_ean_is_refused(api_client):
    ProductFactory(ean13="3760123456784")
    response = api_client().post("/api/v1/products/", product_payload(), format="json")
    assert response.status_code == 400
    assert "ean13" in response.json()


def test_list_filters_search_and_pagination(api_client, django_assert_max_num_queries):
    kitchen = CategoryFactory(name="Cuisine")
    knives = CategoryFactory(name="Couteaux", parent=kitchen)
    ProductFactory.create_batch(55, category=kitchen)
    special = ProductFactory(designation="Couteau de chef", category=knives, ean13="3760123456784")
    api = api_client(roles.SALES)
    with django_assert_max_num_queries(8):
        page = api.get("/api/v1/products/").json()
    assert page["count"] == 56 and len(page["results"]) == 50 and page["next"]
    assert api.get("/api/v1/products/", {"ean13": "3760123456784"}).json()["results"][0]["id"] == special.pk
    assert api.get("/api/v1/products/", {"search": "chef"}).json()["count"] == 1
    assert api.get("/api/v1/products/", {"category_tree": kitchen.pk}).json()["count"] == 56
    assert api.get("/api/v1/products/", {"category": kitchen.pk}).json()["count"] == 55
    assert api.get("/api/v1/products/", {"page_size": 10, "page": 2}).json()["results"][0]["reference"]


def test_categories_price_lists_and_vat_rates(api_client):
    api = api_client()
    home = api.post("/api/v1/categories/", {"name": "Maison"}, format="json").json()
    kitchen = api.post("/api/v1/categories/", {"name": "Cuisine", "parent": home["id"]}, format="json").json()
    assert kitchen["full_name"] == "Maison > Cuisine"
    loop = api.patch(f"/api/v1/categories/{home['id']}/", {"parent": kitchen["id"]}, format="json")
    assert loop.status_code == 400 and "parent" in loop.json()
    product = ProductFactory(category_id=kitchen["id"])
    assert api.delete(f"/api/v1/categories/{kitchen['id']}/").status_code == 409

    price_list = api.post("/api/v1/price-lists/", {"name": "Revendeurs", "customer_category": "reseller"}, format="json").json()
    item = api.post(
        "/api/v1/price-list-items/",
        {"price_list": price_list["id"], "product": product.pk, "min_quantity": "10", "discount_percent": "15"},
        format="json",
    )
    assert item.status_code == 201, item.json()
    both = api.post(
        "/api/v1/price-list-items/",
        {
            "price_list": price_list["id"],
            "product": product.pk,
            "min_quantity": "20",
            "discount_percent": "15",
            "unit_price_excl_tax": "3",
        },
        format="json",
    )
    assert both.status_code == 400
    assert len(api.get(f"/api/v1/price-lists/{price_list['id']}/").json()["items"]) == 1

    rates = api.get("/api/v1/vat-rates/", {"territory": "FR-DOM"}).json()
    assert {r["rate"] for r in rates["results"]} == {"8.500", "2.100", "1.050"}
    assert api.post("/api/v1/vat-rates/", {"code": "X"}, format="json").status_code in (403, 405)


def test_roles_decide_who_writes(api_client):
    assert api_client(roles.SALES).post("/api/v1/products/", product_payload(), format="json").status_code == 403
    assert api_client(roles.WAREHOUSE).post("/api/v1/products/", product_payload(), format="json").status_code == 201
