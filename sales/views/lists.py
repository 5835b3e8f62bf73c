"""List pages of sales: one per document type, the backorders, payments and vouchers. Each has
search, filters (status, customer, channel, dates), sort, pagination and the xlsx/ods export."""

import django_filters
from django.forms import DateInput
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lmb.lists import ListView, yes_no_filter
from lmb.spreadsheets import Column

from .. import queries
from ..models import Channel, CreditNote, DeliveryNote, Invoice, Order, OrderLine, Payment, PaymentMethod, Quote, Voucher


def _date_filter(label, field_name, lookup_expr):
    return django_filters.DateFilter(
        label=label, field_name=field_name, lookup_expr=lookup_expr, widget=DateInput(attrs={"type": "date"})
    )


def document_filter(model, *, date_field, customer_path="customer", channel_path="channel"):
    """The filters every document list offers: status, customer code, channel, a date range."""
    attrs = {
        "status": django_filters.ChoiceFilter(label=_("Statut"), choices=model.Status.choices, empty_label=_("Tous")),
        "customer": django_filters.CharFilter(
            label=_("Client (code)"), field_name=f"{customer_path}__code", lookup_expr="same_text"
        ),
        "channel": django_filters.ModelChoiceFilter(
            label=_("Canal"), field_name=channel_path, queryset=Channel.objects.order_by("name"), empty_label=_("Tous")
        ),
        "since": _date_filter(_("Du"), date_field, "gte"),
        "until": _date_filter(_("Au"), date_field, "lte"),
    }
    meta = type("Meta", (), {"model": model, "fields": list(attrs)})
    return type(f"{model.__name__}Filter", (django_filters.FilterSet,), {**attrs, "Meta": meta})


def _totals_columns():
    return [
        Column(_("Total HT"), "total_excl_tax"),
        Column(_("TVA"), "total_vat"),
        Column(_("Total TTC"), "total_incl_tax"),
        Column(_("Devise"), "currency"),
    ]


class SalesListView(ListView):
    """A sales list page: its heading, the sales tabs, and a "new" button when allowed."""

    template_name = "sales/list.html"
    heading = ""
    new_url_name = ""
    new_label = _("Nouveau")
    add_permission = ""
    batch_print_url_name = ""  # the ticked rows are printed as one PDF (sales.output.start_batch_job)

    def get_context_data(self, **kwargs):
        allowed = self.new_url_name and self.request.user.has_perm(self.add_permission)
        return super().get_context_data(
            heading=self.heading,
            new_url_name=self.new_url_name if allowed else "",
            new_label=self.new_label,
            batch_print_url_name=self.batch_print_url_name,
            **kwargs,
        )


class DocumentListView(SalesListView):
    """Lists of quotes, orders, invoices and credit notes share their columns and sorts."""

    results_template_name = "sales/_document_results.html"
    search_fields = ("number", "customer_name", "customer__code", "customer_reference")
    search_placeholder = _("Numéro, client, référence…")
    date_field = ""

    def sort_fields_for(self):
        return {
            "date": (self.date_field,),
            "number": ("number",),
            "customer": ("customer_name", self.date_field),
            "total": ("total_incl_tax",),
        }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sort_fields = self.sort_fields_for()

    def get_context_data(self, **kwargs):
        return super().get_context_data(date_field=self.date_field, **kwargs)


class QuoteListView(DocumentListView):
    model = Quote
    permission_required = "sales.view_quote"
    batch_print_url_name = "sales:quote_batch_print"
    filterset_class = document_filter(Quote, date_field="quote_date")
    date_field = "quote_date"
    default_sort = "-date"
    heading = _("Devis")
    new_url_name = "sales:quote_create"
    new_label = _("Nouveau devis")
    add_permission = "sales.add_quote"
    export_name = "devis"
    export_columns = [
        Column(_("Numéro"), "number"),
        Column(_("Date"), "quote_date"),
        Column(_("Valable jusqu'au"), "valid_until"),
        Column(_("Client"), "customer_name"),
        Column(_("Canal"), "channel.name"),
        Column(_("Statut"), lambda quote: quote.get_status_display()),
        *_totals_columns(),
    ]

    def get_base_queryset(self):
        return queries.quotes()


