"""REST API of sales: channels, quotes, orders, delivery notes, invoices, credit notes, payments
and vouchers, the lines of drafts, and the business actions as POST actions on the resource
(``/orders/{id}/confirm/``). Every write calls ``sales.services``; a refused transition answers
409 with its reason. POSTs that create money or documents accept an ``Idempotency-Key``."""

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lmb.api import ServiceViewSet, idempotent
from lmb.api_access import CursorPagination

from . import queries, services
from .api_output import DocumentOutputMixin
from .models import (
    Allocation,
    Channel,
    DeliveryNote,
    DeliveryNoteLine,
    DepositDeduction,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    QuoteLine,
    Voucher,
)
from .serializers import (
    AllocateSerializer,
    ChannelSerializer,
    CreditNoteSerializer,
    CreditSerializer,
    DeliverSerializer,
    DeliveryNoteLineSerializer,
    DeliveryNoteSerializer,
    DeliveryQuantitySerializer,
    InvoiceLineSerializer,
    InvoiceSerializer,
    IssueCreditNoteSerializer,
    IssueInvoiceSerializer,
    MoneyInSerializer,
    NewInvoiceSerializer,
    NewOrderSerializer,
    NewPaymentSerializer,
    NewQuoteSerializer,
    OrderLineSerializer,
    OrderSerializer,
    PaymentSerializer,
    PaySerializer,
    QuoteLineSerializer,
    QuoteSerializer,
    ReasonSerializer,
    RefundSerializer,
    ShipSerializer,
    VoucherSaleSerializer,
    VoucherSerializer,
)

# What each list reads, in a fixed number of queries whatever the number of rows; the answer to
# an action is read again from the same queryset, so it shows the same totals, balance and lines.
QUOTES = queries.quotes().prefetch_related("lines").order_by("-created_at", "-pk")
ORDERS = queries.orders().prefetch_related(
    "lines",
    Prefetch("delivery_notes", queryset=DeliveryNote.objects.only("pk", "order_id").order_by("pk")),
    Prefetch("invoices", queryset=Invoice.objects.only("pk").order_by("pk")),
)
DELIVERY_NOTES = queries.delivery_notes().prefetch_related(
    Prefetch("lines", queryset=DeliveryNoteLine.objects.select_related("order_line"))
)
INVOICES = queries.invoices().prefetch_related(
    "lines",
    "installments",
    Prefetch("orders", queryset=Order.objects.only("pk").order_by("pk")),
    Prefetch(
        "deposit_deductions",
        queryset=DepositDeduction.objects.select_related("deposit")
        .only("invoice_id", "deposit_id", "amount", "deposit__number")
        .order_by("deposit__invoice_date", "deposit__pk"),
    ),
)
CREDIT_NOTES = queries.credit_notes().prefetch_related("lines")
PAYMENTS = queries.payments().prefetch_related(Prefetch("allocations", queryset=Allocation.objects.order_by("pk")))


def validated(serializer_class, request, **context):
    """The action's input, checked: a 400 naming the field otherwise."""
    payload = serializer_class(data=request.data, context={"request": request, **context})
    payload.is_valid(raise_exception=True)
    return dict(payload.validated_data)


def answer(serializer_class, queryset, obj, *, status_code=status.HTTP_200_OK):
    """``obj`` read again the way its list reads it, after a service changed or created it."""
    return Response(serializer_class(queryset.get(pk=obj.pk)).data, status=status_code)


def lines_of(data):
    return [dict(line) for line in data.pop("lines", None) or ()]


# The sorts a document list offers: each is served by a b-tree index ending with the id
# (sales.models.list_sort_indexes; number is unique), so that a page — the first or the 500th,
# read by CursorPagination — comes from the index. Not offered: the amount excluding tax, the
# balance (computed) and the dates without such an index.
DOCUMENT_ORDERING = ["created_at", "number", "customer_name", "total_incl_tax"]


class ChannelViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Channel.objects.order_by("name", "pk")
    serializer_class = ChannelSerializer
    filterset_fields = ["kind", "is_active"]
    search_fields = ["code", "name"]


