from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from catalog.models import Product
from lmb.api import ModelSerializer, Serializer

from .models import Inventory, InventoryLine, Location, ProductStockSetting, StockLevel, StockMove, Warehouse


class WarehouseSerializer(ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "address", "is_default", "is_active"]


class LocationSerializer(ModelSerializer):
    class Meta:
        model = Location
        create_only_fields = ["warehouse"]
        fields = ["id", "warehouse", "code", "aisle", "shelf", "bin", "is_active"]


class StockSettingSerializer(ModelSerializer):
    class Meta:
        model = ProductStockSetting
        create_only_fields = ["product", "warehouse"]
        fields = ["id", "product", "warehouse", "location", "min_quantity", "max_quantity"]


class StockLevelSerializer(ModelSerializer):
    available = serializers.DecimalField(max_digits=14, decimal_places=3, read_only=True)
    reference = serializers.CharField(source="product.reference", read_only=True)

    class Meta:
        model = StockLevel
        fields = ["id", "product", "reference", "warehouse", "on_hand", "reserved", "available"]


class StockMoveSerializer(ModelSerializer):
    class Meta:
        model = StockMove
        fields = [
            "id",
            "product",
            "warehouse",
            "location",
            "kind",
            "quantity",
            "unit_cost",
            "value",
            "product_quantity_after",
            "average_cost_after",
            "reason",
            "note",
            "reference",
            "source_type",
            "source_id",
            "transfer_pair",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields


class MoveRequestSerializer(Serializer):
    """What an integrator may write directly: receptions outside a supplier order, exits,
    transfers and customer returns. Deliveries come from sales, adjustments from inventories."""

    KINDS = ["reception", "exit", "transfer", "customer_return"]

    kind = serializers.ChoiceField(choices=KINDS)
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all())
    to_warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all(), required=False)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit_cost = serializers.DecimalField(max_digits=16, decimal_places=6, required=False)
    reason = serializers.ChoiceField(choices=StockMove.ExitReason.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    reference = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")

    def validate(self, data):
        required = {"reception": ["unit_cost"], "exit": ["reason"], "transfer": ["to_warehouse"]}.get(data["kind"], [])
        missing = {field: [_("Ce champ est obligatoire pour ce type de mouvement.")] for field in required if field not in data}
        if missing:
            raise serializers.ValidationError(missing)
        return data


class InventoryLineSerializer(ModelSerializer):
    reference = serializers.CharField(source="product.reference", read_only=True)
    difference = serializers.DecimalField(max_digits=14, decimal_places=3, read_only=True)

    class Meta:
        model = InventoryLine
        fields = ["id", "product", "reference", "expected_quantity", "counted_quantity", "difference"]


class InventorySerializer(ModelSerializer):
    lines = InventoryLineSerializer(many=True, read_only=True)

    class Meta:
        model = Inventory
        fields = ["id", "reference", "warehouse", "category", "location", "status", "note", "opened_at", "validated_at", "lines"]
        read_only_fields = ["reference", "status", "opened_at", "validated_at"]


class CountSerializer(Serializer):
    code = serializers.CharField(max_length=40)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, required=False, allow_null=True)
    replace = serializers.BooleanField(default=False)


class ValidateInventorySerializer(Serializer):
    uncounted_as_zero = serializers.BooleanField(default=False)
