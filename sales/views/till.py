"""The till's management screens (issue #20): registers, the till home (one card per register:
its open session and that session's figures), opening a session with a float, cash movements
and the drawer opened without a sale, closing a session with the drawer counted by
denomination, the period closures (Z) printed again but never edited, the signed archives and
the event log. Every write goes through ``sales.till.services`` (fr-rules §3, POS-01..04)."""

from decimal import Decimal

import django_filters
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lmb.access import permission_required
from lmb.errors import DomainError
from lmb.formats import money_fr
from lmb.forms import add_domain_error
from lmb.pdf import render_pdf

from ..models import PaymentMethod
from ..till import archive, journal, queries, services
from ..till.models import CashMovement, Closure, Register, TillEvent, TillSession
from .lists import SalesListView
from .till_forms import CashMovementForm, CloseSessionForm, ClosureForm, DrawerForm, OpenSessionForm, RegisterForm

REGISTER_ADMIN = "sales.change_register"
TILL_READ = "sales.view_tillsession"
TILL_OPEN = "sales.add_tillsession"
TILL_CLOSE = "sales.change_tillsession"
CASH_MOVE = "sales.add_cashmovement"
CLOSURE_READ = "sales.view_closure"
CLOSURE_ADD = "sales.add_closure"
EVENT_READ = "sales.view_tillevent"


def _error_message(request, error: DomainError):
    """A service's refusal shown above the page (for the one-button forms)."""
    text = error.message
    if not text and getattr(error, "errors", None):
        text = " ".join(message for field_messages in error.errors.values() for message in field_messages)
    messages.error(request, text)


# --- Registers ---------------------------------------------------------------------------------


@permission_required(REGISTER_ADMIN)
def register_list(request):
    registers = Register.objects.select_related("channel", "warehouse").order_by("-is_active", "code")
    return render(request, "sales/till/register_list.html", {"registers": registers})


@permission_required(REGISTER_ADMIN)
def register_edit(request, pk=None):
    """Create or change a register through ``create_register`` / ``update_register`` (one write path)."""
    register = get_object_or_404(Register.objects.select_related("channel", "warehouse"), pk=pk) if pk else None
    form = RegisterForm(request.POST or None, instance=register)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in services.REGISTER_FIELDS}
        try:
            if register is None:
                register = services.create_register(**values)
            else:
                register = services.update_register(register, **values)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Caisse « %(register)s » enregistrée.") % {"register": register})
            return redirect("sales:till_register_list")
    status = 400 if form.errors else 200
    return render(request, "sales/till/register_form.html", {"form": form, "register": register}, status=status)


# --- The till home and sessions ----------------------------------------------------------------


def sale_url(session: TillSession) -> str:
    """The selling screen of a session (built by another part of issue #20, URL ``sales:till_sale``)."""
    try:
        return reverse("sales:till_sale", args=[session.pk])
    except NoReverseMatch:
        return f"/sales/till/sessions/{session.pk}/sale/"


def _tender_rows(amounts: dict) -> list[tuple[str, object]]:
    labels = dict(PaymentMethod.choices)
    return [(labels.get(method, method), amount) for method, amount in sorted(amounts.items()) if amount]


def _movement_rows(figures) -> list[tuple[str, object]]:
    labels = dict(CashMovement.Kind.choices)
    return [(labels[kind], amount) for kind, amount in figures.cash_movements.items() if amount]


def _session_context(session: TillSession) -> dict:
    figures = queries.session_figures(session)
    return {
        "session": session,
        "figures": figures,
        "tenders": _tender_rows(figures.tenders),
        "refunds": _tender_rows(figures.refunds),
        "movements": _movement_rows(figures),
        "sale_url": sale_url(session),
    }


