"""Issue #18 items 3, 4 and 8 on the stand-in, each order served as JSON and as pretty-printed
XML: cart rules beside the gift wrapping, the shop's rounding modes, a foreign currency and the
order's dates — each imported to the cent, or refused with the reason; the Factur-X of the deposit
and final invoices made from them pass the XSD and the EN 16931 schematron."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from connectors.prestashop import importer
from connectors.prestashop.models import ImportIssue
from sales import services
from sales.models import ExchangeRate, Invoice, Order, Payment
from stock import services as stock_services
from tests.connectors.prestashop_standin import as_served, derived, order_cart_rule
from tests.sales.facturx_validation import assert_valid_factur_x

SHAPES = ["json", "xml"]
D = Decimal
NONE = D(0)


def row(row_id, name, quantity, incl, excl):
    return {
        "id": str(row_id),
        "product_id": str(900 + row_id),
        "product_attribute_id": "0",
        "product_quantity": str(quantity),
        "product_name": name,
        "product_reference": f"WEB-{row_id}",
        "product_ean13": "",
        "unit_price_tax_incl": f"{incl:.6f}",
        "unit_price_tax_excl": f"{excl:.6f}",
    }


def shop_order(standin, order_id, rows, *, products, discounts=NONE, wrapping=(NONE, NONE), shipping=NONE, **fields):
    """Order 1 of the fixtures with other rows and totals (the shop's total paid is its
    products + wrapping + shipping − discounts, as PrestaShop sums them)."""
    paid = products + wrapping[0] + shipping - discounts
    order = derived(
        standin.records["orders"]["1"],
        id=order_id,
        reference=f"REF{order_id}",
        total_products_wt=f"{products:.6f}",
        total_discounts=f"{discounts:.6f}",
        total_discounts_tax_incl=f"{discounts:.6f}",
        total_wrapping=f"{wrapping[0]:.6f}",
        total_wrapping_tax_incl=f"{wrapping[0]:.6f}",
        total_wrapping_tax_excl=f"{wrapping[1]:.6f}",
        total_shipping=f"{shipping:.6f}",
        total_shipping_tax_incl=f"{shipping:.6f}",
        total_paid=f"{paid:.6f}",
        total_paid_tax_incl=f"{paid:.6f}",
        total_paid_real=f"{paid:.6f}",
        **fields,
    )
    order["associations"] = {"order_rows": rows}
    return order


def serve(standin, order, shape, *rules):
    standin.put_record("orders", as_served("orders", order, shape))
    for rule in rules:
        standin.put_record("order_cart_rules", as_served("order_cart_rules", rule, shape))


def lines_of(order: Order):
    return [(line.kind, line.description, line.quantity, line.gross_amount, line.vat_rate) for line in order.lines.all()]


def ten_percent_and_wrapping(standin, shape):
    """Two VAT rates, a 10 % rule on the products only, gift wrapping and shipping at 20 %."""
    rows = [row(1, "Théière", 1, D("120"), D("100")), row(2, "Thé vert", 2, D("10.55"), D("10"))]
    order = shop_order(
        standin, 40, rows, products=D("141.10"), discounts=D("14.11"), wrapping=(D("3.00"), D("2.50")), shipping=D("6.00")
    )
    serve(standin, order, shape, order_cart_rule(5, 40, "Bienvenue -10 %", D("14.11"), D("12.00") + D("2.00")))


@pytest.mark.parametrize("shape", SHAPES)
def test_a_ten_percent_rule_beside_gift_wrapping_imports_to_the_cent(channel, standin, shop_client, shape):
    ten_percent_and_wrapping(standin, shape)

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="40")

    assert outcome.status == "created", outcome.error
    order = Order.objects.get(pk=outcome.order_id)
    assert order.total_incl_tax == D("135.99") and order.discount_percent == 0
    assert lines_of(order) == [
        ("product", "Théière", D("1.000"), D("120.00"), D("20.000")),
        ("product", "Thé vert", D("2.000"), D("21.10"), D("5.500")),
        ("text", "Emballage cadeau", D("1.000"), D("3.00"), D("20.000")),  # never discounted
        ("shipping", "Frais de port", D("1.000"), D("6.00"), D("20.000")),
        # The rule's name on the document, split over the rates of the products it discounts.
        ("text", "Remise « Bienvenue -10 % »", D("-1.000"), D("-2.11"), D("5.500")),
        ("text", "Remise « Bienvenue -10 % »", D("-1.000"), D("-12.00"), D("20.000")),
    ]
    assert {group["rate"]: D(group["gross"]) for group in order.vat_breakdown} == {"5.5": D("18.99"), "20": D("117.00")}
    assert Payment.objects.get(order=order).amount == D("135.99")


@pytest.mark.parametrize("shape", SHAPES)
def test_a_free_shipping_rule_discounts_the_shipping_at_its_rate(channel, standin, shop_client, shape):
    rows = [row(1, "Thé vert", 2, D("10.55"), D("10"))]
    order = shop_order(standin, 41, rows, products=D("21.10"), discounts=D("6.00"), shipping=D("6.00"))
    serve(standin, order, shape, order_cart_rule(6, 41, "Port offert", D("6.00"), D("5.00"), free_shipping=True))

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="41")

    assert outcome.status == "created", outcome.error
    order = Order.objects.get(pk=outcome.order_id)
    assert order.total_incl_tax == D("21.10")
    assert lines_of(order)[-1] == ("shipping", "Livraison offerte « Port offert »", D("-1.000"), D("-6.00"), D("20.000"))


def test_without_the_cart_rules_right_only_discounted_orders_are_refused_naming_it(channel, standin, shop_client):
    ten_percent_and_wrapping(standin, "json")
    standin.rights = {"order_cart_rules": set()}

    refused = importer.import_order(channel=channel, client=shop_client, external_id="40")
    plain = importer.import_order(channel=channel, client=shop_client, external_id="1")

    assert refused.status == "failed" and "« order_cart_rules » (GET)" in refused.error
    assert ImportIssue.objects.get(external_id="40").status == ImportIssue.Status.OPEN
    assert plain.status == "created", plain.error  # no discount: the right is never asked for


def test_rules_that_do_not_add_up_to_the_shops_discounts_are_refused(channel, standin, shop_client):
    ten_percent_and_wrapping(standin, "json")
    standin.records["order_cart_rules"].clear()  # the shop says 14,11 € of discounts, details none

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="40")

    assert outcome.status == "failed" and "remises TTC" in outcome.error and not Order.objects.exists()


@pytest.mark.parametrize("shape", SHAPES)
def test_a_shop_rounding_per_item_rounds_the_unit_price_first(channel, standin, shop_client, shape):
    # 3 × 1,105: per item 3 × 1,11 = 3,33; per line it would be 3,32.
    order = shop_order(standin, 42, [row(1, "Sachet", 3, D("1.105"), D("0.920833"))], products=D("3.33"), round_type="1")
    serve(standin, order, shape)

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="42")

    assert outcome.status == "created", outcome.error
    order = Order.objects.get(pk=outcome.order_id)
    assert lines_of(order) == [("product", "Sachet", D("3.000"), D("3.33"), D("20.000"))]
    assert order.lines.get().unit_price == D("1.11")


@pytest.mark.parametrize("shape", SHAPES)
def test_a_shop_rounding_on_the_total_leaves_a_cent_on_a_rounding_line(channel, standin, shop_client, shape):
    # Three rows of 3,335: each line rounds to 3,34 (10,02), the shop rounds the sum: 10,01.
    rows = [row(n, f"Carte {n}", 1, D("3.335"), D("2.779167")) for n in (1, 2, 3)]
    order = shop_order(standin, 43, rows, products=D("10.01"), round_type="3")
    serve(standin, order, shape)

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="43")

    assert outcome.status == "created", outcome.error
    order = Order.objects.get(pk=outcome.order_id)
    assert order.total_incl_tax == D("10.01")
    assert lines_of(order)[-1] == ("text", "Arrondi de la boutique", D("-1.000"), D("-0.01"), D("20.000"))


def test_more_than_a_cent_per_rate_is_no_rounding_and_is_refused(channel, standin, shop_client):
    rows = [row(n, f"Carte {n}", 1, D("3.335"), D("2.779167")) for n in (1, 2, 3)]
    serve(standin, shop_order(standin, 44, rows, products=D("10.00"), round_type="3"), "json")

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="44")

    assert outcome.status == "failed" and not Order.objects.exists()
    assert "produits TTC : LMB 10,02" in outcome.error.replace("\u202f", " ").replace("\xa0", " ")
    assert "centime d'arrondi par taux de TVA" in outcome.error


@pytest.mark.parametrize("shape", SHAPES)
def test_a_foreign_currency_order_keeps_its_day_and_the_ecb_rate_of_that_day(channel, standin, shop_client, shape):
    channel.currencies = {"1": "EUR", "2": "USD"}
    channel.save(update_fields=["currencies"])
    ExchangeRate.objects.create(day=date(2024, 2, 29), currency="USD", rate=D("1.0813"))
    ExchangeRate.objects.create(day=date(2024, 3, 4), currency="USD", rate=D("1.0857"))
    rows = [row(1, "Théière", 1, D("120"), D("100"))]
    order = shop_order(
        standin, 45, rows, products=D("120"), id_currency="2", conversion_rate="1.250000", date_add="2024-03-01 22:10:00"
    )
    serve(standin, order, shape)

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="45")

    assert outcome.status == "created", outcome.error
    order = Order.objects.get(pk=outcome.order_id)
    # The ECB rate published on or before the order's day, not the shop's own conversion_rate.
    assert (order.currency, order.exchange_rate, order.exchange_rate_date) == ("USD", D("1.0813"), date(2024, 2, 29))
    assert order.order_date == date(2024, 3, 1)
    assert Payment.objects.get(order=order).payment_date == date(2024, 3, 1)  # paid at checkout
    deposit = Invoice.objects.get(orders=order, kind=Invoice.Kind.DEPOSIT)
    # Issued today (a chronological series is never back-dated), the payment's day beside it (INV-05).
    assert (deposit.invoice_date, deposit.delivery_date) == (timezone.localdate(), date(2024, 3, 1))
    assert deposit.total_vat_eur == (deposit.total_vat / D("1.0813")).quantize(D("0.01"))


def test_the_deposit_and_final_invoices_of_such_orders_are_valid_factur_x(channel, standin, shop_client, main_warehouse):
    ten_percent_and_wrapping(standin, "xml")
    rows = [row(n, f"Carte {n}", 1, D("3.335"), D("2.779167")) for n in (1, 2, 3)]
    serve(standin, shop_order(standin, 43, rows, products=D("10.01"), round_type="3"), "xml")

    for external_id in ("40", "43"):
        outcome = importer.import_order(channel=channel, client=shop_client, external_id=external_id)
        assert outcome.status == "created", outcome.error
        order = Order.objects.get(pk=outcome.order_id)
        deposit = Invoice.objects.get(orders=order, kind=Invoice.Kind.DEPOSIT)
        # Its rows sell products (created from the shop): received, shipped, then invoiced (an
        # invoice is of what was delivered).
        for line in order.lines.filter(kind="product"):
            stock_services.receive(product=line.product, warehouse=main_warehouse, quantity=line.quantity, unit_cost=D("1"))
        services.ship_delivery_note(services.create_delivery_note(order), carrier="Colissimo")
        final = services.issue_invoice(services.invoice_order(order))
        assert (final.total_incl_tax, final.amount_due) == (order.total_incl_tax, D("0.00"))
        assert [line.description for line in final.lines.filter(quantity__lt=0)] == [
            line.description for line in order.lines.filter(quantity__lt=0)
        ]
        assert_valid_factur_x(deposit)
        assert_valid_factur_x(final)
