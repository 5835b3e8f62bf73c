"""Payments and what they settle: money received (card, transfer, cheque, cash, PayPal, voucher…),
allocated to one or several issued invoices; what is not allocated stays as the customer's
credit. Vouchers (bons d'achat): sold, or issued from a credit note, and spent as a payment —
their balance never goes below zero, even when two tills spend one at the same moment."""

import secrets
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lmb import bounds, money, transactions
from lmb.errors import Conflict, InvalidInput
from lmb.formats import money_fr

from .. import queries
from ..models import Allocation, CreditNote, Invoice, OpenInvoice, Payment, PaymentMethod, Voucher
from . import documents

ZERO = Decimal("0.00")
VOUCHER_VALIDITY_DAYS = 365
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the till


def positive_amount(value, field="amount") -> Decimal:
    try:
        value = money.amount(value)
    except (ValueError, TypeError) as exc:
        raise InvalidInput({field: [str(exc)]}) from exc
    if value <= 0:
        raise InvalidInput({field: [_("Le montant doit être positif.")]})
    column = Payment._meta.get_field("amount")
    return bounds.check(value, column.max_digits, column.decimal_places, field=field, label=_("montant"))


# A payment for invoices may exceed what they still owe (the rest stays as the customer's credit);
# far beyond it — more than 10 % above, and more than 1 € — it is most likely a typing slip
# (99 999 999 999 € for a 750,17 € invoice): the user confirms it first.
EXCESS_TOLERANCE_PERCENT = Decimal("10")
EXCESS_TOLERANCE_MIN = Decimal("1.00")


class ExcessPayment(InvalidInput):
    """The amount is far beyond what the invoices owe: accepted only once confirmed
    (``confirm_excess``). ``confirmation_field`` names the box a form shows to confirm it;
    ``wording`` says what would become of the surplus."""

    confirmation_field = "confirm_excess"
    wording = gettext_lazy(
        "Montant : %(amount)s reçu(s) pour %(due)s dû(s) — le surplus de %(excess)s resterait au crédit "
        "du client. Vérifiez le montant, ou confirmez-le."
    )

    def __init__(self, amount: Decimal, due: Decimal):
        figures = {"amount": money_fr(amount), "due": money_fr(due), "excess": money_fr(amount - due)}
        super().__init__({"amount": [self.wording % figures]})


class ExcessChange(ExcessPayment):
    """At the till, more change than a banknote explains (``counter.CHANGE_WITHOUT_QUESTION``)."""

    wording = gettext_lazy(
        "Montant reçu : %(amount)s pour %(due)s à payer — il faudrait rendre %(excess)s de monnaie. "
        "Vérifiez le montant, ou confirmez-le."
    )


def check_excess(amount: Decimal, due: Decimal, *, confirmed: bool):
    """Refuse, unless ``confirmed``, an amount far beyond what is ``due`` (see EXCESS_TOLERANCE_*).
    The till has its own measure of the change it gives (``counter.CHANGE_WITHOUT_QUESTION``)."""
    tolerance = max(EXCESS_TOLERANCE_MIN, money.amount(due * EXCESS_TOLERANCE_PERCENT / money.HUNDRED))
    if amount > due + tolerance and not confirmed:
        raise ExcessPayment(amount, due)


def check_method(method: str):
    if method not in PaymentMethod.values:
        raise InvalidInput({"method": [_("Mode de règlement inconnu : « %(method)s ».") % {"method": method}]})


# --- Vouchers ------------------------------------------------------------------------------------


def _new_voucher_code() -> str:
    while True:
        code = "BA-" + "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(8))
        if not Voucher.objects.filter(code=code).exists():
            return code


