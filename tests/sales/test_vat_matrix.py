"""The VAT treatment of a sale (fr-rules §2.1), decided once on the document from the customer and
the delivery address: the rates, categories, exemption codes and legal mentions it brings."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Address
from lmb import run_cache
from sales import services, vat
from sales.models import VatTreatment
from tests.sales.conftest import customer

INTRA_EU = "Exonération de TVA, article 262 ter I du CGI"
EXPORT = "Exonération de TVA, article 262 I du CGI"
OVERSEAS = "articles 262 I et 294-2 du CGI"
REVERSE_CHARGE = "Autoliquidation"
OUT_OF_SCOPE = "hors du champ de la TVA française"
OSS = "guichet unique (OSS)"
INDEMNITY = "Indemnité forfaitaire pour frais de recouvrement"
PENALTIES = "pénalités au taux annuel de 12,15 %"


def order_for(shop, who, channel=None):
    return services.create_order(
        customer=who,
        channel=channel or shop.phone,
        lines=[
            {"product": shop.mug, "quantity": 2},
            {"product": shop.jam, "quantity": 1},
            {"product": shop.fitting, "quantity": 1},
        ],
    )


def lines_vat(order):
    """{designation: (category, rate, exemption code)} of the product lines."""
    return {
        line.product.designation: (line.vat_category, line.vat_rate.normalize(), line.vat_exemption_code)
        for line in order.lines.select_related("product")
    }


def mentions(order):
    return " | ".join(order.legal_mentions)


def invoice_of(order):
    """The invoice of the whole order, shipped: what carries the payment mentions."""
    order = services.confirm_order(order)
    services.ship_delivery_note(services.create_delivery_note(order))
    return services.issue_invoice(services.invoice_order(order))


@pytest.mark.django_db
def test_france_business_pays_french_vat_and_is_told_the_recovery_indemnity(shop):
    order = order_for(shop, shop.bakery, shop.b2b)
    assert order.vat_treatment == VatTreatment.FRANCE
    assert lines_vat(order) == {
        "Mug triskell": ("S", 20, ""),
        "Confiture de fraises": ("S", Decimal("5.5"), ""),
        "Pose et réglage": ("S", 20, ""),
    }
    assert [group["rate"] for group in order.vat_breakdown] == ["5.5", "20"]
    assert INDEMNITY not in mentions(order) and PENALTIES not in mentions(order)  # an order asks no payment yet
    invoice = invoice_of(order)
    assert INDEMNITY in mentions(invoice) and PENALTIES in mentions(invoice)
    assert "Pas d'escompte pour paiement anticipé." in invoice.legal_mentions


@pytest.mark.django_db
def test_france_consumer_is_never_told_the_business_indemnity(shop):
    order = order_for(shop, customer("Le Bihan", business=False))
    assert order.vat_treatment == VatTreatment.FRANCE
    invoice = invoice_of(order)
    assert INDEMNITY not in mentions(invoice) and PENALTIES in mentions(invoice)


@pytest.mark.django_db
def test_eu_business_with_vat_number_gets_exempt_goods_and_reverse_charged_services(shop):
    order = order_for(shop, customer("Bäckerei Müller", country="DE", postal_code="10115", vat_number="DE136695976"), shop.b2b)
    assert (order.vat_treatment, order.destination_country) == (VatTreatment.EU_B2B, "DE")
    assert lines_vat(order) == {
        "Mug triskell": ("K", 0, "VATEX-EU-IC"),
        "Confiture de fraises": ("K", 0, "VATEX-EU-IC"),
        "Pose et réglage": ("AE", 0, "VATEX-EU-AE"),
    }
    assert INTRA_EU in mentions(order) and REVERSE_CHARGE in mentions(order)
    assert order.total_vat == 0 and order.total_incl_tax == order.total_excl_tax


@pytest.mark.django_db
def test_eu_business_without_vat_number_is_taxed_like_a_consumer(shop):
    order = order_for(shop, customer("Sans TVA GmbH", country="DE", postal_code="10115"), shop.b2b)
    assert order.vat_treatment == VatTreatment.EU_B2C


@pytest.mark.django_db
def test_eu_consumer_below_the_oss_threshold_pays_french_vat(shop):
    order = order_for(shop, customer("Schmidt", country="DE", postal_code="10115", business=False))
    assert order.vat_treatment == VatTreatment.EU_B2C
    assert lines_vat(order)["Mug triskell"] == ("S", 20, "") and lines_vat(order)["Confiture de fraises"][1] == Decimal("5.5")
    assert OSS not in mentions(order)


@pytest.mark.django_db
def test_eu_consumer_once_the_oss_threshold_is_crossed_pays_the_rates_of_their_state(shop):
    shop.company.oss_threshold = Decimal("100")
    shop.company.save()
    german = customer("Schmidt", country="DE", postal_code="10115", business=False)
    first = services.confirm_order(
        services.create_order(customer=german, channel=shop.phone, lines=[{"product": shop.mug, "quantity": 20}])
    )
    assert first.vat_treatment == VatTreatment.EU_B2C
    services.ship_delivery_note(services.create_delivery_note(first))
    services.issue_invoice(services.invoice_order(first))  # 165 € HT of distance sales this year: threshold crossed
    assert vat.eu_distance_sales(date.today().year) == Decimal("165.00")
    year = date.today().year  # both years the threshold looks at, in one statement
    assert vat.eu_distance_sales_of(year - 1, year) == {year - 1: Decimal("0"), year: Decimal("165.00")}

    order = order_for(shop, german)
    assert order.vat_treatment == VatTreatment.EU_OSS
    assert lines_vat(order) == {
        "Mug triskell": ("S", 19, ""),
        "Confiture de fraises": ("S", 7, ""),
        "Pose et réglage": ("S", 20, ""),
    }  # services to consumers stay French (art. 45)
    assert OSS in mentions(order)


@pytest.mark.django_db
def test_within_a_run_the_threshold_is_summed_until_it_is_passed_then_no_more(shop):
    shop.company.oss_threshold = Decimal("100")
    shop.company.save()
    german = customer("Schmidt", country="DE", postal_code="10115", business=False)
    with run_cache.kept_in({}):  # a shop sync's run
        first = services.confirm_order(
            services.create_order(customer=german, channel=shop.phone, lines=[{"product": shop.mug, "quantity": 20}])
        )
        assert first.vat_treatment == VatTreatment.EU_B2C  # below: asked again for the next order
        services.ship_delivery_note(services.create_delivery_note(first))
        services.issue_invoice(services.invoice_order(first))  # 165 € HT: crossed within the run
        assert order_for(shop, german).vat_treatment == VatTreatment.EU_OSS
        with CaptureQueriesContext(connection) as captured:
            assert order_for(shop, german).vat_treatment == VatTreatment.EU_OSS
    assert not [query for query in captured.captured_queries if "vat_treatment IN" in query["sql"]]


@pytest.mark.django_db
def test_oss_registration_applies_destination_vat_from_the_first_sale(shop):
    shop.company.oss_registered = True
    shop.company.save()
    order = order_for(shop, customer("Rossi", country="IT", postal_code="00100", business=False))
    assert order.vat_treatment == VatTreatment.EU_OSS and lines_vat(order)["Mug triskell"] == ("S", 22, "")


@pytest.mark.django_db
# A business's service sold with exported goods is their accessory and follows their exemption
# (vat.services_follow_exported_goods); alone it is out of scope (test_facturx: export cases).
@pytest.mark.parametrize("business, service_vat", [(True, ("G", 0, "VATEX-EU-G")), (False, ("S", 20, ""))])
def test_switzerland_is_an_export(shop, business, service_vat):
    order = order_for(shop, customer("Genève SA", country="CH", postal_code="1201", business=business))
    assert (order.vat_treatment, order.destination_country) == (VatTreatment.EXPORT, "CH")
    assert lines_vat(order)["Mug triskell"] == ("G", 0, "VATEX-EU-G")
    assert lines_vat(order)["Pose et réglage"] == service_vat
    assert EXPORT in mentions(order)
    assert OUT_OF_SCOPE not in mentions(order)


@pytest.mark.django_db
@pytest.mark.parametrize("country, postal_code", [("FR", "97110"), ("GP", "97110"), ("FR", "97300"), ("GF", "97300")])
def test_goods_shipped_to_guadeloupe_or_guyane_are_exempt_like_exports(shop, country, postal_code):
    order = order_for(shop, customer("Pointe-à-Pitre SARL", country=country, postal_code=postal_code))
    assert order.vat_treatment == VatTreatment.OVERSEAS
    assert lines_vat(order)["Mug triskell"] == ("G", 0, "VATEX-EU-G")
    assert OVERSEAS in mentions(order) and EXPORT not in mentions(order)


@pytest.mark.django_db
def test_the_delivery_address_decides_not_the_billing_one(shop):
    parisian = customer("Siège Paris")
    Address.objects.create(
        third_party=parisian,
        kind=Address.Kind.DELIVERY,
        is_default=True,
        line1="Rue",
        postal_code="1201",
        city="Genève",
        country="CH",
    )
    assert order_for(shop, parisian, shop.b2b).vat_treatment == VatTreatment.EXPORT


@pytest.mark.django_db
def test_goods_handed_over_at_the_counter_are_a_french_sale(shop):
    tourist = customer("Schmidt", country="DE", postal_code="10115", business=False)
    order = services.create_order(customer=tourist, channel=shop.counter, lines=[{"product": shop.mug}])
    assert order.vat_treatment == VatTreatment.FRANCE and order.lines.get().vat_rate == 20


@pytest.mark.django_db
def test_seller_under_the_franchise_charges_no_vat(shop):
    shop.company.vat_franchise = True
    shop.company.save()
    order = order_for(shop, shop.bakery, shop.b2b)
    assert order.vat_treatment == VatTreatment.FRANCHISE and order.total_vat == 0
    assert "TVA non applicable, art. 293 B du CGI." in order.legal_mentions
