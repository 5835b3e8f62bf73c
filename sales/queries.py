"""Read paths of sales used by several edges: document lists with what they need, and balances
(what an invoice still awaits, what a customer has to their credit)."""

from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from catalog.models import Product
from lmb import money

from .models import Allocation, CreditNote, DeliveryNote, Invoice, Order, OrderLine, Payment, Quote, Voucher

ZERO = Decimal("0.00")
AMOUNT_FIELD = DecimalField(max_digits=14, decimal_places=2)


def _sum_of(queryset, field="amount"):
    """A correlated subquery: the sum of ``field`` over ``queryset`` (0 when empty)."""
    return Coalesce(
        Subquery(queryset.order_by().annotate(_group=Value(1)).values("_group").annotate(total=Sum(field)).values("total")),
        Value(ZERO),
        output_field=AMOUNT_FIELD,
    )


def allocated_total(*, payment=None, credit_note=None, invoice=None) -> Decimal:
    allocations = Allocation.objects.all()
    if payment is not None:
        allocations = allocations.filter(payment=payment)
    if credit_note is not None:
        allocations = allocations.filter(credit_note=credit_note)
    if invoice is not None:
        allocations = allocations.filter(invoice=invoice)
    return allocations.aggregate(total=Sum("amount"))["total"] or ZERO


def invoice_balance(invoice: Invoice) -> Decimal:
    """What an issued invoice still awaits: its amount due less what settled it."""
    if invoice.status != Invoice.Status.ISSUED:
        return ZERO
    return invoice.amount_due - allocated_total(invoice=invoice)


def deposit_value(deposit: Invoice) -> Decimal:
    """What a deposit invoice still stands for: its total less its credit notes (a refunded deposit)."""
    credited = deposit.credit_notes.filter(status=CreditNote.Status.ISSUED).aggregate(total=Sum("total_incl_tax"))["total"]
    return deposit.total_incl_tax - (credited or ZERO)


def deposits_received(order: Order) -> Decimal:
    """What the order's issued deposit invoices still stand for (Σ ``deposit_value``), in one
    plain statement: every deposit received reads it first."""
    invoices, links, notes = Invoice._meta.db_table, Invoice.orders.through._meta.db_table, CreditNote._meta.db_table
    sql = f"""SELECT COALESCE(SUM(deposit.total_incl_tax - COALESCE(
            (SELECT SUM(note.total_incl_tax) FROM {notes} note WHERE note.invoice_id = deposit.id AND note.status = %s), 0)), 0)
        FROM {invoices} deposit JOIN {links} link ON link.invoice_id = deposit.id
        WHERE link.order_id = %s AND deposit.kind = %s AND deposit.status = %s"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [CreditNote.Status.ISSUED, order.pk, Invoice.Kind.DEPOSIT, Invoice.Status.ISSUED])
        value = cursor.fetchone()[0]
    return money.amount(str(value) if isinstance(value, float | int) else value)  # SQLite answers REAL or INTEGER


def credit_note_used(credit_note: CreditNote) -> Decimal:
    """What an issued credit note already settled, refunded or turned into vouchers."""
    allocated = allocated_total(credit_note=credit_note)
    refunded = (
        Payment.objects.filter(credit_note=credit_note, purpose=Payment.Purpose.REFUND).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    vouchers = Voucher.objects.filter(credit_note=credit_note).aggregate(total=Sum("amount"))["total"] or ZERO
    return allocated + refunded + vouchers


def credit_sources(customer):
    """The customer's money not yet used, oldest first: settlements not fully allocated, then
    issued credit notes kept on account."""
    payments = with_allocated(Payment.objects.filter(customer=customer, purpose=Payment.Purpose.SETTLEMENT))
    sources = [payment for payment in payments.order_by("payment_date", "pk") if payment.amount > payment.allocated]
    credit_notes = CreditNote.objects.filter(
        customer=customer,
        status=CreditNote.Status.ISSUED,
        settlement=CreditNote.Settlement.BALANCE,
    ).order_by("credit_date", "pk")
    sources += [note for note in credit_notes if note.total_incl_tax > credit_note_used(note)]
    return sources


def customer_credit(customer) -> Decimal:
    """Money the customer has with us: unallocated settlements and unused credit notes on
    account, less what was refunded to them outside a credit note."""
    total = ZERO
    for source in credit_sources(customer):
        if isinstance(source, Payment):
            total += source.amount - source.allocated
        else:
            total += source.total_incl_tax - credit_note_used(source)
    refunded = (
        Payment.objects.filter(customer=customer, purpose=Payment.Purpose.REFUND, credit_note=None).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )
    return total - refunded


def with_allocated(payments):
    """Payments annotated with ``allocated`` (to invoices) and ``unallocated`` (the rest)."""
    allocations = Allocation.objects.filter(payment=OuterRef("pk"))
    return payments.annotate(allocated=_sum_of(allocations)).annotate(unallocated=F("amount") - F("allocated"))


def with_balance(invoices):
    """Invoices annotated with ``paid`` (allocations) and ``balance`` (amount due − paid)."""
    allocations = Allocation.objects.filter(invoice=OuterRef("pk"))
    return invoices.annotate(paid=_sum_of(allocations)).annotate(
        balance=F("amount_due") - F("paid"),
    )


def customer_balance(customer) -> Decimal:
    """What the customer owes on issued invoices, less their credit."""
    invoices = with_balance(Invoice.objects.filter(customer=customer, status=Invoice.Status.ISSUED))
    owed = invoices.aggregate(total=Sum("balance"))["total"] or ZERO
    return owed - customer_credit(customer)


# --- Lists ---------------------------------------------------------------------------------------


def quotes():
    return Quote.objects.select_related("customer", "channel")


def orders():
    return Order.objects.select_related("customer", "channel", "warehouse")


def delivery_notes():
    return DeliveryNote.objects.select_related("order__customer", "order__channel", "warehouse")


def invoices():
    return with_balance(Invoice.objects.select_related("customer", "channel"))


def credit_notes():
    return CreditNote.objects.select_related("customer", "channel", "invoice")


def payments():
    return with_allocated(Payment.objects.select_related("customer", "voucher"))


def backorders():
    """Order lines still to ship on open orders."""
    return (
        OrderLine.objects.select_related("document__customer", "product")
        .filter(document__status__in=Order.OPEN_STATUSES, kind=OrderLine.Kind.PRODUCT, quantity__gt=F("delivered_quantity"))
        .filter(product__kind=Product.Kind.GOODS)
        .annotate(left=F("quantity") - F("delivered_quantity"))
        .order_by("document__order_date", "document_id", "position")
    )


def unpaid_invoices(customer):
    return (
        with_balance(Invoice.objects.filter(customer=customer, status=Invoice.Status.ISSUED))
        .filter(balance__gt=0)
        .order_by("due_date", "pk")
    )
