"""What the API says is optional, the service behind it must not need (issue #17, item 5:
``POST /api/v1/timeline-entries/`` without ``kind`` answered 500 — a ``TypeError`` in the service
— while the schema said the field was optional)."""

import inspect

import pytest
from django.urls import get_resolver

from crm.models import TimelineEntry
from lmb.api import ServiceViewSet
from sales import serializers as sales_serializers
from sales import services as sales_services
from tests.factories import ThirdPartyFactory


def _service_viewsets(patterns=None) -> set:
    found = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if hasattr(pattern, "url_patterns"):
            found |= _service_viewsets(pattern.url_patterns)
        else:
            view_class = getattr(pattern.callback, "cls", None)
            if view_class is not None and issubclass(view_class, ServiceViewSet):
                found.add(view_class)
    return found


def _needed_but_optional(serializer, service, given=()) -> list[str]:
    """The service's parameters without a default that the serializer lets a client leave out
    (or does not take at all), besides those the edge passes itself (``given``)."""
    writable = {name: field for name, field in serializer.fields.items() if not field.read_only}
    problems = []
    for name, parameter in inspect.signature(service).parameters.items():
        if parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL) or name in given:
            continue
        if parameter.default is parameter.empty:
            field = writable.get(name)
            if field is None or not field.required:
                problems.append(name)
    return problems


def test_every_create_service_gets_what_it_needs_from_its_serializer():
    viewsets = [viewset for viewset in _service_viewsets() if viewset.create_service is not None]
    assert len(viewsets) > 10  # the walk finds the API's viewsets
    problems = {}
    for viewset in viewsets:
        service = inspect.unwrap(viewset.create_service)
        # What viewsets add from the request themselves (``get_service_kwargs``): who acts.
        missing = _needed_but_optional(viewset.serializer_class(), service, given={"author", "created_by", "user"})
        if missing:
            problems[viewset.__name__] = missing
    assert problems == {}


# The actions that hand a serializer's data to a service as keyword arguments.
ACTIONS = [
    (sales_serializers.NewQuoteSerializer, sales_services.create_quote, {"user", "lines"}),
    (sales_serializers.NewOrderSerializer, sales_services.create_order, {"user", "lines"}),
    (sales_serializers.MoneyInSerializer, sales_services.receive_deposit, {"user", "order"}),
    (sales_serializers.ShipSerializer, sales_services.ship_delivery_note, {"user", "note"}),
    (sales_serializers.PaySerializer, sales_services.record_payment, {"user", "customer", "invoices"}),
    (sales_serializers.NewPaymentSerializer, sales_services.record_payment, {"user"}),
    (sales_serializers.IssueCreditNoteSerializer, sales_services.issue_credit_note, {"user", "credit_note"}),
    (sales_serializers.RefundSerializer, sales_services.refund, {"user"}),
    (sales_serializers.VoucherSaleSerializer, sales_services.sell_voucher, {"user"}),
    # NewInvoiceSerializer's customer and channel are optional on purpose: its validate() asks for
    # them when no delivery note or order is given (tests/sales/test_api.py).
    (sales_serializers.NewInvoiceSerializer, sales_services.create_direct_invoice, {"user", "lines", "customer", "channel"}),
]


@pytest.mark.parametrize(("serializer_class", "service", "given"), ACTIONS, ids=lambda value: getattr(value, "__name__", ""))
def test_every_action_serializer_gives_what_its_service_needs(serializer_class, service, given):
    assert _needed_but_optional(serializer_class(), service, given) == []


@pytest.mark.django_db
def test_a_timeline_entry_posted_without_kind_is_a_call_as_the_schema_says(api_client):
    customer = ThirdPartyFactory()
    api = api_client()
    schema = api.get("/api/schema/", {"format": "json"}).json()
    kind = schema["components"]["schemas"]["TimelineEntryRequest"]
    assert "kind" not in kind.get("required", [])
    response = api.post("/api/v1/timeline-entries/", {"third_party": customer.pk, "subject": "Rappel"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == TimelineEntry.Kind.CALL
    assert TimelineEntry.objects.get(pk=response.json()["id"]).kind == TimelineEntry.Kind.CALL
