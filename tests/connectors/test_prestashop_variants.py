"""Combinations (product variants): each order row of the clothes shop (shop_variants/, orders in
pretty-printed XML and in JSON) sells the right LMB product, or its order is refused with the
reason; the stock pushed to a combination is its own product's."""

from decimal import Decimal

import pytest

from catalog.models import Product
from connectors.prestashop import importer, services
from connectors.prestashop.models import Binding, ImportIssue, ShopChannel
from sales import services as sales_services
from sales.models import Invoice, Order
from stock import services as stock_services
from tests.connectors.prestashop_standin import StandinShop, seed_records, with_variants
from tests.factories import ProductFactory
from tests.sales.facturx_validation import assert_valid_factur_x

# The clothes shop's orders: XML ones are 50x, the same cases in JSON 60x (see the stand-in).
CASES = ["own_reference", "no_reference", "ean_only", "unknown", "simple_product", "same_reference_as_another", "every_size"]
FORMATS = {"xml": 501, "json": 601}


def order_id(case: str, shape: str) -> str:
    return str(FORMATS[shape] + CASES.index(case))


@pytest.fixture
def standin():
    with StandinShop(records=with_variants(seed_records())) as shop:
        yield shop


@pytest.fixture
def catalogue(db, main_warehouse):
    """LMB's clothes: the T-shirt as a model, its size S by reference, its size L by EAN only
    (another reference than the shop's), the mug; sizes M and XL are unknown."""
    model = ProductFactory(reference="TSHIRT", designation="T-shirt coton", sale_price=Decimal("20"), ean13=None)
    products = {
        "model": model,
        "S": ProductFactory(reference="TSHIRT-S", variant_of=model, variant_attributes="Taille : S", ean13=None),
        "L": ProductFactory(reference="TS-L-BLEU", variant_of=model, variant_attributes="Taille : L", ean13="3760123450300"),
        "mug": ProductFactory(reference="MUG-01", designation="Bol breton", sale_price=Decimal("8"), ean13=None),
    }
    for name, quantity in (("S", 3), ("L", 7), ("mug", 4)):
        stock_services.receive(product=products[name], warehouse=main_warehouse, quantity=quantity, unit_cost=Decimal("5"))
    return products


def refusing(channel) -> ShopChannel:
    ShopChannel.objects.filter(pk=channel.pk).update(unknown_products=ShopChannel.UnknownProducts.REFUSE)
    return ShopChannel.objects.get(pk=channel.pk)


def import_case(channel, client, case, shape):
    return importer.import_order(channel=channel, client=client, external_id=order_id(case, shape))


def sold(outcome) -> list[str]:
    assert outcome.status == "created", outcome.error
    order = Order.objects.get(pk=outcome.order_id)
    return [line.product.reference for line in order.lines.filter(kind="product").order_by("position")]


def bound(key: str) -> str:
    return Product.objects.get(pk=Binding.objects.get(kind="product", external_id=key).object_id).reference


@pytest.mark.parametrize("shape", FORMATS)
def test_a_combination_with_its_own_reference_sells_its_variant(channel, shop_client, catalogue, shape):
    assert sold(import_case(channel, shop_client, "own_reference", shape)) == ["TSHIRT-S"]
    assert bound("30:301") == "TSHIRT-S"


@pytest.mark.parametrize("shape", FORMATS)
def test_the_ean_of_the_combination_wins_over_the_parents_reference_on_the_row(channel, shop_client, catalogue, shape):
    # The row says product_reference TSHIRT (the parent's: the combination has none) and the EAN of size L.
    assert sold(import_case(channel, shop_client, "ean_only", shape)) == ["TS-L-BLEU"]
    assert bound("30:303") == "TS-L-BLEU"


@pytest.mark.parametrize("shape", FORMATS)
def test_a_product_without_combination_is_matched_by_its_reference(channel, shop_client, catalogue, shape):
    assert sold(import_case(channel, shop_client, "simple_product", shape)) == ["MUG-01"]
    assert bound("40:0") == "MUG-01"


@pytest.mark.parametrize("shape", FORMATS)
def test_a_combination_without_codes_is_never_its_parent_it_is_created_as_a_variant(channel, shop_client, catalogue, shape):
    # Size M has no reference and no EAN of its own: the row shows the parent's reference TSHIRT.
    [reference] = sold(import_case(channel, shop_client, "no_reference", shape))

    size_m = Product.objects.get(reference=reference)
    assert reference == "TSHIRT-302" and size_m.variant_of == catalogue["model"]
    # Named in the shop's French language, though English comes first and the order was English.
    assert size_m.designation == "T-shirt coton — Taille : M, Couleur : Bleu"
    assert size_m.variant_attributes == "Taille : M, Couleur : Bleu"
    assert (size_m.sale_price_excl_tax, size_m.vat_rate.rate, size_m.ean13) == (Decimal("20"), Decimal("20"), None)
    assert bound("30:302") == "TSHIRT-302"


