"""REST API of purchasing: supplier prices, supplier orders (lines, send / email / receive / cancel),
receptions (scan / validate / cancel), supplier invoices (record)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm import mailing
from crm.serializers import EmailQueuedSerializer, EmailRequestSerializer
from lmb.api import ServiceViewSet
from lmb.api_access import CursorPagination

from . import queries, services
from .models import Reception, SupplierInvoice, SupplierOrderLine, SupplierPrice
from .serializers import (
    ConfirmSerializer,
    OrderLineSerializer,
    ReceiveSerializer,
    ReceptionSerializer,
    ScanSerializer,
    SupplierInvoiceDetailSerializer,
    SupplierInvoiceSerializer,
    SupplierOrderSerializer,
    SupplierPriceSerializer,
)


class SupplierPriceViewSet(ServiceViewSet):
    queryset = SupplierPrice.objects.select_related("supplier").order_by("pk")
    serializer_class = SupplierPriceSerializer
    filterset_fields = ["product", "supplier", "is_preferred"]
    create_service = services.set_supplier_price
    delete_service = services.delete_supplier_price

    @staticmethod
    def update_service(price, **changes):
        changes.pop("product", None)
        changes.pop("supplier", None)
        return services.set_supplier_price(product=price.product, supplier=price.supplier, **changes)


class SupplierOrderViewSet(ServiceViewSet):
    queryset = queries.orders().prefetch_related("lines").order_by("-created_at", "-pk")
    serializer_class = SupplierOrderSerializer
    # No index serves the dates: newest first by id (given in creation order), or oldest first.
    ordering_fields = ["id"]
    ordering = ["-pk"]
    pagination_class = CursorPagination
    filterset_fields = {"status": ["exact"], "supplier": ["exact"], "warehouse": ["exact"], "created_at": ["gte", "lte"]}
    search_fields = ["number", "supplier__name"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    create_service = services.create_supplier_order
    update_service = services.update_supplier_order
    action_permissions = {
        "send": ["purchasing.change_supplierorder"],
        "cancel": ["purchasing.change_supplierorder"],
        "receive": ["purchasing.add_reception"],
        "email": ["purchasing.change_supplierorder"],
    }

    def get_service_kwargs(self):
        return {"user": self.request.user}

    @extend_schema(request=None, responses=SupplierOrderSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Number the order and mark it sent (409 when it is not a draft)."""
        return Response(SupplierOrderSerializer(services.send_supplier_order(self.get_object(), user=request.user)).data)

    @extend_schema(request=EmailRequestSerializer, responses={202: EmailQueuedSerializer})
    @action(detail=True, methods=["post"])
    def email(self, request, pk=None):
        """Send the order's PDF to the supplier by e-mail (400 for a bad address, 409 for a draft or a
        cancelled order); the outcome lands on the supplier's timeline."""
        serializer = EmailRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = mailing.send_document_email(
            document=self.get_object(), recipient=serializer.validated_data.get("recipient", ""), user=request.user
        )
        return Response({"recipient": address, "status": "queued"}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=SupplierOrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(SupplierOrderSerializer(services.cancel_supplier_order(self.get_object())).data)

    @extend_schema(request=ReceiveSerializer, responses={201: ReceptionSerializer})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """Receive goods in one call (a validated reception); over-receipt needs confirm_over_receipt."""
        payload = ReceiveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        reception = services.receive_order(
            self.get_object(),
            lines=data["lines"],
            user=request.user,
            confirm_over_receipt=data["confirm_over_receipt"],
            delivery_note_reference=data["delivery_note_reference"],
        )
        return Response(ReceptionSerializer(reception).data, status=status.HTTP_201_CREATED)


class SupplierOrderLineViewSet(ServiceViewSet):
    """Lines of draft orders (409 once the order is sent)."""

    queryset = SupplierOrderLine.objects.order_by("order", "position", "pk")
    serializer_class = OrderLineSerializer
    filterset_fields = ["order", "product"]
    update_service = services.update_order_line
    delete_service = services.remove_order_line

    @staticmethod
    def create_service(*, order, **fields):
        return services.add_order_line(order, **fields)


class ReceptionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Reception.objects.prefetch_related("lines").order_by("-created_at", "-pk")
    serializer_class = ReceptionSerializer
    # No index serves the dates: newest first by id (given in creation order), or oldest first.
    ordering_fields = ["id"]
    ordering = ["-pk"]
    pagination_class = CursorPagination
    filterset_fields = ["order", "status", "warehouse"]
    action_permissions = {
        "scan": ["purchasing.change_reception"],
        "validate": ["purchasing.change_reception"],
        "cancel": ["purchasing.change_reception"],
    }

    def perform_create(self, serializer):
        serializer.instance = services.start_reception(serializer.validated_data["order"], user=self.request.user)

    @extend_schema(request=ScanSerializer, responses=ReceptionSerializer)
    @action(detail=True, methods=["post"])
    def scan(self, request, pk=None):
        payload = ScanSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        reception = self.get_object()
        services.scan_reception(
            reception,
            code=data["code"],
            quantity=data.get("quantity"),
            add=not data["replace"],
            confirm_over_receipt=data["confirm_over_receipt"],
        )
        return Response(ReceptionSerializer(Reception.objects.get(pk=reception.pk)).data)

    @extend_schema(request=ConfirmSerializer, responses=ReceptionSerializer)
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        payload = ConfirmSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reception = services.validate_reception(self.get_object(), user=request.user, **payload.validated_data)
        return Response(ReceptionSerializer(reception).data)

    @extend_schema(request=None, responses=ReceptionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(ReceptionSerializer(services.cancel_reception(self.get_object())).data)


class SupplierInvoiceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = (
        SupplierInvoice.objects.select_related("supplier")
        .prefetch_related("lines", "receptions")
        .order_by("-invoice_date", "-pk")
    )
    serializer_class = SupplierInvoiceSerializer
    # No index serves the dates: newest first by id (given in creation order), or oldest first.
    ordering_fields = ["id"]
    ordering = ["-pk"]
    pagination_class = CursorPagination
    filterset_fields = {"supplier": ["exact"], "status": ["exact"], "invoice_date": ["gte", "lte"]}
    search_fields = ["number", "supplier__name"]
    action_permissions = {"record": ["purchasing.change_supplierinvoice"]}

    def get_serializer_class(self):
        return SupplierInvoiceSerializer if self.action == "list" else SupplierInvoiceDetailSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        lines = data.pop("lines", None)
        serializer.instance = services.create_supplier_invoice(user=self.request.user, lines=lines, **data)

    @extend_schema(request=None, responses=SupplierInvoiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        invoice = services.record_supplier_invoice(self.get_object(), user=request.user)
        return Response(SupplierInvoiceDetailSerializer(invoice).data)
