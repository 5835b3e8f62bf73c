from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.forms import ProductCodeField
from crm.forms import ThirdPartyChoiceField
from crm.models import ThirdParty
from lmb.forms import Form, ModelForm, ScanForm, scan_reset
from stock.forms import WarehouseField

from .models import SupplierInvoice, SupplierInvoiceLine, SupplierOrder, SupplierOrderLine, SupplierPrice


class SupplierField(ThirdPartyChoiceField):
    """A supplier typed by its code, with suggestions among suppliers only."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Fournisseur (code)"))
        super().__init__(queryset=ThirdParty.objects.filter(is_supplier=True), role="supplier", **kwargs)


class SupplierOrderForm(ModelForm):
    two_columns = True
    supplier = SupplierField()
    warehouse = WarehouseField(label=_("Dépôt de livraison"))

    class Meta:
        model = SupplierOrder
        fields = ["supplier", "warehouse", "expected_date", "note"]
        widgets = {
            "expected_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


class OrderLineForm(ModelForm):
    """A line typed or scanned on a draft order: a product code (+ Enter adds one), or a free line."""

    product = ProductCodeField(label=_("Produit (code)"), required=False)

    class Meta:
        model = SupplierOrderLine
        fields = ["product", "description", "quantity", "unit_price", "discount_percent", "vat_rate"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["data-scan-reset"] = ""
        self.fields["product"].widget.attrs.update({"data-scan-box": "", "autofocus": True})
        for name in ("description", "unit_price", "vat_rate", "quantity", "discount_percent"):
            self.fields[name].required = False
        self.fields["description"].help_text = _("Vide : la désignation du produit.")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("product") and not cleaned.get("description"):
            self.add_error("product", _("Scannez un produit ou saisissez une désignation."))
        return cleaned

    def _post_clean(self):
        pass  # the service fills the defaults and validates the line

    def service_fields(self):
        """Only what the user typed: the service takes the rest from the supplier's price."""
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class ReceptionScanForm(ScanForm):
    replace = forms.BooleanField(label=_("Remplacer la quantité"), required=False, widget=scan_reset(forms.CheckboxInput))
    confirm_over_receipt = forms.BooleanField(
        label=_("Accepter plus que commandé"), required=False, widget=scan_reset(forms.CheckboxInput)
    )


class SupplierPriceForm(ModelForm):
    two_columns = True
    supplier = SupplierField()

    class Meta:
        model = SupplierPrice
        fields = ["supplier", "supplier_reference", "purchase_price", "min_quantity", "lead_time_days", "is_preferred"]

    def validate_unique(self):
        pass  # the service updates the supplier's existing price and moves the "preferred" mark


class SupplierInvoiceForm(ModelForm):
    two_columns = True
    supplier = SupplierField()

    class Meta:
        model = SupplierInvoice
        fields = ["supplier", "number", "invoice_date", "due_date", "receptions", "note"]
        widgets = {
            "invoice_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "receptions": forms.CheckboxSelectMultiple,
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, receptions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if receptions is not None:
            self.fields["receptions"].queryset = receptions
        self.fields["receptions"].required = False

    def validate_unique(self):
        pass  # the service checks (supplier, number) and names the field


class InvoiceLineForm(ModelForm):
    class Meta:
        model = SupplierInvoiceLine
        fields = ["quantity", "unit_price", "discount_percent", "vat_rate"]


class ReplenishmentForm(Form):
    warehouse = WarehouseField(required=False, label=_("Dépôt"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].empty_label = _("Tous")
