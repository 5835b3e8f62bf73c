from django import forms
from django.utils.translation import gettext_lazy as _

from lmb.forms import Form, ModelForm
from lmb.spreadsheets import EXPORT_FORMATS

from .models import Account, AccountMapping, FiscalYear, Journal


class AccountForm(ModelForm):
    class Meta:
        model = Account
        fields = ["number", "label", "is_control", "is_active"]


class MappingForm(ModelForm):
    class Meta:
        model = AccountMapping
        fields = ["role", "product_kind", "vat_treatment", "vat_rate", "channel", "payment_method", "account", "journal"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from sales.models import PaymentMethod, VatTreatment

        self.fields["vat_treatment"] = forms.ChoiceField(
            label=_("Régime de TVA"), choices=[("", _("Tous"))] + list(VatTreatment.choices), required=False
        )
        self.fields["payment_method"] = forms.ChoiceField(
            label=_("Mode de règlement"), choices=[("", _("Tous"))] + list(PaymentMethod.choices), required=False
        )
        self.fields["account"].queryset = Account.objects.filter(is_active=True)
        self.fields["journal"].queryset = Journal.objects.all()


class FiscalYearForm(ModelForm):
    class Meta:
        model = FiscalYear
        fields = ["start", "end"]
        widgets = {"start": forms.DateInput(attrs={"type": "date"}), "end": forms.DateInput(attrs={"type": "date"})}


class PeriodExportForm(Form):
    start = forms.DateField(label=_("Du"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Au"), widget=forms.DateInput(attrs={"type": "date"}))
    report = forms.ChoiceField(
        label=_("Document"),
        choices=[
            ("ledger", _("Grand livre")),
            ("journals", _("Journaux")),
            ("trial_balance", _("Balance")),
            ("csv", _("Écritures (CSV)")),
        ],
    )
    fmt = forms.ChoiceField(label=_("Format"), choices=list(EXPORT_FORMATS.items()), required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("La fin précède le début."))
        if data.get("report") != "csv" and not data.get("fmt"):
            self.add_error("fmt", _("Choisissez le format du tableur."))
        return data


class FecForm(Form):
    fiscal_year = forms.ModelChoiceField(label=_("Exercice"), queryset=FiscalYear.objects.all(), empty_label=None)


class LetteringFilterForm(Form):
    account = forms.ModelChoiceField(
        label=_("Compte"), queryset=Account.objects.filter(is_control=True), empty_label=None, required=False
    )
    auxiliary = forms.CharField(label=_("Compte auxiliaire"), required=False)
