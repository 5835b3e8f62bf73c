"""Write paths of purchasing: supplier prices, supplier orders (draft → sent → partially received
→ received / cancelled), receptions by scanning, supplier invoices."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import units
from catalog.queries import find_by_code
from lmb import bounds, money
from lmb.errors import Conflict, InvalidInput, TransitionNotAllowed
from lmb.formats import decimal_fr
from lmb.services import apply_changes, next_reference, validate_and_save
from stock import services as stock_services
from stock.models import ProductStockSetting

from .models import (
    Reception,
    ReceptionLine,
    SupplierInvoice,
    SupplierInvoiceLine,
    SupplierOrder,
    SupplierOrderLine,
    SupplierPrice,
)

Status = SupplierOrder.Status
ZERO = Decimal("0")


class OverReceipt(Conflict):
    """More than ordered would be received: allowed only when the user confirms it."""


# --- Supplier prices -----------------------------------------------------------------------------


@transaction.atomic
def set_supplier_price(*, product, supplier, **fields) -> SupplierPrice:
    """Create or change what a supplier charges for a product; marking it preferred unmarks the
    product's other suppliers."""
    price = SupplierPrice.objects.filter(product=product, supplier=supplier).first() or SupplierPrice(
        product=product, supplier=supplier
    )
    if fields.get("is_preferred"):
        SupplierPrice.objects.filter(product=product, is_preferred=True).exclude(pk=price.pk).update(is_preferred=False)
    return apply_changes(price, fields)


@transaction.atomic
def delete_supplier_price(price: SupplierPrice):
    price.delete()


def supplier_price(product, supplier) -> SupplierPrice | None:
    return SupplierPrice.objects.filter(product=product, supplier=supplier).first()


# --- Totals ----------------------------------------------------------------------------------------


def _price_line(line):
    """Net = quantity × unit price × (1 − discount), refused naming the quantity when its column
    could not hold it (``lmb.bounds``)."""
    try:
        line.net_amount = money.amount(
            money.to_decimal(line.quantity)
            * money.to_decimal(line.unit_price)
            * (1 - money.to_decimal(line.discount_percent) / money.HUNDRED)
        )
    except (ValueError, TypeError) as exc:
        raise InvalidInput({"quantity": [str(exc)]}) from exc
    column = type(line)._meta.get_field("net_amount")
    if not bounds.fits(line.net_amount, column.max_digits, column.decimal_places):
        what = _("le montant de la ligne « %(line)s »") % {"line": line.description}
        message = bounds.too_large_result(_("quantité"), what, line.net_amount, column.max_digits, column.decimal_places)
        raise InvalidInput({"quantity": [message]})


def _check_totals(document):
    """The document's totals must fit their columns, like its lines (named by the quantity)."""
    for name, what in (("total_excl_tax", _("le total HT")), ("total_incl_tax", _("le total TTC"))):
        column = type(document)._meta.get_field(name)
        value = getattr(document, name)
        if not bounds.fits(value, column.max_digits, column.decimal_places):
            raise InvalidInput(
                {"quantity": [bounds.too_large_result(_("quantité"), what, value, column.max_digits, column.decimal_places)]}
            )


def recompute_totals(document):
    """Totals of an order or an invoice: VAT per rate on the sum of that rate's net lines."""
    lines = list(document.lines.all())
    breakdown = money.vat_breakdown((line.net_amount, line.vat_rate) for line in lines)
    document.vat_breakdown = [
        {"rate": str(rate), "base": str(values["base"]), "vat": str(values["vat"])} for rate, values in breakdown.items()
    ]
    document.total_excl_tax = sum((line.net_amount for line in lines), money.ZERO)
    document.total_vat = sum((values["vat"] for values in breakdown.values()), money.ZERO)
    document.total_incl_tax = document.total_excl_tax + document.total_vat
    _check_totals(document)
    document.save(update_fields=["vat_breakdown", "total_excl_tax", "total_vat", "total_incl_tax"])
    return document


