"""A sale at the counter: the customer takes the goods and pays at once. It is the whole chain in
one transaction — order, delivery (the goods leave the shop's stock), invoice issued, payments."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from lmb import money, run_cache, transactions
from lmb.errors import InvalidInput
from lmb.formats import money_fr

from ..models import Channel, Invoice, Order, PaymentMethod
from ..till import selling
from . import deliveries, documents, invoices, payments, quotes_orders

ZERO = Decimal("0")


@dataclass(frozen=True)
class CounterSale:
    invoice: Invoice
    #: cash handed back to the customer (tendered beyond the amount due)
    change: Decimal
    #: the till's ticket of the sale (``sales.till``)
    ticket: object = None

    def get_absolute_url(self):
        """The sale is shown as its invoice, the customer's receipt."""
        return self.invoice.get_absolute_url()


# Change is the till's everyday business: a customer pays 12,60 € with a 20 € or a 200 € note, and
# no cashier should have to confirm that (the payments' 10 % rule would ask at every banknote).
# Change beyond the largest banknote issued can only come from a slip of the keyboard
# (99 999 999 999 typed for 99,99): it is given once the cashier confirms it.
CHANGE_WITHOUT_QUESTION = Decimal("200.00")


@transaction.atomic
def sell_at_counter(
    *, channel, lines, tenders, session, customer=None, user=None, confirm_excess: bool = False, discount_percent=0
) -> Invoice:
    """``lines`` as for ``add_line``; ``tenders`` [{method, amount, voucher_code?}] paying it, in
    the till ``session`` (see ``checkout_at_counter``). The customer is the channel's walk-in
    customer unless given. Returns the issued invoice. ``discount_percent`` is the discount on the
    whole ticket."""
    _require_session(session)
    customer = customer or channel.default_customer
    if customer is None:
        raise InvalidInput({"customer": [_("Choisissez le client, ou définissez le client de passage du canal.")]})
    order = quotes_orders.create_order(
        customer=customer,
        channel=channel,
        user=user,
        lines=lines,
        warehouse=session.register.warehouse,
        discount_percent=discount_percent,
    )
    sale = checkout_at_counter(order, tenders=tenders, user=user, confirm_excess=confirm_excess, session=session)
    return sale.invoice


def checkout_at_counter(order: Order, *, tenders, session, user=None, confirm_excess: bool = False) -> CounterSale:
    """Ring up a draft order of a counter channel (its lines scanned at the till): confirm it,
    hand over the goods, issue the invoice and record what the customer pays. The tenders must
    cover the amount due; cash beyond it is change given back, never kept as credit — more than
    CHANGE_WITHOUT_QUESTION of change only once confirmed (``confirm_excess``); a card, cheque or
    voucher is never taken for more than is due.

    Always in a till ``session`` (POS-01: every consumer payment belongs to a session and a
    user): the session must be open, the goods leave its register's warehouse, discounts beyond
    the register's limit need a manager (``sales.till.selling``), and the sale ticket is recorded
    in this same transaction.

    One transaction undone whole on any error: the services it calls open no savepoint of their
    own, and read the company and the legal mentions once (``lmb.run_cache``). The goods are not
    reserved: they leave in this same transaction (``confirm_order(reserve=False)``)."""
    _require_session(session)
    with run_cache.kept_in({}), transactions.all_or_nothing():
        return _checkout(order, tenders=tenders, user=user, confirm_excess=confirm_excess, session=session)


def _checkout(order: Order, *, tenders, session, user, confirm_excess: bool) -> CounterSale:
    order = documents.locked_again(order, "channel", "customer", "warehouse")
    documents.require_status(order, Order.Status.DRAFT, action=_("encaisser la vente"))
    if order.channel.kind != Channel.Kind.COUNTER:
        raise InvalidInput({"channel": [_("Seules les ventes d'un canal comptoir s'encaissent ici.")]})
    tenders = [_tender(tender) for tender in tenders if tender.get("amount") not in (None, "")]
    if not tenders:
        raise InvalidInput({"amount": [_("Indiquez ce que le client paie.")]})
    lines = list(order.lines.select_related("product").order_by("position", "pk"))  # read once, under the lock
    prepared = selling.prepare_order(order, session, user=user, lines=lines)
    order = quotes_orders.confirm_order(order, user=user, reserve=False)
    if any(line.is_goods for line in lines):
        note = deliveries.create_delivery_note(order, user=user)
        deliveries.ship_delivery_note(note, user=user)
    invoice = invoices.issue_invoice(invoices.invoice_order(order, user=user), user=user)
    _check_tenders(tenders, invoice.amount_due, confirm_excess=confirm_excess)
    change = _record_tenders(invoice, tenders, customer=order.customer, user=user)
    ticket = selling.record_sale(prepared, invoice, user=user, tenders=tenders, change=change)
    return CounterSale(invoice=invoice, change=change, ticket=ticket)


def _require_session(session):
    """A consumer's payment is recorded in a till session (POS-01), never beside one."""
    if session is None:
        raise InvalidInput({"session": [_("Une vente au comptoir s'encaisse dans une session de caisse ouverte.")]})


def _tender(tender: dict) -> dict:
    amount = money.amount(tender["amount"])
    if amount <= 0:
        raise InvalidInput({"amount": [_("Un montant payé est positif.")]})
    return {**tender, "amount": amount}


def _check_tenders(tenders, due: Decimal, *, confirm_excess: bool):
    """Before any money is recorded: only cash goes beyond what is left to pay (change is given
    in cash, never on a card), the tenders cover the sale, and change beyond a banknote is confirmed."""
    left = due
    for tender in tenders:
        if tender["method"] != PaymentMethod.CASH and tender["amount"] > left:
            refusal = _("Seules les espèces peuvent dépasser le reste à payer (%(left)s) : on rend la monnaie.")
            raise InvalidInput({"amount": [refusal % {"left": money_fr(left)}]})
        left -= min(tender["amount"], left)
    if left > 0:
        raise InvalidInput({"amount": [_("Il manque %(left)s pour régler la vente.") % {"left": money_fr(left)}]})
    tendered = _tendered(tenders)
    if tendered - due > CHANGE_WITHOUT_QUESTION and not confirm_excess:
        raise payments.ExcessChange(tendered, due)


def _tendered(tenders) -> Decimal:
    return sum((tender["amount"] for tender in tenders), ZERO)


def _record_tenders(invoice: Invoice, tenders, *, customer, user) -> Decimal:
    """Record each tender against the invoice, in order (each up to what is left); returns the
    change in cash. ``customer``: the invoice's, as the order read it."""
    left = invoice.amount_due
    for tender in tenders:
        taken = min(tender["amount"], left)
        if taken > 0:
            payments.record_payment(
                customer=customer,
                amount=taken,
                method=tender["method"],
                voucher_code=tender.get("voucher_code", ""),
                invoices=[invoice],
                user=user,
            )
        left -= taken
    return _tendered(tenders) - invoice.amount_due
