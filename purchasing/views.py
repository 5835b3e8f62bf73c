"""Back-office screens of purchasing: supplier orders, receptions by scanning, supplier invoices,
replenishment, supplier prices. Scanning works with a keyboard or a scanner only."""

import django_filters
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from django.views.decorators.http import require_POST

from catalog.models import Product
from crm.views import email_document_page
from lmb import money
from lmb.access import permission_required
from lmb.errors import DomainError
from lmb.formats import decimal_fr
from lmb.forms import add_domain_error
from lmb.lists import ListView
from lmb.spreadsheets import Column
from stock.models import Warehouse

from . import pdfs, queries, services
from .forms import (
    InvoiceLineForm,
    OrderLineForm,
    ReceptionScanForm,
    ReplenishmentForm,
    SupplierInvoiceForm,
    SupplierOrderForm,
    SupplierPriceForm,
)
from .models import Reception, SupplierInvoice, SupplierInvoiceLine, SupplierOrder, SupplierOrderLine, SupplierPrice

# --- Supplier orders -----------------------------------------------------------------------------


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Statut"), choices=SupplierOrder.Status.choices, empty_label=gettext_lazy("Tous")
    )
    warehouse = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Dépôt"), queryset=Warehouse.objects.all(), empty_label=gettext_lazy("Tous")
    )

    class Meta:
        model = SupplierOrder
        fields = ["status", "warehouse"]


class OrderListView(ListView):
    model = SupplierOrder
    permission_required = "purchasing.view_supplierorder"
    template_name = "purchasing/order_list.html"
    results_template_name = "purchasing/_order_results.html"
    filterset_class = OrderFilter
    search_fields = ("number", "supplier__name", "supplier__code")
    search_placeholder = gettext_lazy("Numéro, fournisseur…")
    sort_fields = {
        "date": ("created_at",),
        "number": ("number",),
        "supplier": ("supplier__name", "created_at"),
        "total": ("total_excl_tax",),
    }
    default_sort = "-date"
    export_name = "commandes-fournisseurs"
    export_columns = [
        Column(gettext_lazy("Numéro"), "number"),
        Column(gettext_lazy("Créée le"), "created_at"),
        Column(gettext_lazy("Fournisseur"), "supplier.name"),
        Column(gettext_lazy("Dépôt"), "warehouse.name"),
        Column(gettext_lazy("Statut"), lambda order: order.get_status_display()),
        Column(gettext_lazy("Total HT"), "total_excl_tax"),
        Column(gettext_lazy("TVA"), "total_vat"),
        Column(gettext_lazy("Total TTC"), "total_incl_tax"),
    ]

    def get_base_queryset(self):
        return queries.orders()


