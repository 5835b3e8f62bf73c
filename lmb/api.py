"""Shared pieces of the REST API: error answers and the base classes every app's API builds on
(serializers, and viewsets whose writes go through services). Authentication, permissions and
pagination are in ``lmb.api_access`` (DRF imports them from its settings, before its views)."""

import functools

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError, messages_by_field
from .fields import IdentifierField
from .models import IdempotencyRecord


def exception_handler(exc, context):
    """Domain errors become 400/409 with a JSON body naming the field; Django validation errors
    become 400; deleting something still in use becomes 409."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        return Response(messages_by_field(exc), status=400)
    if isinstance(exc, ProtectedError):
        return Response({"detail": _("Suppression impossible : cet élément est utilisé ailleurs.")}, status=409)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # A validation error of no field (a search term with a NUL character): an object like
        # every other error body, as the schema documents it (lmb.api_schema).
        response.data = {"detail": response.data}
    return response


class IdentifierSerializerField(serializers.CharField):
    """Accepts an identifier typed with spaces or dots and stores its compact form."""

    def __init__(self, *, compact, **kwargs):
        self.compact = compact
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return self.compact(value) if value else value


class ModelSerializer(serializers.ModelSerializer):
    """Base serializer: identifiers are compacted like in forms, ``Meta.create_only_fields`` are
    read-only once the object exists (an address does not move to another third party: better
    shown in the schema than silently ignored), and ``create``/``update`` are refused — writes
    go through the app's services (see ``ServiceViewSet``)."""

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in getattr(self.Meta, "create_only_fields", ()):
                fields[name].read_only = True
        return fields

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, IdentifierField):
            field_class = IdentifierSerializerField
            field_kwargs["compact"] = model_field.compact
        return field_class, field_kwargs

    def create(self, validated_data):  # pragma: no cover - a programming error, not a user error
        raise NotImplementedError("Writes go through services: set create_service on the viewset.")

    def update(self, instance, validated_data):  # pragma: no cover
        raise NotImplementedError("Writes go through services: set update_service on the viewset.")


class ServiceViewSet(viewsets.ModelViewSet):
    """A model viewset whose writes call the app's services.

    ``create_service(**validated_data)`` returns the new object; ``update_service(obj, **changes)``
    the changed one; ``delete_service(obj)`` removes it. Leave one unset to refuse that action.
    """

    create_service = None
    update_service = None
    delete_service = None

    def get_service_kwargs(self):
        """Extra keyword arguments for the services (e.g. the author); override when needed."""
        return {}

    def perform_create(self, serializer):
        if self.create_service is None:
            raise exceptions.MethodNotAllowed(self.request.method)
        serializer.instance = type(self).create_service(**serializer.validated_data, **self.get_service_kwargs())

    def perform_update(self, serializer):
        if self.update_service is None:
            raise exceptions.MethodNotAllowed(self.request.method)
        serializer.instance = type(self).update_service(serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        if self.delete_service is None:
            raise exceptions.MethodNotAllowed(self.request.method)
        type(self).delete_service(instance)


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes ``Authorization: Token <key>`` in the OpenAPI schema."""

    target_class = "lmb.api_access.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Token <clé d'API>"}


def idempotent(view_method):
    """For POST actions that create money or documents: a request carrying an ``Idempotency-Key``
    header is answered once; a replay of the same key (same user) gets the stored answer, and the
    same key on another URL is refused (409). Concurrent replays wait for the first one."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > 255:
            return Response({"Idempotency-Key": [_("255 caractères au plus.")]}, status=400)
        method_path = f"{request.method} {request.path}"
        with transaction.atomic():
            # The first request takes a row lock on the user; a concurrent replay waits for it.
            get_user_model().objects.select_for_update().filter(pk=request.user.pk).first()
            record = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
            if record is not None:
                if record.method_path != method_path:
                    return Response({"detail": _("Cette clé d'idempotence a déjà servi pour une autre requête.")}, status=409)
                response = Response(record.body, status=record.status_code)
                response["Idempotent-Replayed"] = "true"
                return response
            response = view_method(self, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                IdempotencyRecord.objects.create(
                    user=request.user, key=key, method_path=method_path, status_code=response.status_code, body=response.data
                )
            return response

    return wrapper
