"""Issue #18 item 7 and French sales charged 0 %, on the stand-in: one tax rules group (mapped to
FR-20) gives a rate per country — France 20 %, Switzerland 0 % (export), Germany 19 % under the
OSS, 20 % below it — and each order imports to the cent with the VAT treatment its invoices carry,
or is refused naming what to fix on the shop; each order served as JSON and as pretty-printed XML.
The captured order 1 (0 % on a French sale) is refused, or exempt when the company is under the
franchise. Every deposit and final invoice of an imported order passes the XSD and EN 16931 schematron."""

from decimal import Decimal

import pytest

from connectors.prestashop import importer, services
from connectors.prestashop.models import Binding, ImportIssue
from lmb.services import save_company
from sales import services as sales_services
from sales.models import Invoice, Order, VatCategory, VatTreatment
from stock import services as stock_services
from tests.connectors.prestashop_standin import as_served, captured_order_1, derived
from tests.factories import ProductFactory
from tests.sales.facturx_validation import assert_valid_factur_x

SHAPES = ["json", "xml"]
GROUP = "3"  # the shop's tax rules group of its standard-rated products
D = Decimal
# PrestaShop country ids of the stand-in: 1 (DE, captured), 8 (FR); 19 for Switzerland, added here.
ADDRESSES = {"FR": ("8", "95000", "CERGY"), "CH": ("19", "8001", "ZURICH"), "DE": ("1", "10115", "BERLIN")}


@pytest.fixture
def grouped(channel, standin):
    """The shop's standard group mapped to FR-20, its product known to LMB (goods: exported exempt)."""
    standin.put_record("countries", derived(standin.records["countries"]["1"], id=19, iso_code="CH"))
    ProductFactory(reference="COMP-0003", designation="Processeur 4x3,4 GHz", sale_price=D("150.00"))
    return services.update_channel(
        channel,
        name=channel.name,
        base_url=channel.base_url,
        id_shop=None,
        warehouse=channel.warehouse,
        tax_rules={GROUP: "FR-20"},
    )


def serve_order(standin, order_id: int, country: str, excl: str, shape: str):
    """Order 1 (180 TTC, paid) delivered to ``country``, its row at ``excl`` HT on the group."""
    country_id, postcode, city = ADDRESSES[country]
    address_id = 200 + order_id
    standin.put_record(
        "addresses",
        derived(standin.records["addresses"]["12"], id=address_id, id_country=country_id, postcode=postcode, city=city),
    )
    order = derived(
        standin.records["orders"]["1"],
        id=order_id,
        reference=f"TAX{order_id}",
        id_address_delivery=address_id,
        id_address_invoice=address_id,
        total_products=excl,
        total_paid_tax_excl=excl,
    )
    row_id = order_id * 10
    order["associations"] = {
        "order_rows": [derived(row, id=row_id, unit_price_tax_excl=excl) for row in order["associations"]["order_rows"]]
    }
    detail = derived(standin.records["order_details"]["1"], id=row_id, id_order=order_id, id_tax_rules_group=GROUP)
    standin.put_record("order_details", detail)
    standin.put_record("orders", as_served("orders", order, shape))


def assert_valid_deposit_factur_x(order: Order):
    return assert_valid_factur_x(Invoice.objects.get(orders=order, kind=Invoice.Kind.DEPOSIT))


def assert_valid_final_factur_x(order: Order, warehouse):
    """Ship the whole order (its goods received first) and invoice it: the final invoice, which
    deducts the deposit, passes the validators too."""
    for line in order.lines.filter(kind="product"):
        stock_services.receive(product=line.product, warehouse=warehouse, quantity=line.quantity, unit_cost=D("1"))
    sales_services.ship_delivery_note(sales_services.create_delivery_note(order), carrier="Colissimo")
    final = sales_services.issue_invoice(sales_services.invoice_order(order))
    assert final.amount_due == D("0.00")  # paid at checkout: the deposit settles it
    return assert_valid_factur_x(final)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("country", "excl", "oss", "treatment", "category", "rate", "vat"),
    [
        ("FR", "150.000000", True, VatTreatment.FRANCE, VatCategory.STANDARD, "20", "30.00"),
        ("CH", "180.000000", True, VatTreatment.EXPORT, VatCategory.EXPORT, "0", "0.00"),
        ("DE", "151.260504", True, VatTreatment.EU_OSS, VatCategory.STANDARD, "19", "28.74"),
        ("DE", "150.000000", False, VatTreatment.EU_B2C, VatCategory.STANDARD, "20", "30.00"),
    ],
)
def test_one_group_gives_each_country_its_rate_and_imports_to_the_cent(
    grouped, standin, shop_client, shape, country, excl, oss, treatment, category, rate, vat
):
    save_company(oss_registered=oss)
    serve_order(standin, 40, country, excl, shape)

    outcome = importer.import_order(channel=grouped, client=shop_client, external_id="40")

    assert outcome.status == "created", outcome.error
    order = Order.objects.get(pk=outcome.order_id)
    assert (order.vat_treatment, order.destination_country) == (treatment, country)
    [line] = order.lines.all()
    assert (line.kind, line.vat_category, line.vat_rate) == ("product", category, D(rate))
    assert (order.total_incl_tax, order.total_vat) == (D("180.00"), D(vat))
    assert_valid_deposit_factur_x(order)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("country", "excl", "oss", "words"),
    [
        # Switzerland charged the French 20 %: an export is exempt.
        ("CH", "150.000000", True, "la boutique a facturé 20 % de TVA, mais la vente (Export hors UE, livrée en CH)"),
        # A German consumer under the OSS charged the French rate: Germany's rate is due.
        ("DE", "150.000000", True, "se taxe au taux de l'État de livraison, DE : 19 %"),
        # Below the OSS threshold, not registered, charged Germany's 19 %: French VAT is due.
        ("DE", "151.260504", False, "L'entreprise n'est pas inscrite au guichet unique OSS"),
    ],
)
def test_a_rate_the_sale_does_not_give_is_refused_with_what_to_fix(
    grouped, standin, shop_client, shape, country, excl, oss, words
):
    save_company(oss_registered=oss)
    serve_order(standin, 41, country, excl, shape)

    outcome = importer.import_order(channel=grouped, client=shop_client, external_id="41")

    assert outcome.status == "failed" and words in outcome.error, outcome.error
    assert ImportIssue.objects.get(external_id="41").status == ImportIssue.Status.OPEN
    assert not Order.objects.exists()


