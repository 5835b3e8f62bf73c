from django.contrib.auth import get_user_model
from rest_framework import serializers

from lmb.api import MULTILINE, ModelSerializer, Serializer

from . import queries
from .models import Address, Contact, Task, ThirdParty, TimelineEntry


class AddressSerializer(ModelSerializer):
    class Meta:
        model = Address
        create_only_fields = ["third_party"]
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


class ContactSerializer(ModelSerializer):
    class Meta:
        model = Contact
        create_only_fields = ["third_party"]
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


class BillingAddressSerializer(AddressSerializer):
    """The default billing address, read from the prefetch of ``crm.queries.third_parties()``."""

    def get_attribute(self, instance):
        return queries.billing_address(instance)


class ThirdPartySerializer(ModelSerializer):
    billing_address = BillingAddressSerializer(read_only=True, allow_null=True)

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
            "invoicing_policy",
            "sales_rep",
            "customer_account",
            "supplier_account",
            "notes",
            "is_active",
            "billing_address",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["code", "customer_account", "supplier_account", "created_at", "updated_at"]
        extra_kwargs = {"sales_rep": {"queryset": get_user_model().objects.filter(is_active=True)}}


class TimelineEntrySerializer(ModelSerializer):
    author = serializers.StringRelatedField()

    class Meta:
        model = TimelineEntry
        create_only_fields = ["third_party", "kind"]
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


class IncidentStatusSerializer(Serializer):
    status = serializers.ChoiceField(choices=TimelineEntry.IncidentStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", style=MULTILINE)


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


class EmailRequestSerializer(Serializer):
    """POST {document}/email/: where a document goes (``crm.mailing``)."""

    recipient = serializers.EmailField(required=False, allow_blank=True, help_text="Vide : l'adresse du tiers.")


class EmailQueuedSerializer(Serializer):
    recipient = serializers.EmailField()
    status = serializers.CharField()