# --- Supplier orders -------------------------------------------------------------------------------


def _draft(order: SupplierOrder) -> SupplierOrder:
    order = SupplierOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != Status.DRAFT:
        raise TransitionNotAllowed(_("La commande %(number)s est envoyée : ses lignes ne se modifient plus.") % {"number": order})
    return order


def _line_defaults(order, product, fields):
    """A product line takes, unless given, the supplier's reference and price and the product's
    designation and VAT rate."""
    price = supplier_price(product, order.supplier)
    fields.setdefault("description", product.designation)
    fields.setdefault("unit_price", price.purchase_price if price else product.purchase_price)
    fields.setdefault("supplier_reference", price.supplier_reference if price else "")
    fields.setdefault("vat_rate", product.vat_rate.rate)
    return fields


@transaction.atomic
def create_supplier_order(*, supplier, warehouse, lines=(), user=None, **fields) -> SupplierOrder:
    """A draft order (no number yet) with its lines: dicts with ``product`` (or ``description``),
    ``quantity`` and optionally ``unit_price``, ``discount_percent``, ``vat_rate``."""
    order = validate_and_save(SupplierOrder(supplier=supplier, warehouse=warehouse, created_by=user, **fields))
    for line in lines:
        _add_line(order, **line)
    return recompute_totals(order)


@transaction.atomic
def update_supplier_order(order: SupplierOrder, **changes) -> SupplierOrder:
    order = _draft(order)
    return apply_changes(order, changes)


def _add_line(order, *, product=None, **fields) -> SupplierOrderLine:
    if product is not None:
        fields = _line_defaults(order, product, dict(fields))
    elif not fields.get("description"):
        raise InvalidInput({"product": [_("Choisissez un produit ou saisissez une désignation.")]})
    fields.setdefault("vat_rate", Decimal("20"))
    fields.setdefault("unit_price", ZERO)
    position = (order.lines.aggregate(last=Max("position"))["last"] or 0) + 1
    line = SupplierOrderLine(order=order, product=product, position=position, **fields)
    _price_line(line)
    return validate_and_save(line)


@transaction.atomic
def add_order_line(order: SupplierOrder, **fields) -> SupplierOrderLine:
    """Add a line to a draft; a product already on the order gets its quantity increased."""
    order = _draft(order)
    product = fields.get("product")
    existing = order.lines.filter(product=product).first() if product is not None else None
    if existing is not None and set(fields) <= {"product", "quantity"}:
        line = update_order_line(existing, quantity=existing.quantity + money.quantity(fields.get("quantity", 1)))
    else:
        line = _add_line(order, **fields)
    recompute_totals(order)
    return line


@transaction.atomic
def update_order_line(line: SupplierOrderLine, **changes) -> SupplierOrderLine:
    _draft(line.order)
    changes.pop("order", None)
    for name, value in changes.items():
        setattr(line, name, value)
    _price_line(line)
    line = validate_and_save(line)
    recompute_totals(line.order)
    return line


@transaction.atomic
def remove_order_line(line: SupplierOrderLine):
    order = _draft(line.order)
    line.delete()
    recompute_totals(order)


@transaction.atomic
def send_supplier_order(order: SupplierOrder, *, user=None) -> SupplierOrder:
    """Number the order (CF2026-000042) and mark it sent. Its PDF (``purchasing.pdfs``) then goes
    to the supplier by e-mail with ``crm.mailing.send_document_email``."""
    order = _draft(order)
    if not order.lines.filter(quantity__gt=0).exists():
        raise InvalidInput({"lines": [_("Une commande sans ligne ne s'envoie pas.")]})
    order.number = next_reference("supplier_order", prefix="CF", yearly=True)
    order.status = Status.SENT
    order.sent_at = timezone.now()
    order.save(update_fields=["number", "status", "sent_at"])
    return order


