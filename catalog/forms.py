from django import forms
from django.utils.translation import gettext_lazy as _

from lmb.forms import ModelForm

from .models import Category, PriceList, PriceListItem, Product, VatRate
from .queries import find_by_code


def metropolitan_rates():
    return VatRate.objects.filter(territory=VatRate.Territory.METROPOLITAN, valid_until__isnull=True)


class ProductForm(ModelForm):
    two_columns = True
    generate_ean = forms.BooleanField(
        label=_("Générer un code EAN-13 interne"),
        required=False,
        help_text=_("Si le produit n'a pas de code-barres fabricant, LMB en attribue un (préfixe 20)."),
    )

    class Meta:
        model = Product
        fields = [
            "reference",
            "designation",
            "category",
            "kind",
            "unit",
            "vat_rate",
            "purchase_price",
            "sale_price",
            "price_includes_tax",
            "eco_participation",
            "ean13",
            "generate_ean",
            "variant_of",
            "variant_attributes",
            "weight",
            "length",
            "width",
            "height",
            "units_per_pack",
            "units_per_pallet",
            "is_active",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vat_rate"].queryset = metropolitan_rates()
        self.fields["vat_rate"].empty_label = None
        self.fields["category"].queryset = Category.objects.order_by("sort_key")
        self.fields["ean13"].widget.attrs.update(inputmode="numeric", autocomplete="off")
        model_field = Product._meta.get_field("variant_of")
        self.fields["variant_of"] = ProductCodeField(
            label=_("Déclinaison du modèle (référence)"), required=False, help_text=model_field.help_text
        )


class CategoryForm(ModelForm):
    class Meta:
        model = Category
        fields = ["name", "parent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Category.objects.order_by("sort_key")
        if self.instance.pk:
            parents = parents.exclude(path__startswith=self.instance.path)
        self.fields["parent"].queryset = parents


class PriceListForm(ModelForm):
    two_columns = True

    class Meta:
        model = PriceList
        fields = ["name", "customer_category", "is_active", "valid_from", "valid_until"]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


class ProductCodeField(forms.ModelChoiceField):
    """A product given by its reference or its EAN-13 (typed or scanned)."""

    default_error_messages = {"invalid_choice": _("Aucun produit n'a cette référence ni ce code EAN.")}

    def __init__(self, **kwargs):
        super().__init__(queryset=Product.objects.all(), widget=forms.TextInput(attrs={"autocomplete": "off"}), **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        product = find_by_code(str(value))
        if product is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return product

    def prepare_value(self, value):
        if isinstance(value, Product):
            return value.reference
        if isinstance(value, int):
            product = Product.objects.filter(pk=value).only("reference").first()
            return product.reference if product else value
        return value


class PriceListItemForm(ModelForm):
    product = ProductCodeField(label=_("Produit (référence ou EAN)"))

    class Meta:
        model = PriceListItem
        fields = ["product", "min_quantity", "unit_price_excl_tax", "discount_percent"]
