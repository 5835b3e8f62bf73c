from django.contrib import admin

from .models import Category, PriceList, PriceListItem, Product, VatRate


class ReadOnlyAdmin(admin.ModelAdmin):
    """Support staff look here; changes go through the back-office screens, whose services keep
    derived data right (category paths, prices HT/TTC)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(VatRate)
class VatRateAdmin(ReadOnlyAdmin):
    list_display = ["code", "label", "territory", "category", "rate", "valid_from", "valid_until"]


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ["full_name"]
    readonly_fields = ["path", "depth", "full_name"]


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["reference", "designation", "sale_price_excl_tax", "ean13", "is_active"]
    search_fields = ["reference", "designation", "ean13"]
    list_select_related = ["category"]
    raw_id_fields = ["category"]


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    extra = 0
    raw_id_fields = ["product"]


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["name", "customer_category", "is_active"]
    inlines = [PriceListItemInline]
