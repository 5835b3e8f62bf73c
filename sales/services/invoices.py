"""Invoices: made from what was delivered (never from what was paid, INV-18), for one or several
delivery notes of a customer; services when performed. Deposit invoices (386) when money comes
before the goods (DEP-01, YE-04). Issuing numbers the invoice in the one continuous series,
dates it, chains its hash, sets its due dates, deducts its deposits (in part when they exceed it:
an order shipped in several parcels), and freezes it."""

import calendar
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from lmb import closing, events, money, rows, transactions
from lmb.errors import Conflict, InvalidInput
from lmb.formats import money_fr
from lmb.models import PaymentTerms
from lmb.services import next_values, reference

from .. import chain, queries
from ..models import (
    DeliveryNote,
    DeliveryNoteLine,
    DepositDeduction,
    Installment,
    Invoice,
    InvoiceLine,
    OpenInvoice,
    Order,
    OrderLine,
    Payment,
    VatCategory,
)
from . import documents, payments

ZERO = Decimal("0")
# What issuing sets on an invoice, besides its totals (saved under the series lock: only these).
ISSUING_FIELDS = (
    "number",
    "status",
    "invoice_date",
    "delivery_date",
    "due_date",
    "deposits_total",
    "amount_due",
    "issued_at",
    "chain_position",
    "previous_hash",
    "content_hash",
)
LineKind = InvoiceLine.Kind
MAX_TERM_DAYS = 60  # C. com. L441-10 (PAY-02)
PERIODIC_MAX_TERM_DAYS = 45  # a periodic invoice's term (C. com. L441-10, PAY-02)


# --- Drafts ----------------------------------------------------------------------------------------


def _uninvoiced_delivery_lines(notes):
    """(delivery line, quantity left to invoice) of the notes, note after note, each in its
    order's printed order; read in one statement for all the notes."""
    rank = {note.pk: index for index, note in enumerate(notes)}
    if not rank:
        return
    lines = DeliveryNoteLine.objects.filter(delivery_note__in=list(rank)).select_related("order_line__product")
    for line in sorted(lines, key=lambda line: (rank[line.delivery_note_id], line.order_line.position, line.pk)):
        left = line.quantity - line.invoiced_quantity
        if left > 0:
            yield line, left


def _other_lines_to_invoice(order_lines):
    """Lines invoiced when performed rather than delivered: services, free text, shipping, and
    the reduction lines (negative quantity: a cart rule), with the first invoice of the order.
    ``order_lines``: the order's lines in position order, with their products."""
    for line in order_lines:
        if line.parent_id is not None or line.is_goods:
            continue
        left = line.quantity - line.invoiced_quantity
        if left and (left > 0) == (line.quantity > 0):
            yield line, left


def _same_terms(first, other):
    keys = ("customer_id", "vat_treatment", "currency", "prices_include_tax")
    return all(getattr(first, key) == getattr(other, key) for key in keys)


def _orders_of(delivery_notes, orders) -> list[Order]:
    """The orders invoiced: those of the delivery notes, then the other ones given, once each."""
    by_id = {note.order_id: note.order for note in delivery_notes}
    for order in orders:
        by_id.setdefault(order.pk, order)
    return list(by_id.values())


