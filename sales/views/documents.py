"""The document pages: a quote, an order, an invoice or a credit note, edited while it is a draft
(lines added by typing or scanning a code + Enter, totals recomputed by the server at once),
then moved along its status machine by the buttons its status allows; and delivery notes."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lmb.access import permission_required
from lmb.errors import DomainError
from lmb.formats import decimal_fr
from lmb.forms import add_domain_error

from .. import queries, services, vat
from ..forms import DeliveryQuantityForm, DraftTermsForm, LineChangeForm, LineForm, NewDocumentForm
from ..invoicing import queries as invoicing_queries
from ..models import CreditNote, DeliveryNote, DeliveryNoteLine, DocumentEvent, Invoice, Order, Quote
from . import actions
from . import invoicing as invoicing_views


@dataclass(frozen=True)
class DocumentKind:
    slug: str
    model: type
    label: str
    list_url_name: str
    #: lines can be added (a credit note's lines come from its invoice only)
    lines_can_be_added: bool = True

    @property
    def url_names(self):
        """The names of its pages' URLs, for the templates shared by every kind."""
        return {page: f"sales:{self.slug}_{page}" for page in ("line_add", "line_change", "terms", "action", "pdf", "email")}

    @property
    def permission_prefix(self):
        return f"sales.%s_{self.model._meta.model_name}"

    def queryset(self):
        return self.model.objects.select_related("customer", "channel")


KINDS = {
    "quote": DocumentKind("quote", Quote, gettext_lazy("Devis"), "sales:quote_list"),
    "order": DocumentKind("order", Order, gettext_lazy("Commande"), "sales:order_list"),
    "invoice": DocumentKind("invoice", Invoice, gettext_lazy("Facture"), "sales:invoice_list"),
    "credit_note": DocumentKind("credit_note", CreditNote, gettext_lazy("Avoir"), "sales:credit_note_list", False),
}


def _kind(slug) -> DocumentKind:
    if slug not in KINDS:
        raise Http404
    return KINDS[slug]


def _require(user, permission):
    if not user.has_perm(permission):
        raise PermissionDenied


def _is_editable(kind, document, user) -> bool:
    return document.status == "draft" and user.has_perm(kind.permission_prefix % "change")


def _events(document):
    return DocumentEvent.objects.filter(document_type=document._meta.model_name, document_id=document.pk).select_related("user")


def _related(kind, document) -> dict:
    """What the page shows around the document: where it comes from, what followed it."""
    if kind.slug == "quote":
        return {"orders": document.orders.all()}
    if kind.slug == "order":
        return {
            "delivery_notes": document.delivery_notes.order_by("created_at"),
            "invoices": document.invoices.order_by("created_at"),
            "quote_source": document.quote,
        }
    if kind.slug == "invoice":
        return {
            "orders": document.orders.all(),
            "credit_notes": document.credit_notes.order_by("created_at"),
            "allocations": document.allocations.select_related("payment", "credit_note").order_by("allocated_at"),
            "installments": document.installments.all(),
            "deductions": document.deposit_deductions.select_related("deposit").order_by("deposit__invoice_date", "deposit__pk"),
            "deducted_by": (
                document.deductions.filter(invoice__status=Invoice.Status.ISSUED)
                .select_related("invoice")
                .order_by("invoice__chain_position")
                if document.kind == Invoice.Kind.DEPOSIT
                else ()
            ),
            "balance": queries.invoice_balance(document),
        }
    return {
        "vouchers": document.vouchers.all(),
        "refunds": document.refunds.all(),
        "allocations": document.allocations.select_related("invoice"),
    }


def _lines_context(kind, document, user, line_form=None, success=""):
    editable = _is_editable(kind, document, user)
    lines = list(document.lines.select_related("product").order_by("position", "pk"))
    return {
        "kind": kind,
        "document": document,
        "lines": lines,
        "vat_groups": vat.labelled_breakdown(document.vat_breakdown, lines),
        "editable": editable,
        "is_order": kind.slug == "order",
        "line_form": (line_form or LineForm()) if editable and kind.lines_can_be_added else None,
        "success": success,
    }


