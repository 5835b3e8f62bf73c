"""Screens of automatic invoicing (INV-18): the « à facturer » list (every shipped note not fully
invoiced, why it waits, « Facturer maintenant »), and the grouped invoicing screen (what the next
run will invoice, per customer, and running it now for a selection, as a job with progress)."""

from datetime import date

import django_filters
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.models import ThirdParty
from lmb.access import permission_required
from lmb.errors import DomainError
from lmb.lists import search, yes_no_filter
from lmb.models import InvoicingPolicy
from lmb.spreadsheets import Column
from lmb.views import safe_next

from ..invoicing import queries as invoicing_queries
from ..invoicing import services as invoicing
from ..models import Channel, DeliveryNote
from .lists import SalesListView

#: what « Facturer maintenant » needs: making an invoice and issuing it
INVOICE_NOW_PERMISSIONS = ("sales.add_invoice", "sales.change_invoice")
#: what the screens need to be seen: the notes and the invoices
SEE_PERMISSIONS = ("sales.view_deliverynote", "sales.view_invoice")
INVOICED_BY_HAND = (InvoicingPolicy.AT_SHIPMENT, InvoicingPolicy.MANUAL)


def _shipped_day(note) -> date:
    return timezone.localtime(note.shipped_at).date()


def _hold_of(note):
    try:
        return note.invoicing_hold
    except DeliveryNote.invoicing_hold.RelatedObjectDoesNotExist:
        return None


def describe(note, *, today: date):
    """What a row of the « à facturer » list shows beyond the note's fields: its age in days, its
    policy's label, why it waits (the refusal first), and whether it can be invoiced by hand."""
    hold = _hold_of(note)
    note.age_days = (today - _shipped_day(note)).days
    note.policy_label = InvoicingPolicy(note.policy).label
    note.hold = hold
    note.waiting = hold.reason if hold else invoicing_queries.waiting_reason(note, today=today)
    note.invoiced_by_hand = note.policy in INVOICED_BY_HAND
    return note


