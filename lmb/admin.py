from django.contrib import admin

from .models import ApiToken, Company, ImportJob, Sequence


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "siren", "vat_number", "city"]


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    """Read-only: a gapless series is never edited by hand."""

    list_display = ["code", "period", "last_value"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    exclude = ["key_hash"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["kind", "filename", "status", "created_by", "created_at", "created_count", "updated_count"]
    readonly_fields = [field.name for field in ImportJob._meta.fields]
