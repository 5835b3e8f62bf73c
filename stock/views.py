"""Back-office screens of the stock: levels, history, exits, transfers, inventories, warehouses,
valuation. Every form accepts a barcode scanner (a code + Enter) in its product field."""

from datetime import date, datetime, time, timedelta

import django_filters
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Subquery
from django.forms import DateInput
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from django.views.decorators.http import require_POST

from catalog import queries as catalog_queries
from catalog.models import Category, Product
from lmb.access import permission_required
from lmb.errors import DomainError
from lmb.formats import decimal_fr
from lmb.forms import ServiceFormMixin, add_domain_error
from lmb.lists import ListView, yes_no_filter
from lmb.spreadsheets import Column

from . import queries, services
from .forms import (
    CountForm,
    ExitForm,
    InventoryOpenForm,
    LocationForm,
    StockSettingForm,
    TransferForm,
    ValuationForm,
    WarehouseForm,
)
from .models import Inventory, Location, ProductStockSetting, StockLevel, StockMove, Warehouse

# --- Levels --------------------------------------------------------------------------------------


QUANTITY_FIELD = DecimalField(max_digits=14, decimal_places=3)


def _setting(field):
    settings = ProductStockSetting.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"))
    return Subquery(settings.values(field)[:1])


class LevelFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Dépôt"), queryset=Warehouse.objects.all(), empty_label=gettext_lazy("Tous")
    )
    category = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Catégorie"),
        queryset=Category.objects.order_by("sort_key"),
        method="filter_category",
        empty_label=gettext_lazy("Toutes"),
    )
    below_minimum = yes_no_filter(gettext_lazy("Sous le minimum"), method="filter_below_minimum")
    shortage = yes_no_filter(gettext_lazy("Réservé > stock"), method="filter_shortage")

    class Meta:
        model = StockLevel
        fields = ["warehouse", "category", "below_minimum", "shortage"]

    def filter_category(self, queryset, name, value):
        return queryset.filter(product__category__path__startswith=value.path) if value else queryset

    def filter_below_minimum(self, queryset, name, value):
        if value is None:
            return queryset
        below = {"available_quantity__lt": F("min_quantity"), "min_quantity__gt": 0}
        return queryset.filter(**below) if value else queryset.exclude(**below)

    def filter_shortage(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(reserved__gt=F("on_hand")) if value else queryset.exclude(reserved__gt=F("on_hand"))


class LevelListView(ListView):
    model = StockLevel
    permission_required = "stock.view_stocklevel"
    template_name = "stock/level_list.html"
    results_template_name = "stock/_level_results.html"
    filterset_class = LevelFilter
    search_fields = ("product__reference", "product__designation", "product__ean13")
    search_placeholder = gettext_lazy("Référence, désignation, EAN…")
    sort_fields = {
        "reference": ("product__reference",),
        "designation": ("product__designation",),
        "on_hand": ("on_hand",),
        "available": ("available_quantity",),
        "warehouse": ("warehouse__name", "product__reference"),
    }
    default_sort = "reference"
    export_name = "stock"
    export_columns = [
        Column(gettext_lazy("Référence"), "product.reference"),
        Column(gettext_lazy("Désignation"), "product.designation"),
        Column(gettext_lazy("EAN-13"), "product.ean13"),
        Column(gettext_lazy("Dépôt"), "warehouse.name"),
        Column(gettext_lazy("Emplacement"), "location_code"),
        Column(gettext_lazy("Stock physique"), "on_hand"),
        Column(gettext_lazy("Réservé"), "reserved"),
        Column(gettext_lazy("Disponible"), "available"),
        Column(gettext_lazy("Minimum"), "min_quantity"),
        Column(gettext_lazy("Maximum"), "max_quantity"),
        Column(gettext_lazy("PMP"), "average_cost"),
    ]

    def get_base_queryset(self):
        return StockLevel.objects.select_related("product", "warehouse").annotate(
            available_quantity=ExpressionWrapper(F("on_hand") - F("reserved"), output_field=QUANTITY_FIELD),
            min_quantity=_setting("min_quantity"),
            max_quantity=_setting("max_quantity"),
            location_code=_setting("location__code"),
            average_cost=F("product__valuation__average_cost"),
        )


# --- One product's stock -----------------------------------------------------------------------


@permission_required("stock.view_stocklevel")
def product_stock(request, pk):
    """Levels per warehouse with their settings, rotation over 90 days, and the move history."""
    product = get_object_or_404(catalog_queries.products(), pk=pk)
    warehouses = list(Warehouse.objects.filter(is_active=True))
    levels = {level.warehouse_id: level for level in StockLevel.objects.filter(product=product)}
    settings = {s.warehouse_id: s for s in ProductStockSetting.objects.filter(product=product).select_related("location")}
    rows = [
        {
            "warehouse": warehouse,
            "level": levels.get(warehouse.pk),
            "setting": settings.get(warehouse.pk),
            "form": StockSettingForm(instance=settings.get(warehouse.pk), warehouse=warehouse, prefix=f"w{warehouse.pk}"),
        }
        for warehouse in warehouses
    ]
    today = timezone.localdate()
    history = queries.moves().filter(product=product)[:100]
    return render(
        request,
        "stock/product_stock.html",
        {
            "product": product,
            "rows": rows,
            "history": history,
            "valuation": getattr(product, "valuation", None),
            "rotation": queries.rotation(product, start=today - timedelta(days=89), end=today),
        },
    )


@require_POST
@permission_required("stock.change_productstocksetting")
def product_stock_setting(request, pk, warehouse_pk):
    product = get_object_or_404(Product, pk=pk)
    warehouse = get_object_or_404(Warehouse, pk=warehouse_pk)
    form = StockSettingForm(request.POST, warehouse=warehouse, prefix=f"w{warehouse.pk}")
    if form.is_valid():
        try:
            services.set_stock_setting(product=product, warehouse=warehouse, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Paramètres de stock enregistrés pour %(warehouse)s.") % {"warehouse": warehouse})
    else:
        messages.error(request, " ".join(f"{form.fields[f].label} : {e[0]}" for f, e in form.errors.items() if f in form.fields))
    return redirect("stock:product_stock", pk=pk)


# --- Moves -------------------------------------------------------------------------------------


class MoveFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("Type"), choices=StockMove.Kind.choices, empty_label=gettext_lazy("Tous")
    )
    warehouse = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Dépôt"), queryset=Warehouse.objects.all(), empty_label=gettext_lazy("Tous")
    )
    since = django_filters.DateFilter(label=gettext_lazy("Du"), method="filter_since", widget=DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(label=gettext_lazy("Au"), method="filter_until", widget=DateInput(attrs={"type": "date"}))

    class Meta:
        model = StockMove
        fields = ["kind", "warehouse", "since", "until"]

    # The days are bounds on the moment itself (from the first instant of the day, up to the first
    # of the next), not on its local date: the (created_at, id) indexes then serve the range.
    def filter_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=start_of_day(value)) if value else queryset

    def filter_until(self, queryset, name, value):
        if not value or value == date.max:  # up to the last day a calendar has: no bound
            return queryset
        return queryset.filter(created_at__lt=start_of_day(value + timedelta(days=1)))