class OrderListView(DocumentListView):
    model = Order
    permission_required = "sales.view_order"
    batch_print_url_name = "sales:order_batch_print"
    filterset_class = document_filter(Order, date_field="order_date")
    date_field = "order_date"
    default_sort = "-date"
    heading = _("Commandes clients")
    new_url_name = "sales:order_create"
    new_label = _("Nouvelle commande")
    add_permission = "sales.add_order"
    export_name = "commandes-clients"
    export_columns = [
        Column(_("Numéro"), "number"),
        Column(_("Date"), "order_date"),
        Column(_("Client"), "customer_name"),
        Column(_("Réf. client"), "customer_reference"),
        Column(_("Canal"), "channel.name"),
        Column(_("Statut"), lambda order: order.get_status_display()),
        *_totals_columns(),
    ]

    def get_base_queryset(self):
        return queries.orders()


class InvoiceFilter(document_filter(Invoice, date_field="invoice_date")):
    kind = django_filters.ChoiceFilter(label=_("Type"), choices=Invoice.Kind.choices, empty_label=_("Tous"))
    unpaid = yes_no_filter(_("Impayées"), method="filter_unpaid")
    periodic = yes_no_filter(_("Périodiques"), field_name="periodic")

    class Meta:
        model = Invoice
        fields = ["status", "kind", "customer", "channel", "since", "until", "unpaid", "periodic"]

    def filter_unpaid(self, queryset, name, value):
        if value is None:
            return queryset
        return queries.owed(queryset) if value else queries.not_owed(queryset.filter(status=Invoice.Status.ISSUED))


class InvoiceListView(DocumentListView):
    model = Invoice
    permission_required = "sales.view_invoice"
    batch_print_url_name = "sales:invoice_batch_print"
    filterset_class = InvoiceFilter
    results_template_name = "sales/_invoice_results.html"
    date_field = "invoice_date"
    default_sort = "-number"
    heading = _("Factures")
    new_url_name = "sales:invoice_create"
    new_label = _("Facture directe")
    add_permission = "sales.add_invoice"
    export_name = "factures"
    export_columns = [
        Column(_("Numéro"), "number"),
        Column(_("Type"), lambda invoice: invoice.get_kind_display()),
        Column(_("Date"), "invoice_date"),
        Column(_("Échéance"), "due_date"),
        Column(_("Client"), "customer_name"),
        Column(_("Canal"), "channel.name"),
        Column(_("Statut"), lambda invoice: invoice.get_status_display()),
        *_totals_columns(),
        Column(_("Acomptes déduits"), "deposits_total"),
        Column(_("Net à payer"), "amount_due"),
        Column(_("Réglé"), "paid"),
        Column(_("Reste dû"), "balance"),
    ]

    def sort_fields_for(self):
        # The number sorts by the chain position: FA2026-… after FA2025-…, drafts (no number) last.
        return {**super().sort_fields_for(), "number": ("chain_position",), "due": ("due_date", "chain_position")}

    def get_base_queryset(self):
        return queries.invoices()

    def get_context_data(self, **kwargs):
        return super().get_context_data(today=timezone.localdate(), **kwargs)


class CreditNoteListView(DocumentListView):
    model = CreditNote
    permission_required = "sales.view_creditnote"
    batch_print_url_name = "sales:credit_note_batch_print"
    filterset_class = document_filter(CreditNote, date_field="credit_date")
    results_template_name = "sales/_credit_note_results.html"
    date_field = "credit_date"
    default_sort = "-date"
    heading = _("Avoirs")
    export_name = "avoirs"
    search_fields = (*DocumentListView.search_fields, "invoice__number", "reason")
    export_columns = [
        Column(_("Numéro"), "number"),
        Column(_("Date"), "credit_date"),
        Column(_("Facture"), "invoice.number"),
        Column(_("Client"), "customer_name"),
        Column(_("Motif"), "reason"),
        Column(_("Règlement"), lambda note: note.get_settlement_display()),
        Column(_("Statut"), lambda note: note.get_status_display()),
        *_totals_columns(),
    ]

    def get_base_queryset(self):
        return queries.credit_notes()