def _page_context(request, kind, document, **extra):
    context = _lines_context(kind, document, request.user, extra.pop("line_form", None))
    offered = actions.offered(kind.slug, document, request.user)
    context.update(
        actions=[(action, action.make_form(document)) for action in offered],
        events=_events(document),
        terms_form=extra.pop("terms_form", None) or (DraftTermsForm(instance=document) if context["editable"] else None),
        **_related(kind, document),
        **extra,
    )
    return context


def document_detail(request, kind, pk):
    kind = _kind(kind)
    _require(request.user, kind.permission_prefix % "view")
    document = get_object_or_404(kind.queryset(), pk=pk)
    return render(request, "sales/document_detail.html", _page_context(request, kind, document))


# --- Creation ----------------------------------------------------------------------------------

CREATE_SERVICES = {
    "quote": services.create_quote,
    "order": services.create_order,
    "invoice": services.create_direct_invoice,
}


def document_create(request, kind):
    """A new draft for a customer and a channel; its lines are added on the next page."""
    kind = _kind(kind)
    if kind.slug not in CREATE_SERVICES:
        raise Http404
    _require(request.user, kind.permission_prefix % "add")
    form = NewDocumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = CREATE_SERVICES[kind.slug](user=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect(document)
    return render(request, "sales/document_form.html", {"form": form, "kind": kind}, status=400 if form.errors else 200)


@require_POST
def document_terms(request, kind, pk):
    """Discount, payment terms, references of a draft."""
    kind = _kind(kind)
    _require(request.user, kind.permission_prefix % "change")
    document = get_object_or_404(kind.queryset(), pk=pk)
    form = DraftTermsForm(request.POST, instance=document)
    if form.is_valid():
        try:
            services.update_draft(document, user=request.user, **form.changes())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Conditions enregistrées, totaux recalculés."))
            return redirect(document)
    document.refresh_from_db()
    return render(request, "sales/document_detail.html", _page_context(request, kind, document, terms_form=form), status=400)


# --- Lines -------------------------------------------------------------------------------------


def _lines_response(request, kind, document, *, ok, line_form=None, success=""):
    """htmx: the lines block with the totals (422 on an error, so the scan box shows it);
    without script: back to the page."""
    document = kind.queryset().get(pk=document.pk)
    if request.htmx:
        context = _lines_context(kind, document, request.user, line_form, success)
        return render(request, "sales/_document_lines.html", context, status=200 if ok else 422)
    if ok:
        return redirect(document)
    return render(request, "sales/document_detail.html", _page_context(request, kind, document, line_form=line_form), status=400)


@require_POST
def line_add(request, kind, pk):
    """Scan or type: a code + Enter adds the product with its price (on a counter sale, a code
    scanned again adds to its line: ``services.add_line``), a text adds a free line."""
    kind = _kind(kind)
    _require(request.user, kind.permission_prefix % "change")
    document = get_object_or_404(kind.queryset(), pk=pk)
    form = LineForm(request.POST)
    if not form.is_valid():
        return _lines_response(request, kind, document, ok=False, line_form=form)
    try:
        line = services.add_line(document, **form.service_fields())
    except DomainError as error:
        add_domain_error(form, error)
        return _lines_response(request, kind, document, ok=False, line_form=form)
    success = _("Ajouté : %(line)s (quantité %(quantity)s)") % {"line": line.description, "quantity": decimal_fr(line.quantity)}
    return _lines_response(request, kind, document, ok=True, success=success)


@require_POST
def line_change(request, kind, pk, line_pk):
    kind = _kind(kind)
    _require(request.user, kind.permission_prefix % "change")
    document = get_object_or_404(kind.queryset(), pk=pk)
    line = get_object_or_404(document.lines, pk=line_pk)
    try:
        if request.POST.get("remove"):
            services.remove_line(line)
        else:
            form = LineChangeForm(request.POST)
            if not form.is_valid():
                for message in _field_errors(form):
                    messages.error(request, message)
                return _lines_response(request, kind, document, ok=False)
            services.change_line(line, **form.cleaned_data)
    except DomainError as error:
        messages.error(request, error.message)
        return _lines_response(request, kind, document, ok=False)
    return _lines_response(request, kind, document, ok=True)


def _field_errors(form) -> list[str]:
    """A line's row has no room for errors under its inputs: each refusal names its field
    (« Ligne non modifiée — Remise % : … »)."""
    return [
        _("Ligne non modifiée — %(field)s : %(error)s") % {"field": form.fields[name].label, "error": error}
        for name, errors in form.errors.items()
        for error in errors
    ]


# --- Transitions -------------------------------------------------------------------------------


def _action_data(action, form):
    """What the service receives: the form's cleaned data, or what a form shapes itself (``action_data``)."""
    if form is None:
        return {}
    return form.action_data() if hasattr(form, "action_data") else dict(form.cleaned_data)


def _run_action(request, kind_slug, document, action_name, *, page):
    """Apply a transition. With a form, GET shows it and a refusal lands on it; without, the
    refusal comes back as a message on the document."""
    action = actions.find(kind_slug, action_name)
    if action is None:
        raise Http404
    _require(request.user, action.permission)
    form = action.make_form(document, request.POST if request.method == "POST" else None)
    context = {"document": document, "action": action, "form": form, "kind_slug": kind_slug}
    if request.method != "POST" or (form is not None and not form.is_valid()):
        return render(request, "sales/action_form.html", context, status=400 if request.method == "POST" else 200)
    try:
        result = action.run(document, request.user, _action_data(action, form))
    except DomainError as error:
        if form is None:
            messages.error(request, error.message)
            return redirect(page)
        add_domain_error(form, error)
        return render(request, "sales/action_form.html", context, status=409 if error.status_code == 409 else 400)
    if action.success:
        messages.success(request, action.success_message(result))
    if action.then_url_name:
        return redirect(action.then_url_name)
    # What the action made (an order from a quote, a delivery note, a credit note…) is shown next.
    return redirect(result if hasattr(result, "get_absolute_url") else page)


def document_action(request, kind, pk, action):
    kind_ = _kind(kind)
    document = get_object_or_404(kind_.queryset(), pk=pk)
    return _run_action(request, kind, document, action, page=document.get_absolute_url())


# --- Delivery notes ----------------------------------------------------------------------------


@permission_required("sales.view_deliverynote")
def delivery_detail(request, pk):
    note = get_object_or_404(queries.delivery_notes(), pk=pk)
    content = queries.delivery_note_content(note)
    context = {
        "note": note,
        "document": note,
        "content": content,
        "vat_groups": content.vat_groups,
        "editable": note.status == DeliveryNote.Status.DRAFT and request.user.has_perm("sales.change_deliverynote"),
        "actions": [(action, action.make_form(note)) for action in actions.offered("delivery", note, request.user)],
        "events": _events(note),
        "invoices": Invoice.objects.filter(lines__delivery_line__delivery_note=note).distinct(),
        **_invoicing_state(request, note),
    }
    return render(request, "sales/delivery_detail.html", context)


def _invoicing_state(request, note) -> dict:
    """Whether a shipped note waits for its invoice, and why (INV-18: nothing shipped left
    unbilled in silence)."""
    if note.status != DeliveryNote.Status.SHIPPED or not request.user.has_perm("sales.view_invoice"):
        return {}
    waiting = invoicing_queries.to_invoice_list().filter(pk=note.pk).first()
    return {
        "waiting": waiting and invoicing_views.describe(waiting, today=timezone.localdate()),
        "can_invoice_now": request.user.has_perms(invoicing_views.INVOICE_NOW_PERMISSIONS),
    }


@require_POST
@permission_required("sales.change_deliverynote")
def delivery_quantity(request, pk, line_pk):
    """The quantity actually packed (less than ordered: the rest stays as a backorder)."""
    line = get_object_or_404(DeliveryNoteLine, pk=line_pk, delivery_note_id=pk)
    form = DeliveryQuantityForm(request.POST)
    try:
        if not form.is_valid():
            raise ValueError(form.errors["quantity"][0])
        services.set_delivery_quantity(line, form.cleaned_data["quantity"])
    except DomainError as error:
        messages.error(request, error.message)
    except ValueError as error:
        messages.error(request, str(error))
    return redirect("sales:delivery_detail", pk=pk)


def delivery_action(request, pk, action):
    note = get_object_or_404(DeliveryNote.objects.select_related("order"), pk=pk)
    return _run_action(request, "delivery", note, action, page=reverse("sales:delivery_detail", args=[pk]))