@transactions.atomic
def create_invoice(*, delivery_notes=(), orders=(), user=None) -> Invoice:
    """A draft invoice of what was shipped (the delivery notes' uninvoiced quantities) and of the
    orders' services and shipping not invoiced yet. Several delivery notes of one customer make
    one invoice (e.g. a monthly one); they must share the VAT treatment and currency."""
    delivery_notes = list(delivery_notes)
    orders = _orders_of(delivery_notes, orders)
    if not orders:
        raise InvalidInput({"delivery_notes": [_("Choisissez au moins un bon de livraison ou une commande.")]})
    for note in delivery_notes:
        if note.status != DeliveryNote.Status.SHIPPED:
            raise Conflict(
                _("Le bon de livraison %(number)s n'est pas expédié : on ne facture que ce qui est livré.") % {"number": note}
            )
    first = orders[0]
    if any(not _same_terms(first, order) for order in orders[1:]):
        raise InvalidInput(
            {
                "orders": [
                    _("Une facture ne regroupe que des commandes d'un même client, au même régime de TVA et dans la même devise.")
                ]
            }
        )
    invoice = Invoice(kind=Invoice.Kind.INVOICE, created_by=user)
    documents.copy_header(first, invoice)
    lines = _lines_to_invoice(invoice, delivery_notes, orders)
    if not lines:
        raise InvalidInput({"delivery_notes": [_("Tout ce qui a été livré est déjà facturé.")]})
    # Totalled before it is written: the draft and its lines go in with their amounts, nothing
    # is updated after (the lines' terms were checked on the order they come from).
    documents.recompute(invoice, lines=documents.set_line_amounts(invoice, lines))
    documents.validate_and_save(invoice)
    invoice.orders.add(*orders)  # a new invoice: nothing to replace, one INSERT
    InvoiceLine.objects.bulk_create([line for line in lines if line.parent is None])
    if linked := [line for line in lines if line.parent is not None]:  # once their parents have an id
        InvoiceLine.objects.bulk_create(linked)
    documents.log_event(invoice, "created", user=user)
    return invoice


def _lines_to_invoice(invoice, delivery_notes, orders) -> list[InvoiceLine]:
    """The draft's lines, not saved, in their printed order: what the notes shipped and is not
    invoiced yet (each article followed by its eco-participation), then the orders' other lines
    to invoice. The orders' lines are read once, in one statement."""
    order_lines = defaultdict(list)
    for line in OrderLine.objects.filter(document__in=[order.pk for order in orders]).select_related("product"):
        order_lines[line.document_id].append(line)
    eco_of = defaultdict(list)
    for line in sorted((line for lines in order_lines.values() for line in lines), key=lambda line: (line.position, line.pk)):
        if line.parent_id is not None and line.kind == LineKind.ECO:
            eco_of[line.parent_id].append(line)
    lines = []
    for delivery_line, quantity in _uninvoiced_delivery_lines(delivery_notes):
        parent = _invoice_line(invoice, delivery_line.order_line, quantity, len(lines) + 1, delivery_line=delivery_line)
        lines.append(parent)
        for eco in eco_of[delivery_line.order_line_id]:
            lines.append(_invoice_line(invoice, eco, quantity, len(lines) + 1, parent=parent, delivery_line=delivery_line))
    for order in orders:
        in_order = sorted(order_lines[order.pk], key=lambda line: (line.position, line.pk))
        for line, quantity in _other_lines_to_invoice(in_order):
            lines.append(_invoice_line(invoice, line, quantity, len(lines) + 1))
    return lines


def _invoice_line(invoice, order_line, quantity, position, *, parent=None, delivery_line=None) -> InvoiceLine:
    return InvoiceLine(
        **documents.line_terms(order_line),
        document=invoice,
        position=position,
        quantity=quantity,
        parent=parent,
        order_line=order_line,
        delivery_line=delivery_line,
    )


@transaction.atomic
def create_direct_invoice(*, customer, channel, lines=(), user=None, **fields) -> Invoice:
    """A draft invoice typed directly, without an order: services performed, or a corrected
    invoice after a credit note. It moves no stock."""
    invoice = Invoice(kind=Invoice.Kind.INVOICE, channel=channel, created_by=user, **fields)
    documents.fill_customer(invoice, customer)
    invoice.prices_include_tax = channel.prices_include_tax
    documents.decide_vat(invoice)
    documents.validate_and_save(invoice)
    for line in lines:
        documents.append_line(invoice, **line)
    documents.log_event(invoice, "created", user=user)
    return documents.refresh_totals(invoice)


@transactions.atomic
def invoice_order(order: Order, *, user=None) -> Invoice:
    """Invoice everything shipped and performed on an order and not yet invoiced."""
    notes = order.delivery_notes.filter(status=DeliveryNote.Status.SHIPPED)
    return create_invoice(delivery_notes=list(notes), orders=[order], user=user)