class DeliveryNoteListView(SalesListView):
    model = DeliveryNote
    permission_required = "sales.view_deliverynote"
    batch_print_url_name = "sales:delivery_note_batch_print"
    heading = _("Bons de livraison")
    results_template_name = "sales/_delivery_results.html"
    filterset_class = document_filter(
        DeliveryNote, date_field="shipped_at__date", customer_path="order__customer", channel_path="order__channel"
    )
    search_fields = ("number", "order__number", "order__customer_name", "tracking_number")
    search_placeholder = _("Numéro, commande, client, suivi…")
    sort_fields = {"date": ("created_at",), "number": ("number",), "shipped": ("shipped_at",)}
    default_sort = "-date"
    export_name = "bons-de-livraison"
    export_columns = [
        Column(_("Numéro"), "number"),
        Column(_("Commande"), "order.number"),
        Column(_("Client"), "order.customer_name"),
        Column(_("Dépôt"), "warehouse.name"),
        Column(_("Statut"), lambda note: note.get_status_display()),
        Column(_("Expédié le"), "shipped_at"),
        Column(_("Transporteur"), "carrier"),
        Column(_("N° de suivi"), "tracking_number"),
    ]

    def get_base_queryset(self):
        return queries.delivery_notes()


class BackorderListView(SalesListView):
    """What customers still wait for: the lines of open orders not fully shipped."""

    model = OrderLine
    permission_required = "sales.view_order"
    heading = _("Reliquats à livrer")
    results_template_name = "sales/_backorder_results.html"
    search_fields = ("document__number", "document__customer_name", "product__reference", "description")
    search_placeholder = _("Commande, client, produit…")
    sort_fields = {
        "date": ("document__order_date", "document_id", "position"),
        "product": ("product__reference", "document__order_date"),
        "customer": ("document__customer_name", "document__order_date"),
    }
    default_sort = "date"
    export_name = "reliquats"
    export_columns = [
        Column(_("Commande"), "document.number"),
        Column(_("Date"), "document.order_date"),
        Column(_("Client"), "document.customer_name"),
        Column(_("Référence"), "product.reference"),
        Column(_("Désignation"), "description"),
        Column(_("Commandé"), "quantity"),
        Column(_("Livré"), "delivered_quantity"),
        Column(_("Reste à livrer"), "left"),
    ]

    def get_base_queryset(self):
        return queries.backorders()


class PaymentFilter(django_filters.FilterSet):
    purpose = django_filters.ChoiceFilter(label=_("Objet"), choices=Payment.Purpose.choices, empty_label=_("Tous"))
    method = django_filters.ChoiceFilter(label=_("Mode"), choices=PaymentMethod.choices, empty_label=_("Tous"))
    customer = django_filters.CharFilter(label=_("Client (code)"), field_name="customer__code", lookup_expr="same_text")
    since = _date_filter(_("Du"), "payment_date", "gte")
    until = _date_filter(_("Au"), "payment_date", "lte")

    class Meta:
        model = Payment
        fields = ["purpose", "method", "customer", "since", "until"]


class PaymentListView(SalesListView):
    model = Payment
    permission_required = "sales.view_payment"
    heading = _("Règlements")
    new_url_name = "sales:payment_create"
    new_label = _("Enregistrer un règlement")
    add_permission = "sales.add_payment"
    results_template_name = "sales/_payment_results.html"
    filterset_class = PaymentFilter
    search_fields = ("customer__name", "customer__code", "reference")
    search_placeholder = _("Client, référence…")
    sort_fields = {"date": ("payment_date",), "amount": ("amount",), "customer": ("customer__name", "payment_date")}
    default_sort = "-date"
    export_name = "reglements"
    export_columns = [
        Column(_("Date"), "payment_date"),
        Column(_("Client"), "customer.name"),
        Column(_("Objet"), lambda payment: payment.get_purpose_display()),
        Column(_("Mode"), lambda payment: payment.get_method_display()),
        Column(_("Référence"), "reference"),
        Column(_("Montant"), "amount"),
        Column(_("Affecté"), "allocated"),
    ]

    def get_base_queryset(self):
        return queries.payments()


class VoucherListView(SalesListView):
    model = Voucher
    permission_required = "sales.view_voucher"
    heading = _("Bons d'achat")
    results_template_name = "sales/_voucher_results.html"
    search_fields = ("code", "customer__name")
    search_placeholder = _("Code, client…")
    sort_fields = {"date": ("created_at",), "expiry": ("expires_on",), "balance": ("balance",)}
    default_sort = "-date"
    export_name = "bons-d-achat"
    export_columns = [
        Column(_("Code"), "code"),
        Column(_("Client"), "customer.name"),
        Column(_("Montant"), "amount"),
        Column(_("Solde"), "balance"),
        Column(_("Expire le"), "expires_on"),
        Column(_("Avoir"), "credit_note.number"),
    ]

    def get_base_queryset(self):
        return Voucher.objects.select_related("customer", "credit_note")
