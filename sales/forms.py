"""Forms of the sales screens. They only check what was typed; the services decide the rest
(prices, VAT, whether a transition is allowed) and their refusals land beside the field."""

import re
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.forms import ThirdPartyChoiceField
from crm.models import ThirdParty
from lmb.forms import Form, ModelForm
from lmb.models import PaymentTerms
from stock.models import Warehouse

from .models import Channel, CreditNote, DocumentLine, PaymentMethod

DATE_INPUT = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}


class CustomerField(ThirdPartyChoiceField):
    """A customer (or prospect, for a quote) typed by its code, with suggestions."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Client (code)"))
        super().__init__(queryset=ThirdParty.objects.filter(Q(is_customer=True) | Q(is_prospect=True)), **kwargs)
        self.widget.role = "customer"


class ChannelField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Canal"))
        super().__init__(queryset=Channel.objects.filter(is_active=True).order_by("name"), **kwargs)


class ChannelSettingsForm(ModelForm):
    """A sales channel's settings (its kind is shown, not changed); the service has the last word."""

    two_columns = True
    default_customer = CustomerField(label=_("Client par défaut (code)"), required=False)

    class Meta:
        model = Channel
        fields = ["name", "prices_include_tax", "warehouse", "default_customer", "invoicing_policy", "email_invoices"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(is_active=True)
        self.fields["warehouse"].empty_label = _("Le dépôt par défaut")
        self.fields["default_customer"].queryset = ThirdParty.objects.filter(is_customer=True)
        self.fields["default_customer"].help_text = Channel._meta.get_field("default_customer").help_text


class NewDocumentForm(Form):
    """The start of a quote, an order or a direct invoice: for whom, through which channel."""

    customer = CustomerField()
    channel = ChannelField()
    customer_reference = forms.CharField(label=_("Référence de commande du client"), max_length=50, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DraftTermsForm(Form):
    """What may change on a draft besides its lines (a quote also has its validity date)."""

    discount_percent = forms.DecimalField(
        label=_("Remise globale (%)"), min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    payment_terms = forms.ChoiceField(label=_("Conditions de paiement"), choices=PaymentTerms.choices)
    payment_terms_days = forms.IntegerField(label=_("Délai (jours, si personnalisé)"), min_value=0, max_value=60, required=False)
    customer_reference = forms.CharField(label=_("Référence de commande du client"), max_length=50, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data=None, *, instance, **kwargs):
        initial = {name: getattr(instance, name) for name in self.base_fields}
        super().__init__(data, initial=initial, **kwargs)
        if hasattr(instance, "valid_until"):
            self.fields["valid_until"] = forms.DateField(
                label=_("Valable jusqu'au"), required=False, widget=forms.DateInput(**DATE_INPUT), initial=instance.valid_until
            )

    def changes(self):
        return dict(self.cleaned_data)


# « 3*CODE » in the scan box: a quantity (11 digits, 3 decimals: the lines' column) then the code.
TYPED_QUANTITY = re.compile(r"^\s*(?P<quantity>\d{1,11}(?:[.,]\d{1,3})?)\s*\*\s*(?P<code>\S.*?)\s*$")


class LineForm(Form):
    """A line typed or scanned on a draft: a product code (+ Enter adds one), or a free line."""

    code = forms.CharField(label=_("Produit (référence ou EAN)"), max_length=40, required=False)
    description = forms.CharField(label=_("Désignation"), max_length=255, required=False)
    quantity = forms.DecimalField(label=_("Quantité"), required=False, max_digits=14, decimal_places=3)
    unit_price = forms.DecimalField(label=_("Prix unitaire"), required=False, min_value=0, max_digits=16, decimal_places=6)
    discount_percent = forms.DecimalField(
        label=_("Remise %"), required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    kind = forms.ChoiceField(
        label=_("Type"),
        choices=[(DocumentLine.Kind.PRODUCT, _("Produit ou texte")), (DocumentLine.Kind.SHIPPING, _("Frais de port"))],
        initial=DocumentLine.Kind.PRODUCT,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "kind":
                field.widget.attrs["data-scan-reset"] = ""
        self.fields["code"].widget.attrs.update({"data-scan-box": "", "autofocus": True, "autocomplete": "off"})
        self.fields["description"].help_text = _("Vide : celle du produit.")

    def clean(self):
        cleaned = super().clean()
        if typed := TYPED_QUANTITY.match(cleaned.get("code") or ""):
            if cleaned.get("quantity") is not None:
                self.add_error("code", _("Indiquez la quantité devant le code ou dans « Quantité », pas les deux."))
            else:
                cleaned["quantity"] = Decimal(typed["quantity"].replace(",", "."))
                cleaned["code"] = typed["code"]
        if not cleaned.get("code") and not cleaned.get("description"):
            self.add_error("code", _("Scannez un produit ou saisissez une désignation."))
        return cleaned

    def service_fields(self):
        """Only what was typed: the service takes the product's price, designation and VAT.
        « 3*CODE » typed in the scan box is the code with a quantity of 3."""
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class LineChangeForm(Form):
    quantity = forms.DecimalField(label=_("Quantité"), max_digits=14, decimal_places=3)
    unit_price = forms.DecimalField(label=_("Prix unitaire"), min_value=0, max_digits=16, decimal_places=6)
    discount_percent = forms.DecimalField(label=_("Remise %"), min_value=0, max_value=100, max_digits=5, decimal_places=2)


class ShipForm(Form):
    carrier = forms.CharField(label=_("Transporteur"), max_length=100, required=False)
    tracking_number = forms.CharField(label=_("N° de suivi"), max_length=100, required=False)


def _today():
    return timezone.localdate()


class MoneyReceivedForm(Form):
    amount = forms.DecimalField(label=_("Montant"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2)
    method = forms.ChoiceField(label=_("Mode de règlement"), choices=PaymentMethod.choices)
    payment_date = forms.DateField(label=_("Date"), initial=_today, widget=forms.DateInput(**DATE_INPUT))
    reference = forms.CharField(label=_("Référence (n° de chèque, de transaction…)"), max_length=100, required=False)


class DepositForm(MoneyReceivedForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [choice for choice in PaymentMethod.choices if choice[0] != PaymentMethod.VOUCHER]


class PaymentForm(MoneyReceivedForm):
    voucher_code = forms.CharField(label=_("Code du bon d'achat"), max_length=20, required=False)
    # Shown (ticked by the user) only once the service asked: an amount far beyond what is due.
    confirm_excess = forms.BooleanField(
        label=_("Je confirme ce montant : le surplus reste au crédit du client"), required=False, widget=forms.HiddenInput
    )


class NewPaymentForm(PaymentForm):
    """A payment received from a customer, allocated to their oldest unpaid invoices if asked."""

    customer = CustomerField()
    allocate = forms.BooleanField(
        label=_("Affecter aux factures impayées, les plus anciennes d'abord"), required=False, initial=True
    )
    field_order = ["customer", "amount", "method", "payment_date", "reference", "voucher_code", "allocate", "confirm_excess"]


class AllocationForm(Form):
    invoice_number = forms.CharField(label=_("Facture (numéro)"), max_length=30)
    amount = forms.DecimalField(label=_("Montant"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2)


class CreditNoteForm(Form):
    """A credit note of an invoice: a quantity to credit per line, by default what is not
    credited yet (everything: a cancellation)."""

    reason = forms.CharField(label=_("Motif"), max_length=255)
    settlement = forms.ChoiceField(label=_("Le crédit est"), choices=CreditNote.Settlement.choices)
    return_to_stock = forms.BooleanField(label=_("Les articles livrés reviennent en stock"), required=False)

    def __init__(self, *args, invoice_lines=(), credited=None, **kwargs):
        super().__init__(*args, **kwargs)
        credited = credited or {}
        self.invoice_lines = [line for line in invoice_lines if line.kind != DocumentLine.Kind.ECO]
        for line in self.invoice_lines:
            self.fields[f"line_{line.pk}"] = forms.DecimalField(
                label=line.description,
                min_value=0,
                max_digits=14,
                decimal_places=3,
                initial=line.quantity - credited.get(line.pk, 0),
                required=False,
            )

    def line_fields(self):
        return [(line, self[f"line_{line.pk}"]) for line in self.invoice_lines]

    def clean(self):
        cleaned = super().clean()
        if self.invoice_lines and not any(cleaned.get(f"line_{line.pk}") for line in self.invoice_lines):
            raise forms.ValidationError(_("Indiquez au moins une quantité à créditer."))
        return cleaned

    def action_data(self) -> dict:
        data = self.cleaned_data
        return {"reason": data["reason"], "settlement": data["settlement"], "lines": self.requested_lines()}

    def requested_lines(self):
        """The service's ``lines``: each line with a quantity to credit; delivered goods come
        back to stock when asked."""
        returned = self.cleaned_data["return_to_stock"]
        return [
            {
                "invoice_line": line,
                "quantity": self.cleaned_data[f"line_{line.pk}"],
                "return_to_stock": returned and line.is_goods and line.delivery_line_id is not None,
            }
            for line in self.invoice_lines
            if self.cleaned_data.get(f"line_{line.pk}")
        ]


class IssueCreditNoteForm(Form):
    refund_method = forms.ChoiceField(
        label=_("Remboursé par"),
        choices=[("", "—")] + [choice for choice in PaymentMethod.choices if choice[0] != PaymentMethod.VOUCHER],
        required=False,
    )


class DeliveryQuantityForm(Form):
    quantity = forms.DecimalField(label=_("Quantité"), min_value=0, max_digits=14, decimal_places=3)
