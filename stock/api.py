"""REST API of the stock: warehouses, locations, settings, levels (read), moves (read, and the
kinds an integrator may write), inventories with their count/validate/cancel actions."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lmb.api import ServiceViewSet
from lmb.api_access import CursorPagination

from . import queries, services
from .models import Inventory, Location, ProductStockSetting, StockLevel, Warehouse
from .serializers import (
    CountSerializer,
    InventoryLineSerializer,
    InventorySerializer,
    LocationSerializer,
    MoveRequestSerializer,
    StockLevelSerializer,
    StockMoveSerializer,
    StockSettingSerializer,
    ValidateInventorySerializer,
    WarehouseSerializer,
)


class WarehouseViewSet(ServiceViewSet):
    queryset = Warehouse.objects.order_by("pk")
    serializer_class = WarehouseSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    create_service = services.create_warehouse
    update_service = services.update_warehouse


class LocationViewSet(ServiceViewSet):
    queryset = Location.objects.order_by("warehouse", "code")
    serializer_class = LocationSerializer
    filterset_fields = ["warehouse", "is_active"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    create_service = services.create_location
    update_service = services.update_location


class StockSettingViewSet(ServiceViewSet):
    queryset = ProductStockSetting.objects.order_by("pk")
    serializer_class = StockSettingSerializer
    filterset_fields = ["product", "warehouse"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    create_service = services.set_stock_setting

    @staticmethod
    def update_service(setting, **changes):
        changes.pop("product", None)
        changes.pop("warehouse", None)
        return services.set_stock_setting(product=setting.product, warehouse=setting.warehouse, **changes)


class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = StockLevel.objects.select_related("product").order_by("product__reference", "warehouse", "pk")
    serializer_class = StockLevelSerializer
    filterset_fields = {"product": ["exact"], "warehouse": ["exact"], "on_hand": ["lt", "gt"]}
    search_fields = ["product__reference", "product__designation", "product__ean13"]


class StockMoveViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The ledger. POST writes a reception, an exit, a transfer (two moves) or a customer return."""

    queryset = queries.moves().order_by("-id")
    serializer_class = StockMoveSerializer
    # The ledger only grows: newest first by id (the primary key's index), or oldest first to
    # read it through; a filter by product reads the (product, id) index in the same order.
    ordering_fields = ["id"]
    ordering = ["-pk"]
    pagination_class = CursorPagination
    filterset_fields = {
        "product": ["exact"],
        "warehouse": ["exact"],
        "kind": ["exact"],
        "created_at": ["gte", "lte"],
        "source_type": ["exact"],
        "source_id": ["exact"],
    }

    def get_serializer_class(self):
        return MoveRequestSerializer if self.action == "create" else StockMoveSerializer

    @extend_schema(request=MoveRequestSerializer, responses={201: StockMoveSerializer(many=True)})
    def create(self, request, *args, **kwargs):
        payload = MoveRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        kind, user = data.pop("kind"), request.user
        if kind == "reception":
            moves = [
                services.receive(
                    product=data["product"],
                    warehouse=data["warehouse"],
                    quantity=data["quantity"],
                    unit_cost=data["unit_cost"],
                    reference=data["reference"],
                    user=user,
                )
            ]
        elif kind == "exit":
            moves = [
                services.exit_stock(
                    product=data["product"],
                    warehouse=data["warehouse"],
                    quantity=data["quantity"],
                    reason=data["reason"],
                    note=data["note"],
                    user=user,
                )
            ]
        elif kind == "transfer":
            moves = list(
                services.transfer(
                    product=data["product"],
                    from_warehouse=data["warehouse"],
                    to_warehouse=data["to_warehouse"],
                    quantity=data["quantity"],
                    note=data["note"],
                    user=user,
                )
            )
        else:
            moves = [
                services.customer_return(
                    product=data["product"],
                    warehouse=data["warehouse"],
                    quantity=data["quantity"],
                    unit_cost=data.get("unit_cost"),
                    reference=data["reference"],
                    note=data["note"],
                    user=user,
                )
            ]
        return Response(StockMoveSerializer(moves, many=True).data, status=status.HTTP_201_CREATED)


class InventoryViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Inventory.objects.prefetch_related("lines__product").order_by("-opened_at", "-pk")
    serializer_class = InventorySerializer
    filterset_fields = ["warehouse", "status"]
    action_permissions = {
        "count": ["stock.change_inventory"],
        "validate": ["stock.change_inventory"],
        "cancel": ["stock.change_inventory"],
    }

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.open_inventory(
            warehouse=data["warehouse"],
            category=data.get("category"),
            location=data.get("location"),
            note=data.get("note", ""),
            user=self.request.user,
        )

    @extend_schema(request=CountSerializer, responses=InventoryLineSerializer)
    @action(detail=True, methods=["post"])
    def count(self, request, pk=None):
        """Count a scanned code (one unit, or ``quantity``; ``replace`` sets the count)."""
        payload = CountSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        line = services.count(self.get_object(), code=data["code"], quantity=data.get("quantity"), add=not data["replace"])
        return Response(InventoryLineSerializer(line).data)

    @extend_schema(request=ValidateInventorySerializer, responses=InventorySerializer)
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        payload = ValidateInventorySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        inventory = self.get_object()
        services.validate_inventory(inventory, user=request.user, **payload.validated_data)
        return Response(InventorySerializer(Inventory.objects.get(pk=inventory.pk)).data)

    @extend_schema(request=None, responses=InventorySerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(InventorySerializer(services.cancel_inventory(self.get_object())).data)