def issue_voucher(*, amount, customer=None, credit_note=None, sold=False, expires_on: date | None = None) -> Voucher:
    amount = positive_amount(amount)
    expires_on = expires_on or timezone.localdate() + timedelta(days=VOUCHER_VALIDITY_DAYS)
    return Voucher.objects.create(
        code=_new_voucher_code(),
        customer=customer,
        amount=amount,
        balance=amount,
        expires_on=expires_on,
        credit_note=credit_note,
        sold=sold,
    )


@transaction.atomic
def sell_voucher(
    *, amount, method: str, customer, payment_date: date | None = None, expires_on=None, reference: str = "", user=None
) -> Voucher:
    """A multi-purpose voucher sold (VOU-03): money received, no VAT now — VAT is due on the goods
    it later pays for. The payment is kept with purpose "voucher sale" (a liability, not a sale).
    At the counter, the customer is the channel's walk-in customer."""
    check_method(method)
    if method == PaymentMethod.VOUCHER:
        raise InvalidInput({"method": [_("Un bon d'achat ne se paie pas avec un autre bon d'achat.")]})
    voucher = issue_voucher(amount=amount, customer=customer, sold=True, expires_on=expires_on)
    Payment.objects.create(
        customer=customer,
        purpose=Payment.Purpose.VOUCHER_SALE,
        method=method,
        amount=voucher.amount,
        payment_date=payment_date or timezone.localdate(),
        reference=reference,
        voucher=voucher,
        created_by=user,
    )
    return voucher


def _spend_voucher(code: str, amount: Decimal, on_date: date) -> Voucher:
    """Take ``amount`` from the voucher's balance in one conditional UPDATE: of two tills
    spending the same voucher at once, the database lets through only what the balance covers."""
    voucher = Voucher.objects.filter(code=code.strip().upper()).first()
    if voucher is None:
        raise InvalidInput({"voucher": [_("Aucun bon d'achat n'a le code « %(code)s ».") % {"code": code}]})
    if voucher.expires_on < on_date:
        raise Conflict(
            _("Le bon d'achat %(code)s a expiré le %(day)s.")
            % {"code": voucher.code, "day": voucher.expires_on.strftime("%d/%m/%Y")},
            field="voucher",
        )
    spent = Voucher.objects.filter(pk=voucher.pk, balance__gte=amount).update(balance=F("balance") - amount)
    if not spent:
        voucher.refresh_from_db(fields=["balance"])
        raise Conflict(
            _("Solde insuffisant sur le bon d'achat %(code)s : %(balance)s disponible(s).")
            % {"code": voucher.code, "balance": money_fr(voucher.balance)},
            field="voucher",
        )
    voucher.refresh_from_db(fields=["balance"])
    return voucher


# --- Payments ------------------------------------------------------------------------------------


def check_payment_date(payment_date: date | None) -> date | None:
    """A payment is dated today or before (``None``: today, the caller's default)."""
    if payment_date and payment_date > timezone.localdate():
        raise InvalidInput({"payment_date": [_("Un règlement ne se date pas dans le futur.")]})
    return payment_date


