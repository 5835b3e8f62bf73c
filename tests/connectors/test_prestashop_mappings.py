"""What a shop's mappings change on an imported order (real fixture payloads from the stand-in):
the carrier named on the shipping line, the VAT rate from the tax rules group (or from the prices,
refused when LMB knows no such rate), and the order's own billing address."""

from decimal import Decimal

import pytest

from connectors.prestashop import importer, services
from connectors.prestashop.models import Binding, ImportIssue
from crm.models import Address, ThirdParty
from lmb.errors import InvalidInput
from sales.models import Order
from tests.connectors.prestashop_standin import derived


def configure(channel, **mappings):
    """The shop's settings as they are, with these mappings changed (the edit screen's service)."""
    return services.update_channel(
        channel,
        name=channel.name,
        base_url=channel.base_url,
        id_shop=channel.id_shop,
        warehouse=channel.warehouse,
        **mappings,
    )


def imported(channel, client, external_id) -> Order:
    outcome = importer.import_order(channel=channel, client=client, external_id=external_id)
    assert outcome.status == "created", outcome.error
    return Order.objects.get(pk=outcome.order_id)


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


# --- Carriers --------------------------------------------------------------------------------------


def test_the_mapped_carrier_names_the_shipping_line_even_when_shipping_is_free(channel, shop_client):
    channel = configure(channel, carriers={"1": "Colissimo suivi", "14": "Chronopost"})

    free = imported(channel, shop_client, "1")  # id_carrier 1, shipping 0
    paid = imported(channel, shop_client, "6")  # id_carrier 14, shipping 6.23

    assert [(line.description, line.gross_amount) for line in free.lines.filter(kind="shipping")] == [
        ("Frais de port — Colissimo suivi", Decimal("0.00"))
    ]
    assert free.total_incl_tax == Decimal("180.00")  # a free line changes no total
    assert [(line.description, line.gross_amount) for line in paid.lines.filter(kind="shipping")] == [
        ("Frais de port — Chronopost", Decimal("6.23"))
    ]


def test_an_unmapped_carrier_keeps_the_plain_shipping_line(channel, shop_client):
    order = imported(channel, shop_client, "6")
    assert list(order.lines.filter(kind="shipping").values_list("description", flat=True)) == ["Frais de port"]
    assert not imported(channel, shop_client, "1").lines.filter(kind="shipping").exists()


# --- Tax rules -------------------------------------------------------------------------------------


def test_a_mapped_tax_rules_group_gives_the_rows_rate(channel, standin, shop_client):
    standin.put_record("order_details", derived(standin.records["order_details"]["8"], id_tax_rules_group="3"))
    channel = configure(channel, tax_rules={"3": "es-21"})
    assert channel.tax_rules == {"3": "ES-21"}  # stored as LMB spells the code

    order = imported(channel, shop_client, "6")

    assert list(order.lines.filter(kind="product").values_list("vat_rate", flat=True)) == [Decimal("21.000")]
    assert ("GET", "order_details", "[6]") in [(m, path, params.get("filter[id_order]")) for m, path, params in standin.requests]


def test_the_mapped_rate_decides_where_the_prices_cannot(channel, standin, shop_client):
    # 0.12 TTC for 0.10 HT: 20 % exactly, 21 % to within a cent; the shop says its group is 21 %.
    order_1 = standin.records["orders"]["1"]
    row = derived(order_1["associations"]["order_rows"][0], unit_price_tax_incl="0.120000", unit_price_tax_excl="0.100000")
    cheap = derived(
        order_1, total_products_wt="0.120000", total_paid_tax_incl="0.120000", total_paid="0.120000", total_paid_real="0.120000"
    )
    cheap["associations"] = {"order_rows": [row]}
    standin.put_record("orders", cheap)
    standin.put_record("order_details", derived(standin.records["order_details"]["1"], id_tax_rules_group="3"))

    unmapped = imported(channel, shop_client, "1")
    assert list(unmapped.lines.values_list("vat_rate", flat=True)) == [Decimal("20.000")]
    standin.put_record("orders", derived(cheap, id=2, reference="MAPPED"))
    channel = configure(channel, tax_rules={"3": "ES-21"})
    standin.put_record("order_details", derived(standin.records["order_details"]["1"], id_order=2, id_tax_rules_group="3"))
    mapped = imported(channel, shop_client, "2")
    assert list(mapped.lines.values_list("vat_rate", flat=True)) == [Decimal("21.000")]


def test_a_group_mapped_to_a_rate_its_prices_contradict_is_refused(channel, standin, shop_client):
    standin.put_record("order_details", derived(standin.records["order_details"]["1"], id_tax_rules_group="1"))
    channel = configure(channel, tax_rules={"1": "FR-5.5"})

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")

    assert outcome.status == "failed"
    assert plain(ImportIssue.objects.get(external_id="1").error) == (
        "Ligne « Processeur 4x3,4 GHz » : le groupe de taxes PrestaShop n° 1 est associé à FR-5.5 (5,5 %), mais ses prix "
        "(180 TTC pour 150 HT) donnent 20 % ; corrigez l'association dans les réglages de la boutique."
    )
    assert not Order.objects.exists()


