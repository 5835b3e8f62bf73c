"""Support staff look at shops here; shops are added and set up on the connector's own screens
(or ``manage.py prestashop_channel add``), whose service seals the key and checks every mapping."""

from django.contrib import admin

from .models import ImportIssue, Push, ShopChannel, SyncRun, WebhookEvent

# Only what needs no sealing nor checking is edited here; the rest goes through the services.
# Not the address: a new one is only taken with the key typed again (services.update_channel).
EDITABLE_IN_ADMIN = {"id_shop", "warehouse", "poll_cursor", "is_active"}


@admin.register(ShopChannel)
class ShopChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "base_url", "api_key_display", "sales_channel", "warehouse", "poll_cursor", "is_active"]
    fields = [
        "name",
        "base_url",
        "api_key_display",
        "id_shop",
        "sales_channel",
        "warehouse",
        "states",
        "paid_states",
        "payment_methods",
        "currencies",
        "carriers",
        "tax_rules",
        "poll_cursor",
        "is_active",
    ]
    readonly_fields = [name for name in fields if name not in EDITABLE_IN_ADMIN]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "channel", "event", "external_id", "status"]
    list_filter = ["status", "channel"]


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "channel", "trigger", "status", "read", "created", "unchanged", "failed"]
    list_filter = ["status", "channel"]


@admin.register(Push)
class PushAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "kind", "key", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "channel"]


@admin.register(ImportIssue)
class ImportIssueAdmin(ReadOnlyAdmin):
    list_display = ["last_seen_at", "channel", "external_id", "status", "attempts"]
    list_filter = ["status", "channel"]
