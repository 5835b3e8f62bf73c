"""REST API of the catalogue."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import viewsets

from lmb.api import ServiceViewSet

from . import queries, services
from .models import Category, PriceList, PriceListItem, Product, VatRate
from .serializers import CategorySerializer, PriceListItemSerializer, PriceListSerializer, ProductSerializer, VatRateSerializer


class VatRateViewSet(viewsets.ReadOnlyModelViewSet):
    """VAT rates are legal data, seeded and dated; read-only through the API."""

    queryset = VatRate.objects.all().order_by("territory", "-rate", "pk")
    serializer_class = VatRateSerializer
    filterset_fields = ["territory", "category"]


class CategoryViewSet(ServiceViewSet):
    queryset = Category.objects.all().order_by("sort_key", "pk")
    serializer_class = CategorySerializer
    filterset_fields = ["parent", "depth"]
    search_fields = ["name", "full_name"]
    create_service = services.create_category
    update_service = services.update_category
    delete_service = services.delete_category


@extend_schema_field(OpenApiTypes.INT)
class CategoryTreeFilter(django_filters.ModelChoiceFilter):
    """A category id; matches its products and those of its sub-categories."""


class ProductFilter(django_filters.FilterSet):
    category_tree = CategoryTreeFilter(
        queryset=Category.objects.all(), method="filter_category_tree", label="Catégorie et sous-catégories"
    )

    class Meta:
        model = Product
        fields = {
            "reference": ["exact"],
            "ean13": ["exact"],
            "category": ["exact"],
            "kind": ["exact"],
            "vat_rate": ["exact"],
            "is_active": ["exact"],
            "updated_at": ["gte", "lte"],
        }

    def filter_category_tree(self, queryset, name, value):
        return queries.in_category(queryset, value)


class ProductViewSet(ServiceViewSet):
    queryset = queries.products().order_by("reference", "pk")
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["reference", "designation", "ean13"]
    ordering_fields = ["reference", "designation", "sale_price_excl_tax", "updated_at"]
    create_service = services.create_product
    update_service = services.update_product
    delete_service = services.delete_product


class PriceListViewSet(ServiceViewSet):
    queryset = PriceList.objects.prefetch_related("items").order_by("name", "pk")
    serializer_class = PriceListSerializer
    filterset_fields = ["customer_category", "is_active"]
    create_service = services.create_price_list
    update_service = services.update_price_list
    delete_service = services.delete_price_list


class PriceListItemViewSet(ServiceViewSet):
    queryset = PriceListItem.objects.all().order_by("price_list", "product", "min_quantity")
    serializer_class = PriceListItemSerializer
    filterset_fields = ["price_list", "product"]
    create_service = services.set_price_list_item
    update_service = services.update_price_list_item
    delete_service = services.delete_price_list_item
