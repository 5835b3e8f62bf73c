"""Orders in bulk: a page of web orders, each created, confirmed and (when paid) with its deposit
received, written together — the rows ``create_order``, ``confirm_order`` and ``receive_deposit``
would write one order at a time (tests/connectors/test_prestashop_pages.py compares them), in a
few statements per page instead of some thirty per order.

``prepare_order`` builds and checks an order in memory (the caller compares it with what it
expects, e.g. the shop's totals); ``save_confirmed_orders`` writes the prepared ones in the
caller's transaction. The order, invoice and chain numbers of the whole page are taken at once,
and held until that transaction ends."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from lmb import events, transactions
from lmb.errors import InvalidInput
from lmb.formats import money_fr
from lmb.models import PaymentTerms
from lmb.services import reference, take_values, validate
from stock import services as stock_services

from .. import chain
from ..models import (
    Allocation,
    DocumentEvent,
    Installment,
    Invoice,
    InvoiceLine,
    OpenInvoice,
    Order,
    OrderLine,
    Payment,
    PaymentMethod,
)
from . import documents, invoices, payments
from .quotes_orders import built_document, order_source, warehouse_of

ZERO = Decimal("0")


@dataclass
class Deposit:
    """Money received with the order (a web order paid at checkout): ``receive_deposit``'s terms."""

    amount: Decimal
    method: str
    reference: str = ""
    payment_date: date | None = None  # when the money came (the order's day on a web shop); None: today
    invoice: Invoice | None = None  # the deposit invoice, once issued


@dataclass
class NewOrder:
    """An order, its lines and its deposit, checked and totalled, not saved yet."""

    order: Order
    lines: list[OrderLine]
    deposit: Deposit | None = None


def prepare_order(*, customer, channel, warehouse=None, user=None, **fields) -> NewOrder:
    """What ``create_order`` makes (same arguments and checks), in memory, to be confirmed."""
    order, lines = built_document(
        Order, customer=customer, channel=channel, user=user, warehouse=warehouse or warehouse_of(channel), **fields
    )
    if not lines:
        raise InvalidInput({"lines": [_("Une commande sans ligne ne se confirme pas.")]})  # as confirm_order
    return NewOrder(order, lines)


def add_deposit(new: NewOrder, *, amount, method: str, reference: str = "", payment_date: date | None = None):
    """The deposit ``receive_deposit`` would take on the order, checked as it checks it."""
    amount = payments.positive_amount(amount)
    payments.check_method(method)
    if method == PaymentMethod.VOUCHER:  # a voucher is spent under its own lock: receive_deposit does it
        raise InvalidInput({"method": [_("Un acompte par bon d'achat s'enregistre commande par commande.")]})
    if amount > new.order.total_incl_tax:
        raise InvalidInput(
            {
                "amount": [
                    _("L'acompte ne peut pas dépasser la commande (%(total)s).") % {"total": money_fr(new.order.total_incl_tax)}
                ]
            }
        )
    payments.check_payment_date(payment_date)
    new.deposit = Deposit(amount, method, reference, payment_date)


@transactions.atomic
def save_confirmed_orders(new_orders: list[NewOrder], *, user=None) -> list[Order]:
    """Write prepared orders, confirmed (numbered, their goods reserved), each with its deposit
    received and its deposit invoice issued and paid. All or nothing."""
    # The stock before the numbers (lock order: stock/services.py).
    stock_services.lock_products(line.product for new in new_orders for line in new.lines if line.is_goods)
    today = timezone.localdate()
    year = str(today.year)
    paid = [new for new in new_orders if new.deposit]
    series = [("order", year, len(new_orders))]
    if paid:  # the order issue_invoice takes them in: invoices, then the chain
        series += [("invoice", year, len(paid)), (chain.CHAIN_SEQUENCE, "", len(paid))]
    numbers, *invoice_numbers = take_values(*series)
    for new, value in zip(new_orders, numbers, strict=True):
        new.order.number = reference("CO", value, period=year)
        new.order.order_date = new.order.order_date or today  # as confirm_order
        new.order.status = Order.Status.CONFIRMED
    Order.objects.bulk_create([new.order for new in new_orders])
    documents.save_new_lines(OrderLine, [line for new in new_orders for line in new.lines])
    stock_services.reserve_for_new_sources(
        [
            (order_source(new.order), line.product, new.order.warehouse, line.quantity)
            for new in new_orders
            for line in new.lines
            if line.is_goods
        ]
    )
    history = {new.order.pk: [documents.history_entry(new.order, "confirmed", user=user)] for new in new_orders}
    if paid:
        _receive_deposits(paid, *invoice_numbers, today=today, user=user, history=history)
    DocumentEvent.objects.bulk_create([entry for new in new_orders for entry in history[new.order.pk]])
    for new in new_orders:
        events.publish(events.ORDER_CONFIRMED, order_id=new.order.pk)
    for new in paid:
        events.publish(events.INVOICE_ISSUED, invoice_id=new.deposit.invoice.pk, kind=Invoice.Kind.DEPOSIT)
    return [new.order for new in new_orders]


