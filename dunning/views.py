"""The dunning screens (issue #23): the aged balance as of a date, the reminders to validate (send
a selection, cancel one with its reason, run today's reminders), a reminder's page, the
customer's « Relances » tab (what is late, the reminders sent, their settings, disputes), and the
plans and penalty rates (administrators). Every write goes through ``dunning.services``."""

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.models import CustomerCategory, ThirdParty
from crm.tabs import tabs_for
from lmb.access import permission_required
from lmb.errors import DomainError
from lmb.forms import add_domain_error
from lmb.lists import fetched_page, requested_page, search
from lmb.services import get_company
from lmb.spreadsheets import EXPORT_FORMATS, Column, export_response
from lmb.views import safe_next
from sales.models import Invoice

from . import pdfs, penalties, penalty_invoices, queries, services
from .forms import (
    SORTS,
    AgedBalanceForm,
    CancelReminderForm,
    CustomerDunningForm,
    DisputeForm,
    PenaltyClaimForm,
    PenaltyRateForm,
    StepForm,
)
from .models import CustomerDunning, InvoiceDispute, PenaltyClaim, PenaltyRate, Reminder, ReminderPlan, ReminderStep

PAGE_SIZE = 50
SEE_BALANCE = ("dunning.view_customerdunning", "crm.view_thirdparty")
SEE_REMINDERS = ("dunning.view_reminder",)
VALIDATE = ("dunning.view_reminder", "dunning.change_reminder")
RUN = ("dunning.view_reminder", "dunning.add_reminder")
EDIT_CUSTOMER = ("dunning.view_customerdunning", "dunning.change_customerdunning")
DISPUTE = ("dunning.view_customerdunning", "dunning.add_invoicedispute", "dunning.change_invoicedispute")
CLAIM_PENALTIES = ("dunning.view_customerdunning", "dunning.add_penaltyclaim")
SETTINGS = ("dunning.view_reminderplan", "dunning.change_reminderstep", "dunning.change_penaltyrate")
CATEGORY_LABELS = dict(CustomerCategory.choices)
ZERO = Decimal("0.00")


def _category(row) -> str:
    return str(CATEGORY_LABELS.get(row.customer_category, row.customer_category))


AGED_COLUMNS = [
    Column(gettext_lazy("Client"), "name"),
    Column(gettext_lazy("Type de client"), _category),
    Column(gettext_lazy("Non échu"), "not_due"),
    Column(gettext_lazy("1–30 j"), "late_1_30"),
    Column(gettext_lazy("31–60 j"), "late_31_60"),
    Column(gettext_lazy("61–90 j"), "late_61_90"),
    Column(gettext_lazy("> 90 j"), "late_over_90"),
    Column(gettext_lazy("Total"), "total"),
    Column(gettext_lazy("Crédit"), "credit"),
    Column(gettext_lazy("Solde"), "balance"),
    Column(gettext_lazy("Plus ancienne échéance"), "oldest_due_date"),
    Column(gettext_lazy("Jours de retard"), "days_late"),
]


# --- Aged balance ------------------------------------------------------------------------------


@permission_required(*SEE_BALANCE)
def aged_balance(request):
    """« Balance âgée » as of a date (today by default): per customer their open items by days
    late, sorted by the days late of their oldest overdue item; filters, search, pagination and
    the xlsx/ods export of the whole filtered list. The page shown, the count and the totals of
    the whole report come from one statement (``queries.aged_balance_page``), plus one for a search."""
    form = AgedBalanceForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    as_of = filters.get("as_of") or timezone.localdate()
    sort = request.GET.get("sort", "days_late")
    if sort.lstrip("-") not in SORTS:
        sort = "days_late"
    text = request.GET.get("q", "")
    report_filters = {
        "customers": None,
        "category": filters.get("category") or "",
        "channel": filters.get("channel"),
        "country": filters.get("country") or "",
        "sales_rep": filters.get("sales_rep"),
    }
    if text.strip():
        found = search(ThirdParty.objects.all(), text, ("name", "code")).values_list("pk", flat=True)[:1000]
        report_filters["customers"] = list(found)
    export_format = request.GET.get("export")
    if export_format:
        if export_format not in EXPORT_FORMATS:
            raise Http404
        rows = queries.aged_balance(as_of=as_of, sort=sort, **report_filters)
        return export_response(export_format, f"balance-agee-{as_of:%Y%m%d}", AGED_COLUMNS, rows, sheet_name=_("Balance âgée"))
    number = requested_page(request)
    report = queries.aged_balance_page(as_of=as_of, sort=sort, page=number, page_size=PAGE_SIZE, **report_filters)
    page = fetched_page(report.rows, count=report.count, number=number, per_page=PAGE_SIZE)
    context = {
        "form": form if form.is_bound else AgedBalanceForm(initial={"as_of": as_of}),
        "as_of": as_of,
        "rows": page.object_list,
        "totals": report.totals,
        "page_obj": page,
        "paginator": page.paginator,
        "is_paginated": page.has_other_pages(),
        "search_text": text,
        "current_sort": sort,
        "export_formats": EXPORT_FORMATS,
        "results_target": "aged-results",
    }
    if getattr(request, "htmx", False) and request.htmx.target == "aged-results":
        return render(request, "dunning/_aged_balance_results.html", context)
    return render(request, "dunning/aged_balance.html", context)


