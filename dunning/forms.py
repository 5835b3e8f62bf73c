"""Forms of the dunning screens. They only read input: every write goes through
``dunning.services``, whose refusals land beside the field they name (``lmb.forms.add_domain_error``)."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import CustomerCategory
from lmb.countries import country_choices
from lmb.forms import Form, ModelForm, name_users
from sales.models import Channel, Invoice

from .models import AMOUNT, RATE, PenaltyRate, ReminderPlan, ReminderStep

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SORTS = {"days_late": _("Jours de retard"), "balance": _("Solde"), "name": _("Client")}


class AgedBalanceForm(Form):
    """The aged balance's date and filters (all optional; a bad value is shown beside its field)."""

    as_of = forms.DateField(label=_("Au"), required=False, widget=DATE)
    category = forms.ChoiceField(
        label=_("Type de client"),
        required=False,
        choices=[("", _("Tous")), *[(c.value, c.label) for c in CustomerCategory if c != CustomerCategory.RESELLER]],
        help_text=_("Entreprise : revendeurs compris."),
    )
    channel = forms.ModelChoiceField(
        label=_("Canal"), required=False, queryset=Channel.objects.order_by("name"), empty_label=_("Tous")
    )
    country = forms.ChoiceField(label=_("Pays"), required=False)
    sales_rep = forms.ModelChoiceField(
        label=_("Commercial"), required=False, queryset=get_user_model().objects.none(), empty_label=_("Tous")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Tous")), *country_choices()]
        # Whoever follows a customer, active or not (a rep who left still has customers until reassigned).
        self.fields["sales_rep"].queryset = get_user_model().objects.filter(customers_followed__isnull=False).distinct()
        name_users(self)

    def clean_as_of(self):
        return self.cleaned_data.get("as_of") or timezone.localdate()


class CancelReminderForm(Form):
    cancel_reason = forms.CharField(label=_("Motif d'annulation"), max_length=255)


class CustomerDunningForm(Form):
    """A customer's dunning settings, each saved through its service."""

    plan = forms.ModelChoiceField(
        label=_("Plan de relance"),
        required=False,
        queryset=ReminderPlan.objects.filter(is_active=True),
        empty_label=_("Celui de sa catégorie de client"),
    )
    do_not_remind = forms.BooleanField(label=_("Ne pas relancer"), required=False)
    promise_date = forms.DateField(label=_("Paiement promis pour le"), required=False, widget=DATE)
    promise_amount = forms.DecimalField(label=_("Montant promis"), required=False, min_value=0, **AMOUNT)
    insolvency_date = forms.DateField(
        label=_("Date du jugement d'ouverture"),
        required=False,
        widget=DATE,
        help_text=_("Sauvegarde, redressement ou liquidation (PAY-06)."),
    )


class DisputeForm(Form):
    """An invoice of the customer put in dispute (DUN-03): not chased while it lasts."""

    invoice = forms.ModelChoiceField(label=_("Facture"), queryset=Invoice.objects.none())
    reason = forms.CharField(label=_("Motif du litige"), max_length=255)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = Invoice.objects.filter(customer=customer, status=Invoice.Status.ISSUED).order_by(
            "-invoice_date", "-pk"
        )
        self.fields["invoice"].label_from_instance = lambda invoice: f"{invoice.number} du {invoice.invoice_date:%d/%m/%Y}"


class StepForm(ModelForm):
    class Meta:
        model = ReminderStep
        fields = [
            "name",
            "delay_days",
            "channel",
            "show_penalties",
            "show_indemnity",
            "payment_deadline_days",
            "subject",
            "body",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}


class PenaltyRateForm(Form):
    start = forms.DateField(label=_("Début du semestre"), widget=DATE, help_text=_("Le 1er janvier ou le 1er juillet."))
    ecb_rate = forms.DecimalField(label=_("Taux directeur de la BCE (%)"), **RATE)
    points = forms.DecimalField(label=_("Points ajoutés (%)"), initial=10, **RATE)
    public_points = forms.DecimalField(label=_("Points ajoutés, acheteurs publics (%)"), initial=8, **RATE)
    legal_interest_rate = forms.DecimalField(label=_("Taux de l'intérêt légal, créanciers professionnels (%)"), **RATE)
    source = forms.CharField(label=_("Source"), max_length=255, required=False)

    @classmethod
    def of(cls, rate: PenaltyRate):
        return cls(
            initial={
                name: getattr(rate, name)
                for name in ("start", "ecb_rate", "points", "public_points", "legal_interest_rate", "source")
            }
        )


class PenaltyClaimForm(Form):
    """The late invoices whose penalties and EUR 40 are invoiced, or waived with a reason (PAY-05)."""

    invoices = forms.ModelMultipleChoiceField(
        label=_("Factures"), queryset=Invoice.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label=_("Motif de l'abandon"), max_length=255, required=False)

    def __init__(self, *args, customer, claimable=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoices"].queryset = Invoice.objects.filter(customer=customer, pk__in=list(claimable)).order_by("pk")
        self.fields["invoices"].label_from_instance = lambda invoice: invoice.number