class ToInvoiceFilter(django_filters.FilterSet):
    policy = django_filters.ChoiceFilter(
        label=gettext_lazy("Facturation"),
        field_name="policy",
        choices=InvoicingPolicy.choices,
        empty_label=gettext_lazy("Toutes"),
    )
    channel = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Canal"),
        field_name="order__channel",
        queryset=Channel.objects.order_by("name"),
        empty_label=gettext_lazy("Tous"),
    )
    held = yes_no_filter(gettext_lazy("Refusée"), method="filter_held")

    class Meta:
        model = DeliveryNote
        fields = ["policy", "channel", "held"]

    def filter_held(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(invoicing_hold__isnull=not value)


def _waiting_for_export(note) -> str:
    hold = _hold_of(note)
    return hold.reason if hold else invoicing_queries.waiting_reason(note, today=timezone.localdate())


class ToInvoiceListView(SalesListView):
    """« À facturer »: nothing shipped is left unbilled in silence (issue #22)."""

    model = DeliveryNote
    permission_required = SEE_PERMISSIONS
    heading = gettext_lazy("À facturer")
    results_template_name = "sales/_to_invoice_results.html"
    filterset_class = ToInvoiceFilter
    search_fields = ("number", "order__customer_name", "order__customer__name", "order__number")
    search_placeholder = gettext_lazy("Bon, client, commande…")
    sort_fields = {
        "shipped": ("shipped_at",),
        "number": ("number",),
        "customer": ("order__customer_name", "shipped_at"),
        "amount": ("amount_to_invoice", "shipped_at"),
    }
    default_sort = "shipped"  # the oldest first: what waits longest
    export_name = "a-facturer"
    export_columns = [
        Column(gettext_lazy("Bon de livraison"), "number"),
        Column(gettext_lazy("Expédié le"), "shipped_at"),
        Column(gettext_lazy("Client"), "order.customer_name"),
        Column(gettext_lazy("Commande"), "order.number"),
        Column(gettext_lazy("Canal"), "order.channel.name"),
        Column(gettext_lazy("À facturer HT (estimé)"), "amount_to_invoice"),
        Column(gettext_lazy("Devise"), "order.currency"),
        Column(gettext_lazy("Facturation"), lambda note: InvoicingPolicy(note.policy).label),
        Column(gettext_lazy("En attente"), _waiting_for_export),
    ]

    def get_base_queryset(self):
        return invoicing_queries.to_invoice_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for note in context["object_list"]:
            describe(note, today=today)
        context["can_invoice_now"] = self.request.user.has_perms(INVOICE_NOW_PERMISSIONS)
        return context


def _back(request, default: str):
    """Where to go once done: the list as it was (its filters), never another site."""
    return redirect(safe_next(request, reverse(default)))


@require_POST
@permission_required(*SEE_PERMISSIONS, *INVOICE_NOW_PERMISSIONS)
def invoice_now(request, pk):
    """« Facturer maintenant » on a row of the « à facturer » list: the result or the refusal comes
    back as a message."""
    try:
        result = invoicing.invoice_notes_now(delivery_note_ids=[pk], user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return _back(request, "sales:to_invoice_list")
    for invoice in result.invoices:
        messages.success(request, _("Facture %(number)s émise.") % {"number": invoice.number})
    for reason in result.held.values():
        messages.error(request, _("Facturation refusée : %(reason)s") % {"reason": reason})
    if not result.invoices and not result.held:
        messages.info(request, _("Ce bon de livraison n'a plus rien à facturer."))
    return _back(request, "sales:to_invoice_list")


# --- Grouped invoicing -------------------------------------------------------------------------

PREVIEW_PAGE_SIZE = 50


def _grouped_customers(text: str):
    """The customers the next grouped runs will invoice, by name (searched by name or code)."""
    grouped = invoicing_queries.notes_to_invoice().filter(
        policy__in=invoicing_queries.GROUPED_POLICIES, order__customer=OuterRef("pk")
    )
    customers = ThirdParty.objects.filter(Exists(grouped))
    return search(customers, text, ("name", "code")).order_by("name", "pk")


def next_run_day(entry, *, today: date) -> date:
    """The day of the run that invoices a customer's notes: the end of the period of the oldest
    one, or tonight when that period is over (a missed run)."""
    shipped = min(_shipped_day(note) for group in entry.groups for note in group.notes)
    return max(invoicing_queries.period_end(entry.policy, shipped), today)


@permission_required(*SEE_PERMISSIONS)
def grouped_invoicing(request):
    """What the next grouped runs will invoice (``next_run_preview``), a page of customers at a
    time; tick some and « Facturer maintenant »."""
    text = request.GET.get("q", "")
    paginator = Paginator(_grouped_customers(text).values_list("pk", flat=True), PREVIEW_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    ids = list(page.object_list)
    today = timezone.localdate()
    preview = invoicing_queries.next_run_preview(customer_ids=ids) if ids else []
    for entry in preview:
        entry.next_run = next_run_day(entry, today=today)
    context = {
        "preview": preview,
        "page_obj": page,
        "paginator": paginator,
        "is_paginated": page.has_other_pages(),
        "search_text": text,
        "can_run": request.user.has_perms(INVOICE_NOW_PERMISSIONS),
    }
    return render(request, "sales/grouped_invoicing.html", context)


@require_POST
@permission_required(*SEE_PERMISSIONS, *INVOICE_NOW_PERMISSIONS)
def grouped_invoicing_run(request):
    """« Facturer maintenant la sélection »: a job invoices the ticked customers' notes shipped so
    far; its page shows the progress, then the run's summary."""
    try:
        customer_ids = [int(value) for value in request.POST.getlist("customers")]
    except ValueError:
        messages.error(request, _("La sélection de clients n'est pas valide."))
        return redirect("sales:grouped_invoicing")
    try:
        job = invoicing.start_grouped_run(
            customer_ids=customer_ids,
            user=request.user,
            done_url=reverse("sales:invoice_list") + "?periodic=true",
            done_label=_("Voir les factures périodiques"),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("sales:grouped_invoicing")
    return redirect("jobs:detail", job.pk)