def start_of_day(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class MoveListView(ListView):
    model = StockMove
    permission_required = "stock.view_stockmove"
    template_name = "stock/move_list.html"
    results_template_name = "stock/_move_results.html"
    filterset_class = MoveFilter
    search_fields = ("product__reference", "product__designation", "reference")
    search_placeholder = gettext_lazy("Produit, pièce…")
    # Each sort ends with the id (ListView adds it). By date: an index walk of (created_at, id),
    # or of (kind | warehouse, created_at, id) under those filters. By product: PostgreSQL walks
    # the products' reference index and reads each one's moves from (product, id), so the moves
    # of a product come together, oldest first.
    sort_fields = {"date": ("created_at",), "product": ("product__reference",)}
    default_sort = "-date"
    export_name = "mouvements-de-stock"
    export_columns = [
        Column(gettext_lazy("Date"), "created_at"),
        Column(gettext_lazy("Type"), lambda move: move.get_kind_display()),
        Column(gettext_lazy("Référence"), "product.reference"),
        Column(gettext_lazy("Désignation"), "product.designation"),
        Column(gettext_lazy("Dépôt"), "warehouse.name"),
        Column(gettext_lazy("Quantité"), "quantity"),
        Column(gettext_lazy("Coût unitaire"), "unit_cost"),
        Column(gettext_lazy("Valeur"), "value"),
        Column(gettext_lazy("PMP après"), "average_cost_after"),
        Column(gettext_lazy("Motif"), lambda move: move.get_reason_display()),
        Column(gettext_lazy("Pièce"), "reference"),
        Column(gettext_lazy("Commentaire"), "note"),
    ]

    def get_base_queryset(self):
        return queries.moves()


class _MoveFormView(PermissionRequiredMixin, generic.FormView):
    """A form that writes stock moves through a service and stays on the page for the next scan."""

    permission_required = "stock.add_stockmove"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.setdefault("initial", {}).update(self.request.GET.dict())
        return kwargs

    def form_valid(self, form):
        try:
            message = self.perform(form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, message)
        return redirect(self.request.path)


class ExitView(_MoveFormView):
    form_class = ExitForm
    template_name = "stock/exit_form.html"

    def perform(self, data):
        move = services.exit_stock(user=self.request.user, **data)
        return _("Sortie enregistrée : %(quantity)s × %(product)s (%(reason)s).") % {
            "quantity": decimal_fr(-move.quantity),
            "product": move.product.reference,
            "reason": move.get_reason_display(),
        }


class TransferView(_MoveFormView):
    form_class = TransferForm
    template_name = "stock/transfer_form.html"

    def perform(self, data):
        out, _incoming = services.transfer(user=self.request.user, **data)
        return _("Transfert enregistré : %(quantity)s × %(product)s de %(from)s vers %(to)s.") % {
            "quantity": decimal_fr(-out.quantity),
            "product": out.product.reference,
            "from": data["from_warehouse"],
            "to": data["to_warehouse"],
        }


# --- Inventories -------------------------------------------------------------------------------


class InventoryListView(ListView):
    model = Inventory
    permission_required = "stock.view_inventory"
    template_name = "stock/inventory_list.html"
    results_template_name = "stock/_inventory_results.html"
    search_fields = ("reference", "note")
    sort_fields = {"date": ("opened_at",), "number": ("reference",)}
    default_sort = "-date"
    export_name = "inventaires"
    export_columns = [
        Column(gettext_lazy("Numéro"), "reference"),
        Column(gettext_lazy("Dépôt"), "warehouse.name"),
        Column(gettext_lazy("Périmètre"), lambda inventory: str(inventory.scope_display)),
        Column(gettext_lazy("Statut"), lambda inventory: inventory.get_status_display()),
        Column(gettext_lazy("Ouvert le"), "opened_at"),
        Column(gettext_lazy("Validé le"), "validated_at"),
    ]

    def get_base_queryset(self):
        return Inventory.objects.select_related("warehouse", "category", "location", "location__warehouse")


class InventoryOpenView(PermissionRequiredMixin, generic.FormView):
    permission_required = "stock.add_inventory"
    form_class = InventoryOpenForm
    template_name = "stock/inventory_open.html"

    def form_valid(self, form):
        try:
            inventory = services.open_inventory(user=self.request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        return redirect("stock:inventory_detail", pk=inventory.pk)


def _inventory_context(inventory, form=None, last_line=None):
    lines = inventory.lines.select_related("product").order_by("product__reference")
    counted = [line for line in lines if line.counted_quantity is not None]
    success = ""
    if last_line is not None:
        success = _("%(reference)s — %(designation)s : compté %(counted)s (attendu %(expected)s)") % {
            "reference": last_line.product.reference,
            "designation": last_line.product.designation,
            "counted": decimal_fr(last_line.counted_quantity),
            "expected": decimal_fr(last_line.expected_quantity),
        }
    return {
        "inventory": inventory,
        "lines": lines,
        "form": form or CountForm(),
        "success": success,
        "counted_count": len(counted),
        "difference_count": sum(1 for line in counted if line.difference),
    }


@permission_required("stock.view_inventory")
def inventory_detail(request, pk):
    inventory = get_object_or_404(Inventory.objects.select_related("warehouse"), pk=pk)
    return render(request, "stock/inventory_detail.html", _inventory_context(inventory))


@require_POST
@permission_required("stock.change_inventory")
def inventory_count(request, pk):
    """The scan box: a code + Enter adds one; with htmx only the count block is re-rendered,
    with the box emptied and focused for the next scan."""
    inventory = get_object_or_404(Inventory.objects.select_related("warehouse"), pk=pk)
    form = CountForm(request.POST)
    line = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            line = services.count(inventory, code=data["code"].strip(), quantity=data["quantity"], add=not data["replace"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            form = CountForm()
    context = _inventory_context(inventory, form, line)
    if request.htmx:
        return render(request, "stock/_inventory_lines.html", context, status=200 if line else 422)
    if line:
        return redirect("stock:inventory_detail", pk=pk)
    return render(request, "stock/inventory_detail.html", context, status=400)


@require_POST
@permission_required("stock.change_inventory")
def inventory_validate(request, pk):
    inventory = get_object_or_404(Inventory, pk=pk)
    try:
        moves = services.validate_inventory(
            inventory, user=request.user, uncounted_as_zero=bool(request.POST.get("uncounted_as_zero"))
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Inventaire validé : %(count)s ajustement(s) de stock écrit(s).") % {"count": len(moves)})
    return redirect("stock:inventory_detail", pk=pk)


@require_POST
@permission_required("stock.change_inventory")
def inventory_cancel(request, pk):
    inventory = get_object_or_404(Inventory, pk=pk)
    try:
        services.cancel_inventory(inventory)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, _("Inventaire annulé : aucun stock n'a été modifié."))
    return redirect("stock:inventory_detail", pk=pk)


# --- Warehouses and locations -------------------------------------------------------------------


class WarehouseListView(ListView):
    model = Warehouse
    permission_required = "stock.view_warehouse"
    template_name = "stock/warehouse_list.html"
    results_template_name = "stock/_warehouse_results.html"
    search_fields = ("code", "name")
    sort_fields = {"name": ("name",), "code": ("code",)}
    default_sort = "name"
    export_name = "depots"
    export_columns = [
        Column(gettext_lazy("Code"), "code"),
        Column(gettext_lazy("Nom"), "name"),
        Column(gettext_lazy("Par défaut"), "is_default"),
        Column(gettext_lazy("Actif"), "is_active"),
    ]


class WarehouseCreateView(PermissionRequiredMixin, ServiceFormMixin, generic.CreateView):
    model = Warehouse
    form_class = WarehouseForm
    permission_required = "stock.add_warehouse"
    template_name = "stock/warehouse_form.html"
    success_message = gettext_lazy("Dépôt « %(object)s » créé.")

    def perform(self, form):
        return services.create_warehouse(**form.cleaned_data)

    def get_success_url(self):
        return reverse("stock:warehouse_detail", args=[self.object.pk])


class WarehouseUpdateView(PermissionRequiredMixin, ServiceFormMixin, generic.UpdateView):
    model = Warehouse
    form_class = WarehouseForm
    permission_required = "stock.change_warehouse"
    template_name = "stock/warehouse_form.html"
    success_message = gettext_lazy("Dépôt « %(object)s » enregistré.")

    def perform(self, form):
        return services.update_warehouse(self.object, **form.cleaned_data)

    def get_success_url(self):
        return reverse("stock:warehouse_detail", args=[self.object.pk])


@permission_required("stock.view_warehouse")
def warehouse_detail(request, pk):
    warehouse = get_object_or_404(Warehouse, pk=pk)
    form = LocationForm(request.POST or None, instance=Location(warehouse=warehouse))
    if request.method == "POST":
        if not request.user.has_perm("stock.add_location"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.create_location(warehouse=warehouse, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Emplacement ajouté."))
                return redirect("stock:warehouse_detail", pk=pk)
    locations = warehouse.locations.order_by("code")
    stocked = warehouse.levels.exclude(on_hand=0).aggregate(products=Count("pk"))["products"]
    return render(
        request,
        "stock/warehouse_detail.html",
        {"warehouse": warehouse, "locations": locations, "form": form, "stocked_products": stocked},
    )


# --- Valuation ---------------------------------------------------------------------------------


@permission_required("stock.view_stockmove")
def valuation(request):
    """Stock value at a date (weighted average cost), the accountant's year-end figure."""
    form = ValuationForm(request.GET or None)
    day = form.cleaned_data["day"] if form.is_valid() else timezone.localdate()
    return render(request, "stock/valuation.html", {"form": form, "day": day, "value": queries.stock_value_at(day)})