# --- Issuing -------------------------------------------------------------------------------------


def due_date_for(terms: str, days: int | None, invoice_date: date) -> date:
    """The due date of payment terms (PAY-02). "45 days end of month": invoice date + 45 days,
    then the end of that month (one of the two readings the DGCCRF accepts)."""
    if terms == PaymentTerms.ON_RECEIPT:
        return invoice_date
    if terms == PaymentTerms.EOM_45:
        later = invoice_date + timedelta(days=45)
        return later.replace(day=calendar.monthrange(later.year, later.month)[1])
    if terms == PaymentTerms.NET_60:
        return invoice_date + timedelta(days=60)
    if terms == PaymentTerms.CUSTOM:
        return invoice_date + timedelta(days=days or 0)
    return invoice_date + timedelta(days=30)


def check_chronology(issue_date: date, last: date | None):
    """Numbers follow dates (NUM-01): an invoice cannot be dated before the last one issued
    (``last``, read under the series lock), nor in the future."""
    if last and issue_date < last:
        raise Conflict(
            _("Une facture ne peut pas être datée du %(day)s : la dernière émise est du %(last)s.")
            % {"day": issue_date.strftime("%d/%m/%Y"), "last": last.strftime("%d/%m/%Y")}
        )
    if issue_date > timezone.localdate():
        raise InvalidInput({"invoice_date": [_("Une facture ne se date pas dans le futur.")]})


def _row(sql: str, parameters):
    """One row from plain SQL. The statements of issuing run for every invoice, several under the
    series lock: written out, they cost a round trip each instead of an ORM query compilation."""
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchone()


# Plain SQL on SQLite (the embedded demo) hands back text for dates and REAL for decimals, where
# PostgreSQL gives date, datetime and Decimal: these read both.
def _as_date(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _as_datetime(value) -> datetime | None:
    if isinstance(value, str):
        return timezone.make_aware(parse_datetime(value), UTC)
    return value


def _as_quantity(value) -> Decimal:
    return money.quantity(str(value) if isinstance(value, float) else value)


def _bill_quantities(lines):
    """Take what the invoice bills from its order and delivery lines: never more than delivered
    (goods) or ordered (services), minus what is already invoiced. Delivery lines, then order
    lines, are locked in primary-key order (no deadlock between two invoices of one order)."""
    from_delivery, from_order, descriptions = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO), {}
    unchecked = set()  # eco-participation follows the article it is attached to
    for line in lines:
        if not line.order_line_id:
            continue
        from_order[line.order_line_id] += line.quantity
        descriptions.setdefault(("order", line.order_line_id), line.description)
        if line.kind == LineKind.ECO:
            unchecked.add(line.order_line_id)
        elif line.delivery_line_id:
            from_delivery[line.delivery_line_id] += line.quantity
            descriptions.setdefault(("delivery", line.delivery_line_id), line.description)
    unchecked -= {line.order_line_id for line in lines if line.kind != LineKind.ECO}
    too_much_delivered = _("%(product)s : plus que ce qui a été livré et pas encore facturé.")
    too_much_ordered = _("%(product)s : plus que ce qui a été commandé et pas encore facturé.")
    _take(DeliveryNoteLine, from_delivery, lambda pk: too_much_delivered % {"product": descriptions["delivery", pk]})
    _take(OrderLine, from_order, lambda pk: too_much_ordered % {"product": descriptions["order", pk]}, unchecked=unchecked)


def _take(model, quantities: dict, refusal, *, unchecked=frozenset()):
    """Add ``quantities`` to the invoiced quantity of the rows, locked, refusing any row that
    would be invoiced beyond its quantity (the transaction then gives back what was added)."""
    if not quantities:
        return
    add = _add_in_one_statement if connection.vendor == "postgresql" else _add_read_then_write
    for pk, quantity, invoiced in add(model._meta.db_table, quantities):
        if _as_quantity(invoiced) > _as_quantity(quantity) and pk not in unchecked:
            raise Conflict(refusal(pk))


