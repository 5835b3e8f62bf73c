"""Read paths of purchasing: orders, invoice-vs-reception warnings, replenishment suggestions."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Sum
from django.utils.translation import gettext as _

from catalog.models import Product
from crm.models import ThirdParty
from lmb.formats import decimal_fr, money_fr
from stock.models import ProductStockSetting, StockLevel

from .models import SupplierInvoice, SupplierOrder, SupplierOrderLine, SupplierPrice

ZERO = Decimal("0")


def orders():
    return SupplierOrder.objects.select_related("supplier", "warehouse")


def invoice_warnings(invoice: SupplierInvoice) -> list[str]:
    """Where the invoice differs from what its receptions brought in: quantities invoiced but not
    received (or received but not invoiced), and unit prices different from the order's."""
    received = defaultdict(lambda: ZERO)
    ordered_price = {}
    for reception in invoice.receptions.all():
        for line in reception.lines.select_related("order_line", "product"):
            received[line.product_id] += line.quantity
            ordered_price[line.product_id] = line.order_line.net_unit_price
    invoiced = defaultdict(lambda: ZERO)
    invoiced_price, names = {}, {}
    for line in invoice.lines.select_related("product"):
        if line.product_id is None:
            continue
        invoiced[line.product_id] += line.quantity
        invoiced_price[line.product_id] = line.net_unit_price
        names[line.product_id] = line.product.reference
    warnings = []
    if not invoice.receptions.exists():
        warnings.append(_("Aucune réception n'est rattachée à cette facture : rien à comparer."))
        return warnings
    for product_id in sorted(set(received) | set(invoiced)):
        name = names.get(product_id) or _reference(product_id)
        if received[product_id] != invoiced[product_id]:
            warnings.append(
                _("%(product)s : %(invoiced)s facturé(s), %(received)s reçu(s).")
                % {"product": name, "invoiced": decimal_fr(invoiced[product_id]), "received": decimal_fr(received[product_id])}
            )
        if (
            product_id in invoiced_price
            and product_id in ordered_price
            and invoiced_price[product_id] != ordered_price[product_id]
        ):
            warnings.append(
                _("%(product)s : prix facturé %(invoiced)s HT, commandé %(ordered)s HT.")
                % {
                    "product": name,
                    "invoiced": money_fr(invoiced_price[product_id]),
                    "ordered": money_fr(ordered_price[product_id]),
                }
            )
    return warnings


def _reference(product_id):
    return Product.objects.filter(pk=product_id).values_list("reference", flat=True).first() or str(product_id)


# --- Replenishment -------------------------------------------------------------------------------


@dataclass
class Suggestion:
    product: object
    warehouse: object
    on_hand: Decimal
    reserved: Decimal
    on_order: Decimal
    min_quantity: Decimal
    max_quantity: Decimal
    quantity: Decimal  # what to order
    unit_price: Decimal
    supplier_reference: str = ""

    @property
    def projected(self):
        return self.on_hand - self.reserved + self.on_order


@dataclass
class SupplierGroup:
    supplier: ThirdParty | None
    suggestions: list = field(default_factory=list)

    @property
    def total(self):
        return sum((s.quantity * s.unit_price for s in self.suggestions), ZERO)


def _round_up(quantity: Decimal, multiple) -> Decimal:
    if not multiple or multiple <= 0:
        return quantity
    return Decimal(math.ceil(quantity / Decimal(multiple))) * Decimal(multiple)


def on_order_quantities() -> dict:
    """(product, warehouse) → quantity ordered and not yet received on open supplier orders
    (drafts included, so a suggestion turned into a draft is not suggested again)."""
    rows = (
        SupplierOrderLine.objects.filter(order__status__in=SupplierOrder.OPEN_STATUSES, product__isnull=False)
        .values("product", "order__warehouse")
        .annotate(remaining=Sum(F("quantity") - F("received_quantity")))
        .order_by()
    )
    return {(row["product"], row["order__warehouse"]): max(row["remaining"], ZERO) for row in rows}


def replenishment(warehouse=None) -> list[SupplierGroup]:
    """For each product whose projected stock (on hand − reserved + on order) is under its
    minimum in a warehouse: the quantity that brings it back to its maximum, rounded up to the
    supplier's minimum quantity and to the pack size; grouped by preferred supplier."""
    settings = ProductStockSetting.objects.filter(min_quantity__gt=0, product__is_active=True).select_related(
        "product", "warehouse"
    )
    if warehouse is not None:
        settings = settings.filter(warehouse=warehouse)
    levels = {
        (lv.product_id, lv.warehouse_id): lv
        for lv in StockLevel.objects.all().only("product", "warehouse", "on_hand", "reserved")
    }
    on_order = on_order_quantities()
    preferred = {price.product_id: price for price in SupplierPrice.objects.filter(is_preferred=True).select_related("supplier")}
    groups: dict = {}
    for setting in settings.order_by("product__reference"):
        key = (setting.product_id, setting.warehouse_id)
        level = levels.get(key)
        on_hand, reserved = (level.on_hand, level.reserved) if level else (ZERO, ZERO)
        incoming = on_order.get(key, ZERO)
        projected = on_hand - reserved + incoming
        if projected >= setting.min_quantity:
            continue
        price = preferred.get(setting.product_id)
        quantity = max(setting.max_quantity - projected, setting.min_quantity - projected)
        quantity = max(quantity, price.min_quantity if price else ZERO)
        quantity = _round_up(quantity, setting.product.units_per_pack)
        suggestion = Suggestion(
            product=setting.product,
            warehouse=setting.warehouse,
            on_hand=on_hand,
            reserved=reserved,
            on_order=incoming,
            min_quantity=setting.min_quantity,
            max_quantity=setting.max_quantity,
            quantity=quantity,
            unit_price=price.purchase_price if price else setting.product.purchase_price,
            supplier_reference=price.supplier_reference if price else "",
        )
        supplier = price.supplier if price else None
        groups.setdefault(supplier.pk if supplier else None, SupplierGroup(supplier)).suggestions.append(suggestion)
    return sorted(groups.values(), key=lambda group: (group.supplier is None, group.supplier.name if group.supplier else ""))
