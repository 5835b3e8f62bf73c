from rest_framework import serializers

from catalog.models import Product
from lmb.api import ModelSerializer, Serializer

from .models import (
    Reception,
    ReceptionLine,
    SupplierInvoice,
    SupplierInvoiceLine,
    SupplierOrder,
    SupplierOrderLine,
    SupplierPrice,
)
from .queries import invoice_warnings


class SupplierPriceSerializer(ModelSerializer):
    class Meta:
        model = SupplierPrice
        create_only_fields = ["product", "supplier"]
        fields = [
            "id",
            "product",
            "supplier",
            "supplier_reference",
            "purchase_price",
            "min_quantity",
            "lead_time_days",
            "is_preferred",
        ]


class OrderLineSerializer(ModelSerializer):
    class Meta:
        model = SupplierOrderLine
        create_only_fields = ["order", "product"]
        fields = [
            "id",
            "order",
            "position",
            "product",
            "description",
            "supplier_reference",
            "quantity",
            "unit_price",
            "discount_percent",
            "vat_rate",
            "net_amount",
            "received_quantity",
        ]
        read_only_fields = ["position", "net_amount", "received_quantity"]
        extra_kwargs = {"description": {"required": False}, "unit_price": {"required": False}, "vat_rate": {"required": False}}


class SupplierOrderSerializer(ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = SupplierOrder
        create_only_fields = ["supplier"]
        fields = [
            "id",
            "number",
            "status",
            "supplier",
            "warehouse",
            "expected_date",
            "note",
            "total_excl_tax",
            "total_vat",
            "total_incl_tax",
            "vat_breakdown",
            "sent_at",
            "created_at",
            "lines",
        ]
        read_only_fields = [
            "number",
            "status",
            "total_excl_tax",
            "total_vat",
            "total_incl_tax",
            "vat_breakdown",
            "sent_at",
            "created_at",
        ]


class ReceiveLineSerializer(Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False)
    code = serializers.CharField(required=False, max_length=40)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)

    def validate(self, data):
        if "product" not in data and not data.get("code"):
            raise serializers.ValidationError({"product": ["Indiquez le produit (product) ou son code (code)."]})
        return data


class ReceiveSerializer(Serializer):
    lines = ReceiveLineSerializer(many=True, allow_empty=False)
    confirm_over_receipt = serializers.BooleanField(default=False)
    delivery_note_reference = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")


class ReceptionLineSerializer(ModelSerializer):
    class Meta:
        model = ReceptionLine
        fields = ["id", "product", "order_line", "quantity", "unit_cost", "location", "stock_move"]


class ReceptionSerializer(ModelSerializer):
    lines = ReceptionLineSerializer(many=True, read_only=True)

    class Meta:
        model = Reception
        fields = [
            "id",
            "number",
            "order",
            "warehouse",
            "status",
            "delivery_note_reference",
            "note",
            "created_at",
            "validated_at",
            "lines",
        ]
        read_only_fields = ["number", "warehouse", "status", "created_at", "validated_at"]


class ScanSerializer(Serializer):
    code = serializers.CharField(max_length=40)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, required=False, allow_null=True)
    replace = serializers.BooleanField(default=False)
    confirm_over_receipt = serializers.BooleanField(default=False)


class ConfirmSerializer(Serializer):
    confirm_over_receipt = serializers.BooleanField(default=False)


class InvoiceLineSerializer(ModelSerializer):
    class Meta:
        model = SupplierInvoiceLine
        fields = [
            "id",
            "invoice",
            "position",
            "product",
            "description",
            "quantity",
            "unit_price",
            "discount_percent",
            "vat_rate",
            "net_amount",
        ]
        read_only_fields = ["invoice", "position", "net_amount"]
        extra_kwargs = {"description": {"required": False}, "vat_rate": {"required": False}}


class SupplierInvoiceSerializer(ModelSerializer):
    lines = InvoiceLineSerializer(many=True, required=False)

    class Meta:
        model = SupplierInvoice
        fields = [
            "id",
            "supplier",
            "number",
            "invoice_date",
            "due_date",
            "status",
            "receptions",
            "note",
            "total_excl_tax",
            "total_vat",
            "total_incl_tax",
            "vat_breakdown",
            "recorded_at",
            "lines",
        ]
        read_only_fields = ["status", "total_excl_tax", "total_vat", "total_incl_tax", "vat_breakdown", "recorded_at"]
        validators = []  # (supplier, number) is checked by the service, which names the field


class SupplierInvoiceDetailSerializer(SupplierInvoiceSerializer):
    """One invoice with its differences from the receptions (not in lists: each costs queries)."""

    warnings = serializers.SerializerMethodField()

    class Meta(SupplierInvoiceSerializer.Meta):
        fields = [*SupplierInvoiceSerializer.Meta.fields, "warnings"]

    def get_warnings(self, invoice) -> list[str]:
        return invoice_warnings(invoice)