# --- Reminders ---------------------------------------------------------------------------------


def _to_validate(text: str):
    reminders = (
        Reminder.objects.filter(status=Reminder.Status.TO_VALIDATE)
        .select_related("customer", "step")
        .annotate(items_count=Count("items"))
    )
    return search(reminders, text, ("customer__name", "customer__code")).order_by("run_date", "customer__name", "pk")


@permission_required(*SEE_REMINDERS)
def reminders_to_validate(request):
    """« Relances à valider »: tick some and « Envoyer », or open one to cancel it."""
    text = request.GET.get("q", "")
    paginator = Paginator(_to_validate(text), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "reminders": page.object_list,
        "page_obj": page,
        "paginator": paginator,
        "is_paginated": page.has_other_pages(),
        "search_text": text,
        "can_validate": request.user.has_perms(VALIDATE),
        "can_run": request.user.has_perms(RUN),
        "today": timezone.localdate(),
        "rate_warnings": _rate_warnings(),
    }
    return render(request, "dunning/reminders_to_validate.html", context)


def _back(request, default: str):
    return redirect(safe_next(request, default))


@require_POST
@permission_required(*VALIDATE)
def send_reminders(request):
    """« Envoyer » the ticked reminders: each validated and sent on its own; a refusal is a message."""
    try:
        ids = [int(value) for value in request.POST.getlist("reminders")]
    except ValueError:
        ids = None
    if not ids:
        messages.error(request, _("Cochez au moins une relance à envoyer."))
        return _back(request, reverse("dunning:reminders_to_validate"))
    sent = 0
    for reminder in Reminder.objects.filter(pk__in=ids).select_related("customer").order_by("pk"):
        try:
            services.validate_reminder(reminder, user=request.user)
        except DomainError as error:
            messages.error(request, _("%(customer)s : %(error)s") % {"customer": reminder.customer, "error": error.message})
        else:
            sent += 1
    if sent:
        messages.success(request, _("%(count)s relance(s) envoyée(s).") % {"count": sent})
    return _back(request, reverse("dunning:reminders_to_validate"))


@require_POST
@permission_required(*RUN)
def run_today(request):
    """« Lancer les relances du jour » (administrators): the daily run, now."""
    made = services.run_reminders(on=timezone.localdate())
    waiting = sum(1 for reminder in made if reminder.status == Reminder.Status.TO_VALIDATE)
    if not made:
        messages.info(request, _("Aucune relance due aujourd'hui."))
    else:
        text = _("%(count)s relance(s) préparée(s) aujourd'hui, dont %(waiting)s à valider.")
        messages.success(request, text % {"count": len(made), "waiting": waiting})
    return redirect("dunning:reminders_to_validate")


def _reminder_context(request, reminder, cancel_form=None):
    items = reminder.items.select_related("invoice").order_by("due_date", "pk")
    return {
        "reminder": reminder,
        "items": items,
        "extra_columns": int(reminder.step.show_penalties) + int(reminder.step.show_indemnity),
        "cancel_form": cancel_form or CancelReminderForm(),
        "can_validate": request.user.has_perms(VALIDATE) and reminder.status == Reminder.Status.TO_VALIDATE,
    }


@permission_required(*SEE_REMINDERS)
def reminder_detail(request, pk):
    """A reminder: its items, its text, its state; validate or cancel it while « à valider »."""
    reminder = get_object_or_404(Reminder.objects.select_related("customer", "step__plan", "sent_by"), pk=pk)
    return render(request, "dunning/reminder_detail.html", _reminder_context(request, reminder))


