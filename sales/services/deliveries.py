"""Delivery notes: ship all or part of an order. Shipping writes the delivery moves (consuming
the order's reservation); what is not shipped stays on the order as a backorder."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import units
from catalog.models import Product
from lmb import events, money, rows, transactions
from lmb.errors import Conflict, InvalidInput
from lmb.formats import decimal_fr
from stock import services as stock_services

from ..models import DeliveryNote, DeliveryNoteLine, Order, OrderLine
from . import documents
from .quotes_orders import order_source

ZERO = Decimal("0")


@transactions.atomic
def create_delivery_note(order: Order, *, quantities: dict | None = None, user=None) -> DeliveryNote:
    """A delivery note in preparation for an order: every goods line with its backorder, or the
    given ``{order_line_id: quantity}``. Its lines are checked, then written in one statement."""
    order = documents.lock(order)
    documents.require_status(order, *Order.OPEN_STATUSES, action=_("préparer une livraison"))
    if order.delivery_notes.filter(status=DeliveryNote.Status.DRAFT).exists():
        raise Conflict(_("Une livraison de la commande %(number)s est déjà en préparation.") % {"number": order})
    lines = []
    for line in order.lines.select_related("product").filter(kind=OrderLine.Kind.PRODUCT).order_by("position"):
        if not line.is_goods:
            continue
        quantity = line.backorder_quantity if quantities is None else money.quantity(quantities.get(line.pk, 0))
        if quantity > 0:
            _check_quantity(line, quantity)
            lines.append(DeliveryNoteLine(order_line=line, quantity=quantity))
    if not lines:
        raise InvalidInput({"lines": [_("Rien à livrer sur la commande %(number)s.") % {"number": order}]})
    note = DeliveryNote.objects.create(
        order=order,
        warehouse_id=order.warehouse_id,
        delivery_address=order.delivery_address,
        carrier=order.carrier,
        created_by=user,
    )
    for line in lines:
        line.delivery_note = note
    DeliveryNoteLine.objects.bulk_create(lines)
    documents.log_event(order, "delivery_prepared", user=user)
    return note


def _check_quantity(order_line, quantity):
    units.check_quantity(quantity, order_line.unit)  # 2,5 pieces are not shipped
    if quantity > order_line.backorder_quantity:
        raise InvalidInput(
            {
                "quantity": [
                    _("%(product)s : %(quantity)s à livrer pour %(left)s restant(s) sur la commande.")
                    % {
                        "product": order_line.description,
                        "quantity": decimal_fr(quantity),
                        "left": decimal_fr(order_line.backorder_quantity),
                    }
                ]
            }
        )


@transaction.atomic
def set_delivery_quantity(line: DeliveryNoteLine, quantity) -> DeliveryNoteLine:
    note = documents.lock(line.delivery_note)
    documents.require_status(note, DeliveryNote.Status.DRAFT, action=_("modifier la livraison"))
    quantity = money.quantity(quantity)
    if quantity < 0:
        raise InvalidInput({"quantity": [_("La quantité ne peut pas être négative.")]})
    _check_quantity(line.order_line, quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


@transactions.atomic
def ship_delivery_note(note: DeliveryNote, *, carrier: str = "", tracking_number: str = "", user=None) -> DeliveryNote:
    """Number the delivery note, write one delivery move per line and update the order:
    partially delivered, or delivered when nothing is left to ship. Without ``carrier``, the
    note keeps the one it was prepared with (the order's).

    Each step takes all the lines at once: the order lines locked in one statement, the moves
    written by one call of ``stock.services.deliver_lines``, the lines' links and the quantities
    delivered saved in one statement each."""
    note = documents.lock(note)
    documents.require_status(note, DeliveryNote.Status.DRAFT, action=_("expédier"))
    every_line = list(note.lines.select_related("order_line__product").order_by("order_line_id"))
    lines = [line for line in every_line if line.quantity > 0]
    if not lines:
        raise InvalidInput({"lines": [_("Rien à expédier : indiquez au moins une quantité.")]})
    order = rows.get_row(Order, note.order_id, for_update=True)
    stock_services.lock_products(line.order_line.product for line in lines)  # the stock before the number
    now = timezone.now()
    note.number = documents.number(note, "delivery_note", "BL", timezone.localdate())
    order_lines = _locked_order_lines(lines)
    for line in lines:
        _check_quantity(order_lines[line.order_line_id], line.quantity)
        order_lines[line.order_line_id].delivered_quantity += line.quantity
    moves = stock_services.deliver_lines(
        warehouse=note.warehouse,
        lines=[(line.order_line.product, line.quantity) for line in lines],
        reference=note.number,
        source=("sales.deliverynote", note.pk),
        reservation=order_source(order),
        user=user,
    )
    for line, move in zip(lines, moves, strict=True):
        line.stock_move = move
    DeliveryNoteLine.objects.bulk_update(lines, ["stock_move"])
    OrderLine.objects.bulk_update(order_lines.values(), ["delivered_quantity"])
    if empty := [line.pk for line in every_line if line.quantity == 0]:
        DeliveryNoteLine.objects.filter(pk__in=empty).delete()
    note.status, note.shipped_at = DeliveryNote.Status.SHIPPED, now
    note.carrier, note.tracking_number = carrier or note.carrier, tracking_number
    note.save(update_fields=["number", "status", "shipped_at", "carrier", "tracking_number"])
    _update_delivery_status(order)
    documents.log_event(order, "shipped", user=user, detail=note.number)
    events.publish(events.DELIVERY_NOTE_SHIPPED, delivery_note_id=note.pk, order_id=order.pk)
    return note


def _locked_order_lines(lines) -> dict:
    """The order lines the delivery lines ship, read afresh (what was delivered meanwhile) under
    a row lock, in one statement, in primary-key order; by id."""
    ids = sorted({line.order_line_id for line in lines})
    locked = OrderLine.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    order_lines = {order_line.pk: order_line for order_line in locked}
    for line in lines:  # the product was read with the delivery line: no second read
        order_lines[line.order_line_id].product = line.order_line.product
    return order_lines


def _update_delivery_status(order: Order):
    """Partially delivered while a goods line has something left to ship (one EXISTS)."""
    left = order.lines.filter(
        kind=OrderLine.Kind.PRODUCT, product__kind=Product.Kind.GOODS, delivered_quantity__lt=F("quantity")
    ).exists()
    order.status = Order.Status.PARTIALLY_DELIVERED if left else Order.Status.DELIVERED
    order.save(update_fields=["status"])


@transaction.atomic
def cancel_delivery_note(note: DeliveryNote, *, user=None) -> DeliveryNote:
    note = documents.lock(note)
    documents.require_status(note, DeliveryNote.Status.DRAFT, action=_("annuler la livraison"))
    note.status = DeliveryNote.Status.CANCELLED
    note.save(update_fields=["status"])
    return note


@transaction.atomic
def close_backorder(order: Order, *, user=None) -> Order:
    """The customer gives up what was not shipped: the order is delivered as it stands and the
    rest of its reservation is released."""
    order = documents.lock(order)
    documents.require_status(order, Order.Status.PARTIALLY_DELIVERED, action=_("solder le reliquat"))
    stock_services.release(source=order_source(order))
    order.status = Order.Status.DELIVERED
    order.save(update_fields=["status"])
    documents.log_event(order, "backorder_closed", user=user)
    return order
