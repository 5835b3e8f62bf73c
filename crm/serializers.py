from rest_framework import serializers

from lmb.api import ModelSerializer

from .models import Address, Contact, Task, ThirdParty, TimelineEntry


class AddressSerializer(ModelSerializer):
    class Meta:
        model = Address
        fields = [
            "id",
            "third_party",
            "kind",
            "is_default",
            "label",
            "recipient",
            "line1",
            "line2",
            "postal_code",
            "city",
            "country",
            "phone",
        ]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["third_party"].read_only = True  # an address does not move to another third party
        return fields


class ContactSerializer(ModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "third_party",
            "civility",
            "first_name",
            "last_name",
            "job_title",
            "email",
            "phone",
            "mobile",
            "is_primary",
            "notes",
        ]


class ThirdPartySerializer(ModelSerializer):
    billing_address = serializers.SerializerMethodField()

    class Meta:
        model = ThirdParty
        fields = [
            "id",
            "code",
            "kind",
            "name",
            "civility",
            "first_name",
            "last_name",
            "legal_form",
            "is_customer",
            "is_prospect",
            "is_supplier",
            "customer_category",
            "siren",
            "siret",
            "vat_number",
            "email",
            "phone",
            "mobile",
            "website",
            "payment_terms",
            "payment_terms_days",
            "customer_account",
            "supplier_account",
            "notes",
            "is_active",
            "billing_address",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["code", "customer_account", "supplier_account", "created_at", "updated_at"]

    def get_billing_address(self, third_party) -> dict | None:
        prefetched = getattr(third_party, "billing_addresses", None)
        address = prefetched[0] if prefetched else None
        return AddressSerializer(address).data if address else None


class TimelineEntrySerializer(ModelSerializer):
    author = serializers.StringRelatedField()

    class Meta:
        model = TimelineEntry
        fields = [
            "id",
            "third_party",
            "kind",
            "occurred_at",
            "author",
            "contact",
            "direction",
            "subject",
            "body",
            "incident_status",
            "created_at",
        ]
        read_only_fields = ["author", "incident_status", "created_at"]


class IncidentStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TimelineEntry.IncidentStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TaskSerializer(ModelSerializer):
    is_done = serializers.BooleanField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "third_party",
            "assignee",
            "due_date",
            "due_time",
            "priority",
            "done_at",
            "is_done",
            "created_at",
        ]
        read_only_fields = ["done_at", "created_at"]