def _add_in_one_statement(table: str, quantities: dict) -> list[tuple]:
    """PostgreSQL: lock the rows in primary-key order (no deadlock between two invoices of one
    order), add exactly (numeric), and return (id, quantity, invoiced quantity) — one round trip
    where the ORM would take two statements and a CASE expression costly to build."""
    placeholders, cases = ", ".join(["%s"] * len(quantities)), " ".join(["WHEN %s THEN %s"] * len(quantities))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH locked AS (SELECT id FROM {table} WHERE id IN ({placeholders}) ORDER BY id FOR UPDATE)
            UPDATE {table} AS line SET invoiced_quantity = line.invoiced_quantity + CASE line.id {cases} END
            FROM locked WHERE line.id = locked.id
            RETURNING line.id, line.quantity, line.invoiced_quantity""",  # noqa: S608
            [*quantities, *(value for pair in quantities.items() for value in pair)],
        )
        return cursor.fetchall()


def _add_read_then_write(table: str, quantities: dict) -> list[tuple]:
    """Other databases (SQLite, which locks the whole database and computes decimals in floating
    point): read, add in Python, write the exact values."""
    placeholders = ", ".join(["%s"] * len(quantities))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, quantity, invoiced_quantity FROM {table} WHERE id IN ({placeholders})", list(quantities))
        added = [(pk, quantity, _as_quantity(invoiced) + quantities[pk]) for pk, quantity, invoiced in cursor.fetchall()]
        cases = " ".join(["WHEN %s THEN %s"] * len(added))
        cursor.execute(
            f"UPDATE {table} SET invoiced_quantity = CASE id {cases} END WHERE id IN ({placeholders})",  # noqa: S608
            [value for pk, _quantity, invoiced in added for value in (pk, invoiced)] + list(quantities),
        )
    return added


def _deductions(invoice: Invoice) -> list[DepositDeduction]:
    """What the invoice deducts from the issued deposit invoices of its orders (DEP-01, YE-03):
    oldest first (invoice date, id), from each what it still stands for (its value less its
    credit notes, less what issued invoices already deducted from it), up to the invoice's total
    incl. tax; the next invoice of the order deducts the rest. The deposit invoices are locked
    first (``SELECT … FOR UPDATE``, in id order), then what remains is read: two invoices of one
    order issued at once take turns, and the second sees what the first deducted — never more
    than a deposit, never twice. A credit note on a deposit takes the same lock."""
    orders = Invoice.orders.through.objects.filter(invoice_id=invoice.pk).values("order_id")
    deposit_ids = list(
        Invoice.objects.select_for_update(of=("self",))
        .filter(
            kind=Invoice.Kind.DEPOSIT,
            status=Invoice.Status.ISSUED,
            pk__in=Invoice.orders.through.objects.filter(order_id__in=orders).values("invoice_id"),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not deposit_ids:
        return []
    deductions, to_cover = [], invoice.total_incl_tax
    for deposit_id, left in queries.deposits_left(deposit_ids):  # read after the lock: what committed before it counts
        if to_cover <= 0:
            break
        if left > 0:
            amount = min(left, to_cover)
            deductions.append(DepositDeduction(invoice=invoice, deposit_id=deposit_id, amount=amount))
            to_cover -= amount
    return deductions


def _schedule(invoice: Invoice, installments) -> list[Installment]:
    """One due date by default; an agreed schedule (échéancier) must add up to the amount due
    and respect the 60-day limit (PAY-02, PAY-07). Returns the default installment, for the
    caller to write with the issued invoice (an agreed schedule is written here)."""
    if not installments:
        return (
            [Installment(invoice=invoice, due_date=invoice.due_date, amount=invoice.amount_due)] if invoice.amount_due > 0 else []
        )
    total = ZERO
    for due_date, amount in installments:
        amount = money.amount(amount)
        if due_date < invoice.invoice_date or due_date > invoice.invoice_date + timedelta(days=MAX_TERM_DAYS):
            raise InvalidInput(
                {"installments": [_("Chaque échéance tombe entre la date de facture et 60 jours après (C. com. L441-10).")]}
            )
        total += amount
        Installment.objects.create(invoice=invoice, due_date=due_date, amount=amount)
    if total != invoice.amount_due:
        raise InvalidInput(
            {
                "installments": [
                    _("Les échéances totalisent %(total)s pour un net à payer de %(due)s.")
                    % {"total": money_fr(total), "due": money_fr(invoice.amount_due)}
                ]
            }
        )
    invoice.due_date = max(due for due, _amount in installments)
    return []


@transactions.atomic
def issue_invoice(invoice: Invoice, *, user=None, issue_date: date | None = None, installments=None) -> Invoice:
    """Issue a draft: number it in the one series of invoices (FA2026-000123), date it, compute
    its totals and due dates, deduct the deposits of its orders up to its total (DEP-01; the
    amount due may be 0), chain its hash, and freeze it.
    All or nothing; concurrent issuers wait for the number (gapless, in order)."""
    invoice = documents.lock(invoice)
    documents.require_status(invoice, Invoice.Status.DRAFT, action=_("émettre la facture"))
    lines = documents.ordered_lines(invoice)  # read once: totals, quantities and hash use them
    if not lines:
        raise InvalidInput({"lines": [_("Une facture sans ligne ne s'émet pas.")]})
    issue_date = issue_date or timezone.localdate()
    closing.refuse_closed_day(issue_date)  # its VAT return is filed: the period's figures stay as declared
    documents.recompute(invoice, on_date=issue_date, lines=lines)
    invoice.invoice_date = issue_date
    shipped_on, has_deposit = _shipment_and_deposit(invoice, lines)
    invoice.delivery_date = invoice.delivery_date or shipped_on or issue_date
    invoice.due_date = due_date_for(invoice.payment_terms, invoice.payment_terms_days, issue_date)
    if invoice.periodic:
        invoice.due_date = min(invoice.due_date, issue_date + timedelta(days=PERIODIC_MAX_TERM_DAYS))
    deductions = _deductions(invoice) if has_deposit else []  # most invoices have none: no query
    invoice.deposits_total = sum((deduction.amount for deduction in deductions), ZERO)
    invoice.amount_due = invoice.total_incl_tax - invoice.deposits_total  # the deductions stop at the total
    if deductions:  # a draft never has any (they are written here only)
        DepositDeduction.objects.bulk_create(deductions)
    default_installment = _schedule(invoice, installments)
    if invoice.kind == Invoice.Kind.INVOICE:
        _bill_quantities(lines)
    # The number last: the series stays locked from here to the commit, so concurrent issuers
    # wait only for the numbering, the chain link and the save, not for the work above.
    _number_and_link(invoice, lines, issue_date)
    invoice.status = Invoice.Status.ISSUED
    invoice.issued_at = timezone.now()
    # Under the lock: the issued row, its due date, what it owes (sales.OpenInvoice, until it is
    # settled) and its history entry in one statement, compiled once.
    owed = [OpenInvoice(invoice=invoice, balance=invoice.amount_due)] if invoice.amount_due > 0 else []
    rows.save_together(
        update=(invoice, [*documents.TOTAL_FIELDS, *ISSUING_FIELDS]),
        inserts=[*default_installment, *owed, documents.history_entry(invoice, "issued", user=user, detail=invoice.number)],
    )
    events.publish(events.INVOICE_ISSUED, invoice_id=invoice.pk, kind=invoice.kind)
    return invoice


# The date of the last invoice issued: one row read backwards from the (status, invoice_date)
# index. Written as MAX(), PostgreSQL may aggregate every issued invoice instead: it did in the
# bench, whose statistics were taken while the invoices were drafts (2.8 ms under the series lock
# at 1,500 invoices, growing with the series).
LAST_ISSUE_DATE_SQL = (
    f"SELECT invoice_date FROM {Invoice._meta.db_table} WHERE status = %s AND invoice_date IS NOT NULL "  # noqa: S608
    "ORDER BY invoice_date DESC LIMIT 1"
)


def _number_and_link(invoice: Invoice, lines, issue_date: date):
    """Number the invoice in the series of its year and link it in the chain. One statement takes
    both (series, then chain: the order every issuer takes them in) and holds them until the commit;
    the next one, which sees whatever committed before the locks were granted, reads the date of the
    last invoice issued and the hash of the document before this one in the chain."""
    year = str(issue_date.year)
    value, position = next_values(("invoice", year), (chain.CHAIN_SEQUENCE, ""))
    last_date, previous_hash = last_issue_date_and_hash(position - 1)
    check_chronology(issue_date, last_date)
    invoice.number = reference("FA", value, period=year)
    chain.link_at(invoice, position, previous_hash, lines)


def last_issue_date_and_hash(position: int) -> tuple[date | None, str]:
    """The date of the last invoice issued and the hash of the document at chain ``position``,
    in one round trip (read under the series and chain locks)."""
    last_date, previous_hash = _row(
        f"SELECT ({LAST_ISSUE_DATE_SQL}), ({chain.HASH_AT_SQL})", [Invoice.Status.ISSUED, position, position]
    )
    return _as_date(last_date), previous_hash or ""


def _shipment_and_deposit(invoice: Invoice, lines) -> tuple[date | None, bool]:
    """When the last of the invoiced goods left (the date of the supply, INV-04), and whether an
    order of a (final) invoice has an issued deposit invoice: read together, one round trip for
    every invoice issued."""
    links, notes, note_lines = Invoice.orders.through._meta.db_table, DeliveryNote._meta.db_table, DeliveryNoteLine._meta.db_table
    delivery_lines = sorted({line.delivery_line_id for line in lines if line.delivery_line_id})
    shipped, deposit, parameters = "NULL", "FALSE", []
    if delivery_lines:
        shipped = f"""(SELECT MAX(note.shipped_at) FROM {notes} note JOIN {note_lines} line ON line.delivery_note_id = note.id
                      WHERE line.id IN ({", ".join(["%s"] * len(delivery_lines))}))"""
        parameters += delivery_lines
    if invoice.kind == Invoice.Kind.INVOICE:
        deposit = f"""EXISTS (SELECT 1 FROM {links} mine JOIN {links} theirs ON theirs.order_id = mine.order_id
                      JOIN {Invoice._meta.db_table} deposit ON deposit.id = theirs.invoice_id
                      WHERE mine.invoice_id = %s AND deposit.kind = %s AND deposit.status = %s)"""
        parameters += [invoice.pk, Invoice.Kind.DEPOSIT, Invoice.Status.ISSUED]
    if not parameters:
        return None, False
    shipped_at, has_deposit = _row(f"SELECT {shipped}, {deposit}", parameters)  # noqa: S608
    return (timezone.localdate(_as_datetime(shipped_at)) if shipped_at else None), bool(has_deposit)


# --- Deposits ------------------------------------------------------------------------------------


def _split_by_rate(order: Order, deposit: Decimal) -> list[tuple[str, Decimal, Decimal]]:
    """The deposit (tax included) split over the order's VAT groups in proportion to their
    gross, the last group taking the rounding: [(category, rate, gross share)]."""
    groups = [(g["category"], Decimal(g["rate"]), Decimal(g["gross"])) for g in order.vat_breakdown if Decimal(g["gross"]) > 0]
    total = sum((gross for _c, _r, gross in groups), ZERO)
    shares, allotted = [], ZERO
    for index, (category, rate, gross) in enumerate(groups):
        share = deposit - allotted if index == len(groups) - 1 else money.amount(deposit * gross / total)
        shares.append((category, rate, share))
        allotted += share
    return shares


@transactions.atomic
def receive_deposit(order: Order, *, amount, method: str, payment_date: date | None = None, reference: str = "", user=None):
    """Money received on an order before its invoice (acompte, YE-04: a web order paid at
    checkout and shipped later is one): the payment, and the deposit invoice (386) issued at once
    with the VAT it carries (chargeable on receipt since 2023, VAT-20), paid by that payment. The
    final invoice will deduct it. The payment is dated ``payment_date`` (a web order paid at
    checkout: the order's day); the deposit invoice is dated the day it is issued, today (INV-05,
    NUM-01: never back-dated into the series), and carries the payment's date as its delivery
    date (INV-05: the date of the deposit's payment, when it differs from the issue date)."""
    order = documents.locked_again(order, "customer", "channel")
    documents.require_status(order, *Order.OPEN_STATUSES, action=_("enregistrer un acompte"))
    amount = money.amount(amount)
    received = queries.deposits_received(order)
    if amount <= 0 or amount + received > order.total_incl_tax:
        raise InvalidInput(
            {
                "amount": [
                    _(
                        "L'acompte doit être positif et, avec les précédents (%(received)s), "
                        "ne pas dépasser la commande (%(total)s)."
                    )
                    % {"received": money_fr(received), "total": money_fr(order.total_incl_tax)}
                ]
            }
        )
    payment_date = payment_date or timezone.localdate()
    payment = payments.record_payment(
        customer=order.customer,
        amount=amount,
        method=method,
        payment_date=payment_date,
        reference=reference,
        purpose=Payment.Purpose.DEPOSIT,
        order=order,
        user=user,
    )
    deposit = new_deposit_invoice(order, user=user)
    deposit.delivery_date = payment_date
    documents.validate_and_save(deposit)
    deposit.orders.add(order)  # a new invoice: nothing to replace, one INSERT
    lines = deposit_lines(deposit, order, amount)
    documents.insert_lines(deposit, lines)  # with their amounts: issuing finds none to update
    deposit = issue_invoice(deposit, user=user)
    payments.allocate_new(payment=payment, invoice=deposit)
    documents.log_event(order, "deposit", user=user, detail=deposit.number)
    return deposit


def new_deposit_invoice(order: Order, *, user=None) -> Invoice:
    """The deposit invoice of an order, not saved: the order's terms, tax included (the amount
    received is: each rate's share is kept exactly), no discount, due on receipt."""
    deposit = Invoice(kind=Invoice.Kind.DEPOSIT, created_by=user)
    documents.copy_header(order, deposit)
    deposit.prices_include_tax = True
    deposit.discount_percent = ZERO
    deposit.payment_terms = PaymentTerms.ON_RECEIPT
    return deposit


def deposit_lines(deposit: Invoice, order: Order, amount: Decimal, *, order_lines=None) -> list[InvoiceLine]:
    """One line per VAT rate of the order, its share of the deposit (``order_lines``: the
    order's lines, when the caller holds them)."""
    return [
        InvoiceLine(
            document=deposit,
            position=position,
            kind=LineKind.TEXT,
            quantity=1,
            unit="C62",
            unit_price=share,
            description=_("Acompte sur la commande %(number)s") % {"number": order.number},
            vat_rate=rate,
            vat_category=category,
            vat_exemption_code=_exemption_of(order, category, order_lines),
        )
        for position, (category, rate, share) in enumerate(_split_by_rate(order, amount), start=1)
    ]


def _exemption_of(order, category, order_lines=None) -> str:
    if category == VatCategory.STANDARD:
        return ""  # standard-rated lines carry no exemption reason (vat.line_vat)
    if order_lines is not None:
        return next(
            (line.vat_exemption_code for line in order_lines if line.vat_category == category and line.vat_exemption_code), ""
        )
    line = order.lines.filter(vat_category=category).exclude(vat_exemption_code="").first()
    return line.vat_exemption_code if line else ""


@transaction.atomic
def delete_draft_invoice(invoice: Invoice):
    invoice = documents.lock(invoice)
    documents.require_status(invoice, Invoice.Status.DRAFT, action=_("supprimer le brouillon"))
    invoice.delete()
