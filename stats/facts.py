"""Business documents → fact rows (pure reads: the services save what these return).

Each builder takes documents fetched with ``*_queryset()`` (their lines and everything the facts
denormalise prefetched: a batch of documents costs a fixed number of queries) and returns unsaved
facts. See ``stats.models`` for what counts and why.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from catalog.models import Product
from lmb import money
from purchasing.models import Reception, ReceptionLine, SupplierInvoice, SupplierInvoiceLine, SupplierPrice
from sales.models import CreditNote, Invoice, Order
from sales.totals import DISCOUNTABLE_KINDS
from stock.models import ProductValuation

from .models import OrderFact, PurchaseFact, SaleFact

ZERO = Decimal("0.00")
# Lines that are sales (70x, as accounting posts them): products, services, shipping,
# eco-participation, and free-text lines with an amount (« Gravure », a web shop's cart rule
# « Remise BIENVENUE10 » at a negative quantity); a text line without an amount is a comment.
# Penalties and the recovery indemnity are financial income (762700 / 758800).
SALES_KINDS = ("product", "text", "shipping", "eco")


def is_sale(line) -> bool:
    return line.kind in SALES_KINDS and (line.kind != "text" or bool(line.net_amount))


# ``is_sale`` in a query.
SALE_LINES = Q(kind__in=SALES_KINDS) & ~Q(kind="text", net_amount=0)

_LINE_RELATED = ["product__category", "parent__product__category"]


def invoices_queryset():
    return Invoice.objects.select_related("customer", "channel").prefetch_related(
        *[f"lines__{path}" for path in _LINE_RELATED],
        "lines__delivery_line__stock_move",
        "lines__delivery_line__delivery_note",
    )


def credit_notes_queryset():
    return CreditNote.objects.select_related("customer", "channel", "invoice").prefetch_related(
        *[f"lines__{path}" for path in _LINE_RELATED],
        "lines__invoice_line__delivery_line__stock_move",
        "lines__invoice_line__delivery_line__delivery_note",
    )


def orders_queryset():
    return Order.objects.select_related("customer", "channel").prefetch_related(*[f"lines__{p}" for p in _LINE_RELATED])


class Context:
    """What a batch of facts looks up besides its documents: each product's preferred supplier
    and current average cost (for a goods line with no delivery move), read once per batch."""

    def __init__(self):
        self._suppliers = None
        self._costs = None

    def supplier_of(self, product_id):
        if product_id is None:
            return None
        if self._suppliers is None:
            self._suppliers = {}
            for product_id_, supplier_id in SupplierPrice.objects.order_by("is_preferred", "pk").values_list(
                "product_id", "supplier_id"
            ):
                self._suppliers[product_id_] = supplier_id  # the preferred one, read last, wins
        return self._suppliers.get(product_id)

    def average_cost(self, product_id) -> Decimal:
        if self._costs is None:
            self._costs = dict(ProductValuation.objects.values_list("product_id", "average_cost"))
        return self._costs.get(product_id, ZERO) or ZERO


def _to_eur(document):
    if (document.currency or "EUR") == "EUR" or not document.exchange_rate:
        return money.amount
    rate = Decimal(document.exchange_rate)
    return lambda value: money.amount(Decimal(value) / rate)


def _rate_key(category, rate) -> tuple:
    return (category, Decimal(str(rate)).normalize())


def _spread(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` in shares proportional to ``weights``, to the cent; the largest weight takes
    what rounding left, so the shares add up to ``total`` exactly."""
    if not weights:
        return []
    base = sum(weights, ZERO)
    if not base:
        shares = [ZERO] * len(weights)
        shares[0] = total
        return shares
    shares = [money.amount(total * weight / base) for weight in weights]
    largest = max(range(len(weights)), key=lambda i: abs(weights[i]))
    shares[largest] += total - sum(shares, ZERO)
    return shares


