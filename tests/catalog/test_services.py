import re
from decimal import Decimal

import pytest
from django.db import transaction

from catalog import queries, services
from catalog.models import Category, Product, VatRate
from lmb.errors import Conflict, InvalidInput
from lmb.validators import validate_ean13
from tests.factories import CategoryFactory, ProductFactory, ThirdPartyFactory, vat_rate
from tests.helpers import page_text

pytestmark = pytest.mark.django_db


def test_vat_rates_of_every_territory_are_seeded():
    rates = {(r.territory, r.rate.normalize()) for r in VatRate.objects.all()}
    for rate in ("20", "10", "5.5", "2.1"):
        assert ("FR", Decimal(rate)) in rates
    for rate in ("8.5", "2.1", "1.05"):
        assert ("FR-DOM", Decimal(rate)) in rates
    for rate in ("13", "10", "2.1", "0.9"):
        assert ("FR-COR", Decimal(rate)) in rates


def test_a_tax_included_price_is_kept_exactly_and_the_excluded_one_derived():
    product = ProductFactory(sale_price=Decimal("19.99"), price_includes_tax=True)
    assert product.sale_price_incl_tax == Decimal("19.99")
    assert product.sale_price_excl_tax == Decimal("16.658333")


def test_a_tax_excluded_price_gives_its_tax_included_twin():
    product = ProductFactory(sale_price=Decimal("10"), vat_rate=vat_rate("FR-5.5"))
    assert (product.sale_price_excl_tax, product.sale_price_incl_tax) == (Decimal("10"), Decimal("10.55"))
    services.update_product(product, vat_rate=vat_rate("FR-20"))
    product.refresh_from_db()
    assert product.sale_price_incl_tax == Decimal("12")


def test_a_product_carries_a_metropolitan_rate():
    with pytest.raises(InvalidInput) as error:
        ProductFactory(vat_rate=vat_rate("FR-DOM-8.5"))
    assert "vat_rate" in error.value.errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ean13", "3760123456787"),
        ("reference", ""),
        ("designation", ""),
        ("sale_price", Decimal("-1")),
        ("weight", Decimal("-2")),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(field, value):
    with pytest.raises(InvalidInput) as error:
        ProductFactory(**{field: value})
    assert field in error.value.errors
    assert not Product.objects.exists()


def test_a_reference_and_an_ean_are_unique():
    first = ProductFactory()
    with pytest.raises(InvalidInput) as error:
        ProductFactory(reference=first.reference)
    assert "reference" in error.value.errors
    with pytest.raises(InvalidInput) as error:
        ProductFactory(ean13=first.ean13)
    assert "ean13" in error.value.errors


def test_many_products_may_have_no_ean():
    ProductFactory(ean13="")
    ProductFactory(ean13=None)
    assert Product.objects.filter(ean13=None).count() == 2


def test_an_ean_typed_with_spaces_is_stored_compact():
    assert ProductFactory(ean13="376 0123 456 784").ean13 == "3760123456784"


def test_internal_ean_codes_are_valid_unique_and_in_the_internal_range():
    codes = [ProductFactory(ean13=None, generate_ean=True).ean13 for _ in range(3)]
    for code in codes:
        validate_ean13(code)
        assert code.startswith("20")
    assert len(set(codes)) == 3


def test_internal_ean_skips_a_code_already_taken_by_an_imported_product():
    with transaction.atomic():
        taken = services.next_internal_ean()
        transaction.set_rollback(True)  # give the number back: the next product will be offered it
    ProductFactory(ean13=taken)
    assert ProductFactory(ean13=None, generate_ean=True).ean13 != taken


def test_category_tree_paths_breadcrumbs_and_moves():
    home = CategoryFactory(name="Maison")
    kitchen = CategoryFactory(name="Cuisine", parent=home)
    knives = CategoryFactory(name="Couteaux", parent=kitchen)
    assert knives.full_name == "Maison > Cuisine > Couteaux"
    assert knives.depth == 2
    shop = CategoryFactory(name="Boutique")
    services.update_category(kitchen, parent=shop, name="Arts de la table")
    knives.refresh_from_db()
    assert knives.full_name == "Boutique > Arts de la table > Couteaux"
    assert knives.path.startswith(shop.path)


def shown_by_category(admin_client) -> list[str]:
    """The products' references in the order the list sorted by category shows them."""
    return re.findall(r">(SRT-\w+)<", page_text(admin_client.get("/catalog/products/?sort=category")))


