from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.forms import ProductCodeField
from catalog.models import Category
from lmb.forms import Form, ModelForm, ScanForm, scan_reset

from .models import Location, ProductStockSetting, StockMove, Warehouse


def active_warehouses():
    return Warehouse.objects.filter(is_active=True)


class WarehouseField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Dépôt"))
        super().__init__(queryset=active_warehouses(), empty_label=None, **kwargs)


class ExitForm(Form):
    two_columns = True
    product = ProductCodeField(label=_("Produit (scannez ou tapez le code)"))
    warehouse = WarehouseField()
    quantity = forms.DecimalField(label=_("Quantité"), min_value=0, max_digits=14, decimal_places=3)
    reason = forms.ChoiceField(label=_("Motif"), choices=StockMove.ExitReason.choices)
    note = forms.CharField(label=_("Commentaire"), required=False, max_length=255)


class TransferForm(Form):
    two_columns = True
    product = ProductCodeField(label=_("Produit (scannez ou tapez le code)"))
    quantity = forms.DecimalField(label=_("Quantité"), min_value=0, max_digits=14, decimal_places=3)
    from_warehouse = WarehouseField(label=_("Depuis le dépôt"))
    to_warehouse = WarehouseField(label=_("Vers le dépôt"))
    note = forms.CharField(label=_("Commentaire"), required=False, max_length=255)


class InventoryOpenForm(Form):
    warehouse = WarehouseField()
    category = forms.ModelChoiceField(
        label=_("Catégorie (facultatif)"),
        queryset=Category.objects.order_by("sort_key"),
        required=False,
        help_text=_("Vide : tout le dépôt."),
    )
    location = forms.ModelChoiceField(
        label=_("Emplacement (facultatif)"),
        queryset=Location.objects.filter(is_active=True).select_related("warehouse"),
        required=False,
    )
    note = forms.CharField(label=_("Commentaire"), required=False, max_length=255)


class CountForm(ScanForm):
    """The scan box of an inventory: code + Enter counts one; a typed quantity counts that many."""

    replace = forms.BooleanField(label=_("Remplacer le compte"), required=False, widget=scan_reset(forms.CheckboxInput))


class WarehouseForm(ModelForm):
    two_columns = True

    class Meta:
        model = Warehouse
        fields = ["code", "name", "is_default", "is_active", "address"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class LocationForm(ModelForm):
    two_columns = True

    class Meta:
        model = Location
        fields = ["code", "aisle", "shelf", "bin", "is_active"]


class StockSettingForm(ModelForm):
    class Meta:
        model = ProductStockSetting
        fields = ["location", "min_quantity", "max_quantity"]

    def __init__(self, *args, warehouse, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(warehouse=warehouse, is_active=True)


class ValuationForm(Form):
    day = forms.DateField(label=_("À la date du"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate()