@pytest.mark.parametrize("shape", FORMATS)
def test_an_unknown_combination_is_created_from_the_shops_data(channel, shop_client, catalogue, shape):
    assert sold(import_case(channel, shop_client, "unknown", shape)) == ["TSHIRT-XL"]

    size_xl = Product.objects.get(reference="TSHIRT-XL")
    assert size_xl.sale_price_excl_tax == Decimal("22")  # the product's 20 and the combination's impact of 2
    assert (size_xl.variant_of, size_xl.variant_attributes) == (catalogue["model"], "Taille : XL, Couleur : Bleu")


@pytest.mark.parametrize("shape", FORMATS)
def test_with_refuse_set_an_unknown_combination_refuses_the_order_naming_row_and_combination(
    channel, shop_client, catalogue, shape
):
    channel = refusing(channel)
    products_before = Product.objects.count()
    for case, combination in (("unknown", "304"), ("no_reference", "302")):
        outcome = import_case(channel, shop_client, case, shape)

        assert outcome.status == "failed"
        error = ImportIssue.objects.get(external_id=order_id(case, shape)).error
        assert f"produit n° 30, déclinaison n° {combination} de la boutique" in error
        assert "Ligne « Cotton T-shirt - Size :" in error and "aucun produit LMB" in error
    assert "référence « TSHIRT-XL »" in ImportIssue.objects.get(external_id=order_id("unknown", shape)).error
    assert not Order.objects.exists() and Product.objects.count() == products_before
    assert not Binding.objects.filter(kind="product").exists()


@pytest.mark.parametrize("shape", FORMATS)
def test_two_combinations_on_one_lmb_product_are_refused_naming_both(channel, shop_client, catalogue, shape):
    assert sold(import_case(channel, shop_client, "own_reference", shape)) == ["TSHIRT-S"]

    # Combination 305 (red S) carries the reference of 301 (blue S) by a slip of the shop.
    outcome = import_case(channel, shop_client, "same_reference_as_another", shape)

    assert outcome.status == "failed"
    assert "déclinaison n° 305" in outcome.error and "TSHIRT-S est déjà lié au produit n° 30, déclinaison n° 301" in outcome.error
    assert Binding.objects.filter(kind="product").count() == 1 and bound("30:301") == "TSHIRT-S"


def test_a_binding_is_exact_whatever_the_row_says_later(channel, standin, shop_client, catalogue):
    assert sold(import_case(channel, shop_client, "own_reference", "xml")) == ["TSHIRT-S"]
    # The shop renames the combination's reference to the mug's: the bound combination stays size S.
    standin.records["combinations"]["301"]["reference"] = "MUG-01"
    order = standin.records["orders"]["501"]
    order["associations"]["order_rows"][0]["product_reference"] = "MUG-01"
    standin.put_record("orders", {**order, "id": "599", "reference": "AGAIN"})

    assert sold(importer.import_order(channel=channel, client=shop_client, external_id="599")) == ["TSHIRT-S"]


@pytest.mark.parametrize("shape", FORMATS)
def test_an_order_of_every_size_sells_each_its_own_product(channel, shop_client, catalogue, shape):
    outcome = import_case(channel, shop_client, "every_size", shape)

    assert sold(outcome) == ["TSHIRT-S", "TSHIRT-302", "TS-L-BLEU", "TSHIRT-XL", "MUG-01"]
    order = Order.objects.get(pk=outcome.order_id)
    assert order.total_incl_tax == Decimal("9.60") + 4 * Decimal("24") + Decimal("2.40")
    keys = dict(Binding.objects.filter(kind="product").values_list("external_id", "object_id"))
    assert sorted(keys) == ["30:301", "30:302", "30:303", "30:304", "40:0"]
    assert len(set(keys.values())) == 5  # one product each