@transactions.atomic
def record_payment(
    *,
    customer,
    amount,
    method: str,
    payment_date: date | None = None,
    reference: str = "",
    purpose: str = Payment.Purpose.SETTLEMENT,
    order=None,
    voucher_code: str = "",
    invoices=(),
    note: str = "",
    user=None,
    confirm_excess: bool = False,
) -> Payment:
    """Money received from a customer. With ``invoices``, it is allocated to them in that order
    (each up to its balance); the rest stays as the customer's credit — far beyond what they owe,
    only once confirmed (``confirm_excess``, see ``check_excess``). Paid with a voucher, the
    voucher's balance goes down by the amount (refused if it does not cover it). A draft among
    ``invoices`` is refused: it has nothing to pay yet, and the money would silently go to credit.
    Without ``invoices``, the money is a credit on purpose: nothing is due to compare it with."""
    amount = positive_amount(amount)
    check_method(method)
    invoices = list(invoices)
    for invoice in invoices:
        if invoice.status != Invoice.Status.ISSUED:
            raise Conflict(
                _("La facture %(number)s n'est pas émise : elle ne se règle pas encore.") % {"number": invoice}, field="invoices"
            )
    balances = {invoice.pk: queries.invoice_balance(invoice) for invoice in invoices}  # read once: excess, then shares
    if invoices:
        check_excess(amount, sum(balances.values(), ZERO), confirmed=confirm_excess)
    payment_date = check_payment_date(payment_date) or timezone.localdate()
    voucher = None
    if method == PaymentMethod.VOUCHER:
        if not voucher_code:
            raise InvalidInput({"voucher": [_("Saisissez le code du bon d'achat.")]})
        voucher = _spend_voucher(voucher_code, amount, payment_date)
    payment = Payment.objects.create(
        customer=customer,
        purpose=purpose,
        method=method,
        amount=amount,
        payment_date=payment_date,
        reference=reference,
        voucher=voucher,
        order=order,
        note=note,
        created_by=user,
    )
    left = amount
    for invoice in invoices:
        if left <= 0:
            break
        share = min(left, balances[invoice.pk])
        if share > 0:
            allocate(invoice=invoice, payment=payment, amount=share)  # checks the balance again, under the invoice's lock
            balances[invoice.pk] -= share
            left -= share
    return payment


def _unallocated_payment(payment: Payment) -> Decimal:
    return payment.amount - queries.allocated_total(payment=payment)


def available_credit(credit_note: CreditNote) -> Decimal:
    """What an issued credit note can still settle: its total, less what it already settled,
    refunded, or turned into a voucher."""
    return credit_note.total_incl_tax - queries.credit_note_used(credit_note)


@transaction.atomic
def fix_open_invoices(differences) -> int:
    """Rewrite from the allocations the ``OpenInvoice`` rows that ``queries.open_invoice_differences``
    found wrong; returns how many."""
    for invoice_id, _kept, owed in differences:
        if owed > 0:
            OpenInvoice.objects.update_or_create(invoice_id=invoice_id, defaults={"balance": owed})
        else:
            OpenInvoice.objects.filter(invoice_id=invoice_id).delete()
    return len(differences)


def _owe_less(invoice: Invoice, amount, *, settled: bool):
    """The invoice's open balance (``OpenInvoice``) after an allocation of ``amount``: gone once
    the invoice is ``settled``."""
    owed = OpenInvoice.objects.filter(invoice=invoice)
    if settled:
        owed.delete()
    else:
        owed.update(balance=F("balance") - amount)


@transactions.atomic
def allocate(*, invoice: Invoice, amount, payment: Payment | None = None, credit_note: CreditNote | None = None) -> Allocation:
    """Settle ``amount`` of an issued invoice with a payment or a credit note of the same customer."""
    if (payment is None) == (credit_note is None):
        raise InvalidInput({"payment": [_("Indiquez un règlement ou un avoir.")]})
    amount = positive_amount(amount)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    source = payment or credit_note
    type(source).objects.select_for_update().filter(pk=source.pk).first()
    if invoice.status != Invoice.Status.ISSUED:
        raise Conflict(_("La facture %(number)s n'est pas émise.") % {"number": invoice}, field="invoice")
    if source.customer_id != invoice.customer_id:
        raise InvalidInput({"invoice": [_("La facture %(number)s est celle d'un autre client.") % {"number": invoice}]})
    balance = queries.invoice_balance(invoice)
    if amount > balance:
        raise Conflict(
            _("La facture %(number)s n'a plus que %(balance)s à régler.") % {"number": invoice, "balance": money_fr(balance)},
            field="amount",
        )
    if payment is not None:
        if payment.purpose not in (Payment.Purpose.SETTLEMENT, Payment.Purpose.DEPOSIT):
            raise InvalidInput({"payment": [_("Ce règlement ne règle pas de facture.")]})
        free = _unallocated_payment(payment)
    else:
        if credit_note.status != CreditNote.Status.ISSUED:
            raise Conflict(_("L'avoir %(number)s n'est pas émis.") % {"number": credit_note}, field="credit_note")
        free = available_credit(credit_note)
    if amount > free:
        raise Conflict(
            _("Il ne reste que %(free)s à affecter sur %(source)s.") % {"free": money_fr(free), "source": source}, field="amount"
        )
    allocation = Allocation.objects.create(invoice=invoice, payment=payment, credit_note=credit_note, amount=amount)
    _owe_less(invoice, amount, settled=amount == balance)
    documents.log_event(
        invoice, "allocated", detail=_("%(amount)s par %(source)s") % {"amount": money_fr(amount), "source": source}
    )
    return allocation