def line_amounts(document, lines) -> dict[int, tuple[Decimal, Decimal]]:
    """{line pk: (net after the document discount, VAT)} in the document's currency: per VAT group
    of the stored breakdown, the allowance spread over its discountable lines and the VAT over
    all its lines, so Σ net = total excl. tax and Σ VAT = total VAT."""
    groups = defaultdict(list)
    for line in lines:
        groups[_rate_key(line.vat_category, line.vat_rate)].append(line)
    breakdown = {_rate_key(g["category"], g["rate"]): g for g in document.vat_breakdown or []}
    result = {}
    for key, members in groups.items():
        group = breakdown.get(key, {})
        allowance = Decimal(group.get("allowance", "0"))
        discountable = [line for line in members if line.kind in DISCOUNTABLE_KINDS]
        shares = _spread(allowance, [line.net_amount for line in discountable])
        cuts = {line.pk: share for line, share in zip(discountable, shares, strict=True)}
        nets = [line.net_amount - cuts.get(line.pk, ZERO) for line in members]
        vat = Decimal(group["vat"]) if group else ZERO
        for line, net, line_vat in zip(members, nets, _spread(vat, nets), strict=True):
            result[line.pk] = (net, line_vat)
    return result


def _product_of(line):
    """An eco-participation line counts for the product it follows."""
    if line.product_id is None and line.kind == "eco" and line.parent_id is not None and line.parent is not None:
        return line.parent.product
    return line.product


def _common(document, product, context: Context) -> dict:
    customer = document.customer
    category = product.category if product is not None else None
    return {
        "product_id": product.pk if product is not None else None,
        "category_id": category.pk if category is not None else None,
        "category_path": category.path if category is not None else "",
        "customer_id": customer.pk,
        "customer_category": customer.customer_category or "",
        "customer_kind": customer.kind or "",
        "billing_country": (document.billing_address or {}).get("country", "")[:2],
        "country": (document.destination_country or (document.delivery_address or {}).get("country", ""))[:2],
        "channel_id": document.channel_id,
        "sales_rep_id": customer.sales_rep_id,
        "supplier_id": context.supplier_of(product.pk if product is not None else None),
        "vat_treatment": document.vat_treatment,
        "currency": document.currency or "EUR",
    }


def unit_cost_of(invoice_line, context: Context) -> Decimal:
    """The cost of one unit at the sale: the delivery move's unit cost (the weighted average cost
    of the moment it left the stock), else the product's average cost now (an invoice issued
    without a delivery note: its facts are written when it is issued); services cost nothing."""
    if invoice_line.kind != "product" or invoice_line.product is None:
        return ZERO
    delivery = invoice_line.delivery_line
    if delivery is not None and delivery.stock_move is not None:
        return delivery.stock_move.unit_cost
    if invoice_line.product.kind != Product.Kind.GOODS:
        return ZERO
    return context.average_cost(invoice_line.product_id)


def _warehouse_of(invoice_line, channel):
    delivery = invoice_line.delivery_line
    if delivery is not None:
        return delivery.delivery_note.warehouse_id
    return channel.warehouse_id


def invoice_facts(invoice: Invoice, context: Context) -> list[SaleFact]:
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status != Invoice.Status.ISSUED:
        return []
    return _sale_facts(invoice, SaleFact.Source.INVOICE, invoice.invoice_date, context, sign=1, sold_line=lambda line: line)


def credit_note_facts(credit_note: CreditNote, context: Context) -> list[SaleFact]:
    """A credit note's lines subtract, at the cost and from the warehouse of the invoice line
    they credit. A deposit's credit goes to 4191, not to sales: no fact."""
    if credit_note.status != CreditNote.Status.ISSUED or credit_note.invoice.kind == Invoice.Kind.DEPOSIT:
        return []
    return _sale_facts(
        credit_note,
        SaleFact.Source.CREDIT_NOTE,
        credit_note.credit_date,
        context,
        sign=-1,
        sold_line=lambda line: line.invoice_line,
    )