def test_without_a_mapping_the_rate_is_the_lmb_rate_the_prices_were_computed_with(channel, shop_client):
    order = imported(channel, shop_client, "6")  # 9.999999 TTC for 8.264462 HT: 21 % (ES)
    assert list(order.lines.values_list("vat_rate", flat=True)) == [Decimal("21.000"), Decimal("21.000")]


def test_no_order_details_are_read_when_the_shop_maps_no_tax_rules(channel, standin, shop_client):
    imported(channel, shop_client, "1")
    assert not [path for _method, path, _params in standin.requests if path.startswith("order_details")]


def test_a_row_at_a_rate_lmb_does_not_know_goes_to_the_error_queue_explained(channel, standin, shop_client):
    # 19.6 %: the French standard rate until 2013, no longer a rate of LMB.
    order_1 = standin.records["orders"]["1"]
    row = derived(order_1["associations"]["order_rows"][0], unit_price_tax_incl="215.280000", unit_price_tax_excl="180.000000")
    changed = derived(order_1, total_products_wt="215.280000", total_paid_tax_incl="215.280000", total_paid="215.280000")
    changed["associations"] = {"order_rows": [row]}
    standin.put_record("orders", changed)

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")

    assert outcome.status == "failed"
    issue = ImportIssue.objects.get(external_id="1")
    assert plain(issue.error) == (
        "Ligne « Processeur 4x3,4 GHz » : ses prix (215,28 TTC pour 180 HT) donnent un taux de TVA de 19,6 %, "
        "qui n'est aucun taux de TVA connu de LMB ; ajoutez ce taux dans LMB (Catalogue > Taux de TVA) "
        "si la boutique l'applique à bon droit."
    )
    assert (Order.objects.count(), ThirdParty.objects.count(), Binding.objects.count()) == (0, 0, 0)


def test_a_shipping_rate_lmb_does_not_know_is_refused(channel, standin, shop_client):
    standin.put_record("orders", derived(standin.records["orders"]["6"], carrier_tax_rate="19.600"))

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="6")

    assert outcome.status == "failed" and "carrier_tax_rate 19,6 %" in plain(outcome.error)
    assert not Order.objects.exists()


# --- The order's own billing address ---------------------------------------------------------------


def test_the_order_is_billed_to_its_own_invoice_address_not_the_customers_default(channel, standin, shop_client):
    addresses = standin.records["addresses"]
    standin.put_record("addresses", derived(addresses["12"], id=99, alias="Siège", city="PONTOISE", postcode="95300"))
    standin.put_record("orders", derived(standin.records["orders"]["1"], id=7, reference="SECONDBUY", id_address_invoice=99))

    first = imported(channel, shop_client, "1")
    second = imported(channel, shop_client, "7")

    assert first.billing_address["city"] == "CERGY"
    assert (second.billing_address["city"], second.billing_address["postal_code"]) == ("PONTOISE", "95300")
    assert second.delivery_address["city"] == "CERGY"
    default = Address.objects.get(third_party=second.customer, kind=Address.Kind.BILLING, is_default=True)
    assert default.city == "CERGY"  # the customer's default is unchanged: the order did not use it


# --- Settings checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mappings", "field", "message"),
    [
        ({"tax_rules": {"1": "FR-19.6"}}, "tax_rules", "Taux de TVA inconnu de LMB : FR-19.6"),
        ({"tax_rules": {"abc": "FR-20"}}, "tax_rules", "« abc » n'est pas un id de groupe de règles de taxes"),
        ({"carriers": {"2": ""}}, "carriers", "Donnez à chaque transporteur un nom"),
        ({"payment_methods": {"ps_checkpayment": "bitcoin"}}, "payment_methods", "ps_checkpayment = bitcoin"),
        ({"currencies": {"1": "EURO"}}, "currencies", "code ISO de 3 lettres"),
        ({"states": {"shipped": "expédié"}}, "state_shipped", "Un id d'état PrestaShop est un nombre"),
        ({"paid_states": ["2", "x"]}, "paid_states", "des nombres séparés par des virgules"),
    ],
)
def test_bad_mappings_are_refused_naming_the_field_and_change_nothing(channel, mappings, field, message):
    with pytest.raises(InvalidInput) as refused:
        configure(channel, **mappings)
    assert field in refused.value.errors and message in " ".join(refused.value.errors[field])
    channel.refresh_from_db()
    assert (channel.tax_rules, channel.carriers, channel.states["shipped"]) == ({}, {}, "4")