def _receive_deposits(paid: list[NewOrder], numbers: range, positions: range, *, today, user, history: dict):
    """``receive_deposit`` for each order: the payment, the deposit invoice issued (numbered in
    the series, chained after the one before it), and the payment allocated to it."""
    last_date, previous_hash = invoices.last_issue_date_and_hash(positions.start - 1)
    invoices.check_chronology(today, last_date)
    built = [_deposit_invoice(new, today, user) for new in paid]
    for (deposit, lines), value, position in zip(built, numbers, positions, strict=True):
        deposit.number = reference("FA", value, period=str(today.year))
        chain.link_at(deposit, position, previous_hash, lines)
        previous_hash = deposit.content_hash
        deposit.issued_at = timezone.now()
    Invoice.objects.bulk_create([deposit for deposit, _lines in built])  # drafts until their lines are in
    Invoice.orders.through.objects.bulk_create(
        [Invoice.orders.through(invoice=deposit, order=new.order) for new, (deposit, _lines) in zip(paid, built, strict=True)]
    )
    InvoiceLine.objects.bulk_create([line for _deposit, lines in built for line in lines])
    Installment.objects.bulk_create(
        [Installment(invoice=deposit, due_date=deposit.due_date, amount=deposit.amount_due) for deposit, _lines in built]
    )
    Invoice.objects.filter(pk__in=[deposit.pk for deposit, _lines in built]).update(status=Invoice.Status.ISSUED)
    received = Payment.objects.bulk_create(
        [
            Payment(
                customer=new.order.customer,
                purpose=Payment.Purpose.DEPOSIT,
                method=new.deposit.method,
                amount=new.deposit.amount,
                payment_date=new.deposit.payment_date or today,
                reference=new.deposit.reference,
                order=new.order,
                created_by=user,
            )
            for new in paid
        ]
    )
    Allocation.objects.bulk_create(
        [
            Allocation(invoice=deposit, payment=payment, amount=payment.amount)
            for payment, (deposit, _l) in zip(received, built, strict=True)
        ]
    )
    OpenInvoice.objects.bulk_create(  # a deposit invoice is its payment's amount: none is left owed, normally
        [
            OpenInvoice(invoice=deposit, balance=deposit.amount_due - payment.amount)
            for payment, (deposit, _l) in zip(received, built, strict=True)
            if deposit.amount_due > payment.amount
        ]
    )
    for new, payment, (deposit, _lines) in zip(paid, received, built, strict=True):
        deposit.status = Invoice.Status.ISSUED
        new.deposit.invoice = deposit
        history[new.order.pk] += [
            documents.history_entry(deposit, "issued", user=user, detail=deposit.number),
            documents.history_entry(
                deposit,
                "allocated",
                detail=_("%(amount)s par %(source)s") % {"amount": money_fr(payment.amount), "source": payment},
            ),
            documents.history_entry(new.order, "deposit", user=user, detail=deposit.number),
        ]


def _deposit_invoice(new: NewOrder, today, user) -> tuple[Invoice, list[InvoiceLine]]:
    """The deposit invoice of ``receive_deposit``, issued today, not numbered nor saved yet."""
    deposit = invoices.new_deposit_invoice(new.order, user=user)
    lines = documents.check_lines(deposit, invoices.deposit_lines(deposit, new.order, new.deposit.amount, order_lines=new.lines))
    documents.recompute(deposit, on_date=today, lines=lines)
    deposit.invoice_date = today  # the day it is issued (INV-05), as receive_deposit
    deposit.delivery_date = new.deposit.payment_date or today  # nothing shipped yet: the date of the payment
    deposit.due_date = invoices.due_date_for(PaymentTerms.ON_RECEIPT, None, today)
    deposit.deposits_total, deposit.amount_due = ZERO, deposit.total_incl_tax
    validate(deposit)
    return deposit, lines
