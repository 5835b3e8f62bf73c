"""Back-office screens of the catalogue."""

import django_filters
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from django.views.decorators.http import require_POST

from crm.models import CustomerCategory
from lmb.access import permission_required
from lmb.errors import DomainError
from lmb.forms import ServiceFormMixin, add_domain_error
from lmb.lists import ListView, yes_no_filter
from lmb.spreadsheets import Column

from . import panels, queries, services
from .forms import CategoryForm, PriceListForm, PriceListItemForm, ProductForm, metropolitan_rates
from .models import Category, PriceList, PriceListItem, Product, VatRate

# --- Products ----------------------------------------------------------------------------------


class ProductFilter(django_filters.FilterSet):
    category = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Catégorie"),
        queryset=Category.objects.order_by("sort_key"),
        method="filter_category",
        empty_label=gettext_lazy("Toutes"),
    )
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("Nature"), choices=Product.Kind.choices, empty_label=gettext_lazy("Toutes")
    )
    vat_rate = django_filters.ModelChoiceFilter(
        label=gettext_lazy("TVA"), queryset=metropolitan_rates(), empty_label=gettext_lazy("Tous")
    )
    is_active = yes_no_filter(gettext_lazy("Actif"))

    class Meta:
        model = Product
        fields = ["category", "kind", "vat_rate", "is_active"]

    def filter_category(self, queryset, name, value):
        return queries.in_category(queryset, value) if value else queryset


class ProductListView(ListView):
    model = Product
    permission_required = "catalog.view_product"
    template_name = "catalog/product_list.html"
    results_template_name = "catalog/_product_results.html"
    filterset_class = ProductFilter
    search_fields = ("reference", "designation", "ean13")
    search_placeholder = gettext_lazy("Référence, désignation, EAN…")
    sort_fields = {
        "reference": ("reference",),
        "designation": ("designation",),
        "price": ("sale_price_excl_tax",),
        "category": ("category_sort_key", "reference"),  # the category list's order
        "updated": ("updated_at",),
    }
    default_sort = "reference"
    export_name = "produits"
    export_columns = [
        Column(gettext_lazy("Référence"), "reference"),
        Column(gettext_lazy("Désignation"), "designation"),
        Column(gettext_lazy("Catégorie"), "category.full_name"),
        Column(gettext_lazy("Nature"), lambda p: p.get_kind_display()),
        Column(gettext_lazy("Unité"), lambda p: p.get_unit_display()),
        Column(gettext_lazy("EAN-13"), "ean13"),
        Column(gettext_lazy("Taux de TVA (%)"), "vat_rate.rate"),
        Column(gettext_lazy("Prix d'achat HT"), "purchase_price"),
        Column(gettext_lazy("Prix de vente HT"), "sale_price_excl_tax"),
        Column(gettext_lazy("Prix de vente TTC"), "sale_price_incl_tax"),
        Column(gettext_lazy("Éco-participation HT"), "eco_participation"),
        Column(gettext_lazy("Poids (kg)"), "weight"),
        Column(gettext_lazy("Unités par colis"), "units_per_pack"),
        Column(gettext_lazy("Unités par palette"), "units_per_pallet"),
        Column(gettext_lazy("Actif"), "is_active"),
    ]

    def get_base_queryset(self):
        return queries.products()


class ProductDetailView(PermissionRequiredMixin, generic.DetailView):
    permission_required = "catalog.view_product"
    template_name = "catalog/product_detail.html"
    context_object_name = "product"

    def get_queryset(self):
        return queries.products().select_related("variant_of")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["price_breaks"] = self.object.price_list_items.select_related("price_list").order_by(
            "price_list__name", "min_quantity"
        )
        context["panels"] = panels.panels_for(self.request, self.object)
        context["variants"] = self.object.variants.order_by("reference").only(
            "pk", "reference", "designation", "variant_attributes", "ean13", "sale_price_excl_tax", "is_active"
        )
        return context