@transaction.atomic
def cancel_supplier_order(order: SupplierOrder) -> SupplierOrder:
    order = SupplierOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in (Status.DRAFT, Status.SENT):
        raise TransitionNotAllowed(
            _("La commande %(number)s ne peut plus être annulée : elle est « %(status)s ».")
            % {"number": order, "status": order.get_status_display()}
        )
    order.receptions.filter(status=Reception.Status.DRAFT).update(status=Reception.Status.CANCELLED)
    order.status = Status.CANCELLED
    order.save(update_fields=["status"])
    return order


@transaction.atomic
def create_orders_from_replenishment(selection, *, user=None) -> list[SupplierOrder]:
    """Turn selected replenishment suggestions into draft orders, one per supplier and warehouse.
    ``selection``: dicts with ``product``, ``warehouse``, ``supplier`` and ``quantity``."""
    grouped: dict = {}
    for choice in selection:
        if choice.get("supplier") is None:
            raise InvalidInput(
                {
                    "supplier": [
                        _("%(reference)s n'a pas de fournisseur préféré : choisissez-en un.")
                        % {"reference": choice["product"].reference}
                    ]
                }
            )
        grouped.setdefault((choice["supplier"].pk, choice["warehouse"].pk), []).append(choice)
    orders = []
    for choices in grouped.values():
        lines = [{"product": choice["product"], "quantity": _positive(choice["quantity"])} for choice in choices]
        orders.append(
            create_supplier_order(supplier=choices[0]["supplier"], warehouse=choices[0]["warehouse"], lines=lines, user=user)
        )
    return orders


def _positive(quantity):
    quantity = money.quantity(quantity)
    if quantity <= 0:
        raise InvalidInput({"quantity": [_("La quantité doit être positive.")]})
    return quantity


# --- Receptions ----------------------------------------------------------------------------------


@transaction.atomic
def start_reception(order: SupplierOrder, *, user=None, warehouse=None) -> Reception:
    """Open the reception of a sent order (or give back the one in progress)."""
    order = SupplierOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in (Status.SENT, Status.PARTIALLY_RECEIVED):
        raise TransitionNotAllowed(
            _("On ne reçoit qu'une commande envoyée ; %(number)s est « %(status)s ».")
            % {"number": order, "status": order.get_status_display()}
        )
    draft = order.receptions.filter(status=Reception.Status.DRAFT).first()
    return draft or Reception.objects.create(order=order, warehouse=warehouse or order.warehouse, created_by=user)


def _open_reception(reception: Reception) -> Reception:
    reception = Reception.objects.select_for_update().select_related("order").get(pk=reception.pk)
    if reception.status != Reception.Status.DRAFT:
        raise TransitionNotAllowed(_("Cette réception est close."))
    return reception


def _already_received(order_line, reception):
    """Validated quantity of the order line plus what this draft reception counts."""
    draft = reception.lines.filter(order_line=order_line).values_list("quantity", flat=True).first() or ZERO
    return order_line.received_quantity + draft