def _sale_facts(document, source: str, day, context: Context, *, sign: int, sold_line) -> list[SaleFact]:
    """One fact per sales line of an issued invoice (``sign`` 1) or credit note (−1): its share
    of the document discount and of its VAT group's VAT, in euros; the cost and the warehouse of
    ``sold_line(line)``, the invoice line that was sold."""
    amounts = line_amounts(document, document.lines.all())
    eur = _to_eur(document)
    facts = []
    for line in document.lines.all():
        if not is_sale(line):
            continue
        net, vat = amounts[line.pk]
        quantity = line.quantity if line.kind == "product" else Decimal(0)
        sold = sold_line(line)
        facts.append(
            SaleFact(
                source=source,
                source_line_id=line.pk,
                document_id=document.pk,
                day=day,
                warehouse_id=_warehouse_of(sold, document.channel),
                quantity=sign * quantity,
                net=sign * eur(net),
                vat=sign * eur(vat),
                gross=sign * (eur(net) + eur(vat)),
                cost=sign * money.amount(quantity * unit_cost_of(sold, context)),
                **_common(document, _product_of(line), context),
            )
        )
    return facts


def order_facts(order: Order, context: Context) -> list[OrderFact]:
    if order.status in (Order.Status.DRAFT, Order.Status.CANCELLED) or order.order_date is None:
        return []
    lines = [line for line in order.lines.all() if is_sale(line)]
    amounts = line_amounts(order, order.lines.all())
    eur = _to_eur(order)
    facts = []
    for line in lines:
        net, vat = amounts[line.pk]
        product = _product_of(line)
        facts.append(
            OrderFact(
                source_line_id=line.pk,
                document_id=order.pk,
                day=order.order_date,
                warehouse_id=order.warehouse_id,
                quantity=line.quantity if line.kind == "product" else Decimal(0),
                net=eur(net),
                vat=eur(vat),
                gross=eur(net) + eur(vat),
                **_common(order, product, context),
            )
        )
    return facts


def supplier_invoice_facts(lines) -> list[PurchaseFact]:
    """Lines of recorded supplier invoices (``SupplierInvoiceLine`` with invoice and product__category)."""
    facts = []
    for line in lines:
        invoice = line.invoice
        category = line.product.category if line.product is not None else None
        facts.append(
            PurchaseFact(
                source=PurchaseFact.Source.SUPPLIER_INVOICE,
                source_line_id=line.pk,
                document_id=invoice.pk,
                day=invoice.invoice_date,
                product_id=line.product_id,
                category_id=category.pk if category else None,
                category_path=category.path if category else "",
                supplier_id=invoice.supplier_id,
                net_purchases=line.net_amount,
            )
        )
    return facts


def reception_facts(lines) -> list[PurchaseFact]:
    """Lines of validated receptions (``ReceptionLine`` with reception__order and product__category)."""
    facts = []
    for line in lines:
        reception = line.reception
        category = line.product.category
        day = timezone.localdate(reception.validated_at or reception.created_at)
        facts.append(
            PurchaseFact(
                source=PurchaseFact.Source.RECEPTION,
                source_line_id=line.pk,
                document_id=reception.pk,
                day=day,
                product_id=line.product_id,
                category_id=category.pk if category else None,
                category_path=category.path if category else "",
                supplier_id=reception.order.supplier_id,
                warehouse_id=reception.warehouse_id,
                quantity_received=line.quantity,
            )
        )
    return facts


def supplier_invoice_lines():
    return SupplierInvoiceLine.objects.filter(invoice__status=SupplierInvoice.Status.RECORDED).select_related(
        "invoice", "product__category"
    )


def reception_lines():
    return ReceptionLine.objects.filter(reception__status=Reception.Status.VALIDATED).select_related(
        "reception__order", "product__category"
    )
