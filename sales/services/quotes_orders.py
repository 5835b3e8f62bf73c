"""Quotes (draft → sent → accepted / refused / expired) and customer orders (draft → confirmed →
partially delivered → delivered, or cancelled). Confirming an order reserves its goods."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lmb import events, transactions
from lmb.errors import Conflict, InvalidInput
from lmb.services import validate
from stock import services as stock_services

from .. import currency as currencies
from .. import queries
from ..models import Invoice, Order, OrderLine, Quote
from . import documents

QUOTE_VALIDITY_DAYS = 30


def _new_document(model, **arguments):
    document, lines = built_document(model, **arguments)
    document.save()  # with its totals: its lines' amounts are known already
    documents.save_new_lines(documents.line_model(document), lines)
    return document


def built_document(
    model,
    *,
    customer,
    channel,
    user=None,
    delivery_address=None,
    billing_address=None,
    lines=(),
    currency="EUR",
    prices_include_tax=None,
    **fields,
):
    """A new document and its lines, checked and totalled, none of them saved: (document, lines)."""
    if not (customer.is_customer or customer.is_prospect):
        raise InvalidInput({"customer": [_("%(name)s n'est ni client ni prospect.") % {"name": customer.name}]})
    document = model(channel=channel, created_by=user, currency=(currency or "EUR").upper(), **fields)
    documents.fill_customer(document, customer, delivery_address=delivery_address, billing_address=billing_address)
    document.prices_include_tax = channel.prices_include_tax if prices_include_tax is None else prices_include_tax
    if document.currency != "EUR":
        # The ECB rate of the document's day (CUR-01/02): an order keeps the day it was placed
        # (a web shop's order, imported later), anything else is made today.
        rate = currencies.rate_for(document.currency, fields.get("order_date") or timezone.localdate())
        document.exchange_rate, document.exchange_rate_date = rate.rate, rate.day
    documents.decide_vat(document)
    validate(document)  # also turns "5" into Decimal("5") before the totals use it
    built = []
    for line in lines:  # numbered here: no "last position" read per line
        built += documents.new_lines(document, position=len(built) + 1, **line)
    documents.recompute(document, lines=documents.check_lines(document, built))
    return document, built


# --- Quotes --------------------------------------------------------------------------------------


@transaction.atomic
def create_quote(*, customer, channel, user=None, valid_until=None, **fields) -> Quote:
    """A draft quote; ``lines`` are dicts for ``add_line`` (product or code, quantity, …)."""
    return _new_document(Quote, customer=customer, channel=channel, user=user, valid_until=valid_until, **fields)


@transaction.atomic
def send_quote(quote: Quote, *, user=None) -> Quote:
    quote = documents.lock(quote)
    documents.require_status(quote, Quote.Status.DRAFT, action=_("envoyer le devis"))
    if not quote.lines.exists():
        raise InvalidInput({"lines": [_("Un devis sans ligne ne s'envoie pas.")]})
    today = timezone.localdate()
    quote.number = documents.number(quote, "quote", "DE", today)
    quote.quote_date = today
    quote.valid_until = quote.valid_until or today + timedelta(days=QUOTE_VALIDITY_DAYS)
    quote.status = Quote.Status.SENT
    quote.save(update_fields=["number", "quote_date", "valid_until", "status"])
    documents.log_event(quote, "sent", user=user)
    return quote


@transaction.atomic
def accept_quote(quote: Quote, *, user=None) -> Order:
    """The customer agrees: the quote becomes an order (draft, same lines and terms)."""
    quote = documents.lock(quote)
    documents.require_status(quote, Quote.Status.SENT, action=_("accepter le devis"))
    if quote.valid_until and quote.valid_until < timezone.localdate():
        raise Conflict(
            _("Le devis %(number)s a expiré le %(day)s.") % {"number": quote, "day": quote.valid_until.strftime("%d/%m/%Y")}
        )
    order = Order(quote=quote, warehouse=warehouse_of(quote.channel), created_by=user)
    documents.copy_header(quote, order)
    documents.validate_and_save(order)
    _copy_lines(quote, order, OrderLine)
    documents.refresh_totals(order)
    quote.status = Quote.Status.ACCEPTED
    quote.save(update_fields=["status"])
    documents.log_event(quote, "accepted", user=user, detail=_("Commande créée"))
    documents.log_event(order, "created", user=user, detail=_("Depuis le devis %(number)s") % {"number": quote})
    return order


@transaction.atomic
def refuse_quote(quote: Quote, *, user=None, reason: str = "") -> Quote:
    quote = documents.lock(quote)
    documents.require_status(quote, Quote.Status.SENT, action=_("refuser le devis"))
    reason = documents.history_reason(reason)
    quote.status = Quote.Status.REFUSED
    quote.save(update_fields=["status"])
    documents.log_event(quote, "refused", user=user, detail=reason)
    return quote


@transaction.atomic
def expire_quotes(*, on_date=None) -> int:
    """Sent quotes past their validity date expire (run daily)."""
    on_date = on_date or timezone.localdate()
    expired = list(Quote.objects.select_for_update().filter(status=Quote.Status.SENT, valid_until__lt=on_date))
    for quote in expired:
        quote.status = Quote.Status.EXPIRED
        quote.save(update_fields=["status"])
        documents.log_event(quote, "expired")
    return len(expired)


def _copy_lines(source, target, line_model):
    parents = {}
    for line in source.lines.order_by("position", "pk"):
        parents[line.pk] = line_model.objects.create(
            **documents.line_terms(line),
            document=target,
            position=line.position,
            quantity=line.quantity,
            parent=parents.get(line.parent_id),
        )


def warehouse_of(channel):
    warehouse = channel.warehouse or stock_services.default_warehouse()
    if warehouse is None:
        raise InvalidInput({"channel": [_("Aucun dépôt : créez un dépôt pour expédier les commandes.")]})
    return warehouse


# --- Orders --------------------------------------------------------------------------------------


@transactions.atomic
def create_order(*, customer, channel, user=None, warehouse=None, **fields) -> Order:
    """A draft order; ``lines`` are dicts for ``add_line``."""
    return _new_document(
        Order, customer=customer, channel=channel, user=user, warehouse=warehouse or warehouse_of(channel), **fields
    )


def order_source(order) -> tuple[str, int]:
    return ("sales.order", order.pk)


@transactions.atomic
def confirm_order(order: Order, *, user=None, reserve: bool = True) -> Order:
    """Number the order and reserve its goods in its warehouse (one batch for all its lines).

    ``reserve=False`` is for goods handed over in this same transaction (a counter sale: the
    customer takes them): a reservation written then consumed before anyone could see it would
    be work for nothing. Their stock is locked all the same, before the number."""
    order = documents.locked_again(order, "customer", "channel", "warehouse")
    documents.require_status(order, Order.Status.DRAFT, action=_("confirmer la commande"))
    lines = list(order.lines.select_related("product").order_by("position"))
    if not lines:
        raise InvalidInput({"lines": [_("Une commande sans ligne ne se confirme pas.")]})
    goods = [line for line in lines if line.is_goods]
    stock_services.lock_products(line.product for line in goods)  # the stock before the number
    today = timezone.localdate()
    order.number = documents.number(order, "order", "CO", today)
    order.order_date = order.order_date or today  # a web shop's order keeps the day it was placed
    order.status = Order.Status.CONFIRMED
    order.save(update_fields=["number", "order_date", "status"])
    if reserve and goods:  # a draft reserved nothing yet: its reservations are all new
        source, warehouse = order_source(order), order.warehouse
        stock_services.reserve_for_new_sources([(source, line.product, warehouse, line.quantity) for line in goods])
    documents.log_event(order, "confirmed", user=user)
    events.publish(events.ORDER_CONFIRMED, order_id=order.pk)
    return order


@transactions.atomic
def cancel_order(order: Order, *, user=None, reason: str = "") -> Order:
    """Cancel an order nothing of which was shipped; its reservations are released. An order
    with a deposit invoice needs a credit note first (the deposit is the customer's money)."""
    order = documents.lock(order)
    documents.require_status(order, Order.Status.DRAFT, Order.Status.CONFIRMED, action=_("annuler la commande"))
    reason = documents.history_reason(reason)
    if order.lines.filter(delivered_quantity__gt=0).exists():
        raise Conflict(_("Des articles de la commande %(number)s sont déjà expédiés.") % {"number": order})
    deposits = Invoice.objects.filter(orders=order, kind=Invoice.Kind.DEPOSIT, status=Invoice.Status.ISSUED)
    if any(queries.deposit_value(deposit) > 0 for deposit in deposits):
        raise Conflict(_("La commande %(number)s a une facture d'acompte : établissez d'abord un avoir.") % {"number": order})
    stock_services.release(source=order_source(order))
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status"])
    documents.log_event(order, "cancelled", user=user, detail=reason)
    events.publish(events.ORDER_CANCELLED, order_id=order.pk)
    return order