class ProductCreateView(PermissionRequiredMixin, ServiceFormMixin, generic.CreateView):
    model = Product
    form_class = ProductForm
    permission_required = "catalog.add_product"
    template_name = "catalog/product_form.html"
    success_message = gettext_lazy("Produit « %(object)s » créé.")

    def perform(self, form):
        return services.create_product(**form.cleaned_data)

    def get_success_url(self):
        return reverse("catalog:product_detail", args=[self.object.pk])


class ProductUpdateView(PermissionRequiredMixin, ServiceFormMixin, generic.UpdateView):
    model = Product
    form_class = ProductForm
    permission_required = "catalog.change_product"
    template_name = "catalog/product_form.html"
    success_message = gettext_lazy("Produit « %(object)s » enregistré.")

    def perform(self, form):
        return services.update_product(self.object, **form.cleaned_data)

    def get_success_url(self):
        return reverse("catalog:product_detail", args=[self.object.pk])


# --- Categories --------------------------------------------------------------------------------


class CategoryListView(ListView):
    """The category tree (sorted by breadcrumb, so children follow their parent)."""

    model = Category
    permission_required = "catalog.view_category"
    template_name = "catalog/category_list.html"
    results_template_name = "catalog/_category_results.html"
    paginate_by = 200
    search_fields = ("full_name",)
    sort_fields = {"name": ("sort_key",)}
    default_sort = "name"
    export_name = "categories"
    export_columns = [Column(gettext_lazy("Catégorie"), "full_name"), Column(gettext_lazy("Produits"), "product_count")]

    def get_base_queryset(self):
        return Category.objects.annotate(product_count=Count("products"))


class VatRateFilter(django_filters.FilterSet):
    territory = django_filters.ChoiceFilter(
        label=gettext_lazy("Territoire"), choices=VatRate.Territory.choices, empty_label=gettext_lazy("Tous")
    )

    class Meta:
        model = VatRate
        fields = ["territory"]


class VatRateListView(ListView):
    """The dated VAT rates (legal data, seeded by migrations; read-only here)."""

    model = VatRate
    permission_required = "catalog.view_vatrate"
    template_name = "catalog/vatrate_list.html"
    results_template_name = "catalog/_vatrate_results.html"
    filterset_class = VatRateFilter
    search_fields = ("label", "code")
    sort_fields = {"territory": ("territory", "-rate"), "rate": ("rate",)}
    default_sort = "territory"
    export_name = "taux-tva"
    export_columns = [
        Column(gettext_lazy("Code"), "code"),
        Column(gettext_lazy("Libellé"), "label"),
        Column(gettext_lazy("Territoire"), lambda rate: rate.get_territory_display()),
        Column(gettext_lazy("Catégorie"), lambda rate: rate.get_category_display()),
        Column(gettext_lazy("Taux (%)"), "rate"),
        Column(gettext_lazy("En vigueur depuis"), "valid_from"),
        Column(gettext_lazy("Jusqu'au"), "valid_until"),
    ]


class CategoryCreateView(PermissionRequiredMixin, ServiceFormMixin, generic.CreateView):
    model = Category
    form_class = CategoryForm
    permission_required = "catalog.add_category"
    template_name = "catalog/category_form.html"
    success_url = reverse_lazy("catalog:category_list")
    success_message = gettext_lazy("Catégorie « %(object)s » créée.")

    def perform(self, form):
        return services.create_category(**form.cleaned_data)


class CategoryUpdateView(PermissionRequiredMixin, ServiceFormMixin, generic.UpdateView):
    model = Category
    form_class = CategoryForm
    permission_required = "catalog.change_category"
    template_name = "catalog/category_form.html"
    success_url = reverse_lazy("catalog:category_list")
    success_message = gettext_lazy("Catégorie « %(object)s » enregistrée.")

    def perform(self, form):
        return services.update_category(self.object, **form.cleaned_data)


