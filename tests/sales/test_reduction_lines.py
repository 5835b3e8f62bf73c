"""Reduction lines: a free-text or shipping line with a negative quantity (a web shop's cart
rule, « Remise « PROMO » »). It lowers its VAT rate's total, is invoiced with the order's first
invoice, and a credit note of that invoice takes it back; a product never has a negative quantity."""

from decimal import Decimal

import pytest

from lmb.errors import InvalidInput
from sales import services
from sales.models import CreditNote

D = Decimal


def _order_with_a_reduction(shop):
    lines = [
        {"product": shop.mug, "quantity": 2},  # 2 × 8,25 HT at 20 %
        {"kind": "text", "description": "Remise « PROMO »", "quantity": -1, "unit_price": D("3.30"), "vat_rate": D("20")},
    ]
    return services.confirm_order(services.create_order(customer=shop.bakery, channel=shop.b2b, lines=lines))


@pytest.mark.django_db
def test_a_reduction_line_lowers_its_rate_and_is_invoiced_and_credited_with_the_goods(shop):
    order = _order_with_a_reduction(shop)
    assert (order.total_excl_tax, order.total_vat, order.total_incl_tax) == (D("13.20"), D("2.64"), D("15.84"))

    services.ship_delivery_note(services.create_delivery_note(order))
    invoice = services.issue_invoice(services.invoice_order(order))
    assert invoice.total_incl_tax == D("15.84")
    assert invoice.lines.get(description="Remise « PROMO »").net_amount == D("-3.30")

    credit = services.issue_credit_note(services.create_credit_note(invoice, reason="Annulation"))
    assert credit.status == CreditNote.Status.ISSUED and credit.total_incl_tax == D("15.84")  # not 19,80: the reduction too


@pytest.mark.django_db
def test_a_product_never_takes_a_negative_quantity(shop):
    with pytest.raises(InvalidInput) as refused:
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": -1}])
    assert refused.value.errors == {"quantity": ["La quantité doit être positive."]}
