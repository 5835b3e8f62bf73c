"""Forms: Bootstrap rendering (errors beside the field) and the bridge from forms to services."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.renderers import TemplatesSetting
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from . import text
from .bounds import LARGEST_INTEGER
from .errors import DomainError, InvalidInput
from .formats import french_params
from .models import Company


class BootstrapFormRenderer(TemplatesSetting):
    """``{{ form }}`` renders Bootstrap 5 markup with each error under its field."""

    form_template_name = "lmb/forms/form.html"
    field_template_name = "lmb/forms/field.html"


def add_domain_error(form, error: DomainError):
    """Show a service's refusal on the form: beside the field it names, or above the form. A
    refusal that a confirmation lifts (``confirmation_field``, e.g. a payment far beyond what is
    due) shows that field's box, for the user to tick and send again."""
    errors = error.errors if isinstance(error, InvalidInput) else {error.field or "__all__": [error.message]}
    for field, field_messages in errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)
    confirmation = getattr(error, "confirmation_field", None)
    if confirmation in form.fields:
        form.fields[confirmation].widget = forms.CheckboxInput()


class DecimalInput(forms.TextInput):
    """A decimal typed and shown the French way (12,90). Stored prices have 6 places; they are
    shown with 2 unless more are significant (16,658333)."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def value_from_datadict(self, data, files, name):
        """ "1 234,56" is how French people write a number: drop the grouping spaces."""
        value = super().value_from_datadict(data, files, name)
        if isinstance(value, str):
            for space in (" ", "\xa0", "\u202f"):
                value = value.replace(space, "")
        return value

    def format_value(self, value):
        if isinstance(value, Decimal):
            cents = value.quantize(Decimal("0.01"))
            value = cents if value == cents else value.normalize()
        return super().format_value(value)


class InputRulesMixin:
    """What every LMB form accepts: decimal fields take "12,90" as well as "12.90" and show
    "12,90"; integer fields without a bound of their own hold in a bigint; text fields refuse
    control characters (``lmb.text``), a text area keeping its tabs and line breaks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DecimalField):
                field.localize = True
                field.widget = DecimalInput(field.widget.attrs)
                field.widget.is_localized = True
            elif isinstance(field, forms.IntegerField) and field.max_value is None:
                field.validators += [MinValueValidator(-LARGEST_INTEGER), MaxValueValidator(LARGEST_INTEGER)]
            elif isinstance(field, forms.CharField):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators.append(text.validate_multiline if multiline else text.validate_single_line)


def user_label(user) -> str:
    """How a screen names a user: « Claire Le Goff », the login only for a user with no name."""
    return user.get_full_name() or user.get_username()


def name_users(form):
    """Every choice of a user in ``form`` shows people by name (``user_label``), sorted by name —
    not by their login, which is what Django shows of a user."""
    user_model = get_user_model()
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if isinstance(field, forms.ModelChoiceField) and queryset is not None and queryset.model is user_model:
            field.label_from_instance = user_label
            field.queryset = queryset.order_by("first_name", "last_name", "username")


class UsersByNameMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_users(self)


class FrenchMessagesMixin:
    """Error messages say their numbers the French way: Django formats its validators' messages
    with the raw limit (« supérieure ou égale à 0.01 »); every error added to the form has its
    parameters rewritten by ``lmb.formats.french_params`` first (« 0,01 »)."""

    def add_error(self, field, error):
        if isinstance(error, ValidationError):
            for each in _error_list(error):
                each.params = french_params(each.params)
        super().add_error(field, error)


def _error_list(error: ValidationError):
    if hasattr(error, "error_dict"):
        return [each for errors in error.error_dict.values() for each in errors]
    return error.error_list


class ModelForm(UsersByNameMixin, FrenchMessagesMixin, InputRulesMixin, forms.ModelForm):
    """Base of LMB's model forms."""


class Form(UsersByNameMixin, FrenchMessagesMixin, InputRulesMixin, forms.Form):
    """Base of LMB's plain forms."""


def scan_reset(widget_class, **attrs):
    """A widget emptied as soon as a scan form is sent (see static/js/lmb.js)."""
    return widget_class(attrs={"data-scan-reset": "", **attrs})


class ScanForm(Form):
    """A scan box: a scanner types a code and Enter; a quantity may be typed first."""

    code = forms.CharField(
        label=_("Code scanné"),
        max_length=40,
        widget=scan_reset(forms.TextInput, **{"data-scan-box": "", "autofocus": True, "autocomplete": "off"}),
    )
    quantity = forms.DecimalField(
        label=_("Quantité"), required=False, min_value=0, max_digits=14, decimal_places=3, widget=scan_reset(forms.NumberInput)
    )


class ServiceFormMixin:
    """For create/update views: ``perform(form)`` calls the service and returns the object.
    A DomainError raised by the service lands on the form; nothing is saved."""

    success_message = ""

    def perform(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.object = self.perform(form)
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message % {"object": self.object})
        return redirect(self.get_success_url())


class CompanyForm(ModelForm):
    two_columns = True

    class Meta:
        model = Company
        fields = [
            "name",
            "trade_name",
            "legal_form",
            "share_capital",
            "siren",
            "siret",
            "rcs_city",
            "vat_number",
            "vat_franchise",
            "address_line1",
            "address_line2",
            "postal_code",
            "city",
            "country",
            "phone",
            "email",
            "website",
            "iban",
            "bic",
            "logo",
            "default_payment_terms",
            "late_penalty_rate",
            "early_payment_terms",
            "oss_registered",
            "oss_threshold",
            "allow_negative_stock",
            "delivery_note_without_prices",
        ]
        widgets = {"address_line2": forms.TextInput()}
