"""Read paths of sales used by several edges: document lists with what they need, and balances
(what an invoice still awaits, what a customer has to their credit)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from catalog.models import Product
from lmb import money

from . import totals, vat
from .models import (
    Allocation,
    CreditNote,
    DeliveryNote,
    DeliveryNoteLine,
    DepositDeduction,
    Invoice,
    OpenInvoice,
    Order,
    OrderLine,
    Payment,
    Quote,
    Voucher,
)

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


def deposits_left(deposit_ids) -> list[tuple[int, Decimal]]:
    """[(deposit invoice id, what it still stands for, to be deducted)], oldest first (invoice
    date, id), in one statement: its value (``deposit_value``: its total less its credit notes)
    less what issued invoices already deducted from it (DEP-01)."""
    rows = (
        Invoice.objects.filter(pk__in=deposit_ids)
        .annotate(
            credited=_sum_of(
                CreditNote.objects.filter(invoice=OuterRef("pk"), status=CreditNote.Status.ISSUED), "total_incl_tax"
            ),
            deducted=_sum_of(
                DepositDeduction.objects.filter(deposit=OuterRef("pk"), invoice__status=Invoice.Status.ISSUED), "amount"
            ),
        )
        .order_by("invoice_date", "pk")
        .values_list("pk", "total_incl_tax", "credited", "deducted")
    )
    return [(pk, total - credited - deducted) for pk, total, credited, deducted in rows]


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


def owed(invoices):
    """The issued invoices not yet settled, by their ``OpenInvoice`` row (no balance computed)."""
    return invoices.filter(status=Invoice.Status.ISSUED, pk__in=OpenInvoice.objects.values("invoice_id"))


def not_owed(invoices):
    """Every invoice but the issued ones not yet settled: drafts and settled invoices."""
    return invoices.exclude(status=Invoice.Status.ISSUED, pk__in=OpenInvoice.objects.values("invoice_id"))


def open_invoice_differences() -> list[tuple[int, Decimal, Decimal]]:
    """(invoice id, balance kept in ``OpenInvoice``, balance from the allocations) of every issued
    invoice on which the two differ — a missing row counts as nothing owed."""
    from_allocations = dict(
        with_balance(Invoice.objects.filter(status=Invoice.Status.ISSUED)).filter(balance__gt=0).values_list("pk", "balance")
    )
    kept = dict(OpenInvoice.objects.values_list("invoice_id", "balance"))
    return sorted(
        (pk, kept.get(pk, ZERO), from_allocations.get(pk, ZERO))
        for pk in from_allocations.keys() | kept.keys()
        if kept.get(pk, ZERO) != from_allocations.get(pk, ZERO)
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


# --- A delivery note as printed -------------------------------------------------------------------


@dataclass
class DeliveryRow:
    """One line of the order on its delivery note: every goods line appears, shipped now or not,
    so the customer reads what is still to come (the backorder); its eco-participation follows it."""

    line: OrderLine  # designation, price, discount and VAT
    ordered: Decimal
    already_shipped: Decimal  # by the notes shipped before this one
    shipped: Decimal  # by this note
    remaining: Decimal  # still to ship after this note
    delivery_line: DeliveryNoteLine | None = None  # this note's line (its quantity is edited while a draft)
    net_amount: Decimal | None = None  # what this note ships, tax excluded (None: nothing shipped)
    gross_amount: Decimal | None = None

    @property
    def is_eco(self):
        return self.line.kind == OrderLine.Kind.ECO


@dataclass
class DeliveryNoteContent:
    rows: list[DeliveryRow]
    #: the goods this note ships, computed as their invoice will be (sales.totals: VAT per rate on
    #: the sum of the net lines, tax included or excluded as on the order, its discount,
    #: the eco-participation as its own lines)
    totals: totals.DocumentTotals
    eco_participation_total: Decimal

    @property
    def has_backorder(self):
        return any(row.remaining for row in self.rows)

    @property
    def vat_groups(self) -> list[dict]:
        """The VAT breakdown of what this note ships, each row labelled like its lines (``vat.labelled_breakdown``)."""
        return vat.labelled_breakdown([group.as_dict() for group in self.totals.groups], [row.line for row in self.rows])


@dataclass
class _Shipped:
    """An order line taken for the quantity a delivery note ships (what its invoice line will be)."""

    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    vat_category: str
    discount_percent: Decimal
    kind: str

    @classmethod
    def of(cls, line: OrderLine, quantity: Decimal):
        terms = ("unit_price", "vat_rate", "vat_category", "discount_percent", "kind")
        return cls(quantity=quantity, **{name: getattr(line, name) for name in terms})


def shipped_before(note: DeliveryNote) -> dict[int, Decimal]:
    """Order line id → quantity shipped by the order's notes shipped before ``note`` (all of the
    shipped ones while ``note`` is a draft): a delivery note printed again says what it said."""
    earlier = DeliveryNoteLine.objects.filter(
        delivery_note__order_id=note.order_id, delivery_note__status=DeliveryNote.Status.SHIPPED
    ).exclude(delivery_note_id=note.pk)
    if note.shipped_at:
        earlier = earlier.filter(
            Q(delivery_note__shipped_at__lt=note.shipped_at)
            | Q(delivery_note__shipped_at=note.shipped_at, delivery_note_id__lt=note.pk)
        )
    return dict(earlier.values("order_line_id").annotate(total=Sum("quantity")).values_list("order_line_id", "total"))


def delivery_note_content(note: DeliveryNote) -> DeliveryNoteContent:
    """Every goods line of the order with what is ordered, already shipped, shipped by this note
    and left to ship, and the amounts of what this note ships — computed as the invoice of these
    goods will compute them, to the cent (the screen and the PDF both read this)."""
    order = note.order
    order_lines = list(order.lines.select_related("product").order_by("position", "pk"))
    goods = [line for line in order_lines if line.parent_id is None and line.is_goods]
    eco_of = {}
    for line in order_lines:
        if line.kind == OrderLine.Kind.ECO and line.parent_id:
            eco_of.setdefault(line.parent_id, []).append(line)
    in_note = {line.order_line_id: line for line in note.lines.all()}
    before = shipped_before(note)
    rows, shipped_lines = [], []
    for line in goods:
        delivery_line = in_note.get(line.pk)
        shipped = delivery_line.quantity if delivery_line else ZERO
        already = before.get(line.pk, ZERO)
        remaining = max(line.quantity - already - shipped, ZERO)
        for each in (line, *eco_of.get(line.pk, ())):
            rows.append(DeliveryRow(each, each.quantity, already, shipped, remaining, delivery_line if each is line else None))
            if shipped:
                shipped_lines.append((rows[-1], _Shipped.of(each, shipped)))
    computed = totals.of_lines(
        [shipped for _row, shipped in shipped_lines],
        prices_include_tax=order.prices_include_tax,
        discount_percent=order.discount_percent,
    )
    eco_lines = []
    for (row, _shipped), amounts in zip(shipped_lines, computed.lines, strict=True):
        row.net_amount, row.gross_amount = amounts.net, amounts.gross
        if row.is_eco:
            eco_lines.append((row.line.vat_rate, amounts))
    eco_total = totals.eco_participation_total(eco_lines, prices_include_tax=order.prices_include_tax)
    return DeliveryNoteContent(rows=rows, totals=computed, eco_participation_total=eco_total)