def test_the_captured_order_1_charged_0_percent_in_france_is_refused_with_the_reason(channel, standin, shop_client):
    standin.put_record("orders", captured_order_1())  # orders_1.xml as it is: 180 TTC for 180 HT

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")

    assert outcome.status == "failed"
    assert ImportIssue.objects.get(external_id="1").error == (
        "« Processeur 4x3,4 GHz » : la boutique n'a facturé aucune TVA (0 %) sur cette vente en France, qui y est "
        "soumise : il n'y a pas de taux de TVA à 0 % en France hors franchise en base. Corrigez sur la boutique les "
        "règles de taxes de ce produit pour la France (Localisation > Taxes > Règles de taxes), puis relancez "
        "l'import ; si l'entreprise relève de la franchise en base, cochez-la dans les paramètres de la société."
    )
    assert not Order.objects.exists() and not Binding.objects.filter(kind="order").exists()


@pytest.mark.parametrize("shape", SHAPES)
def test_under_the_franchise_the_captured_order_1_is_exempt_with_its_mention(channel, standin, shop_client, shape):
    save_company(vat_franchise=True)
    standin.put_record("orders", as_served("orders", captured_order_1(), shape))

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")

    assert outcome.status == "created", outcome.error
    order = Order.objects.get(pk=outcome.order_id)
    assert order.vat_treatment == VatTreatment.FRANCHISE
    assert [(line.vat_category, line.vat_rate, line.vat_exemption_code) for line in order.lines.all()] == [
        (VatCategory.EXEMPT, D("0"), "VATEX-FR-FRANCHISE")
    ]
    assert (order.total_incl_tax, order.total_vat) == (D("180.00"), D("0.00"))
    xml = assert_valid_deposit_factur_x(order)
    assert b"VATEX-FR-FRANCHISE" in xml


def test_under_the_franchise_a_row_charged_vat_is_refused(channel, shop_client):
    save_company(vat_franchise=True)  # the stand-in's order 1 charges 20 %

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")

    assert outcome.status == "failed" and "relève de la franchise en base" in outcome.error


def test_every_order_of_the_stand_in_imports_with_valid_deposit_and_final_factur_x(channel, main_warehouse):
    run = services.sync_channel(channel, trigger="test")

    orders = Order.objects.filter(pk__in=Binding.objects.filter(kind="order").values("object_id"))
    assert run.created == orders.count() == 2  # order 114's currency is not mapped: kept with its reason
    for order in orders:
        assert_valid_deposit_factur_x(order)
        assert_valid_final_factur_x(order, main_warehouse)


def test_free_shipping_at_0_percent_takes_its_products_rate_not_a_taxed_line_at_0(channel, standin, shop_client):
    order_1 = standin.records["orders"]["1"]  # 180 TTC at 20 %, free shipping
    standin.put_record("orders", derived(order_1, carrier_tax_rate="0.000"))
    channel = services.update_channel(
        channel,
        name=channel.name,
        base_url=channel.base_url,
        id_shop=None,
        warehouse=channel.warehouse,
        carriers={order_1["id_carrier"]: "Colissimo"},
    )

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")

    assert outcome.status == "created", outcome.error
    shipping = Order.objects.get(pk=outcome.order_id).lines.get(kind="shipping")
    assert (shipping.gross_amount, shipping.vat_category, shipping.vat_rate) == (D("0.00"), VatCategory.STANDARD, D("20"))
