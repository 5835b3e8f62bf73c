from rest_framework import serializers

from lmb.api import ModelSerializer

from .models import Category, PriceList, PriceListItem, Product, VatRate


class VatRateSerializer(ModelSerializer):
    class Meta:
        model = VatRate
        fields = ["id", "code", "label", "territory", "category", "rate", "valid_from", "valid_until"]


class CategorySerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "parent", "full_name", "depth"]
        read_only_fields = ["full_name", "depth"]


class ProductSerializer(ModelSerializer):
    generate_ean = serializers.BooleanField(write_only=True, required=False, default=False)

    class Meta:
        model = Product
        fields = [
            "id",
            "reference",
            "designation",
            "description",
            "category",
            "kind",
            "unit",
            "vat_rate",
            "purchase_price",
            "price_includes_tax",
            "sale_price",
            "sale_price_excl_tax",
            "sale_price_incl_tax",
            "eco_participation",
            "weight",
            "length",
            "width",
            "height",
            "units_per_pack",
            "units_per_pallet",
            "ean13",
            "generate_ean",
            "variant_of",
            "variant_attributes",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["sale_price_excl_tax", "sale_price_incl_tax", "created_at", "updated_at"]


class PriceListItemSerializer(ModelSerializer):
    class Meta:
        model = PriceListItem
        create_only_fields = ["price_list", "product", "min_quantity"]
        fields = ["id", "price_list", "product", "min_quantity", "unit_price_excl_tax", "discount_percent"]


class PriceListSerializer(ModelSerializer):
    items = PriceListItemSerializer(many=True, read_only=True)

    class Meta:
        model = PriceList
        fields = ["id", "name", "customer_category", "is_active", "valid_from", "valid_until", "items"]
