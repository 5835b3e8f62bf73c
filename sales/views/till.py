"""The till's management screens (issue #20): registers, the till home (one card per register:
its open session and that session's figures), opening a session with a float, cash movements
and the drawer opened without a sale, closing a session with the drawer counted by
denomination, the period closures (Z) printed again but never edited, the signed archives and
the event log. Every write goes through ``sales.till.services`` (fr-rules §3, POS-01..04)."""

import json
from decimal import Decimal
from urllib.parse import urlencode

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import CharField
from django.db.models.functions import Cast
from django.forms import DateInput
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lmb.access import permission_required
from lmb.bounds import LARGEST_INTEGER
from lmb.errors import DomainError
from lmb.formats import money_fr
from lmb.forms import add_domain_error
from lmb.pdf import render_pdf
from lmb.spreadsheets import Column

from ..models import PaymentMethod
from ..till import archive, journal, queries, services
from ..till.models import CashMovement, Closure, Register, TillEvent, TillSession
from .lists import SalesListView
from .till_forms import (
    CashMovementForm,
    CloseSessionForm,
    ClosureForm,
    DrawerForm,
    OpenSessionForm,
    RegisterClosureForm,
    RegisterForm,
)

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
        "vouchers_sold": _tender_rows(figures.vouchers_sold),
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


