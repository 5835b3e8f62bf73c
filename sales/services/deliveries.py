"""Delivery notes: ship all or part of an order. Shipping writes the delivery moves (consuming
the order's reservation); what is not shipped stays on the order as a backorder."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import units
from lmb import events, money
from lmb.errors import Conflict, InvalidInput
from lmb.formats import decimal_fr
from stock import services as stock_services

from ..models import DeliveryNote, DeliveryNoteLine, Order, OrderLine
from . import documents
from .quotes_orders import order_source

ZERO = Decimal("0")


@transaction.atomic
def create_delivery_note(order: Order, *, quantities: dict | None = None, user=None) -> DeliveryNote:
    """A delivery note in preparation for an order: every goods line with its backorder, or the
    given ``{order_line_id: quantity}``."""
    order = documents.lock(order)
    documents.require_status(order, *Order.OPEN_STATUSES, action=_("préparer une livraison"))
    if order.delivery_notes.filter(status=DeliveryNote.Status.DRAFT).exists():
        raise Conflict(_("Une livraison de la commande %(number)s est déjà en préparation.") % {"number": order})
    note = DeliveryNote.objects.create(
        order=order, warehouse=order.warehouse, delivery_address=order.delivery_address, carrier=order.carrier, created_by=user
    )
    for line in order.lines.select_related("product").filter(kind=OrderLine.Kind.PRODUCT).order_by("position"):
        if not line.is_goods:
            continue
        quantity = line.backorder_quantity if quantities is None else money.quantity(quantities.get(line.pk, 0))
        if quantity > 0:
            _check_quantity(line, quantity)
            DeliveryNoteLine.objects.create(delivery_note=note, order_line=line, quantity=quantity)
    if not note.lines.exists():
        raise InvalidInput({"lines": [_("Rien à livrer sur la commande %(number)s.") % {"number": order}]})
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


@transaction.atomic
def ship_delivery_note(note: DeliveryNote, *, carrier: str = "", tracking_number: str = "", user=None) -> DeliveryNote:
    """Number the delivery note, write one delivery move per line and update the order:
    partially delivered, or delivered when nothing is left to ship. Without ``carrier``, the
    note keeps the one it was prepared with (the order's)."""
    note = documents.lock(note)
    documents.require_status(note, DeliveryNote.Status.DRAFT, action=_("expédier"))
    lines = list(note.lines.select_related("order_line__product").filter(quantity__gt=0).order_by("order_line_id"))
    if not lines:
        raise InvalidInput({"lines": [_("Rien à expédier : indiquez au moins une quantité.")]})
    order = documents.lock(note.order)
    stock_services.lock_products(line.order_line.product for line in lines)  # the stock before the number
    now = timezone.now()
    note.number = documents.number(note, "delivery_note", "BL", timezone.localdate())
    for line in lines:
        order_line = OrderLine.objects.select_for_update().get(pk=line.order_line_id)
        _check_quantity(order_line, line.quantity)
        line.stock_move = stock_services.deliver(
            product=order_line.product,
            warehouse=note.warehouse,
            quantity=line.quantity,
            reference=note.number,
            source=("sales.deliverynote", note.pk),
            reservation=order_source(order),
            user=user,
        )
        line.save(update_fields=["stock_move"])
        order_line.delivered_quantity += line.quantity
        order_line.save(update_fields=["delivered_quantity"])
    note.lines.filter(quantity=0).delete()
    note.status, note.shipped_at = DeliveryNote.Status.SHIPPED, now
    note.carrier, note.tracking_number = carrier or note.carrier, tracking_number
    note.save(update_fields=["number", "status", "shipped_at", "carrier", "tracking_number"])
    _update_delivery_status(order)
    documents.log_event(order, "shipped", user=user, detail=note.number)
    events.publish(events.DELIVERY_NOTE_SHIPPED, delivery_note_id=note.pk, order_id=order.pk)
    return note


def _update_delivery_status(order: Order):
    goods = [line for line in order.lines.select_related("product") if line.is_goods]
    left = any(line.backorder_quantity > 0 for line in goods)
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