@transaction.atomic
def scan_reception(
    reception: Reception, *, code="", product=None, quantity=None, add=True, confirm_over_receipt=False
) -> ReceptionLine:
    """Count goods received: a scanned code adds one (or ``quantity``; ``add=False`` sets it).
    The product must be on the order; receiving more than ordered needs a confirmation."""
    reception = _open_reception(reception)
    if product is None:
        product = find_by_code(code)
        if product is None:
            raise InvalidInput({"code": [_("Aucun produit n'a le code « %(code)s ».") % {"code": code}]})
    order_line = reception.order.lines.filter(product=product).order_by("position").first()
    if order_line is None:
        raise InvalidInput(
            {
                "code": [
                    _("%(reference)s n'est pas sur la commande %(number)s.")
                    % {"reference": product.reference, "number": reception.order}
                ]
            }
        )
    try:
        quantity = Decimal(1) if quantity in (None, "") else money.quantity(quantity)
    except (ValueError, TypeError) as exc:
        raise InvalidInput({"quantity": [str(exc)]}) from exc
    if quantity < 0:
        raise InvalidInput({"quantity": [_("Une quantité reçue ne peut pas être négative.")]})
    units.check_quantity(quantity, product.unit)
    line, _created = ReceptionLine.objects.select_for_update().get_or_create(
        reception=reception,
        order_line=order_line,
        defaults={
            "product": product,
            "unit_cost": order_line.net_unit_price,
            "location": _default_location(product, reception.warehouse),
        },
    )
    new_quantity = line.quantity + quantity if add else quantity
    column = ReceptionLine._meta.get_field("quantity")
    bounds.check(new_quantity, column.max_digits, column.decimal_places, field="quantity", label=_("quantité"))
    total = order_line.received_quantity + new_quantity
    if total > order_line.quantity and not confirm_over_receipt:
        raise OverReceipt(
            _("%(reference)s : %(total)s reçu(s) pour %(ordered)s commandé(s). Confirmez la sur-réception pour l'accepter.")
            % {"reference": product.reference, "total": decimal_fr(total), "ordered": decimal_fr(order_line.quantity)},
            field="quantity",
        )
    line.quantity = new_quantity
    line.save(update_fields=["quantity"])
    return line


def _default_location(product, warehouse):
    setting = ProductStockSetting.objects.filter(product=product, warehouse=warehouse).first()
    return setting.location if setting else None


@transaction.atomic
def validate_reception(reception: Reception, *, user=None, confirm_over_receipt=False) -> Reception:
    """Number the reception (BR2026-000012), write one reception move per line (updating the
    average cost), add the quantities to the order lines and move the order to partially
    received or received — all or nothing."""
    reception = _open_reception(reception)
    lines = list(
        reception.lines.select_related("order_line", "product", "location").filter(quantity__gt=0).order_by("product_id")
    )
    if not lines:
        raise InvalidInput({"lines": [_("Rien n'a été reçu : scannez au moins un article.")]})
    over = [line for line in lines if line.order_line.received_quantity + line.quantity > line.order_line.quantity]
    if over and not confirm_over_receipt:
        raise OverReceipt(
            _("Sur-réception à confirmer : %(products)s.") % {"products": ", ".join(line.product.reference for line in over)},
            field="lines",
        )
    stock_services.lock_products(line.product for line in lines)  # the stock before the number
    reception.number = next_reference("reception", prefix="BR", yearly=True)
    for line in lines:
        line.stock_move = stock_services.receive(
            product=line.product,
            warehouse=reception.warehouse,
            quantity=line.quantity,
            unit_cost=line.unit_cost,
            location=line.location if line.location and line.location.warehouse_id == reception.warehouse_id else None,
            reference=reception.number,
            source=("purchasing.reception", reception.pk),
            user=user,
        )
        line.save(update_fields=["stock_move"])
        order_line = SupplierOrderLine.objects.select_for_update().get(pk=line.order_line_id)
        order_line.received_quantity += line.quantity
        order_line.save(update_fields=["received_quantity"])
    reception.lines.filter(quantity=0).delete()
    reception.status = Reception.Status.VALIDATED
    reception.validated_at = timezone.now()
    reception.save(update_fields=["number", "status", "validated_at"])
    _update_order_status(reception.order)
    return reception


def _update_order_status(order: SupplierOrder):
    goods = order.lines.exclude(product=None)
    complete = all(line.received_quantity >= line.quantity for line in goods)
    order.status = Status.RECEIVED if complete else Status.PARTIALLY_RECEIVED
    order.save(update_fields=["status"])


@transaction.atomic
def cancel_reception(reception: Reception) -> Reception:
    reception = _open_reception(reception)
    reception.status = Reception.Status.CANCELLED
    reception.save(update_fields=["status"])
    return reception


