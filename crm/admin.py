from django.contrib import admin

from .models import Address, Contact, Task, ThirdParty, TimelineEntry


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(ThirdParty)
class ThirdPartyAdmin(admin.ModelAdmin):
    """Read-only: codes and auxiliary accounts are given by the service (back-office screens)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    list_display = ["code", "name", "customer_category", "is_customer", "is_supplier", "is_active"]
    search_fields = ["code", "name", "email", "siren"]
    list_filter = ["customer_category", "is_customer", "is_supplier", "is_active"]
    inlines = [AddressInline, ContactInline]
    readonly_fields = ["code"]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "third_party", "kind", "subject", "author"]
    list_filter = ["kind", "incident_status"]
    raw_id_fields = ["third_party", "contact"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "assignee", "due_date", "done_at"]
    raw_id_fields = ["third_party"]
