"""A year of documents of every kind, built through the sales and purchasing services, dated in
2025 (and January 2026 for the deposit across year end) with a travelling clock."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from purchasing import services as purchasing
from sales import services
from sales.models import CreditNote, ExchangeRate, PaymentMethod
from tests.factories import ThirdPartyFactory
from tests.sales import conftest as sales_fixtures
from tests.sales.conftest import customer

PARIS = ZoneInfo("Europe/Paris")
shop = sales_fixtures.shop  # the shop of the sales tests, reused


def on(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS), tick=False)


def ship(order):
    note = services.create_delivery_note(order)
    return services.ship_delivery_note(note, carrier="Colissimo")


def sell(shop, who, channel, lines, day: date, **fields):
    """Order, ship (when there are goods), invoice, all on ``day``."""
    with on(day):
        order = services.confirm_order(services.create_order(customer=who, channel=channel, lines=lines, **fields))
        if any(line.is_goods for line in order.lines.select_related("product")):
            ship(order)
        return services.issue_invoice(services.invoice_order(order), issue_date=day)


def pay(invoice, method, day, amount=None, **fields):
    with on(day):
        return services.record_payment(
            customer=invoice.customer,
            amount=amount if amount is not None else invoice.amount_due,
            method=method,
            payment_date=day,
            invoices=[invoice],
            **fields,
        )


@dataclass
class Year:
    invoices: dict = field(default_factory=dict)
    credit_notes: dict = field(default_factory=dict)
    payments: dict = field(default_factory=dict)
    supplier_invoices: list = field(default_factory=list)
    voucher: object = None
    deposit: object = None


def build_year(shop) -> Year:
    year = Year()
    # France, business: goods with eco-participation, goods at 5.5 %, a service; paid by transfer.
    lines = [
        {"product": shop.mug, "quantity": 10},
        {"product": shop.lamp, "quantity": 3},
        {"product": shop.jam, "quantity": 4},
        {"product": shop.fitting, "quantity": 1},
    ]
    year.invoices["fr"] = sell(shop, shop.bakery, shop.b2b, lines, date(2025, 1, 15))
    year.payments["fr"] = pay(year.invoices["fr"], PaymentMethod.TRANSFER, date(2025, 2, 10))
    # France, consumer by phone: paid half by card, half in cash.
    consumer = customer("Le Bihan", business=False)
    year.invoices["consumer"] = sell(shop, consumer, shop.phone, [{"product": shop.jam, "quantity": 3}], date(2025, 2, 3))
    half = (year.invoices["consumer"].amount_due / 2).quantize(Decimal("0.01"))
    pay(year.invoices["consumer"], PaymentMethod.CARD, date(2025, 2, 3), amount=half)
    pay(year.invoices["consumer"], PaymentMethod.CASH, date(2025, 2, 3), amount=year.invoices["consumer"].amount_due - half)
    # EU business (exempt goods, reverse-charged service), paid by cheque.
    german = customer("Bäckerei Müller", country="DE", postal_code="10115", vat_number="DE136695976")
    eu_lines = [{"product": shop.mug, "quantity": 5}, {"product": shop.fitting, "quantity": 1}]
    year.invoices["eu_b2b"] = sell(shop, german, shop.b2b, eu_lines, date(2025, 3, 10))
    pay(year.invoices["eu_b2b"], PaymentMethod.CHEQUE, date(2025, 3, 20))
    # EU consumer under OSS (Italian VAT), web shop, PayPal.
    shop.company.oss_registered = True
    shop.company.save()
    italian = customer("Rossi", country="IT", postal_code="00100", business=False)
    year.invoices["oss"] = sell(shop, italian, shop.web, [{"product": shop.mug, "quantity": 2}], date(2025, 4, 5))
    shop.company.oss_registered = False
    shop.company.save()
    pay(year.invoices["oss"], PaymentMethod.PAYPAL, date(2025, 4, 5))
    # Swiss export in CHF, paid at another rate: an exchange difference.
    ExchangeRate.objects.create(day=date(2025, 5, 2), currency="CHF", rate=Decimal("0.940000"))
    ExchangeRate.objects.create(day=date(2025, 6, 2), currency="CHF", rate=Decimal("0.920000"))
    swiss = customer("Genève SA", country="CH", postal_code="1201")
    year.invoices["chf"] = sell(shop, swiss, shop.b2b, [{"product": shop.mug, "quantity": 20}], date(2025, 5, 12), currency="CHF")
    year.payments["chf"] = pay(year.invoices["chf"], PaymentMethod.TRANSFER, date(2025, 6, 3))
    # Overseas (Guadeloupe): exempt like an export; left unpaid.
    antilles = customer("Pointe-à-Pitre SARL", country="GP", postal_code="97110")
    year.invoices["overseas"] = sell(shop, antilles, shop.b2b, [{"product": shop.mug, "quantity": 4}], date(2025, 6, 20))
    # A voucher sold in cash, then spent on a sale with a card top-up.
    with on(date(2025, 7, 1)):
        year.voucher = services.sell_voucher(
            amount="50.00", method=PaymentMethod.CASH, customer=shop.walk_in, payment_date=date(2025, 7, 1)
        )
    year.invoices["voucher_use"] = sell(
        shop, shop.walk_in, shop.phone, [{"product": shop.lamp, "quantity": 1}], date(2025, 7, 15)
    )
    pay(
        year.invoices["voucher_use"],
        PaymentMethod.VOUCHER,
        date(2025, 7, 15),
        amount=Decimal("30.00"),
        voucher_code=year.voucher.code,
    )
    pay(year.invoices["voucher_use"], PaymentMethod.CARD, date(2025, 7, 15), amount=year.invoices["voucher_use"].amount_due - 30)
    # Credit notes: a lamp returned by the bakery, refunded; a discount to the German customer as a voucher.
    with on(date(2025, 9, 10)):
        lamp_line = year.invoices["fr"].lines.get(product=shop.lamp, kind="product")
        refunded = services.create_credit_note(
            year.invoices["fr"],
            reason="Lampe défectueuse",
            lines=[{"invoice_line": lamp_line.pk, "quantity": 1}],
            settlement=CreditNote.Settlement.REFUND,
        )
        year.credit_notes["refund"] = services.issue_credit_note(
            refunded, issue_date=date(2025, 9, 10), refund_method=PaymentMethod.TRANSFER
        )
        mug_line = year.invoices["eu_b2b"].lines.get(product=shop.mug, kind="product")
        as_voucher = services.create_credit_note(
            year.invoices["eu_b2b"],
            reason="Geste commercial",
            lines=[{"invoice_line": mug_line.pk, "quantity": 1}],
            settlement=CreditNote.Settlement.VOUCHER,
        )
        year.credit_notes["voucher"] = services.issue_credit_note(as_voucher, issue_date=date(2025, 9, 10))
    # Supplier invoices: goods and a service.
    supplier = ThirdPartyFactory(name="Faïencerie de Quimper", is_customer=False, is_supplier=True)
    for number, day, lines in (
        ("F-118", date(2025, 3, 1), [{"product": shop.mug, "quantity": 50, "unit_price": Decimal("3.10")}]),
        (
            "F-131",
            date(2025, 10, 4),
            [{"description": "Transport", "quantity": 1, "unit_price": Decimal("45.00"), "vat_rate": 20}],
        ),
    ):
        invoice = purchasing.create_supplier_invoice(
            supplier=supplier, number=number, invoice_date=day, due_date=day, lines=lines
        )
        year.supplier_invoices.append(purchasing.record_supplier_invoice(invoice))
    # Paid on the web on 30 December, shipped and invoiced on 6 January: a deposit across year end.
    with on(date(2025, 12, 30)):
        order = services.confirm_order(
            services.create_order(customer=consumer, channel=shop.web, lines=[{"product": shop.lamp, "quantity": 2}])
        )
        year.deposit = services.receive_deposit(
            order, amount=order.total_incl_tax, method=PaymentMethod.CARD, payment_date=date(2025, 12, 30)
        )
    with on(date(2026, 1, 6)):
        ship(order)
        year.invoices["after_deposit"] = services.issue_invoice(services.invoice_order(order), issue_date=date(2026, 1, 6))
    return year


@pytest.fixture
def year(shop):
    return build_year(shop)
