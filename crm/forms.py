from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lmb.forms import Form, ModelForm, name_users
from lmb.text import printable

from .models import Address, Contact, EmailTemplate, Task, ThirdParty, TimelineEntry


class ThirdPartyForm(ModelForm):
    two_columns = True

    class Meta:
        model = ThirdParty
        fields = [
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
            "notes",
            "is_active",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sales_rep"].queryset = get_user_model().objects.filter(is_active=True)
        name_users(self)


class AddressForm(ModelForm):
    two_columns = True

    class Meta:
        model = Address
        fields = ["kind", "is_default", "label", "recipient", "line1", "line2", "postal_code", "city", "country", "phone"]


class FirstAddressForm(AddressForm):
    """The billing address typed with a new third party; optional: left empty, none is created."""

    class Meta(AddressForm.Meta):
        fields = ["line1", "line2", "postal_code", "city", "country"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def is_empty(self):
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any(data.get(name) for name in ("line1", "line2", "postal_code", "city"))

    def clean(self):
        cleaned = super().clean()
        if not self.is_empty():
            for name in ("line1", "postal_code", "city"):
                if not cleaned.get(name):
                    self.add_error(name, _("Ce champ est obligatoire pour enregistrer l'adresse."))
        return cleaned

    def _post_clean(self):
        if not self.is_empty():
            super()._post_clean()


class ContactForm(ModelForm):
    two_columns = True

    class Meta:
        model = Contact
        fields = ["civility", "first_name", "last_name", "job_title", "email", "phone", "mobile", "is_primary", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class TimelineEntryForm(ModelForm):
    """Log an exchange on a third party's timeline."""

    attachments = MultipleFileField(label=_("Pièces jointes"), required=False)

    class Meta:
        model = TimelineEntry
        fields = ["kind", "occurred_at", "contact", "direction", "subject", "body"]
        widgets = {
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "body": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, third_party, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = third_party.contacts.all()
        self.fields["occurred_at"].required = False
        self.fields["occurred_at"].help_text = _("Vide : maintenant.")
        if not self.is_bound:
            self.initial["occurred_at"] = None  # not the time the page was opened

    def clean_occurred_at(self):
        return self.cleaned_data["occurred_at"] or timezone.now()


class IncidentStatusForm(Form):
    status = forms.ChoiceField(label=_("Nouveau statut"), choices=TimelineEntry.IncidentStatus.choices)
    comment = forms.CharField(label=_("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ThirdPartyCodeInput(forms.TextInput):
    """A text box for a third party's code, suggesting matches as the user types (htmx + datalist):
    usable with 50,000 third parties, where a drop-down list would not be."""

    template_name = "crm/widgets/third_party_code.html"
    role = ""  # "customer" or "supplier" narrows the suggestions

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["role"] = self.role
        return context


class ThirdPartyChoiceField(forms.ModelChoiceField):
    default_error_messages = {"invalid_choice": _("Aucun tiers ne porte ce code. Tapez quelques lettres du nom puis choisissez.")}

    def __init__(self, *, role="", **kwargs):
        kwargs.setdefault("queryset", ThirdParty.objects.all())
        super().__init__(to_field_name="code", widget=ThirdPartyCodeInput, **kwargs)
        self.widget.role = role

    def to_python(self, value):
        """The code as typed: "t000123" is T000123 (accents and case aside, like every search)."""
        if value in self.empty_values:
            return None
        code = str(value).strip()
        # A control character is in no code (and PostgreSQL refuses NUL in a query): not found.
        found = list(self.queryset.filter(code__same_text=code)[:2]) if printable(code) == code else []
        if len(found) != 1:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return found[0]


class TaskForm(ModelForm):
    two_columns = True
    third_party = ThirdPartyChoiceField(label=_("Tiers (code)"), required=False)

    class Meta:
        model = Task
        fields = ["title", "third_party", "assignee", "due_date", "due_time", "priority", "description"]
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "due_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = get_user_model().objects.filter(is_active=True)
        name_users(self)  # the queryset was just replaced


class EmailForm(Form):
    """The address a document goes to (empty: the third party's)."""

    recipient = forms.EmailField(label=_("Destinataire"), required=False)


class EmailTemplateForm(ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
