"""EU businesses (issue #18, item 2): an order whose billing address carries a VAT number (and a
company) in another member state, charged 0 %, is an intra-EU business sale — treatment K, the
buyer's VAT number checked by python-stdnum, the exemption mention — whose Factur-X passes EN
16931; a number that does not check refuses the order naming it; a French business's SIRET and
VAT number fill the customer's identifiers."""

from connectors.prestashop import importer
from connectors.prestashop.models import Binding, ImportIssue
from crm.models import ThirdParty
from sales.models import Invoice, Order, VatCategory, VatTreatment
from tests.connectors.prestashop_standin import derived
from tests.sales.facturx_validation import assert_valid_factur_x

SPANISH_VAT = "ESB12345674"  # checks with python-stdnum


def _business_order(standin, *, vat_number=SPANISH_VAT, charged=False, country="6", siret=""):
    """Order 8: order 6 of the fixtures (one row, shipping, paid) bought by Naranja SL from a new
    address in Madrid (or France: country 8) with a VAT number; exempt by the shop unless ``charged``."""
    order = standin.records["orders"]["6"]
    standin.put_record(
        "customers", derived(standin.records["customers"]["6"], id=26, email="compras@naranja.example", siret=siret)
    )
    standin.put_record(
        "addresses",
        derived(
            standin.records["addresses"]["13"],
            id=14,
            id_customer=26,
            company="Naranja SL",
            vat_number=vat_number,
            id_country=country,
        ),
    )
    rows = [derived(row, unit_price_tax_incl=row["unit_price_tax_excl"]) for row in order["associations"]["order_rows"]]
    exempt = (
        {}
        if charged
        else {
            "total_products_wt": "8.260000",
            "total_shipping_tax_incl": "5.150000",
            "carrier_tax_rate": "0.000",
            "total_paid": "13.410000",
            "total_paid_tax_incl": "13.410000",
            "total_paid_real": "13.410000",
        }
    )
    eight = derived(order, id=8, reference="NARANJASL", id_customer=26, id_address_delivery=14, id_address_invoice=14, **exempt)
    if not charged:
        eight["associations"] = {"order_rows": rows}
    standin.put_record("orders", eight)


def test_an_eu_business_charged_no_vat_is_an_intra_eu_sale_with_a_valid_factur_x(channel, standin, shop_client):
    _business_order(standin)

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="8")

    assert outcome.status == "created", outcome.error
    order = Order.objects.get(pk=outcome.order_id)
    assert (order.vat_treatment, order.customer_vat_number, order.customer_is_business) == (
        VatTreatment.EU_B2B,
        SPANISH_VAT,
        True,
    )
    assert (order.customer.name, order.customer.vat_number) == ("Naranja SL", SPANISH_VAT)
    assert {line.vat_category for line in order.lines.all()} <= {VatCategory.INTRA_EU, VatCategory.REVERSE_CHARGE}
    assert str(order.total_incl_tax) == "13.41" and str(order.total_vat) == "0.00"
    deposit = Invoice.objects.get(orders=order, kind=Invoice.Kind.DEPOSIT)
    xml = assert_valid_factur_x(deposit)
    assert b"VATEX-EU-IC" in xml and SPANISH_VAT.encode() in xml


def test_a_vat_number_that_does_not_check_refuses_the_order_naming_it(channel, standin, shop_client):
    _business_order(standin, vat_number="ESB12345675")

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="8")

    assert outcome.status == "failed"
    assert "Champ vat_number de l'adresse PrestaShop n° 14" in outcome.error and "ESB12345675" in outcome.error
    assert not Order.objects.exists() and ImportIssue.objects.get(external_id="8").status == ImportIssue.Status.OPEN


def test_an_eu_business_the_shop_charged_vat_is_refused_with_the_reason(channel, standin, shop_client):
    _business_order(standin, charged=True)
    outcome = importer.import_order(channel=channel, client=shop_client, external_id="8")
    assert outcome.status == "failed" and "livraison intracommunautaire exonérée" in outcome.error


def test_an_eu_consumer_charged_no_vat_is_refused_not_a_standard_rate_at_zero(channel, standin, shop_client):
    _business_order(standin, vat_number="")  # no VAT number: a consumer, yet charged 0 %
    outcome = importer.import_order(channel=channel, client=shop_client, external_id="8")
    assert outcome.status == "failed" and "la boutique n'a pas facturé de TVA" in outcome.error
    assert not Order.objects.exists()


def test_a_french_business_fills_the_customers_siret_and_vat_number(channel, standin, shop_client):
    siret = "73282932000074"
    _business_order(standin, vat_number="FR44732829320", country="8", siret=siret, charged=True)
    eight = standin.records["orders"]["8"]
    rows = [
        derived(row, unit_price_tax_excl="8.333333", unit_price_tax_incl="10.000000")
        for row in eight["associations"]["order_rows"]
    ]
    eight.update(
        associations={"order_rows": rows},
        carrier_tax_rate="20.000",
        total_shipping_tax_incl="6.000000",
        total_shipping_tax_excl="5.000000",
        total_paid="16.000000",
        total_paid_tax_incl="16.000000",
        total_paid_real="16.000000",
    )
    standin.put_record("orders", eight)

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="8")

    assert outcome.status == "created", outcome.error
    order = Order.objects.get(pk=outcome.order_id)
    assert order.vat_treatment == VatTreatment.FRANCE
    customer = ThirdParty.objects.get(pk=Binding.objects.get(kind="customer", external_id="26").object_id)
    assert (customer.name, customer.siret, customer.siren, customer.vat_number) == (
        "Naranja SL",
        siret,
        siret[:9],
        "FR44732829320",
    )
    assert order.customer_vat_number == "FR44732829320"


def test_a_siret_that_does_not_check_is_kept_in_the_notes_not_taken(channel, standin, shop_client):
    # customers_1.xml (a real shop's Axelor) has the placeholder 00000000000: it does not decide the VAT
    _business_order(standin, vat_number="", country="8", siret="73282932000075", charged=True)
    customer = standin.records["customers"]["26"]
    customer.update(company="Naranja SL")
    fields = importer._customer_fields(channel, customer, {**standin.records["addresses"]["14"], "_country": "FR"})
    assert "siret" not in fields
    assert "SIRET sur la boutique non repris : Le SIRET « 73282932000075 » n'est pas valide" in fields["notes"]