class DraftDocumentViewSet(ServiceViewSet):
    """Quotes, orders and invoices: PATCH changes a draft's terms (``services.update_draft``, 409
    once the document left draft); answers are read again from the list's queryset."""

    http_method_names = ["get", "post", "patch", "head", "options"]

    def respond(self, document, *, status_code=status.HTTP_200_OK):
        return answer(self.serializer_class, self.queryset, document, status_code=status_code)

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        document = services.update_draft(serializer.instance, user=request.user, **serializer.validated_data)
        return self.respond(document)


# --- Quotes and orders ---------------------------------------------------------------------------


@extend_schema_view(create=extend_schema(request=NewQuoteSerializer, responses={201: QuoteSerializer}))
class QuoteViewSet(DocumentOutputMixin, DraftDocumentViewSet):
    queryset = QUOTES
    serializer_class = QuoteSerializer
    filterset_fields = {
        "status": ["exact"],
        "customer": ["exact"],
        "channel": ["exact"],
        "quote_date": ["gte", "lte"],
        "valid_until": ["gte", "lte"],
        "created_at": ["gte", "lte"],
    }
    search_fields = ["number", "customer_name"]
    ordering_fields = [*DOCUMENT_ORDERING, "quote_date"]
    ordering = ["-created_at"]
    pagination_class = CursorPagination
    action_permissions = {
        "send": ["sales.change_quote"],
        "accept": ["sales.change_quote", "sales.add_order"],
        "refuse": ["sales.change_quote"],
    }

    @idempotent
    def create(self, request, *args, **kwargs):
        """A draft quote, with its lines (each as for ``/quote-lines/``)."""
        data = validated(NewQuoteSerializer, request)
        quote = services.create_quote(user=request.user, lines=lines_of(data), **data)
        return self.respond(quote, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Number and date the quote (409 unless it is a draft; 400 without lines)."""
        return self.respond(services.send_quote(self.get_object(), user=request.user))

    @extend_schema(request=None, responses={201: OrderSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request, pk=None):
        """The customer agrees: answers the new draft order (409 unless sent, or when expired)."""
        order = services.accept_quote(self.get_object(), user=request.user)
        return answer(OrderSerializer, ORDERS, order, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        data = validated(ReasonSerializer, request)
        return self.respond(services.refuse_quote(self.get_object(), user=request.user, reason=data["reason"]))


@extend_schema_view(create=extend_schema(request=NewOrderSerializer, responses={201: OrderSerializer}))
class OrderViewSet(DocumentOutputMixin, DraftDocumentViewSet):
    queryset = ORDERS
    serializer_class = OrderSerializer
    filterset_fields = {
        "status": ["exact"],
        "customer": ["exact"],
        "channel": ["exact"],
        "warehouse": ["exact"],
        "quote": ["exact"],
        "order_date": ["gte", "lte"],
        "created_at": ["gte", "lte"],
    }
    search_fields = ["number", "customer_name", "customer_reference"]
    ordering_fields = [*DOCUMENT_ORDERING, "order_date"]
    ordering = ["-created_at"]
    pagination_class = CursorPagination
    action_permissions = {
        "confirm": ["sales.change_order"],
        "cancel": ["sales.change_order"],
        "close_backorder": ["sales.change_order"],
        "deliver": ["sales.add_deliverynote"],
        "invoice": ["sales.add_invoice"],
        "deposit": ["sales.add_payment", "sales.add_invoice"],
    }

    @idempotent
    def create(self, request, *args, **kwargs):
        """A draft order, with its lines (each as for ``/order-lines/``)."""
        data = validated(NewOrderSerializer, request)
        order = services.create_order(user=request.user, lines=lines_of(data), **data)
        return self.respond(order, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Number the order and reserve its goods (409 unless it is a draft)."""
        return self.respond(services.confirm_order(self.get_object(), user=request.user))

    @extend_schema(request=ReasonSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Release its reservations (409 once something shipped, or with a deposit not credited)."""
        data = validated(ReasonSerializer, request)
        return self.respond(services.cancel_order(self.get_object(), user=request.user, reason=data["reason"]))

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"], url_path="close-backorder")
    def close_backorder(self, request, pk=None):
        """The customer gives up what is left to ship: the order is delivered as it stands."""
        return self.respond(services.close_backorder(self.get_object(), user=request.user))

    @extend_schema(request=DeliverSerializer, responses={201: DeliveryNoteSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def deliver(self, request, pk=None):
        """A delivery note in preparation: everything left to ship, or the given quantities."""
        order = self.get_object()
        data = validated(DeliverSerializer, request, order=order)
        quantities = {line["order_line"]: line["quantity"] for line in data["lines"]} if "lines" in data else None
        note = services.create_delivery_note(order, quantities=quantities, user=request.user)
        return answer(DeliveryNoteSerializer, DELIVERY_NOTES, note, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: InvoiceSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def invoice(self, request, pk=None):
        """A draft invoice of what was shipped and performed and not invoiced yet."""
        invoice = services.invoice_order(self.get_object(), user=request.user)
        return answer(InvoiceSerializer, INVOICES, invoice, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=MoneyInSerializer, responses={201: InvoiceSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def deposit(self, request, pk=None):
        """Money received before the invoice: answers the deposit invoice, issued and paid."""
        data = validated(MoneyInSerializer, request)
        deposit = services.receive_deposit(self.get_object(), user=request.user, **data)
        return answer(InvoiceSerializer, INVOICES, deposit, status_code=status.HTTP_201_CREATED)


# --- Lines of drafts -----------------------------------------------------------------------------


class DraftLineViewSet(ServiceViewSet):
    """Lines of a draft; adding, changing or removing one recomputes the document's totals (409
    once the document left draft). Answers are read again: totals moved the line's amounts."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_fields = ["document", "product", "kind"]
    update_service = staticmethod(services.change_line)
    delete_service = staticmethod(services.remove_line)

    @staticmethod
    def create_service(*, document, **fields):
        return services.add_line(document, **fields)

    def perform_create(self, serializer):
        super().perform_create(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


class QuoteLineViewSet(DraftLineViewSet):
    queryset = QuoteLine.objects.order_by("document", "position", "pk")
    serializer_class = QuoteLineSerializer


class OrderLineViewSet(DraftLineViewSet):
    queryset = OrderLine.objects.order_by("document", "position", "pk")
    serializer_class = OrderLineSerializer


class InvoiceLineViewSet(DraftLineViewSet):
    queryset = InvoiceLine.objects.order_by("document", "position", "pk")
    serializer_class = InvoiceLineSerializer


# --- Delivery notes ------------------------------------------------------------------------------


class DeliveryNoteFilter(filters.FilterSet):
    customer = filters.NumberFilter(field_name="order__customer")

    class Meta:
        model = DeliveryNote
        fields = {
            "status": ["exact"],
            "order": ["exact"],
            "warehouse": ["exact"],
            "shipped_at": ["gte", "lte"],
            "created_at": ["gte", "lte"],
        }


class DeliveryNoteViewSet(DocumentOutputMixin, viewsets.ReadOnlyModelViewSet):
    queryset = DELIVERY_NOTES
    serializer_class = DeliveryNoteSerializer
    filterset_class = DeliveryNoteFilter
    search_fields = ["number", "order__number", "order__customer_name", "tracking_number"]
    # No index serves the creation or the shipping date: the id, given in creation order, is the
    # default order (newest first); the number is unique, so indexed.
    ordering_fields = ["id", "number"]
    ordering = ["-pk"]
    pagination_class = CursorPagination
    action_permissions = {"ship": ["sales.change_deliverynote"], "cancel": ["sales.change_deliverynote"]}

    @extend_schema(request=ShipSerializer, responses=DeliveryNoteSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def ship(self, request, pk=None):
        """Number the delivery note and take the goods out of stock; the order becomes partially
        delivered or delivered (409 unless in preparation)."""
        data = validated(ShipSerializer, request)
        note = services.ship_delivery_note(self.get_object(), user=request.user, **data)
        return answer(DeliveryNoteSerializer, DELIVERY_NOTES, note)

    @extend_schema(request=None, responses=DeliveryNoteSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        note = services.cancel_delivery_note(self.get_object(), user=request.user)
        return answer(DeliveryNoteSerializer, DELIVERY_NOTES, note)


@extend_schema_view(partial_update=extend_schema(request=DeliveryQuantitySerializer, responses=DeliveryNoteLineSerializer))
class DeliveryNoteLineViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The quantity of each line of a delivery note in preparation (409 once shipped)."""

    queryset = DeliveryNoteLine.objects.select_related("order_line").order_by("delivery_note", "order_line__position", "pk")
    serializer_class = DeliveryNoteLineSerializer
    filterset_fields = ["delivery_note", "order_line"]
    http_method_names = ["get", "patch", "head", "options"]

    def update(self, request, *args, **kwargs):
        data = validated(DeliveryQuantitySerializer, request)
        line = services.set_delivery_quantity(self.get_object(), data["quantity"])
        return Response(DeliveryNoteLineSerializer(line).data)


# --- Invoices and credit notes -------------------------------------------------------------------


class InvoiceFilter(filters.FilterSet):
    order = filters.NumberFilter(field_name="orders", distinct=True)
    unpaid = filters.BooleanFilter(method="filter_unpaid", label="Émise et pas entièrement réglée")

    class Meta:
        model = Invoice
        fields = {
            "kind": ["exact"],
            "status": ["exact"],
            "customer": ["exact"],
            "channel": ["exact"],
            "invoice_date": ["gte", "lte"],
            "due_date": ["gte", "lte"],
            "created_at": ["gte", "lte"],
        }

    def filter_unpaid(self, queryset, name, value):
        return queries.owed(queryset) if value else queries.not_owed(queryset)


@extend_schema_view(create=extend_schema(request=NewInvoiceSerializer, responses={201: InvoiceSerializer}))
class InvoiceViewSet(DocumentOutputMixin, DraftDocumentViewSet):
    queryset = INVOICES
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    search_fields = ["number", "customer_name"]
    ordering_fields = [*DOCUMENT_ORDERING, "invoice_date", "due_date"]
    ordering = ["-invoice_date"]  # newest first, the drafts (no date yet) on top
    pagination_class = CursorPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    delete_service = staticmethod(services.delete_draft_invoice)
    action_permissions = {
        "issue": ["sales.change_invoice"],
        "credit": ["sales.add_creditnote"],
        "pay": ["sales.add_payment"],
        "apply_credit": ["sales.add_allocation"],
    }

    @idempotent
    def create(self, request, *args, **kwargs):
        """A draft invoice of shipped delivery notes (and their orders' services), or typed directly."""
        data = validated(NewInvoiceSerializer, request)
        delivery_notes, orders = data.pop("delivery_notes", []), data.pop("orders", [])
        if delivery_notes or orders:
            invoice = services.create_invoice(delivery_notes=delivery_notes, orders=orders, user=request.user)
        else:
            invoice = services.create_direct_invoice(user=request.user, lines=lines_of(data), **data)
        return self.respond(invoice, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=IssueInvoiceSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def issue(self, request, pk=None):
        """Number it in the one series of invoices, date it, deduct its deposits, chain and freeze
        it (409 when already issued or dated before the last one)."""
        data = validated(IssueInvoiceSerializer, request)
        installments = [(row["due_date"], row["amount"]) for row in data.get("installments", ())] or None
        invoice = services.issue_invoice(
            self.get_object(), user=request.user, issue_date=data.get("issue_date"), installments=installments
        )
        return self.respond(invoice)

    @extend_schema(request=CreditSerializer, responses={201: CreditNoteSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def credit(self, request, pk=None):
        """A draft credit note of the issued invoice: all that is not credited yet, or given lines."""
        data = validated(CreditSerializer, request)
        lines = [dict(line) for line in data["lines"]] if "lines" in data else None
        credit_note = services.create_credit_note(
            self.get_object(),
            reason=data["reason"],
            lines=lines,
            return_to_stock=data["return_to_stock"],
            settlement=data["settlement"],
            user=request.user,
        )
        return answer(CreditNoteSerializer, CREDIT_NOTES, credit_note, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=PaySerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def pay(self, request, pk=None):
        """Money received for this invoice, allocated to it up to its balance; any rest is kept as
        the customer's credit (409 when the invoice is not issued)."""
        data = validated(PaySerializer, request)
        invoice = self.get_object()
        payment = services.record_payment(customer=invoice.customer, invoices=[invoice], user=request.user, **data)
        return answer(PaymentSerializer, PAYMENTS, payment, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"], url_path="apply-credit")
    @idempotent
    def apply_credit(self, request, pk=None):
        """Settle the invoice with the customer's credit (unallocated payments, credit notes kept on account)."""
        invoice = self.get_object()
        services.apply_customer_credit(invoice)
        return self.respond(invoice)


class CreditNoteViewSet(DocumentOutputMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Credit notes are made from their invoice (``/invoices/{id}/credit/``); a draft is issued or deleted."""

    queryset = CREDIT_NOTES
    serializer_class = CreditNoteSerializer
    filterset_fields = {
        "status": ["exact"],
        "customer": ["exact"],
        "channel": ["exact"],
        "invoice": ["exact"],
        "settlement": ["exact"],
        "credit_date": ["gte", "lte"],
        "created_at": ["gte", "lte"],
    }
    search_fields = ["number", "customer_name", "invoice__number"]
    ordering_fields = [*DOCUMENT_ORDERING, "credit_date"]
    ordering = ["-credit_date"]  # newest first, the drafts (no date yet) on top
    pagination_class = CursorPagination
    action_permissions = {"issue": ["sales.change_creditnote"]}

    def perform_destroy(self, instance):
        services.delete_draft_credit_note(instance)

    @extend_schema(request=IssueCreditNoteSerializer, responses=CreditNoteSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def issue(self, request, pk=None):
        """Number it in the credit-note series, bring returned goods back, then settle: what the
        invoice still awaits first, the rest kept on account, refunded or as a voucher."""
        data = validated(IssueCreditNoteSerializer, request)
        credit_note = services.issue_credit_note(self.get_object(), user=request.user, **data)
        return answer(CreditNoteSerializer, CREDIT_NOTES, credit_note)


# --- Payments and vouchers -----------------------------------------------------------------------


class PaymentFilter(filters.FilterSet):
    invoice = filters.NumberFilter(field_name="allocations__invoice", distinct=True)

    class Meta:
        model = Payment
        fields = {
            "customer": ["exact"],
            "purpose": ["exact"],
            "method": ["exact"],
            "order": ["exact"],
            "credit_note": ["exact"],
            "payment_date": ["gte", "lte"],
        }


@extend_schema_view(create=extend_schema(request=NewPaymentSerializer, responses={201: PaymentSerializer}))
class PaymentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = PAYMENTS.order_by("-payment_date", "-pk")
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    search_fields = ["reference", "customer__name"]
    ordering_fields = ["payment_date", "amount", "created_at"]  # each served by an index ending with the id
    ordering = ["-payment_date"]
    pagination_class = CursorPagination
    action_permissions = {"refund": ["sales.add_payment"], "allocate": ["sales.add_allocation"]}

    @idempotent
    def create(self, request, *args, **kwargs):
        """A settlement, allocated to the given invoices in order; the rest is the customer's credit."""
        data = validated(NewPaymentSerializer, request)
        payment = services.record_payment(user=request.user, **data)
        return answer(PaymentSerializer, PAYMENTS, payment, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=RefundSerializer, responses={201: PaymentSerializer})
    @action(detail=False, methods=["post"])
    @idempotent
    def refund(self, request):
        """Money paid back: what a credit note leaves to refund, or the customer's credit."""
        data = validated(RefundSerializer, request)
        payment = services.refund(user=request.user, **data)
        return answer(PaymentSerializer, PAYMENTS, payment, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=AllocateSerializer, responses=PaymentSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def allocate(self, request, pk=None):
        """Settle part of an issued invoice of the same customer with what this payment has left."""
        data = validated(AllocateSerializer, request)
        payment = self.get_object()
        services.allocate(payment=payment, invoice=data["invoice"], amount=data["amount"])
        return answer(PaymentSerializer, PAYMENTS, payment)


@extend_schema_view(create=extend_schema(request=VoucherSaleSerializer, responses={201: VoucherSerializer}))
class VoucherViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Vouchers issued by credit notes or sold (``POST``: a sale, money received, no VAT yet)."""

    queryset = Voucher.objects.order_by("-created_at", "-pk")
    serializer_class = VoucherSerializer
    filterset_fields = {"customer": ["exact"], "sold": ["exact"], "credit_note": ["exact"], "expires_on": ["gte", "lte"]}
    search_fields = ["code", "customer__name"]
    ordering_fields = ["created_at", "expires_on", "balance"]

    @idempotent
    def create(self, request, *args, **kwargs):
        data = validated(VoucherSaleSerializer, request)
        voucher = services.sell_voucher(user=request.user, **data)
        return Response(VoucherSerializer(voucher).data, status=status.HTTP_201_CREATED)