@permission_required(TILL_READ)
def till_home(request):
    """One card per active register: its open session with the figures of that session only
    (never every channel's payments of the day), or the form that opens one with its float."""
    registers = Register.objects.filter(is_active=True).select_related("channel", "warehouse").order_by("code")
    open_sessions = {
        session.register_id: session
        for session in TillSession.objects.filter(status=TillSession.Status.OPEN).select_related("opened_by")
    }
    cards = []
    for register in registers:
        session = open_sessions.get(register.pk)
        card = {"register": register, "session": session}
        if session is not None:
            session.register = register
            card.update(_session_context(session))
        else:
            card["form"] = OpenSessionForm(prefix=f"r{register.pk}")
        cards.append(card)
    return render(request, "sales/till/home.html", {"cards": cards})


@require_POST
@permission_required(TILL_OPEN)
def session_open(request, register_pk):
    register = get_object_or_404(Register, pk=register_pk)
    form = OpenSessionForm(request.POST, prefix=f"r{register.pk}")
    if form.is_valid():
        try:
            session = services.open_session(
                register=register, user=request.user, opening_float=form.cleaned_data["opening_float"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Caisse %(register)s ouverte.") % {"register": register.code})
            return redirect("sales:till_session", session.pk)
    cards = [{"register": register, "session": None, "form": form}]
    return render(request, "sales/till/home.html", {"cards": cards}, status=400)


def _session(pk) -> TillSession:
    return get_object_or_404(
        TillSession.objects.select_related("register__channel", "register__warehouse", "opened_by", "closed_by"), pk=pk
    )


@permission_required(TILL_READ)
def session_detail(request, pk, movement_form=None, drawer_form=None, status=200):
    """A session: its figures, tickets and cash movements; while open, the cash movement form,
    « Ouvrir le tiroir » and the link to close it; once closed, its summary (count, difference)."""
    session = _session(pk)
    context = _session_context(session)
    context.update(
        day_closure=_day_closure(session),
        tickets=queries.session_tickets(session)[:100],
        cash_movements=CashMovement.objects.filter(session=session).select_related("user"),
        movement_form=movement_form or CashMovementForm(),
        drawer_form=drawer_form or DrawerForm(),
    )
    return render(request, "sales/till/session.html", context, status=status)


def _day_closure(session: TillSession) -> Closure | None:
    """The Z of the day a closed session ended, once made: the session's page links to it rather
    than offering to close that day again."""
    if session.closed_at is None:
        return None
    day = timezone.localdate(session.closed_at)
    return Closure.objects.filter(register_id=session.register_id, kind=Closure.Kind.DAY, period_start=day).first()


@require_POST
@permission_required(CASH_MOVE)
def cash_movement(request, pk):
    session = _session(pk)
    form = CashMovementForm(request.POST)
    if form.is_valid():
        try:
            movement = services.record_cash_movement(session=session, user=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("%(movement)s enregistré.") % {"movement": movement})
            return redirect("sales:till_session", session.pk)
    return session_detail(request, pk, movement_form=form, status=400)


@require_POST
@permission_required(CASH_MOVE)
def drawer_open(request, pk):
    """The drawer opened without a sale: only the journal keeps it."""
    session = _session(pk)
    form = DrawerForm(request.POST)
    if form.is_valid():
        try:
            services.open_drawer(session=session, user=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            _error_message(request, error)
        else:
            messages.success(request, _("Ouverture du tiroir enregistrée dans le journal."))
        return redirect("sales:till_session", session.pk)
    return session_detail(request, pk, drawer_form=form, status=400)


@permission_required(TILL_CLOSE)
def session_close(request, pk):
    """The drawer counted by denomination against the cash the session expects; a difference
    needs its reason (``close_session``). A closed session is shown, not closed again."""
    session = _session(pk)
    form = CloseSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.close_session(
                session,
                user=request.user,
                counted_cash=form.counted_cash(),
                difference_reason=form.cleaned_data["difference_reason"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Session n° %(pk)s clôturée.") % {"pk": session.pk})
            return redirect("sales:till_session", session.pk)
    if session.status == TillSession.Status.CLOSED and not form.errors:
        messages.info(request, _("La session de caisse n° %(pk)s est déjà clôturée.") % {"pk": session.pk})
        return redirect("sales:till_session", session.pk)
    context = {**_session_context(session), "form": form}
    return render(request, "sales/till/session_close.html", context, status=400 if form.errors else 200)


# --- Closures (Z) ------------------------------------------------------------------------------


@permission_required(CLOSURE_READ)
def closure_list(request, register_pk=None):
    registers = list(Register.objects.order_by("code"))
    register = get_object_or_404(Register, pk=register_pk) if register_pk else (registers[0] if registers else None)
    closures = Closure.objects.filter(register=register).select_related("closed_by").order_by("-sequence")
    form = ClosureForm() if request.user.has_perm(CLOSURE_ADD) else None
    context = {"registers": registers, "register": register, "form": form, **_paged(request, closures if register else [])}
    return render(request, "sales/till/closure_list.html", context)


CLOSURES_PER_PAGE = 50


def _paged(request, rows) -> dict:
    """``closures`` of the page asked (a register closes ~300 days a year: every one stays
    reachable), with what ``lmb/_pagination.html`` reads."""
    page = Paginator(rows, CLOSURES_PER_PAGE).get_page(request.GET.get("page"))
    return {"closures": page.object_list, "page_obj": page, "paginator": page.paginator, "is_paginated": page.has_other_pages()}


@require_POST
@permission_required(CLOSURE_ADD)
def closure_create(request, register_pk):
    """« Clôturer la journée / le mois / l'année » through ``close_day`` / ``close_month`` / ``close_year``."""
    register = get_object_or_404(Register, pk=register_pk)
    form = ClosureForm(request.POST)
    if form.is_valid():
        kind, day = form.cleaned_data["kind"], form.cleaned_data["day"]
        try:
            if kind == Closure.Kind.DAY:
                closure = services.close_day(register=register, day=day, user=request.user)
            elif kind == Closure.Kind.MONTH:
                closure = services.close_month(register=register, year=day.year, month=day.month, user=request.user)
            else:
                closure = services.close_year(register=register, year=day.year, user=request.user)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Clôture enregistrée et scellée : %(closure)s.") % {"closure": closure})
            return redirect("sales:till_closure", closure.pk)
    registers = list(Register.objects.order_by("code"))
    closures = Closure.objects.filter(register=register).select_related("closed_by").order_by("-sequence")
    context = {"registers": registers, "register": register, "form": form, **_paged(request, closures)}
    return render(request, "sales/till/closure_list.html", context, status=400)


def _closure_context(closure: Closure) -> dict:
    labels = dict(PaymentMethod.choices)
    totals = closure.totals
    return {
        "closure": closure,
        "by_rate": totals.get("by_rate", []),
        "by_tender": [(labels.get(method, method), amount) for method, amount in totals.get("by_tender", {}).items()],
        "by_user": list(totals.get("by_user", {}).values()),
        "vouchers_issued": Decimal(str(totals.get("vouchers_issued") or "0")),
    }


def _closure(pk) -> Closure:
    return get_object_or_404(Closure.objects.select_related("register", "closed_by"), pk=pk)


@permission_required(CLOSURE_READ)
def closure_detail(request, pk):
    return render(request, "sales/till/closure.html", _closure_context(_closure(pk)))


@permission_required(CLOSURE_READ)
def closure_pdf(request, pk):
    """The closure printed again (A4 PDF): a sealed row is reprinted, never edited."""
    closure = _closure(pk)
    content = render_pdf("sales/till/closure_pdf.html", _closure_context(closure))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="cloture-{closure.register.code}-{closure.kind}-{closure.period_start:%Y-%m-%d}.pdf"'
    )
    return response


COLUMNS = 48  # an 80 mm roll (sales.receipts.columns_for(80))


def _text_row(left: str, right: str) -> str:
    left = left[: COLUMNS - len(right) - 1]
    return left + " " * (COLUMNS - len(left) - len(right)) + right


def closure_text(closure: Closure) -> str:
    """The closure as 48 columns of text for an 80 mm ESC/POS printer."""

    def amount(value):
        return money_fr(value).replace("\u202f", " ").replace("\xa0", " ")

    context = _closure_context(closure)
    rule = "-" * COLUMNS
    lines = [
        f"Z {closure.get_kind_display()} - {closure.register.code}".center(COLUMNS).rstrip(),
        _("Du %(start)s au %(end)s") % {"start": f"{closure.period_start:%d/%m/%Y}", "end": f"{closure.period_end:%d/%m/%Y}"},
        _("Rang %(sequence)s, empreinte %(hash)s") % {"sequence": closure.sequence, "hash": closure.content_hash[:16]},
        rule,
        _text_row(_("Tickets"), str(closure.ticket_count)),
        _text_row(_("Ventes TTC"), amount(closure.sales_total)),
        _text_row(_("Retours TTC"), amount(closure.returns_total)),
        _text_row(_("Total de la période TTC"), amount(closure.period_total)),
        _text_row(_("Grand total perpétuel"), amount(closure.grand_total)),
        rule,
        _("TVA par taux (HT / TVA / TTC)"),
    ]
    for row in context["by_rate"]:
        lines.append(_text_row(f"{row['rate']} %", f"{amount(row['net'])} / {amount(row['vat'])} / {amount(row['gross'])}"))
    lines += [rule, _("Par mode de règlement")]
    lines += [_text_row(label, amount(value)) for label, value in context["by_tender"]]
    lines += [rule, _("Par caissier")]
    lines += [_text_row(f"{user['name']} ({user['tickets']})", amount(user["total"])) for user in context["by_user"]]
    lines += [rule, _("Réimpression : une clôture ne se modifie jamais.")]
    return "\n".join(lines) + "\n"


@permission_required(CLOSURE_READ)
def closure_ticket(request, pk):
    closure = _closure(pk)
    return HttpResponse(closure_text(closure).encode(), content_type="text/plain; charset=utf-8")


# --- Archives ----------------------------------------------------------------------------------


@permission_required(CLOSURE_READ)
def archive_list(request):
    """The closed periods (month and year closures, and days) whose signed archive can be downloaded."""
    closures = Closure.objects.select_related("register").order_by("-period_start", "register__code", "kind", "pk")
    return render(request, "sales/till/archive_list.html", _paged(request, closures))


@require_POST
@permission_required(CLOSURE_READ)
def archive_download(request, pk):
    """The signed ZIP of a closed period (``sales.till.archive.build``; the journal logs it,
    hence a POST)."""
    closure = _closure(pk)
    data = archive.build(closure, user=request.user)
    response = HttpResponse(data, content_type="application/zip")
    name = f"archive-caisse-{closure.register.code}-{closure.kind}-{closure.period_start:%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Event log ---------------------------------------------------------------------------------


class TillEventFilter(django_filters.FilterSet):
    register = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Caisse"), queryset=Register.objects.order_by("code"), empty_label=gettext_lazy("Toutes")
    )
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("Type"), choices=TillEvent.Kind.choices, empty_label=gettext_lazy("Tous")
    )

    class Meta:
        model = TillEvent
        fields = ["register", "kind"]


class TillEventListView(SalesListView):
    """The till's journal, read-only (POS-02): who did what, when, at which register."""

    model = TillEvent
    permission_required = EVENT_READ
    heading = gettext_lazy("Journal des événements de caisse")
    results_template_name = "sales/till/_event_results.html"
    filterset_class = TillEventFilter
    search_fields = ("user__username", "user__first_name", "user__last_name", "register__code")
    search_placeholder = gettext_lazy("Utilisateur, caisse…")
    sort_fields = {"sequence": ("sequence",)}
    default_sort = "-sequence"

    def get_base_queryset(self):
        return TillEvent.objects.select_related("register", "user", "session__register")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for event in context["object_list"]:
            event.described = journal.describe(event.details)
        return context
