"""Model fields for identifiers (SIREN, SIRET, VAT number, IBAN, EAN-13).

Users type them with spaces or dots ("732 829 320"); the field stores the compact form and checks
it with python-stdnum. The compacting happens in ``to_python`` so forms, the API and ``full_clean``
all store the same value and give the same error.
"""

from django import forms
from django.db import models

from . import validators


class IdentifierFormField(forms.CharField):
    def __init__(self, *, compact, **kwargs):
        self.compact = compact
        kwargs.pop("max_length", None)  # the length is checked on the compact value by the validator
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return self.compact(value) if value else value


class IdentifierField(models.CharField):
    """Base class: subclasses set ``compact``, ``default_validators`` and ``identifier_max_length``."""

    compact = staticmethod(lambda value: value)
    identifier_max_length = 20

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", self.identifier_max_length)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == self.identifier_max_length:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def to_python(self, value):
        value = super().to_python(value)
        return self.compact(value) if value else value

    def pre_save(self, model_instance, add):
        value = self.to_python(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": IdentifierFormField, "compact": self.compact, **kwargs})


class SirenField(IdentifierField):
    compact = staticmethod(validators.compact_siren)
    default_validators = [validators.validate_siren]
    identifier_max_length = 9


class SiretField(IdentifierField):
    compact = staticmethod(validators.compact_siret)
    default_validators = [validators.validate_siret]
    identifier_max_length = 14


class VatNumberField(IdentifierField):
    compact = staticmethod(validators.compact_vat_number)
    default_validators = [validators.validate_eu_vat_number]
    identifier_max_length = 20


class IbanField(IdentifierField):
    compact = staticmethod(validators.compact_iban)
    default_validators = [validators.validate_iban]
    identifier_max_length = 34


class Ean13Field(IdentifierField):
    compact = staticmethod(validators.compact_ean)
    default_validators = [validators.validate_ean13]
    identifier_max_length = 13
