"""REST API of dunning: the receivables and the aged balance as of any date (read-only, the same
SQL aggregates as the back-office screens, ``dunning.queries``), and the reminders of the daily
run with their business actions as POST actions: validate (sent now, DUN-03: logged on the
customer's timeline) and cancel with a reason. A refused transition answers 409 with its reason;
bad input answers 400 naming the parameter or field."""

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from lmb.api import idempotent

from . import queries, services
from .models import Reminder, ReminderItem
from .serializers import (
    AgedBalanceFiltersSerializer,
    AgedBalancePageSerializer,
    AgedBalanceSerializer,
    CancelReminderSerializer,
    ReceivableFiltersSerializer,
    ReceivableSerializer,
    ReminderSerializer,
    SendReminderSerializer,
)

REPORT_READERS = ["dunning.view_reminder"]  # who sees the reminders sees what they chase

# A reminder and its items in three queries whatever the number of rows (count, rows, items).
REMINDERS = Reminder.objects.select_related("customer", "step").prefetch_related(
    Prefetch("items", queryset=ReminderItem.objects.select_related("invoice").order_by("due_date", "pk"))
)


def _filters(request, serializer_class) -> dict:
    """The report's query parameters, checked (a 400 naming the parameter otherwise), named as the
    ``dunning.queries`` reports take them."""
    payload = serializer_class(data=request.query_params)
    payload.is_valid(raise_exception=True)
    data = dict(payload.validated_data)
    customer = data.pop("customer", None)
    return {
        "as_of": data.pop("as_of", None) or timezone.localdate(),
        "customers": [customer] if customer is not None else None,
        "category": data.pop("category", ""),
        "channel": data.pop("channel", None),
        "country": data.pop("country", ""),
        "sales_rep": data.pop("sales_rep", None),
        **data,
    }


class ReceivableViewSet(viewsets.GenericViewSet):
    """Every open installment of issued invoices and deposit invoices as of ``as_of``, oldest due
    date first: what is left of it (credit notes and payments allocated by that day deducted, the
    oldest installment of an invoice settled first, PAY-07) and its days late."""

    serializer_class = ReceivableSerializer
    action_permissions = {"list": REPORT_READERS}
    filter_backends = []

    @extend_schema(parameters=[ReceivableFiltersSerializer], responses=ReceivableSerializer(many=True))
    def list(self, request):
        filters = _filters(request, ReceivableFiltersSerializer)
        overdue = filters.pop("overdue")
        rows = queries.receivables(**filters, overdue_only=overdue)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ReceivableSerializer(page, many=True).data)


PAGE_PARAMETERS = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}, description="Page (à partir de 1)."),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": 500}, description="Clients par page (50)."),
]


class AgedBalanceViewSet(viewsets.GenericViewSet):
    """The aged balance as of ``as_of``: per customer with open items, the euros not yet due, 1–30,
    31–60, 61–90 and over 90 days late, their credit and balance; sorted by the days late of their
    oldest overdue item by default. One SQL statement per page (LIMIT/OFFSET in the database, no
    count): ``next`` is null on the last page."""

    serializer_class = AgedBalanceSerializer
    action_permissions = {"report": REPORT_READERS}
    filter_backends = []
    pagination_class = None
    page_size, max_page_size = 50, 500

    @extend_schema(parameters=[AgedBalanceFiltersSerializer, *PAGE_PARAMETERS], responses=AgedBalancePageSerializer)
    def report(self, request):
        """One page of the aged balance (routed as ``GET /aged-balance/``: not a DRF list, its
        pages are its own)."""
        filters = _filters(request, AgedBalanceFiltersSerializer)
        page, page_size = self._page(request)
        rows = queries.aged_balance(**filters, limit=page_size + 1, offset=(page - 1) * page_size)
        if page > 1 and not rows:
            raise NotFound("Page invalide : au-delà de la dernière.")
        url = request.build_absolute_uri()
        previous = None
        if page > 1:
            previous = remove_query_param(url, "page") if page == 2 else replace_query_param(url, "page", page - 1)
        body = {
            "as_of": filters["as_of"],
            "next": replace_query_param(url, "page", page + 1) if len(rows) > page_size else None,
            "previous": previous,
            "results": rows[:page_size],
        }
        return Response(AgedBalancePageSerializer(body).data)

    def _page(self, request) -> tuple[int, int]:
        errors = {}
        values = {}
        for name, default, largest in (("page", 1, 1_000_000), ("page_size", self.page_size, self.max_page_size)):
            raw = request.query_params.get(name, "")
            if raw == "":
                values[name] = default
                continue
            try:
                value = int(raw)
            except ValueError:
                value = None
            if value is None or not 1 <= value <= largest:
                errors[name] = [f"Un nombre entier entre 1 et {largest} est attendu."]
            values[name] = value
        if errors:
            raise ValidationError(errors)
        return values["page"], values["page_size"]


class ReminderViewSet(viewsets.ReadOnlyModelViewSet):
    """The reminders made by the daily run (``dunning.services.run_reminders``), newest first.
    One « à valider » is validated (sent now; ``send`` to another address) or cancelled with a reason (the ladder moves on
    without it); once sent or cancelled, both answer 409."""

    queryset = REMINDERS.order_by("-run_date", "-pk")
    serializer_class = ReminderSerializer
    filterset_fields = {
        "status": ["exact"],
        "customer": ["exact"],
        "channel": ["exact"],
        "position": ["exact"],
        "run_date": ["gte", "lte"],
    }
    search_fields = ["customer__name", "subject"]
    ordering_fields = ["run_date", "total", "created_at"]
    action_permissions = {
        "validate": ["dunning.change_reminder"],
        "send": ["dunning.change_reminder"],
        "cancel": ["dunning.change_reminder"],
    }

    def respond(self, reminder):
        return Response(ReminderSerializer(REMINDERS.get(pk=reminder.pk)).data, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses=ReminderSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def validate(self, request, pk=None):
        """Send the reminder « à valider » now: its sending day starts the next step's delay
        (fr-rules §6); 409 once sent or cancelled."""
        return self.respond(services.validate_reminder(self.get_object(), user=request.user))

    @extend_schema(request=SendReminderSerializer, responses=ReminderSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def send(self, request, pk=None):
        """Send the reminder « à valider » now, an e-mail one to the address given (for one whose
        e-mail could not leave: ``email_error``); the same sending as ``validate``. 409 once sent
        or cancelled."""
        payload = SendReminderSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        recipient = payload.validated_data.get("recipient", "")
        return self.respond(services.validate_reminder(self.get_object(), user=request.user, recipient=recipient))

    @extend_schema(request=CancelReminderSerializer, responses=ReminderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Do not send the reminder « à valider »: the step is skipped (409 once sent or cancelled)."""
        payload = CancelReminderSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reminder = services.cancel_reminder(self.get_object(), reason=payload.validated_data["reason"], user=request.user)
        return self.respond(reminder)