def _register_or_404(value) -> Register:
    """The register a form names by its id; a careless value (a word, 40 digits) is not found."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk <= LARGEST_INTEGER:
        raise Http404
    return get_object_or_404(Register, pk=pk)


class ClosureFilter(django_filters.FilterSet):
    """Closures of a register, of a kind, within a period (from its first day to its last)."""

    register = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Caisse"), queryset=Register.objects.order_by("code"), empty_label=gettext_lazy("Toutes")
    )
    kind = django_filters.ChoiceFilter(label=gettext_lazy("Type"), choices=Closure.Kind.choices, empty_label=gettext_lazy("Tous"))
    since = django_filters.DateFilter(
        label=gettext_lazy("Du"), field_name="period_start", lookup_expr="gte", widget=DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        label=gettext_lazy("Au"), field_name="period_end", lookup_expr="lte", widget=DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Closure
        fields = ["register", "kind", "since", "until"]


def _closures():
    """Closures with what their lists show, and their rank as text for the search (« 12 »
    finds the closures of rank 12, 112, 120…, as a number is searched in a document's)."""
    return Closure.objects.select_related("register", "closed_by").annotate(rank=Cast("sequence", CharField()))


def _vouchers_sold_total(closure: Closure):
    return Decimal(str((closure.totals.get("vouchers_sold") or {}).get("total") or "0"))


class ClosureListView(SalesListView):
    """The period closures (Z), sealed: searched by rank or register, filtered by register, kind
    and period, sorted, paged, exported. With a register chosen (or the only one), the form that
    closes a day, a month or a year of it (``close_day`` / ``close_month`` / ``close_year``)."""

    model = Closure
    permission_required = CLOSURE_READ
    template_name = "sales/till/closure_list.html"
    results_template_name = "sales/till/_closure_results.html"
    heading = gettext_lazy("Clôtures de caisse (Z)")
    filterset_class = ClosureFilter
    search_fields = ("register__code", "register__name", "rank")
    search_placeholder = gettext_lazy("Rang, caisse…")
    sort_fields = {
        "sequence": ("sequence",),
        "register": ("register__code", "sequence"),
        "period": ("period_start", "kind"),
        "total": ("period_total",),
        "grand_total": ("grand_total",),
    }
    default_sort = "-sequence"
    export_name = "clotures-de-caisse"
    export_columns = [
        Column(gettext_lazy("Rang"), "sequence"),
        Column(gettext_lazy("Caisse"), "register.code"),
        Column(gettext_lazy("Type"), lambda closure: closure.get_kind_display()),
        Column(gettext_lazy("Du"), "period_start"),
        Column(gettext_lazy("Au"), "period_end"),
        Column(gettext_lazy("Tickets"), "ticket_count"),
        Column(gettext_lazy("Ventes TTC"), "sales_total"),
        Column(gettext_lazy("Retours TTC"), "returns_total"),
        Column(gettext_lazy("Total de la période TTC"), "period_total"),
        Column(gettext_lazy("Grand total perpétuel TTC"), "grand_total"),
        Column(gettext_lazy("Bons d'achat vendus (sans TVA)"), _vouchers_sold_total),
        Column(gettext_lazy("Clôturée par"), lambda closure: closure.closed_by.get_full_name() or closure.closed_by.username),
        Column(gettext_lazy("Clôturée le"), "closed_at"),
        Column(gettext_lazy("Empreinte"), "content_hash"),
    ]
    #: set by ``post`` when the closing was refused: the form shown again with its errors
    closure_form = None

    def get_base_queryset(self):
        return _closures()

    def _filtered_register(self):
        form = self.filterset.form if self.filterset is not None else None
        if form is not None and form.is_bound and form.is_valid():
            return form.cleaned_data.get("register")
        return None

    def get_context_data(self, **kwargs):
        registers = list(Register.objects.order_by("code"))
        form = None
        if self.request.user.has_perm(CLOSURE_ADD) and registers:
            # the register filtered, or the only one, is the one proposed for closing
            register = self._filtered_register() or (registers[0] if len(registers) == 1 else None)
            form = self.closure_form or RegisterClosureForm(initial={"register": register, **ClosureForm().initial})
        return super().get_context_data(registers=registers, closure_form=form, **kwargs)

    def post(self, request, *args, **kwargs):
        """« Clôturer la journée / le mois / l'année » of the register the form names; refused,
        the list is shown again with the form's errors (400)."""
        if not request.user.has_perm(CLOSURE_ADD):
            raise PermissionDenied
        form = RegisterClosureForm(request.POST)
        closure = _close_period(request, form.cleaned_data["register"], form) if form.is_valid() else None
        if closure is not None:
            return redirect("sales:till_closure", closure.pk)
        self.closure_form = form
        response = self.get(request, *args, **kwargs)
        response.status_code = 400
        return response


def _close_period(request, register: Register, form: ClosureForm) -> Closure | None:
    """The closure the form asks for, sealed (a success message), or None with the refusal on the form."""
    if not form.is_valid():
        return None
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
        return None
    messages.success(request, _("Clôture enregistrée et scellée : %(closure)s.") % {"closure": closure})
    return closure


def _register_closures_url(register_pk) -> str:
    return f"{reverse('sales:till_closure_list')}?{urlencode({'register': register_pk})}"


@permission_required(CLOSURE_READ)
def register_closures(request, register_pk):
    """The former page of one register's closures: the list filtered on that register."""
    return redirect(_register_closures_url(_register_or_404(register_pk).pk))


@require_POST
@permission_required(CLOSURE_READ, CLOSURE_ADD)
def closure_create(request, register_pk):
    """Closing a period posted to the register's own address (before the closures became a list
    whose page posts to itself): the closure, or the refusal shown on the register's list."""
    register = _register_or_404(register_pk)
    form = ClosureForm(request.POST)
    closure = _close_period(request, register, form)
    if closure is not None:
        return redirect("sales:till_closure", closure.pk)
    for message in [message for messages_ in form.errors.values() for message in messages_]:
        messages.error(request, message)
    return redirect(_register_closures_url(register.pk))


def _closure_context(closure: Closure) -> dict:
    labels = dict(PaymentMethod.choices)
    totals = closure.totals
    return {
        "closure": closure,
        "by_rate": totals.get("by_rate", []),
        "by_tender": [(labels.get(method, method), amount) for method, amount in totals.get("by_tender", {}).items()],
        "by_user": list(totals.get("by_user", {}).values()),
        "vouchers_issued": Decimal(str(totals.get("vouchers_issued") or "0")),
        "vouchers_sold": _vouchers_sold(totals.get("vouchers_sold") or {}, labels),
    }


def _vouchers_sold(sold: dict, labels: dict) -> dict:
    """The vouchers sold in the period (VOU-03: not turnover, no VAT), shown apart on the Z;
    a closure sealed before vouchers were sold at the till has none."""
    return {
        "count": int(sold.get("count") or 0),
        "total": Decimal(str(sold.get("total") or "0")),
        "by_tender": [(labels.get(method, method), Decimal(amount)) for method, amount in sold.get("by_tender", {}).items()],
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
    sold = context["vouchers_sold"]
    if sold["count"]:
        lines += [rule, _("Bons d'achat vendus (hors CA, sans TVA)")]
        lines.append(_text_row(_("%(count)s bon(s) d'achat") % {"count": sold["count"]}, amount(sold["total"])))
        lines += [_text_row(f"  {label}", amount(value)) for label, value in sold["by_tender"]]
    lines += [rule, _("Par caissier")]
    lines += [_text_row(f"{user['name']} ({user['tickets']})", amount(user["total"])) for user in context["by_user"]]
    lines += [rule, _("Réimpression : une clôture ne se modifie jamais.")]
    return "\n".join(lines) + "\n"


@permission_required(CLOSURE_READ)
def closure_ticket(request, pk):
    closure = _closure(pk)
    return HttpResponse(closure_text(closure).encode(), content_type="text/plain; charset=utf-8")


# --- Archives ----------------------------------------------------------------------------------


class ArchiveListView(SalesListView):
    """The closed periods whose signed archive can be downloaded (each download is logged):
    searched, filtered, sorted, paged and exported like the closures."""

    model = Closure
    permission_required = CLOSURE_READ
    template_name = "sales/till/archive_list.html"
    results_template_name = "sales/till/_archive_results.html"
    heading = gettext_lazy("Archives de caisse")
    filterset_class = ClosureFilter
    search_fields = ("register__code", "register__name", "rank")
    search_placeholder = gettext_lazy("Rang, caisse…")
    sort_fields = {
        "period": ("period_start", "register__code", "kind"),
        "register": ("register__code", "period_start"),
        "total": ("period_total",),
    }
    default_sort = "-period"
    export_name = "archives-de-caisse"
    export_columns = [
        Column(gettext_lazy("Caisse"), "register.code"),
        Column(gettext_lazy("Type"), lambda closure: closure.get_kind_display()),
        Column(gettext_lazy("Du"), "period_start"),
        Column(gettext_lazy("Au"), "period_end"),
        Column(gettext_lazy("Tickets"), "ticket_count"),
        Column(gettext_lazy("Total TTC"), "period_total"),
        Column(gettext_lazy("Rang de la clôture"), "sequence"),
        Column(gettext_lazy("Empreinte de la clôture"), "content_hash"),
    ]

    def get_base_queryset(self):
        return _closures()


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
    export_name = "journal-de-caisse"
    export_columns = [
        Column(gettext_lazy("Rang"), "sequence"),
        Column(gettext_lazy("Le"), "at"),
        Column(gettext_lazy("Type"), lambda event: event.get_kind_display()),
        Column(gettext_lazy("Caisse"), "register.code"),
        Column(gettext_lazy("Session"), "session_id"),
        Column(gettext_lazy("Utilisateur"), lambda event: event.user.get_username() if event.user else ""),
        Column(gettext_lazy("Détails"), lambda event: journal.described_text(event.details)),
        # what the chain sealed, as it was hashed: an auditor recomputes the fingerprint from it
        Column(gettext_lazy("Données scellées"), lambda event: json.dumps(event.details, ensure_ascii=False, sort_keys=True)),
        Column(gettext_lazy("Empreinte"), "content_hash"),
    ]

    def get_base_queryset(self):
        return TillEvent.objects.select_related("register", "user", "session__register")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for event in context["object_list"]:
            event.described = journal.describe(event.details)
        return context
