"""A sale at the counter: the customer takes the goods and pays at once. It is the whole chain in
one transaction — order, delivery (the goods leave the shop's stock), invoice issued, payments."""

from django.db import transaction
from django.utils.translation import gettext as _

from lmb.errors import InvalidInput

from ..models import Invoice
from . import deliveries, invoices, payments, quotes_orders


@transaction.atomic
def sell_at_counter(*, channel, lines, tenders, customer=None, user=None) -> Invoice:
    """``lines`` as for ``add_line``; ``tenders`` [{method, amount, voucher_code?}] paying it.
    The customer is the channel's walk-in customer unless given. Returns the issued invoice."""
    customer = customer or channel.default_customer
    if customer is None:
        raise InvalidInput({"customer": [_("Choisissez le client, ou définissez le client de passage du canal.")]})
    order = quotes_orders.create_order(customer=customer, channel=channel, user=user, lines=lines)
    order = quotes_orders.confirm_order(order, user=user)
    if any(line.is_goods for line in order.lines.select_related("product")):
        note = deliveries.create_delivery_note(order, user=user)
        deliveries.ship_delivery_note(note, user=user)
    invoice = invoices.issue_invoice(invoices.invoice_order(order, user=user), user=user)
    for tender in tenders:
        payments.record_payment(
            customer=customer,
            amount=tender["amount"],
            method=tender["method"],
            voucher_code=tender.get("voucher_code", ""),
            invoices=[invoice],
            user=user,
        )
    return invoice