def test_the_stock_push_writes_each_combinations_own_quantity(
    channel, standin, shop_client, catalogue, main_warehouse, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert sold(import_case(channel, shop_client, "every_size", "json"))
        stock_services.receive(product=catalogue["S"], warehouse=main_warehouse, quantity=2, unit_cost=Decimal("5"))
        stock_services.receive(product=catalogue["L"], warehouse=main_warehouse, quantity=1, unit_cost=Decimal("5"))

    written = {write["id"]: write["record"] for write in standin.writes_to("stock_availables")}
    stock = standin.records["stock_availables"]
    # Size S: 3 + 2 received, 1 reserved by the order; size L: 7 + 1, 1 reserved. Each on its own
    # stock_available (id_product_attribute 301 and 303), none on another combination's.
    assert (stock["3001"]["id_product_attribute"], stock["3001"]["quantity"]) == ("301", "4")
    assert (stock["3003"]["id_product_attribute"], stock["3003"]["quantity"]) == ("303", "7")
    assert set(written) == {"3001", "3003"}
    assert [stock[other]["quantity"] for other in ("3000", "3002", "3004", "3005")] == ["0", "5", "5", "5"]  # as seeded


def test_a_sync_of_the_whole_shop_by_pages_gives_the_same_products_and_refusals(channel, shop_client, catalogue):
    """The page path (orders of known customers written together) sends an order that creates a
    product on its own; the result is the same as one by one."""
    run = services.sync_channel(channel, trigger="test")

    refused = dict(ImportIssue.objects.values_list("external_id", "error"))
    # The red S of both shapes (the blue S's reference) and order 114 (its currency is not mapped).
    assert sorted(refused) == ["114", "506", "606"] and run.failed == 3
    assert "déclinaison n° 301" in refused["506"] and "déclinaison n° 301" in refused["606"]
    assert Product.objects.filter(reference__in=["TSHIRT-302", "TSHIRT-XL"]).count() == 2  # created once each
    for shape in FORMATS:
        order = Order.objects.get(customer_reference=f"VAR{order_id('every_size', shape)}")
        products = order.lines.filter(kind="product").order_by("position").values_list("product__reference", flat=True)
        assert list(products) == ["TSHIRT-S", "TSHIRT-302", "TS-L-BLEU", "TSHIRT-XL", "MUG-01"]

    # A re-sync changes nothing: no product, binding or order more, the same refusals still open.
    counts = (Product.objects.count(), Binding.objects.count(), Order.objects.count())
    assert services.sync_channel(channel, trigger="test").created == 0
    assert (Product.objects.count(), Binding.objects.count(), Order.objects.count()) == counts
    still_open = ImportIssue.objects.filter(status=ImportIssue.Status.OPEN).values_list("external_id", flat=True)
    assert sorted(still_open) == sorted(refused)


def test_the_invoices_of_an_order_of_variants_are_valid_factur_x(channel, shop_client, catalogue, main_warehouse):
    outcome = import_case(channel, shop_client, "every_size", "xml")
    order = Order.objects.get(pk=outcome.order_id)
    for line in order.lines.filter(kind="product"):
        stock_services.receive(product=line.product, warehouse=main_warehouse, quantity=line.quantity, unit_cost=Decimal("5"))
    sales_services.ship_delivery_note(sales_services.create_delivery_note(order), carrier="Colissimo")
    final = sales_services.issue_invoice(sales_services.invoice_order(order))

    assert final.amount_due == Decimal("0.00")
    assert list(final.lines.filter(kind="product").values_list("product__reference", flat=True)) == [
        "TSHIRT-S",
        "TSHIRT-302",
        "TS-L-BLEU",
        "TSHIRT-XL",
        "MUG-01",
    ]
    assert_valid_factur_x(Invoice.objects.get(orders=order, kind=Invoice.Kind.DEPOSIT))
    assert_valid_factur_x(final)


def test_an_empty_catalogue_gets_the_shops_variants_under_one_model(channel, standin, shop_client, main_warehouse):
    """No LMB product yet, and the shop's T-shirt has no reference: one model PS-30 (not sold),
    each combination a variant of it, named by its own reference or after the model."""
    standin.records["products"]["30"]["reference"] = ""

    assert sold(import_case(channel, shop_client, "every_size", "xml")) == [
        "TSHIRT-S",
        "PS-30-302",
        "PS-30-303",
        "TSHIRT-XL",
        "MUG-01",
    ]

    model = Product.objects.get(reference="PS-30")
    assert not model.is_active and model.designation == "T-shirt coton"
    assert sorted(model.variants.values_list("reference", flat=True)) == ["PS-30-302", "PS-30-303", "TSHIRT-S", "TSHIRT-XL"]
    assert Product.objects.get(reference="PS-30-303").ean13 == "3760123450300"
    assert Product.objects.get(reference="MUG-01").variant_of is None


def test_a_binding_to_a_product_deleted_since_refuses_the_order_with_the_reason(channel, shop_client, catalogue):
    Binding.objects.create(channel=channel, kind=Binding.Kind.PRODUCT, external_id="30:301", object_id=999_999)

    outcome = import_case(channel, shop_client, "own_reference", "json")

    assert outcome.status == "failed"
    assert "Le produit LMB n° 999999 lié à cette ligne de la boutique n'existe plus" in outcome.error
    assert not Order.objects.exists()