@transaction.atomic
def receive_order(order: SupplierOrder, *, lines, user=None, confirm_over_receipt=False, delivery_note_reference="") -> Reception:
    """Receive in one call (API): ``lines`` are dicts with ``product`` (or ``code``) and ``quantity``."""
    reception = start_reception(order, user=user)
    if delivery_note_reference:
        reception.delivery_note_reference = delivery_note_reference
        reception.save(update_fields=["delivery_note_reference"])
    for line in lines:
        scan_reception(
            reception,
            code=line.get("code", ""),
            product=line.get("product"),
            quantity=line.get("quantity"),
            confirm_over_receipt=confirm_over_receipt,
        )
    return validate_reception(reception, user=user, confirm_over_receipt=confirm_over_receipt)


# --- Supplier invoices -------------------------------------------------------------------------


@transaction.atomic
def create_supplier_invoice(
    *, supplier, number, invoice_date, due_date, receptions=(), lines=None, user=None, note=""
) -> SupplierInvoice:
    """A draft supplier invoice. Without ``lines``, its lines are those received (quantity ×
    ordered net price) by the given receptions, ready to be checked against the paper invoice."""
    invoice = validate_and_save(
        SupplierInvoice(
            supplier=supplier,
            number=number,
            invoice_date=invoice_date,
            due_date=due_date,
            created_by=user,
            note=note,
        )
    )
    receptions = list(receptions)
    for reception in receptions:
        if reception.status != Reception.Status.VALIDATED or reception.order.supplier_id != supplier.pk:
            raise InvalidInput(
                {
                    "receptions": [
                        _("La réception %(number)s n'est pas une réception validée de ce fournisseur.") % {"number": reception}
                    ]
                }
            )
    invoice.receptions.set(receptions)
    if lines is None:
        lines = [
            {
                "product": line.product,
                "description": line.order_line.description,
                "quantity": line.quantity,
                "unit_price": line.order_line.unit_price,
                "discount_percent": line.order_line.discount_percent,
                "vat_rate": line.order_line.vat_rate,
            }
            for reception in receptions
            for line in reception.lines.select_related("order_line", "product")
        ]
    for position, fields in enumerate(lines, start=1):
        _add_invoice_line(invoice, position=position, **fields)
    return recompute_totals(invoice)


def _add_invoice_line(invoice, *, product=None, **fields):
    if product is not None:
        fields.setdefault("description", product.designation)
        fields.setdefault("vat_rate", product.vat_rate.rate)
    line = SupplierInvoiceLine(invoice=invoice, product=product, **fields)
    _price_line(line)
    return validate_and_save(line)


def _draft_invoice(invoice) -> SupplierInvoice:
    invoice = SupplierInvoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != SupplierInvoice.Status.DRAFT:
        raise TransitionNotAllowed(_("Cette facture est enregistrée : elle ne se modifie plus."))
    return invoice


@transaction.atomic
def update_invoice_line(line: SupplierInvoiceLine, **changes) -> SupplierInvoiceLine:
    _draft_invoice(line.invoice)
    for name, value in changes.items():
        setattr(line, name, value)
    _price_line(line)
    line = validate_and_save(line)
    recompute_totals(line.invoice)
    return line


@transaction.atomic
def add_invoice_line(invoice: SupplierInvoice, **fields) -> SupplierInvoiceLine:
    invoice = _draft_invoice(invoice)
    position = (invoice.lines.aggregate(last=Max("position"))["last"] or 0) + 1
    line = _add_invoice_line(invoice, position=position, **fields)
    recompute_totals(invoice)
    return line


@transaction.atomic
def record_supplier_invoice(invoice: SupplierInvoice, *, user=None) -> SupplierInvoice:
    """Record the invoice (it then goes to accounting); differences with the receptions stay
    visible as warnings but do not block."""
    invoice = _draft_invoice(invoice)
    if not invoice.lines.exists():
        raise InvalidInput({"lines": [_("Une facture sans ligne ne s'enregistre pas.")]})
    invoice.status = SupplierInvoice.Status.RECORDED
    invoice.recorded_at = timezone.now()
    invoice.save(update_fields=["status", "recorded_at"])
    return invoice
