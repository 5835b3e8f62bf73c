"""Model fields of LMB: decimals that never reach a column that cannot hold them, and identifiers
(SIREN, SIRET, VAT number, IBAN, EAN-13).

Users type identifiers with spaces or dots ("732 829 320"); the field stores the compact form and
checks it with python-stdnum. The compacting happens in ``to_python`` so forms, the API and
``full_clean`` all store the same value and give the same error.
"""

from django import forms
from django.db import models

from . import bounds, validators
from .errors import InvalidInput


class DecimalField(models.DecimalField):
    """Every model decimal of LMB (a test holds every model to it). Before any write — ``save``,
    ``bulk_create``, ``bulk_update``, ``QuerySet.update``, ``lmb.rows`` all prepare values through
    ``get_db_prep_save`` — a value its column cannot hold is refused naming the field (see
    ``lmb.bounds``), on SQLite (which would store it, then fail to read it back) as on
    PostgreSQL (which would answer an error). Services check what they compute first, with a
    message naming the input at fault; this is the guard for any path that did not."""

    def get_db_prep_save(self, value, connection):
        if value is not None and not hasattr(value, "as_sql"):  # expressions are the database's to compute
            checked = self.to_python(value)
            if not bounds.fits(checked, self.max_digits, self.decimal_places):
                label = self.verbose_name
                raise InvalidInput({self.name: [bounds.too_large(label, checked, self.max_digits, self.decimal_places)]})
        return super().get_db_prep_save(value, connection)

    def deconstruct(self):
        # Migrations see Django's field: the column is the same, only the guard before writes differs.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


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
