"""Shared pieces of the REST API: error answers and the base classes every app's API builds on
(serializers, and viewsets whose writes go through services). Authentication, permissions and
pagination are in ``lmb.api_access`` (DRF imports them from its settings, before its views)."""

import datetime
import functools
import typing

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import text
from .bounds import LARGEST_INTEGER
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


# Dates and times an input may carry. Beyond them a typing slip (year 424 for 2024) would be
# stored, and answered with the local mean time of old dates (Paris was at +00:09:21 until
# 1911), an offset in seconds that no RFC 3339 date-time (the schema's format) allows. Times
# start at the epoch: no business event of a shop predates it.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
EARLIEST_DATETIME = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
LATEST_DATETIME = datetime.datetime(2100, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)


class DateField(serializers.DateField):
    """A date between ``EARLIEST_DATE`` and ``LATEST_DATE``: every date the API reads."""

    default_error_messages = {"out_of_range": gettext_lazy("Saisissez une date entre le {earliest} et le {latest}.")}

    def to_internal_value(self, value):
        date = super().to_internal_value(value)
        if not EARLIEST_DATE <= date <= LATEST_DATE:
            self.fail("out_of_range", earliest=f"{EARLIEST_DATE:%d/%m/%Y}", latest=f"{LATEST_DATE:%d/%m/%Y}")
        return date


def _naive_date(value, *, default):
    """The date written in a date and time as received (``default`` when it reads none)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    return parsed.date() if parsed is not None else default


class DateTimeField(serializers.DateTimeField):
    """A date and time between ``EARLIEST_DATETIME`` and ``LATEST_DATETIME``: every one the API reads."""

    default_error_messages = {"out_of_range": gettext_lazy("Saisissez une date et heure entre le {earliest} et le {latest}.")}

    def to_internal_value(self, value):
        # The date is checked first: a naive time of year 1 would overflow in the conversion to
        # the current time zone. The bounds of the aware result are then exact.
        if not EARLIEST_DATE <= _naive_date(value, default=EARLIEST_DATE) <= LATEST_DATE:
            self._out_of_range()
        moment = super().to_internal_value(value)
        if timezone.is_aware(moment) and not EARLIEST_DATETIME <= moment <= LATEST_DATETIME:
            self._out_of_range()
        return moment

    def _out_of_range(self):
        self.fail("out_of_range", earliest=f"{EARLIEST_DATETIME:%d/%m/%Y}", latest=f"{LATEST_DATETIME:%d/%m/%Y}")


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$", "example": "14:30:00"})
class TimeField(serializers.TimeField):
    """A time of day, as stored: no offset. The schema says so by a pattern: its ``format: time``
    is RFC 3339's, which requires an offset (``14:30:00+01:00``) that a wall-clock time has not."""


def _may_return_none(attribute) -> bool:
    """Whether a model's property or method says (by its return annotation) it may give None."""
    if isinstance(attribute, property):
        attribute = attribute.fget
    elif isinstance(attribute, cached_property):
        attribute = attribute.func
    if not callable(attribute):
        return False
    try:
        returned = typing.get_type_hints(attribute).get("return")
    except (NameError, TypeError):
        return "None" in str(getattr(attribute, "__annotations__", {}).get("return", ""))
    return type(None) in typing.get_args(returned)


def source_may_be_null(model, path: list[str]) -> bool:
    """Whether reading ``path`` (a field's ``source``, split on dots) from a ``model`` row may give
    None: a nullable field or relation on the way, or a property annotated ``-> … | None``."""
    for name in path:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return _may_return_none(getattr(model, name, None))
        if field.null:
            return True
        if not field.is_relation or field.related_model is None:
            return False
        model = field.related_model
    return False


# A text the API takes on several lines: declared with this style (a model TextField gets it from
# DRF). Any other text is one line.
MULTILINE = {"base_template": "textarea.html"}


class InputRulesMixin:
    """What every LMB serializer accepts, as LMB's forms do (``lmb.forms.InputRulesMixin``): text
    fields refuse control characters (``lmb.text``), one declared multi-line (``style=MULTILINE``)
    keeping its tabs and line breaks; integer fields without a bound of their own hold in a bigint
    (also shown in the schema)."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if field.read_only:
                continue
            if isinstance(field, serializers.CharField):
                multiline = field.style.get("base_template") == MULTILINE["base_template"]
                field.validators.append(text.validate_multiline if multiline else text.validate_single_line)
            elif isinstance(field, serializers.IntegerField) and field.max_value is None:
                if field.min_value is None:
                    field.min_value = -LARGEST_INTEGER
                    field.validators.append(MinValueValidator(-LARGEST_INTEGER))
                field.max_value = LARGEST_INTEGER
                field.validators.append(MaxValueValidator(LARGEST_INTEGER))
        return fields


class Serializer(InputRulesMixin, serializers.Serializer):
    """Base of LMB's plain serializers (an action's input)."""


class ModelSerializer(InputRulesMixin, serializers.ModelSerializer):
    """Base serializer: identifiers are compacted like in forms, ``Meta.create_only_fields`` are
    read-only once the object exists (an address does not move to another third party: better
    shown in the schema than silently ignored), and ``create``/``update`` are refused — writes
    go through the app's services (see ``ServiceViewSet``).

    The schema tells what the answers hold: a field declared by hand is nullable when its source
    may be None (``_declare_nulls``), a read-only choice the model allows blank has "" in its
    enum, and a time of day has no offset (``TimeField``). Dates and times read are bounded
    (``DateField``, ``DateTimeField``)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateField,
        models.DateTimeField: DateTimeField,
        models.TimeField: TimeField,
    }

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            for name in getattr(self.Meta, "create_only_fields", ()):
                fields[name].read_only = True
        self._declare_nulls(fields)
        return fields

    def _declare_nulls(self, fields):
        """A field declared on the serializer (``voucher_code = CharField(source="voucher.code")``)
        says null when its source may be None, as the fields built from the model do."""
        for name in self._declared_fields:
            field = fields.get(name)
            if field is None or isinstance(field, serializers.BaseSerializer) or field.allow_null:
                continue
            source = field.source or name
            if source != "*" and source_may_be_null(self.Meta.model, source.split(".")):
                field.allow_null = True

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, IdentifierField):
            field_class = IdentifierSerializerField
            field_kwargs["compact"] = model_field.compact
        if model_field.choices and model_field.blank and isinstance(model_field, models.CharField):
            # Even read-only (where DRF leaves it out), a choice left blank is answered as "".
            field_kwargs["allow_blank"] = True
        return field_class, field_kwargs

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        blank_choice = "choices" in kwargs and kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank_choice:
            kwargs["allow_blank"] = True  # DRF drops it from the fields made read-only by Meta
        return kwargs

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
