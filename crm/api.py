"""REST API of third parties, addresses, contacts, timeline entries and tasks."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from lmb.api import ServiceViewSet
from lmb.api_access import CursorPagination

from . import queries, services
from .models import Address, Contact, Task, ThirdParty, TimelineEntry
from .serializers import (
    AddressSerializer,
    ContactSerializer,
    IncidentStatusSerializer,
    TaskSerializer,
    ThirdPartySerializer,
    TimelineEntrySerializer,
)


class ThirdPartyFilter(django_filters.FilterSet):
    class Meta:
        model = ThirdParty
        fields = {
            "is_customer": ["exact"],
            "is_prospect": ["exact"],
            "is_supplier": ["exact"],
            "customer_category": ["exact"],
            "kind": ["exact"],
            "is_active": ["exact"],
            "siren": ["exact"],
            "code": ["exact"],
            "updated_at": ["gte", "lte"],
        }


class ThirdPartyViewSet(ServiceViewSet):
    queryset = queries.third_parties()
    serializer_class = ThirdPartySerializer
    filterset_class = ThirdPartyFilter
    search_fields = ["name", "code", "email", "siren", "phone"]
    # Each sort is served by an index (crm.models.ThirdParty.Meta); newest first by default.
    ordering_fields = ["name", "code", "created_at", "updated_at"]
    ordering = ["-created_at"]
    pagination_class = CursorPagination
    create_service = services.create_third_party
    update_service = services.update_third_party
    delete_service = services.delete_third_party


class AddressViewSet(ServiceViewSet):
    queryset = Address.objects.all().order_by("pk")
    serializer_class = AddressSerializer
    filterset_fields = ["third_party", "kind", "country", "is_default"]
    update_service = services.update_address
    delete_service = services.delete_address

    @staticmethod
    def create_service(*, third_party, **fields):
        return services.add_address(third_party, **fields)


class ContactViewSet(ServiceViewSet):
    queryset = Contact.objects.all().order_by("pk")
    serializer_class = ContactSerializer
    filterset_fields = ["third_party", "is_primary"]
    search_fields = ["last_name", "first_name", "email"]
    update_service = services.update_contact
    delete_service = services.delete_contact

    @staticmethod
    def create_service(*, third_party, **fields):
        return services.add_contact(third_party, **fields)


class TimelineEntryViewSet(ServiceViewSet):
    """The exchanges logged on third parties. Entries are corrected, never deleted."""

    queryset = TimelineEntry.objects.select_related("author").order_by("-occurred_at", "-pk")
    serializer_class = TimelineEntrySerializer
    filterset_fields = ["third_party", "kind", "incident_status", "contact"]
    search_fields = ["subject", "body"]
    ordering_fields = ["occurred_at"]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    create_service = services.log_interaction
    update_service = services.update_interaction
    action_permissions = {"incident_status": ["crm.change_timelineentry"]}

    def get_service_kwargs(self):
        return {"author": self.request.user}

    @extend_schema(request=IncidentStatusSerializer, responses=TimelineEntrySerializer)
    @action(detail=True, methods=["post"], url_path="incident-status")
    def incident_status(self, request, pk=None):
        """Move an incident to open, in progress or closed."""
        payload = IncidentStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = services.change_incident_status(self.get_object(), author=request.user, **payload.validated_data)
        return Response(TimelineEntrySerializer(entry).data)


class TaskViewSet(ServiceViewSet):
    queryset = Task.objects.all().order_by("due_date", "pk")
    serializer_class = TaskSerializer
    filterset_fields = {"assignee": ["exact"], "third_party": ["exact"], "due_date": ["gte", "lte"], "done_at": ["isnull"]}
    ordering_fields = ["due_date", "priority"]
    create_service = services.create_task
    update_service = services.update_task
    delete_service = services.delete_task
    action_permissions = {"complete": ["crm.change_task"]}

    def get_service_kwargs(self):
        return {"created_by": self.request.user}

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Mark the task as done (409 when it already is)."""
        return Response(TaskSerializer(services.complete_task(self.get_object())).data)