def test_the_list_sorted_by_category_follows_the_tree_after_a_rename_a_move_or_an_import(admin_client, admin_user):
    """Each product carries its category's sort key (one index serves the sort): the services
    that change a product's category, or a category's name or place, keep it."""
    home, garden = CategoryFactory(name="Maison"), CategoryFactory(name="Jardin")
    kitchen = CategoryFactory(name="Cuisine", parent=home)
    ProductFactory(reference="SRT-KITCHEN", category=kitchen)
    ProductFactory(reference="SRT-HOME", category=home)
    ProductFactory(reference="SRT-GARDEN", category=garden)
    moving = ProductFactory(reference="SRT-MOVING", category=None)
    assert shown_by_category(admin_client) == ["SRT-MOVING", "SRT-GARDEN", "SRT-HOME", "SRT-KITCHEN"]
    services.update_category(home, name="Atelier")  # the parent renamed: its sub-category moves up too
    assert shown_by_category(admin_client) == ["SRT-MOVING", "SRT-HOME", "SRT-KITCHEN", "SRT-GARDEN"]
    services.update_category(kitchen, parent=garden)
    assert shown_by_category(admin_client) == ["SRT-MOVING", "SRT-HOME", "SRT-GARDEN", "SRT-KITCHEN"]
    services.update_product(moving, category=kitchen)
    assert shown_by_category(admin_client) == ["SRT-HOME", "SRT-GARDEN", "SRT-KITCHEN", "SRT-MOVING"]
    services.import_products([(moving, {"designation": "Déplacé"}, "Atelier")])
    assert shown_by_category(admin_client) == ["SRT-HOME", "SRT-MOVING", "SRT-GARDEN", "SRT-KITCHEN"]


def test_a_category_cannot_move_under_its_own_descendant():
    home = CategoryFactory(name="Maison")
    kitchen = CategoryFactory(name="Cuisine", parent=home)
    with pytest.raises(InvalidInput) as error:
        services.update_category(home, parent=kitchen)
    assert "parent" in error.value.errors


def test_products_of_a_category_include_its_sub_categories():
    home = CategoryFactory(name="Maison")
    kitchen = CategoryFactory(name="Cuisine", parent=home)
    garden = CategoryFactory(name="Jardin")
    in_kitchen, in_home, in_garden = (
        ProductFactory(category=kitchen),
        ProductFactory(category=home),
        ProductFactory(category=garden),
    )
    assert set(queries.in_category(Product.objects.all(), home)) == {in_kitchen, in_home}
    assert in_garden not in queries.in_category(Product.objects.all(), home)


def test_a_category_still_in_use_cannot_be_deleted():
    category = CategoryFactory()
    ProductFactory(category=category)
    with pytest.raises(Conflict):
        services.delete_category(category)
    assert Category.objects.filter(pk=category.pk).exists()


def test_price_lists_apply_quantity_breaks_for_their_customer_category():
    product = ProductFactory(sale_price=Decimal("100"))
    resellers = services.create_price_list(name="Revendeurs", customer_category="reseller")
    services.set_price_list_item(price_list=resellers, product=product, min_quantity=1, discount_percent=Decimal("30"))
    services.set_price_list_item(price_list=resellers, product=product, min_quantity=10, unit_price_excl_tax=Decimal("60"))
    assert queries.unit_price_for(product, customer_category="reseller", quantity=1) == Decimal("70")
    assert queries.unit_price_for(product, customer_category="reseller", quantity=10) == Decimal("60")
    assert queries.unit_price_for(product, customer_category="consumer", quantity=10) == Decimal("100")
    services.update_price_list(resellers, is_active=False)
    assert queries.unit_price_for(product, customer_category="reseller", quantity=10) == Decimal("100")


def test_a_price_list_line_is_a_price_or_a_discount_not_both():
    product = ProductFactory()
    price_list = services.create_price_list(name="Pros", customer_category="business")
    with pytest.raises(InvalidInput):
        services.set_price_list_item(
            price_list=price_list, product=product, unit_price_excl_tax=Decimal("5"), discount_percent=Decimal("5")
        )
    with pytest.raises(InvalidInput):
        services.set_price_list_item(price_list=price_list, product=product, discount_percent=Decimal("120"))


def test_find_by_code_answers_what_a_scanner_types():
    product = ProductFactory(reference="BOL-01", ean13="3760123456784")
    assert queries.find_by_code("3760123456784") == product
    assert queries.find_by_code("bol-01") == product
    assert queries.find_by_code("0000") is None
    ThirdPartyFactory()  # unrelated data does not disturb the lookup
    assert queries.find_by_code(" 3760123456784 ") == product


def test_references_are_unique_whatever_the_case_and_root_categories_too():
    ProductFactory(reference="TST-1")
    with pytest.raises(InvalidInput) as error:
        ProductFactory(reference="tst-1")
    assert "reference" in error.value.errors
    CategoryFactory(name="Cuisine")
    with pytest.raises(InvalidInput):
        CategoryFactory(name="Cuisine")


def test_a_scanned_ean_wins_over_a_reference_spelling_the_same_digits():
    by_ean = ProductFactory(reference="BOL", ean13="3760123456784")
    ProductFactory(reference="3760123456784", ean13=None)
    assert queries.find_by_code("3760123456784") == by_ean


def test_category_list_order_puts_children_under_their_parent():
    kitchen = CategoryFactory(name="Cuisine")
    CategoryFactory(name="Ustensiles", parent=kitchen)
    CategoryFactory(name="Cuisine & Co")
    CategoryFactory(name="Éclairage")
    assert [c.full_name for c in Category.objects.all()] == ["Cuisine", "Cuisine > Ustensiles", "Cuisine & Co", "Éclairage"]