class OrderCreateView(PermissionRequiredMixin, generic.FormView):
    permission_required = "purchasing.add_supplierorder"
    form_class = SupplierOrderForm
    template_name = "purchasing/order_form.html"

    def form_valid(self, form):
        try:
            order = services.create_supplier_order(user=self.request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        return redirect(order)


def _order_context(order, line_form=None):
    return {
        "order": order,
        "lines": order.lines.select_related("product").order_by("position", "pk"),
        "line_form": line_form or OrderLineForm(),
        "receptions": order.receptions.order_by("-created_at"),
    }


@permission_required("purchasing.view_supplierorder")
def order_detail(request, pk):
    order = get_object_or_404(queries.orders(), pk=pk)
    return render(request, "purchasing/order_detail.html", _order_context(order))


@permission_required("purchasing.view_supplierorder")
def order_pdf(request, pk):
    order = get_object_or_404(SupplierOrder, pk=pk)
    filename, content = pdfs.supplier_order_pdf(order)
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") == "1" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@require_POST
@permission_required("purchasing.change_supplierorder")
def order_add_line(request, pk):
    """Scan or type a product on a draft: a product already there gets one more (or the typed
    quantity); with htmx only the lines block is re-rendered."""
    order = get_object_or_404(queries.orders(), pk=pk)
    form = OrderLineForm(request.POST)
    added = False
    if form.is_valid():
        fields = form.service_fields()
        fields.setdefault("quantity", money.quantity(1))
        try:
            services.add_order_line(order, **fields)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            added, form = True, OrderLineForm()
    order.refresh_from_db()
    context = _order_context(order, form)
    if request.htmx:
        return render(request, "purchasing/_order_lines.html", context, status=200 if added else 422)
    return redirect(order) if added else render(request, "purchasing/order_detail.html", context, status=400)


@require_POST
@permission_required("purchasing.change_supplierorder")
def order_line_update(request, pk, line_pk):
    line = get_object_or_404(SupplierOrderLine, pk=line_pk, order_id=pk)
    try:
        if request.POST.get("remove"):
            services.remove_order_line(line)
        else:
            services.update_order_line(line, quantity=money.quantity(request.POST.get("quantity") or 0))
    except (DomainError, ValueError) as error:
        messages.error(request, getattr(error, "message", str(error)))
    return redirect("purchasing:order_detail", pk=pk)


def _transition(request, pk, action, success):
    order = get_object_or_404(SupplierOrder, pk=pk)
    try:
        action(order)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect("purchasing:order_detail", pk=pk)


@require_POST
@permission_required("purchasing.change_supplierorder")
def order_send(request, pk):
    return _transition(request, pk, lambda order: services.send_supplier_order(order, user=request.user), _("Commande envoyée."))


@permission_required("purchasing.view_supplierorder")
def order_email(request, pk):
    """Send the order's PDF to the supplier (the outcome lands on the supplier's timeline)."""
    order = get_object_or_404(queries.orders(), pk=pk)
    if request.method == "POST" and not request.user.has_perm("purchasing.change_supplierorder"):
        raise PermissionDenied
    return email_document_page(request, document=order, back_url=order.get_absolute_url(), nav_template="purchasing/_nav.html")


@require_POST
@permission_required("purchasing.change_supplierorder")
def order_cancel(request, pk):
    return _transition(request, pk, services.cancel_supplier_order, _("Commande annulée."))


@require_POST
@permission_required("purchasing.add_reception")
def order_receive(request, pk):
    order = get_object_or_404(SupplierOrder, pk=pk)
    try:
        reception = services.start_reception(order, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(order)
    return redirect(reception)


# --- Receptions ----------------------------------------------------------------------------------


class ReceptionListView(ListView):
    model = Reception
    permission_required = "purchasing.view_reception"
    template_name = "purchasing/reception_list.html"
    results_template_name = "purchasing/_reception_results.html"
    search_fields = ("number", "order__number", "order__supplier__name", "delivery_note_reference")
    sort_fields = {"date": ("created_at",), "number": ("number",)}
    default_sort = "-date"
    export_name = "receptions"
    export_columns = [
        Column(gettext_lazy("Numéro"), "number"),
        Column(gettext_lazy("Commande"), "order.number"),
        Column(gettext_lazy("Fournisseur"), "order.supplier.name"),
        Column(gettext_lazy("Dépôt"), "warehouse.name"),
        Column(gettext_lazy("Statut"), lambda reception: reception.get_status_display()),
        Column(gettext_lazy("Validée le"), "validated_at"),
    ]

    def get_base_queryset(self):
        return Reception.objects.select_related("order", "order__supplier", "warehouse")


def _reception_context(reception, form=None, last_line=None):
    counted = {line.order_line_id: line for line in reception.lines.all()}
    rows = [
        {"order_line": order_line, "line": counted.get(order_line.pk)}
        for order_line in reception.order.lines.exclude(product=None).select_related("product").order_by("position")
    ]
    label_items = ",".join(
        f"{row['line'].product_id}:{int(row['line'].quantity)}" for row in rows if row["line"] and row["line"].quantity
    )
    success = ""
    if last_line is not None:
        success = _("%(reference)s — %(designation)s : %(quantity)s reçu(s) dans cette réception.") % {
            "reference": last_line.product.reference,
            "designation": last_line.product.designation,
            "quantity": decimal_fr(last_line.quantity),
        }
    return {
        "reception": reception,
        "rows": rows,
        "form": form or ReceptionScanForm(),
        "success": success,
        "label_items": label_items,
    }


@permission_required("purchasing.view_reception")
def reception_detail(request, pk):
    reception = get_object_or_404(Reception.objects.select_related("order", "order__supplier", "warehouse"), pk=pk)
    return render(request, "purchasing/reception_detail.html", _reception_context(reception))


@require_POST
@permission_required("purchasing.change_reception")
def reception_scan(request, pk):
    """The scan box of a reception: a code + Enter counts one received unit."""
    reception = get_object_or_404(Reception.objects.select_related("order", "order__supplier", "warehouse"), pk=pk)
    form = ReceptionScanForm(request.POST)
    line = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            line = services.scan_reception(
                reception,
                code=data["code"].strip(),
                quantity=data["quantity"],
                add=not data["replace"],
                confirm_over_receipt=data["confirm_over_receipt"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            form = ReceptionScanForm()
    context = _reception_context(reception, form, line)
    if request.htmx:
        return render(request, "purchasing/_reception_lines.html", context, status=200 if line else 422)
    return redirect(reception) if line else render(request, "purchasing/reception_detail.html", context, status=400)


@require_POST
@permission_required("purchasing.change_reception")
def reception_validate(request, pk):
    reception = get_object_or_404(Reception, pk=pk)
    try:
        reception = services.validate_reception(
            reception, user=request.user, confirm_over_receipt=bool(request.POST.get("confirm_over_receipt"))
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Réception %(number)s validée : le stock est à jour.") % {"number": reception.number})
    return redirect("purchasing:reception_detail", pk=pk)


@require_POST
@permission_required("purchasing.change_reception")
def reception_cancel(request, pk):
    reception = get_object_or_404(Reception, pk=pk)
    try:
        services.cancel_reception(reception)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, _("Réception annulée : rien n'est entré en stock."))
    return redirect("purchasing:order_detail", pk=reception.order_id)


# --- Supplier invoices ---------------------------------------------------------------------------


class InvoiceListView(ListView):
    model = SupplierInvoice
    permission_required = "purchasing.view_supplierinvoice"
    template_name = "purchasing/invoice_list.html"
    results_template_name = "purchasing/_invoice_results.html"
    search_fields = ("number", "supplier__name")
    sort_fields = {"date": ("invoice_date",), "due": ("due_date",), "total": ("total_incl_tax",)}
    default_sort = "-date"
    export_name = "factures-fournisseurs"
    export_columns = [
        Column(gettext_lazy("Fournisseur"), "supplier.name"),
        Column(gettext_lazy("Numéro"), "number"),
        Column(gettext_lazy("Date"), "invoice_date"),
        Column(gettext_lazy("Échéance"), "due_date"),
        Column(gettext_lazy("Statut"), lambda invoice: invoice.get_status_display()),
        Column(gettext_lazy("Total HT"), "total_excl_tax"),
        Column(gettext_lazy("TVA"), "total_vat"),
        Column(gettext_lazy("Total TTC"), "total_incl_tax"),
    ]

    def get_base_queryset(self):
        return SupplierInvoice.objects.select_related("supplier")


@permission_required("purchasing.add_supplierinvoice")
def invoice_create(request):
    """Record a supplier invoice against receptions (prefilled from ``?reception=<id>``)."""
    reception = Reception.objects.select_related("order__supplier").filter(pk=request.GET.get("reception") or 0).first()
    initial = {"supplier": reception.order.supplier, "receptions": [reception.pk]} if reception else {}
    supplier_id = request.POST.get("supplier_id") or (reception.order.supplier_id if reception else None)
    receptions = Reception.objects.filter(status=Reception.Status.VALIDATED).select_related("order")
    receptions = receptions.filter(order__supplier_id=supplier_id) if supplier_id else receptions.none()
    form = SupplierInvoiceForm(request.POST or None, initial=initial, receptions=receptions if supplier_id else None)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.create_supplier_invoice(user=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect(invoice)
    return render(request, "purchasing/invoice_form.html", {"form": form, "supplier_id": supplier_id})


@permission_required("purchasing.view_supplierinvoice")
def invoice_detail(request, pk):
    invoice = get_object_or_404(SupplierInvoice.objects.select_related("supplier"), pk=pk)
    lines = invoice.lines.select_related("product").order_by("position", "pk")
    return render(
        request,
        "purchasing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": [(line, InvoiceLineForm(instance=line, prefix=f"l{line.pk}")) for line in lines],
            "warnings": queries.invoice_warnings(invoice),
        },
    )


@require_POST
@permission_required("purchasing.change_supplierinvoice")
def invoice_line_update(request, pk, line_pk):
    line = get_object_or_404(SupplierInvoiceLine, pk=line_pk, invoice_id=pk)
    form = InvoiceLineForm(request.POST, instance=line, prefix=f"l{line.pk}")
    if form.is_valid():
        try:
            services.update_invoice_line(line, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(
            request,
            "; ".join(f"{form.fields[name].label} : {errors[0]}" for name, errors in form.errors.items() if name in form.fields),
        )
    return redirect("purchasing:invoice_detail", pk=pk)


@require_POST
@permission_required("purchasing.change_supplierinvoice")
def invoice_record(request, pk):
    invoice = get_object_or_404(SupplierInvoice, pk=pk)
    try:
        services.record_supplier_invoice(invoice, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Facture enregistrée."))
    return redirect("purchasing:invoice_detail", pk=pk)


# --- Replenishment -------------------------------------------------------------------------------


@permission_required("purchasing.view_supplierorder")
def replenishment(request):
    """Products under their minimum, grouped by preferred supplier; ticked lines become draft
    supplier orders (one per supplier and warehouse) in one click."""
    form = ReplenishmentForm(request.GET or None)
    warehouse = form.cleaned_data.get("warehouse") if form.is_valid() else None
    groups = queries.replenishment(warehouse)
    if request.method == "POST":
        if not request.user.has_perm("purchasing.add_supplierorder"):
            raise PermissionDenied
        try:
            orders = services.create_orders_from_replenishment(_selection(request.POST, groups), user=request.user)
        except (DomainError, ValueError) as error:
            messages.error(request, getattr(error, "message", str(error)))
        else:
            if orders:
                messages.success(request, _("%(count)s commande(s) fournisseur créée(s) en brouillon.") % {"count": len(orders)})
                return redirect(reverse("purchasing:order_list") + "?" + urlencode({"status": "draft"}))
            messages.warning(request, _("Cochez au moins une ligne."))
    return render(request, "purchasing/replenishment.html", {"form": form, "groups": groups})


def _selection(post, groups):
    """The ticked suggestions with the quantities typed beside them."""
    picked = set(post.getlist("pick"))
    selection = []
    for group in groups:
        for suggestion in group.suggestions:
            key = f"{suggestion.product.pk}-{suggestion.warehouse.pk}"
            if key in picked:
                quantity = money.to_decimal(post.get(f"quantity-{key}") or suggestion.quantity)
                selection.append(
                    {
                        "product": suggestion.product,
                        "warehouse": suggestion.warehouse,
                        "supplier": group.supplier,
                        "quantity": quantity,
                    }
                )
    return selection


# --- Supplier prices of a product ----------------------------------------------------------------


@permission_required("purchasing.view_supplierprice")
def product_prices(request, pk):
    product = get_object_or_404(Product, pk=pk)
    form = SupplierPriceForm(request.POST or None, instance=SupplierPrice(product=product))
    if request.method == "POST":
        if not request.user.has_perm("purchasing.add_supplierprice"):
            raise PermissionDenied
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.set_supplier_price(product=product, **data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Prix fournisseur enregistré."))
                return redirect("purchasing:product_prices", pk=pk)
    prices = product.supplier_prices.select_related("supplier")
    return render(request, "purchasing/product_prices.html", {"product": product, "prices": prices, "form": form})


@require_POST
@permission_required("purchasing.delete_supplierprice")
def product_price_delete(request, pk, price_pk):
    price = get_object_or_404(SupplierPrice, pk=price_pk, product_id=pk)
    services.delete_supplier_price(price)
    messages.success(request, _("Prix fournisseur supprimé."))
    return redirect("purchasing:product_prices", pk=pk)