@permission_required(*SEE_REMINDERS)
def reminder_pdf(request, pk):
    """The letter of a reminder as PDF (the same bytes as the one sent or kept on the timeline)."""
    reminder = get_object_or_404(Reminder, pk=pk)
    rendered = pdfs.render_reminder(reminder)
    response = HttpResponse(rendered.content, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") == "1" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{rendered.filename}"'
    return response


@require_POST
@permission_required(*SEE_REMINDERS)
def print_reminders(request):
    """« Imprimer » the ticked reminders: one PDF of their letters, made by a job with progress."""
    try:
        job = pdfs.start_print_job(ids=request.POST.getlist("reminders"), user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return _back(request, reverse("dunning:reminders_to_validate"))
    return redirect("jobs:detail", job.pk)


@require_POST
@permission_required(*VALIDATE)
def reminder_send(request, pk):
    reminder = get_object_or_404(Reminder, pk=pk)
    try:
        services.validate_reminder(reminder, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Relance envoyée à %(customer)s.") % {"customer": reminder.customer})
    return redirect("dunning:reminder_detail", pk)


@require_POST
@permission_required(*VALIDATE)
def reminder_cancel(request, pk):
    """« Annuler » with its reason (required): the step is skipped."""
    reminder = get_object_or_404(Reminder.objects.select_related("customer", "step__plan", "sent_by"), pk=pk)
    form = CancelReminderForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_reminder(reminder, reason=form.cleaned_data["cancel_reason"], user=request.user)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Relance annulée."))
            return redirect("dunning:reminder_detail", pk)
    return render(request, "dunning/reminder_detail.html", _reminder_context(request, reminder, form), status=400)


# --- The customer's « Relances » tab -----------------------------------------------------------


def _settings_initial(dunning: CustomerDunning | None) -> dict:
    if dunning is None:
        return {}
    return {
        "plan": dunning.plan,
        "do_not_remind": dunning.do_not_remind,
        "promise_date": dunning.promise_date,
        "promise_amount": dunning.promise_amount,
        "insolvency_date": dunning.insolvency_date,
    }


def _customer_page(request, customer, *, settings_form=None, dispute_form=None, penalty_form=None, status=200):
    today = timezone.localdate()
    dunning = CustomerDunning.objects.select_related("plan").filter(customer=customer).first()
    balance = next(iter(queries.aged_balance(as_of=today, customers=[customer.pk])), None)
    items = queries.receivables(as_of=today, customers=[customer.pk])
    reminders = customer.reminders.select_related("step", "sent_by").annotate(items_count=Count("items"))
    disputes = InvoiceDispute.objects.filter(invoice__customer=customer).select_related("invoice").order_by("-since", "-pk")
    context = {
        "third_party": customer,
        "third_party_tabs": tabs_for(request.user, customer, active="dunning"),
        "today": today,
        "dunning": dunning,
        "balance": balance,
        "items": items,
        "late_total": sum((item.amount_due_eur for item in items if item.is_overdue), ZERO),
        "reminders": reminders,
        "disputes": disputes,
        "can_edit": request.user.has_perms(EDIT_CUSTOMER),
        "can_dispute": request.user.has_perms(DISPUTE),
        "settings_form": settings_form or CustomerDunningForm(initial=_settings_initial(dunning)),
        "dispute_form": dispute_form or DisputeForm(customer=customer),
        **_penalties_context(request, customer, today, penalty_form),
    }
    return render(request, "dunning/customer.html", context, status=status)


@permission_required(*SEE_BALANCE)
def customer(request, pk):
    """The « Relances » tab of a customer's page: their balance, what is late, the reminders sent,
    their dunning settings and disputed invoices."""
    return _customer_page(request, get_object_or_404(ThirdParty, pk=pk, is_customer=True))


@require_POST
@permission_required(*EDIT_CUSTOMER)
def customer_settings(request, pk):
    """Plan, « ne pas relancer », promise, insolvency judgment: saved together or not at all, each
    through its service (a promise is checked again only when it changes)."""
    customer = get_object_or_404(ThirdParty, pk=pk, is_customer=True)
    form = CustomerDunningForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        before = CustomerDunning.objects.filter(customer=customer).first()
        try:
            with transaction.atomic():
                services.set_customer_dunning(customer=customer, plan=data["plan"], do_not_remind=data["do_not_remind"])
                promise = (data["promise_date"], data["promise_amount"])
                if before is None or promise != (before.promise_date, before.promise_amount):
                    services.set_promise(customer=customer, promise_date=promise[0], amount=promise[1])
                if (before.insolvency_date if before else None) != data["insolvency_date"]:
                    services.set_insolvency(customer=customer, judgment_date=data["insolvency_date"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Réglages de relance enregistrés."))
            return redirect("dunning:customer", pk)
    return _customer_page(request, customer, settings_form=form, status=400)


@require_POST
@permission_required(*DISPUTE)
def customer_dispute(request, pk):
    """An invoice of the customer put in dispute (DUN-03)."""
    customer = get_object_or_404(ThirdParty, pk=pk, is_customer=True)
    form = DisputeForm(request.POST, customer=customer)
    if form.is_valid():
        try:
            services.set_dispute(invoice=form.cleaned_data["invoice"], reason=form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Facture %(number)s en litige.") % {"number": form.cleaned_data["invoice"].number})
            return redirect("dunning:customer", pk)
    return _customer_page(request, customer, dispute_form=form, status=400)


@require_POST
@permission_required(*DISPUTE)
def dispute_resolve(request, pk, invoice_pk):
    customer = get_object_or_404(ThirdParty, pk=pk, is_customer=True)
    invoice = get_object_or_404(Invoice, pk=invoice_pk, customer=customer)
    try:
        services.resolve_dispute(invoice=invoice)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Litige de la facture %(number)s résolu.") % {"number": invoice.number})
    return redirect("dunning:customer", pk)


def _penalties_context(request, customer, today, form=None) -> dict:
    """What the late invoices owe in penalties and EUR 40 as of today, not claimed yet (PAY-03..05),
    and the claims made (invoiced or waived)."""
    claims = penalty_invoices.claims_for(customer=customer, on=today)
    can_claim = request.user.has_perms(CLAIM_PENALTIES)
    return {
        "penalty_claims": claims,
        "penalty_total": sum((claim.total for claim in claims), ZERO),
        "claims_made": PenaltyClaim.objects.filter(customer=customer).select_related("invoice", "penalty_invoice")[:50],
        "can_claim_penalties": can_claim,
        "penalty_form": form
        or (PenaltyClaimForm(customer=customer, claimable=[claim.invoice.pk for claim in claims]) if can_claim else None),
    }


@require_POST
@permission_required(*CLAIM_PENALTIES)
def customer_penalties(request, pk):
    """« Facturer les pénalités » (one invoice outside the scope of VAT) or « Abandonner » with a
    reason, for the ticked late invoices (PAY-05)."""
    customer = get_object_or_404(ThirdParty, pk=pk, is_customer=True)
    today = timezone.localdate()
    claimable = [claim.invoice.pk for claim in penalty_invoices.claims_for(customer=customer, on=today)]
    form = PenaltyClaimForm(request.POST, customer=customer, claimable=claimable)
    if form.is_valid():
        chosen = list(form.cleaned_data["invoices"])
        try:
            if request.POST.get("action") == "waive":
                penalty_invoices.waive_penalties(
                    customer=customer, invoices=chosen, reason=form.cleaned_data["reason"], on=today, user=request.user
                )
                messages.success(request, _("Pénalités abandonnées."))
            else:
                issued = penalty_invoices.invoice_penalties(customer=customer, invoices=chosen, on=today, user=request.user)
                messages.success(request, _("Facture de pénalités %(number)s émise.") % {"number": issued.number})
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("dunning:customer", pk)
    return _customer_page(request, customer, penalty_form=form, status=400)


# --- Plans and rates ---------------------------------------------------------------------------


def _rate_warnings() -> list[str]:
    company = get_company()
    return penalties.rate_warnings(timezone.localdate(), printed_rate=company.late_penalty_rate if company else None)


def _plans_page(request, rate_form=None, status=200):
    context = {
        "plans": ReminderPlan.objects.prefetch_related("steps"),
        "rates": PenaltyRate.objects.all(),
        "rate_form": rate_form or PenaltyRateForm(),
        "rate_warnings": _rate_warnings(),
    }
    return render(request, "dunning/plans.html", context, status=status)


@permission_required(*SETTINGS)
def plans(request):
    """« Plans et taux »: every plan with its steps, and the penalty rates per semester."""
    return _plans_page(request)


@permission_required(*SETTINGS)
def step_edit(request, pk):
    """One step of a plan, saved through ``save_step`` (its template's {variables} checked)."""
    step = get_object_or_404(ReminderStep.objects.select_related("plan"), pk=pk)
    form = StepForm(request.POST or None, instance=step)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in StepForm.Meta.fields}
        try:
            services.save_step(plan=step.plan, position=step.position, **fields)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Étape « %(name)s » enregistrée.") % {"name": fields["name"]})
            return redirect("dunning:plans")
    status = 400 if form.is_bound else 200
    return render(request, "dunning/step_form.html", {"step": step, "form": form}, status=status)


@require_POST
@permission_required(*SETTINGS)
def rate_save(request):
    """The rates of a semester (``set_penalty_rate``): below the legal floor is refused beside the field."""
    form = PenaltyRateForm(request.POST)
    if form.is_valid():
        try:
            semester = services.set_penalty_rate(**form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Taux du %(semester)s enregistrés.") % {"semester": semester})
            return redirect("dunning:plans")
    return _plans_page(request, rate_form=form, status=400)
