"""Payments: partial, allocated to several invoices, overpayment kept as the customer's credit and
used later; vouchers sold, spent, expired."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from lmb.errors import Conflict, InvalidInput
from sales import queries, services
from sales.models import Payment, PaymentMethod, Voucher
from tests.sales.conftest import customer


def invoice_of(shop, who, quantity):
    order = services.confirm_order(
        services.create_order(customer=who, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": quantity}])
    )
    services.ship_delivery_note(services.create_delivery_note(order))
    return services.issue_invoice(services.invoice_order(order))


@pytest.mark.django_db
def test_partial_payment_then_one_transfer_for_two_invoices_with_an_overpayment(shop):
    first, second = invoice_of(shop, shop.bakery, 10), invoice_of(shop, shop.bakery, 4)  # 99.00 and 39.60 TTC
    assert (first.amount_due, second.amount_due) == (Decimal("99.00"), Decimal("39.60"))

    services.record_payment(
        customer=shop.bakery, amount="40", method=PaymentMethod.CHEQUE, reference="CHQ 1234567", invoices=[first]
    )
    assert queries.invoice_balance(first) == Decimal("59.00")

    transfer = services.record_payment(
        customer=shop.bakery, amount="100.00", method=PaymentMethod.TRANSFER, invoices=[first, second]
    )
    assert [(a.invoice, a.amount) for a in transfer.allocations.order_by("pk")] == [
        (first, Decimal("59.00")),
        (second, Decimal("39.60")),
    ]
    assert queries.invoice_balance(first) == queries.invoice_balance(second) == 0
    assert queries.customer_credit(shop.bakery) == Decimal("1.40")  # the overpayment stays on account
    assert queries.customer_balance(shop.bakery) == Decimal("-1.40")

    third = invoice_of(shop, shop.bakery, 1)
    assert services.apply_customer_credit(third) == Decimal("1.40")
    assert queries.invoice_balance(third) == third.amount_due - Decimal("1.40") and queries.customer_credit(shop.bakery) == 0


@pytest.mark.django_db
def test_allocations_are_refused_beyond_what_is_due_or_to_another_customer(shop):
    invoice = invoice_of(shop, shop.bakery, 1)
    payment = services.record_payment(customer=shop.bakery, amount="50", method=PaymentMethod.CARD)
    with pytest.raises(Conflict, match="plus que"):
        services.allocate(invoice=invoice, payment=payment, amount="20")
    other = invoice_of(shop, customer("Crêperie Ar Men"), 1)
    with pytest.raises(InvalidInput, match="autre client"):
        services.allocate(invoice=other, payment=payment, amount="5")
    services.allocate(invoice=invoice, payment=payment, amount=invoice.amount_due)
    assert queries.customer_credit(shop.bakery) == Decimal("50") - invoice.amount_due


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, field",
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"payment_date": date.today() + timedelta(days=2)}, "payment_date"),
        ({"method": PaymentMethod.VOUCHER}, "voucher"),
    ],
)
def test_bad_payment_input_names_the_field_and_records_nothing(shop, fields, field):
    with pytest.raises(InvalidInput) as error:
        services.record_payment(**{"customer": shop.bakery, "amount": "10", "method": PaymentMethod.CASH, **fields})
    assert error.value.field == field and not Payment.objects.exists()


@pytest.mark.django_db
def test_a_voucher_sold_at_the_counter_pays_for_goods_later(shop, counter_session):
    voucher = services.sell_voucher(amount="30", method=PaymentMethod.CASH, customer=shop.walk_in)
    sale = Payment.objects.get(voucher=voucher)
    assert (sale.purpose, voucher.sold, voucher.balance) == (Payment.Purpose.VOUCHER_SALE, True, Decimal("30.00"))
    assert queries.customer_credit(shop.walk_in) == 0  # a voucher is not an account credit

    invoice = services.sell_at_counter(
        session=counter_session,
        user=counter_session.opened_by,
        channel=shop.counter,
        lines=[{"product": shop.lamp}],
        tenders=[
            {"method": PaymentMethod.VOUCHER, "amount": "30", "voucher_code": voucher.code.lower()},
            {"method": PaymentMethod.CARD, "amount": "20.50"},
        ],
    )
    assert queries.invoice_balance(invoice) == 0
    assert Voucher.objects.get(pk=voucher.pk).balance == 0
    with pytest.raises(Conflict, match="Solde insuffisant"):
        services.record_payment(customer=shop.walk_in, amount="1", method=PaymentMethod.VOUCHER, voucher_code=voucher.code)


@pytest.mark.django_db
def test_an_expired_or_unknown_voucher_is_refused(shop):
    voucher = services.issue_voucher(amount="10", customer=shop.walk_in, expires_on=date.today() - timedelta(days=1))
    with pytest.raises(Conflict, match="expiré"):
        services.record_payment(customer=shop.walk_in, amount="5", method=PaymentMethod.VOUCHER, voucher_code=voucher.code)
    with pytest.raises(InvalidInput, match="Aucun bon"):
        services.record_payment(customer=shop.walk_in, amount="5", method=PaymentMethod.VOUCHER, voucher_code="BA-NOPE")
    assert Voucher.objects.get(pk=voucher.pk).balance == 10 and not Payment.objects.exists()


@pytest.mark.django_db
def test_an_overpayment_can_be_refunded_but_not_more(shop):
    services.record_payment(customer=shop.bakery, amount="25", method=PaymentMethod.TRANSFER)
    with pytest.raises(Conflict, match="25,00"):
        services.refund(customer=shop.bakery, amount="30", method=PaymentMethod.TRANSFER)
    services.refund(customer=shop.bakery, amount="25", method=PaymentMethod.TRANSFER)
    assert queries.customer_credit(shop.bakery) == 0