@transactions.atomic
def allocate_new(*, payment: Payment, invoice: Invoice) -> Allocation:
    """Settle an invoice with all of a payment, both made in the current transaction for each
    other (a deposit received and its deposit invoice issued at once). No one else sees either
    before the commit and nothing was allocated on them yet, so the locks and sums of
    ``allocate`` would find what is known here: only what can still differ is checked, else
    ``allocate`` decides."""
    fits = (
        invoice.status == Invoice.Status.ISSUED
        and payment.customer_id == invoice.customer_id
        and payment.purpose in (Payment.Purpose.SETTLEMENT, Payment.Purpose.DEPOSIT)
        and 0 < payment.amount <= invoice.amount_due
    )
    if not fits:
        return allocate(invoice=invoice, payment=payment, amount=payment.amount)
    allocation = Allocation.objects.create(invoice=invoice, payment=payment, amount=payment.amount)
    _owe_less(invoice, payment.amount, settled=payment.amount == invoice.amount_due)
    documents.log_event(
        invoice, "allocated", detail=_("%(amount)s par %(source)s") % {"amount": money_fr(payment.amount), "source": payment}
    )
    return allocation


@transaction.atomic
def apply_customer_credit(invoice: Invoice) -> Decimal:
    """Settle an invoice with the customer's credit: unallocated payments, then issued credit
    notes left on account, oldest first. Returns the amount applied."""
    applied = ZERO
    for source in queries.credit_sources(invoice.customer):
        balance = queries.invoice_balance(invoice)
        if balance <= 0:
            break
        free = _unallocated_payment(source) if isinstance(source, Payment) else available_credit(source)
        share = min(balance, free)
        if share > 0:
            kind = "payment" if isinstance(source, Payment) else "credit_note"
            allocate(invoice=invoice, amount=share, **{kind: source})
            applied += share
    return applied


@transaction.atomic
def refund(
    *, customer, amount, method: str, credit_note: CreditNote | None = None, payment_date=None, reference: str = "", user=None
) -> Payment:
    """Money paid back to a customer: what a credit note leaves to refund, or an overpayment."""
    amount = positive_amount(amount)
    check_method(method)
    if method == PaymentMethod.VOUCHER:
        raise InvalidInput({"method": [_("Pour rendre un bon d'achat, émettez un bon d'achat depuis l'avoir.")]})
    if credit_note is not None:
        CreditNote.objects.select_for_update().filter(pk=credit_note.pk).first()
        if amount > available_credit(credit_note):
            raise Conflict(
                _("L'avoir %(number)s ne laisse que %(free)s à rembourser.")
                % {"number": credit_note, "free": money_fr(available_credit(credit_note))},
                field="amount",
            )
    elif amount > queries.customer_credit(customer):
        raise Conflict(
            _("Le client n'a que %(credit)s de crédit à rembourser.") % {"credit": money_fr(queries.customer_credit(customer))},
            field="amount",
        )
    return Payment.objects.create(
        customer=customer,
        purpose=Payment.Purpose.REFUND,
        method=method,
        amount=amount,
        payment_date=payment_date or timezone.localdate(),
        reference=reference,
        credit_note=credit_note,
        created_by=user,
    )