@require_POST
@permission_required("catalog.delete_category")
def category_delete(request, pk):
    category = get_object_or_404(Category, pk=pk)
    try:
        services.delete_category(category)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Catégorie supprimée."))
    return redirect("catalog:category_list")


# --- Price lists -------------------------------------------------------------------------------


class PriceListFilter(django_filters.FilterSet):
    customer_category = django_filters.ChoiceFilter(
        label=gettext_lazy("Catégorie de client"), choices=CustomerCategory.choices, empty_label=gettext_lazy("Toutes")
    )

    class Meta:
        model = PriceList
        fields = ["customer_category", "is_active"]


class PriceListListView(ListView):
    model = PriceList
    permission_required = "catalog.view_pricelist"
    template_name = "catalog/pricelist_list.html"
    results_template_name = "catalog/_pricelist_results.html"
    filterset_class = PriceListFilter
    search_fields = ("name",)
    sort_fields = {"name": ("name",), "category": ("customer_category", "name")}
    default_sort = "name"
    export_name = "tarifs"
    export_columns = [
        Column(gettext_lazy("Nom"), "name"),
        Column(gettext_lazy("Catégorie de client"), lambda pl: pl.get_customer_category_display()),
        Column(gettext_lazy("Actif"), "is_active"),
        Column(gettext_lazy("Valable à partir du"), "valid_from"),
        Column(gettext_lazy("Valable jusqu'au"), "valid_until"),
        Column(gettext_lazy("Lignes"), "item_count"),
    ]

    def get_base_queryset(self):
        return PriceList.objects.annotate(item_count=Count("items"))


@permission_required("catalog.view_pricelist")
def pricelist_detail(request, pk):
    price_list = get_object_or_404(PriceList, pk=pk)
    form = PriceListItemForm()
    if request.method == "POST":
        if not request.user.has_perm("catalog.change_pricelist"):
            raise PermissionDenied
        form = PriceListItemForm(request.POST, instance=PriceListItem(price_list=price_list))
        if form.is_valid():
            data = form.cleaned_data
            replaced = price_list.items.filter(product=data["product"], min_quantity=data["min_quantity"]).exists()
            try:
                services.set_price_list_item(price_list=price_list, **data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Prix remplacé.") if replaced else _("Prix enregistré."))
                return redirect("catalog:pricelist_detail", pk=pk)
    items = price_list.items.select_related("product").order_by("product__reference", "min_quantity")
    return render(request, "catalog/pricelist_detail.html", {"price_list": price_list, "items": items, "form": form})


@require_POST
@permission_required("catalog.change_pricelist")
def pricelist_item_delete(request, pk, item_pk):
    item = get_object_or_404(PriceListItem, pk=item_pk, price_list_id=pk)
    services.delete_price_list_item(item)
    messages.success(request, _("Ligne de tarif supprimée."))
    return redirect("catalog:pricelist_detail", pk=pk)


class PriceListCreateView(PermissionRequiredMixin, ServiceFormMixin, generic.CreateView):
    model = PriceList
    form_class = PriceListForm
    permission_required = "catalog.add_pricelist"
    template_name = "catalog/pricelist_form.html"
    success_message = gettext_lazy("Tarif « %(object)s » créé.")

    def perform(self, form):
        return services.create_price_list(**form.cleaned_data)

    def get_success_url(self):
        return reverse("catalog:pricelist_detail", args=[self.object.pk])


class PriceListUpdateView(PermissionRequiredMixin, ServiceFormMixin, generic.UpdateView):
    model = PriceList
    form_class = PriceListForm
    permission_required = "catalog.change_pricelist"
    template_name = "catalog/pricelist_form.html"
    success_message = gettext_lazy("Tarif « %(object)s » enregistré.")

    def perform(self, form):
        return services.update_price_list(self.object, **form.cleaned_data)

    def get_success_url(self):
        return reverse("catalog:pricelist_detail", args=[self.object.pk])
