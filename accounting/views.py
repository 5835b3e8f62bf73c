"""Back-office screens of accounting: chart of accounts, account mapping, entries, fiscal years
and periods (close, reopen), manual lettering, and the exports page (FEC, ledger, journals,
trial balance, CSV). The accountant role reads everything and exports; writes go through
``accounting.services`` and ``accounting.lettering``."""

import os
import tempfile

import django_filters
from django.contrib import messages
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lmb.access import permission_required
from lmb.csv_export import csv_writer
from lmb.errors import DomainError
from lmb.formats import decimal_fr
from lmb.forms import add_domain_error
from lmb.lists import ListView
from lmb.services import get_company
from lmb.spreadsheets import Column, table_response
from lmb.views import safe_next
from sales import vat
from sales.models import PaymentMethod

from . import fec, fec_check, lettering, queries, services
from .forms import AccountForm, FecForm, FiscalYearForm, LetteringFilterForm, MappingForm, PeriodExportForm
from .models import Account, AccountMapping, FiscalYear, Journal, JournalLine, Period

VIEW = "accounting.view_journalentry"
# A refused FEC names its first problems on the exports page; the command lists them all.
FEC_PROBLEMS_SHOWN = 5

# --- Chart of accounts ---------------------------------------------------------------------------


class AccountFilter(django_filters.FilterSet):
    is_control = django_filters.BooleanFilter(label=gettext_lazy("Collectif"))
    is_active = django_filters.BooleanFilter(label=gettext_lazy("Actif"))

    class Meta:
        model = Account
        fields = ["is_control", "is_active"]


class AccountListView(ListView):
    model = Account
    permission_required = "accounting.view_account"
    template_name = "accounting/account_list.html"
    results_template_name = "accounting/_account_results.html"
    filterset_class = AccountFilter
    search_fields = ("number", "label")
    search_placeholder = gettext_lazy("Numéro, libellé…")
    sort_fields = {"number": ("number",), "label": ("label",)}
    default_sort = "number"
    export_name = "plan-comptable"
    export_columns = [
        Column(gettext_lazy("Numéro"), "number"),
        Column(gettext_lazy("Libellé"), "label"),
        Column(gettext_lazy("Collectif"), "is_control"),
        Column(gettext_lazy("Actif"), "is_active"),
    ]


def _edit(request, form_class, instance, *, title, success_url):
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Enregistré."))
        return redirect(success_url)
    return render(request, "accounting/form.html", {"form": form, "title": title})


@permission_required("accounting.change_account")
def account_edit(request, pk=None):
    account = get_object_or_404(Account, pk=pk) if pk else None
    title = _("Compte %(number)s") % {"number": account.number} if account else _("Nouveau compte")
    return _edit(request, AccountForm, account, title=title, success_url="accounting:account_list")


# --- Mapping -------------------------------------------------------------------------------------


class MappingFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(
        label=gettext_lazy("Rôle"), choices=AccountMapping.Role.choices, empty_label=gettext_lazy("Tous")
    )

    class Meta:
        model = AccountMapping
        fields = ["role"]


class MappingListView(ListView):
    model = AccountMapping
    permission_required = "accounting.view_accountmapping"
    template_name = "accounting/mapping_list.html"
    results_template_name = "accounting/_mapping_results.html"
    filterset_class = MappingFilter
    search_fields = ("account__number", "account__label", "vat_treatment", "payment_method")
    search_placeholder = gettext_lazy("Compte, régime, mode de règlement…")
    sort_fields = {"role": ("role", "product_kind", "vat_treatment"), "account": ("account__number",)}
    default_sort = "role"
    export_name = "affectations-comptables"
    export_columns = [
        Column(gettext_lazy("Rôle"), lambda rule: rule.get_role_display()),
        Column(gettext_lazy("Type de produit"), lambda rule: rule.get_product_kind_display()),
        Column(gettext_lazy("Régime de TVA"), lambda rule: vat.treatment_label(rule.vat_treatment)),
        Column(gettext_lazy("Taux"), "vat_rate"),
        Column(gettext_lazy("Canal"), "channel.name"),
        Column(gettext_lazy("Mode de règlement"), lambda rule: PaymentMethod.label_of(rule.payment_method)),
        Column(gettext_lazy("Compte"), "account.number"),
        Column(gettext_lazy("Journal"), "journal.code"),
    ]

    def get_base_queryset(self):
        return AccountMapping.objects.select_related("account", "journal", "channel")


@permission_required("accounting.change_accountmapping")
def mapping_edit(request, pk=None):
    rule = get_object_or_404(AccountMapping, pk=pk) if pk else None
    return _edit(request, MappingForm, rule, title=_("Affectation comptable"), success_url="accounting:mapping_list")


# --- Entries -------------------------------------------------------------------------------------


class LineFilter(django_filters.FilterSet):
    journal = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Journal"),
        field_name="entry__journal",
        queryset=Journal.objects.all(),
        empty_label=gettext_lazy("Tous"),
    )
    period = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Période"),
        queryset=Period.objects.all(),
        method="filter_period",
        empty_label=gettext_lazy("Toutes"),
    )
    account = django_filters.CharFilter(label=gettext_lazy("Compte"), method="filter_account")
    lettered = django_filters.BooleanFilter(label=gettext_lazy("Lettrée"), method="filter_lettered")

    class Meta:
        model = JournalLine
        fields = ["journal", "period", "account"]

    def filter_period(self, queryset, name, value):
        """The period's days rather than its id: an entry is always dated inside its period
        (services.open_period_for), and a range of dates is what the date indexes serve."""
        return queryset.filter(entry__date__range=(value.start, value.end)) if value else queryset

    def filter_account(self, queryset, name, value):
        """The lines of the accounts whose number starts with ``value``, named by their ids (one
        small query): PostgreSQL then knows from its statistics how many lines each account has,
        and reads a rarely used account's few lines by the account index instead of walking the
        whole ledger by date in search of them (seconds at 800,000 lines)."""
        if not value:
            return queryset
        accounts = Account.objects.filter(number__startswith=value).values_list("id", flat=True)
        return queryset.filter(account_id__in=list(accounts))

    def filter_lettered(self, queryset, name, value):
        return queryset.exclude(lettering_code="") if value else queryset.filter(lettering_code="")


class EntryLineListView(ListView):
    """The entries, line by line (what an accountant scrolls through), per journal and period."""

    model = JournalLine
    permission_required = VIEW
    template_name = "accounting/entry_list.html"
    results_template_name = "accounting/_entry_results.html"
    filterset_class = LineFilter
    search_fields = ("entry__piece_ref", "label", "auxiliary_number", "auxiliary_label")
    search_placeholder = gettext_lazy("Pièce, libellé, tiers…")
    # Each sort is one an index serves (ListView adds the id to each). By date, an entry's lines
    # stay together and in order: PostgreSQL walks the entries by (date, journal, number) and
    # reads each one's lines from (entry, position, id). By journal: journal by journal, each in
    # date then number order, from (journal, date, number); the journals come in the order of the
    # chart (sales, purchases, bank…: their id), not of their codes, which no index of the entries
    # holds. No sort by account: the lines of one account run to hundreds of thousands, so sorting
    # by account number then date is a sort of the whole ledger; the account filter gives one
    # account's lines by date (the general ledger) instead.
    sort_fields = {
        "date": ("entry__date", "entry__journal_id", "entry__number", "position"),
        "journal": ("entry__journal_id", "entry__date", "entry__number", "position"),
        "debit": ("debit",),
        "credit": ("credit",),
    }
    default_sort = "-date"
    paginate_by = 100
    export_name = "ecritures"
    export_columns = [
        Column(gettext_lazy("Journal"), "entry.journal.code"),
        Column(gettext_lazy("N°"), "entry.number"),
        Column(gettext_lazy("Date"), "entry.date"),
        Column(gettext_lazy("Pièce"), "entry.piece_ref"),
        Column(gettext_lazy("Compte"), "account.number"),
        Column(gettext_lazy("Tiers"), "auxiliary_number"),
        Column(gettext_lazy("Libellé"), "label"),
        Column(gettext_lazy("Débit"), "debit"),
        Column(gettext_lazy("Crédit"), "credit"),
        Column(gettext_lazy("Lettrage"), "lettering_code"),
    ]

    def get_base_queryset(self):
        return JournalLine.objects.select_related("entry__journal", "account")

    def get_context_data(self, **kwargs):
        return super().get_context_data(pending_button=True, **kwargs)


@require_POST
@permission_required(VIEW)
def post_pending(request):
    report = services.post_pending()
    messages.success(request, str(report))
    for error in report.errors[:10]:
        messages.warning(request, error)
    return redirect(safe_next(request, reverse("accounting:entry_list")))


# --- Fiscal years and periods --------------------------------------------------------------------


@permission_required("accounting.view_fiscalyear")
def fiscal_years(request):
    form = FiscalYearForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("accounting.add_fiscalyear"):
            return redirect("accounting:fiscal_years")
        if form.is_valid():
            try:
                services.create_fiscal_year(start=form.cleaned_data["start"], end=form.cleaned_data["end"])
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Exercice créé."))
                return redirect("accounting:fiscal_years")
    years = FiscalYear.objects.prefetch_related("periods")
    return render(request, "accounting/fiscal_years.html", {"years": years, "form": form})


@require_POST
@permission_required("accounting.change_period")
def period_action(request, pk, action):
    period = get_object_or_404(Period, pk=pk)
    try:
        if action == "close":
            services.close_period(period, user=request.user)
            messages.success(request, _("Période %(period)s clôturée.") % {"period": period})
        else:
            services.reopen_period(period)
            messages.success(request, _("Période %(period)s rouverte.") % {"period": period})
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("accounting:fiscal_years")


# --- Manual lettering ----------------------------------------------------------------------------


def _default_lettering_account():
    """The customers' account (411…) when it can be lettered, else the first lettering account."""
    lettering_accounts = Account.objects.filter(is_control=True)
    customers = (
        AccountMapping.objects.filter(role=AccountMapping.Role.CUSTOMERS, account__in=lettering_accounts)
        .select_related("account")
        .first()
    )
    return customers.account if customers else lettering_accounts.order_by("number").first()


def _lettering_filter(request):
    """The filter of the lettering screen, always bound: the account it lists is the account its
    selector shows. Left unbound, the selector showed its first option (401) above the lines of
    the default account (411)."""
    data = request.GET.copy()
    if not data.get("account"):
        default = _default_lettering_account()
        data["account"] = default.pk if default else ""
    return LetteringFilterForm(data)


def _letter_or_unletter(request, account):
    try:
        if request.POST.get("unletter"):
            lettering.unletter(account_id=account.pk, code=request.POST["unletter"].strip().upper())
            messages.success(request, _("Lettrage retiré."))
        else:
            ids = [int(pk) for pk in request.POST.getlist("line") if pk.isdigit()]
            code = lettering.letter_lines(line_ids=ids)
            messages.success(request, _("Lignes lettrées « %(code)s ».") % {"code": code})
    except DomainError as error:
        messages.error(request, str(error))


@permission_required("accounting.change_journalline")
def lettering_screen(request):
    form = _lettering_filter(request)
    account, auxiliary = None, ""
    if form.is_valid():
        account, auxiliary = form.cleaned_data["account"], form.cleaned_data["auxiliary"].strip()
    if request.method == "POST":
        if account is not None:
            _letter_or_unletter(request, account)
        return redirect(request.get_full_path())
    lines = list(queries.unlettered_lines(account.pk, auxiliary)[:500]) if account else []
    return render(request, "accounting/lettering.html", {"form": form, "lines": lines, "account": account})


# --- Exports -------------------------------------------------------------------------------------


@permission_required(VIEW)
def exports(request):
    return render(
        request,
        "accounting/exports.html",
        {"fec_form": FecForm(), "period_form": PeriodExportForm()},
    )


@permission_required(VIEW)
def fec_download(request):
    """Book what is pending, write the FEC to a temporary file, check it against the format's rules
    (like ``manage.py export_fec``), hand it over, remove it."""
    form = FecForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Choisissez un exercice."))
        return redirect("accounting:exports")
    company = get_company()
    if company is None or not company.siren:
        messages.error(request, _("Renseignez d'abord le SIREN de l'entreprise : il nomme le fichier du FEC."))
        return redirect("accounting:exports")
    services.post_pending()
    fiscal_year = form.cleaned_data["fiscal_year"]
    directory = tempfile.mkdtemp(prefix="fec-")
    path = fec.export(fiscal_year, directory, siren=company.siren)
    checked = fec_check.check_export(path, fiscal_year, company.siren)
    if not checked.ok:  # never hand the accountant a file the administration's tools would reject
        os.unlink(path)
        os.rmdir(directory)
        _refuse_fec(request, checked)
        return redirect("accounting:exports")
    handle = open(path, "rb")  # noqa: SIM115 — FileResponse closes it
    os.unlink(path)  # the open handle keeps the data until the response is sent
    os.rmdir(directory)
    return FileResponse(
        handle, as_attachment=True, filename=os.path.basename(path), content_type="text/plain; charset=iso-8859-15"
    )


def _refuse_fec(request, checked):
    shown = checked.problems[:FEC_PROBLEMS_SHOWN]
    message = _("Le FEC ne passe pas les contrôles du format (%(count)s problème(s)) : %(problems)s") % {
        "count": decimal_fr(checked.found),
        "problems": " ; ".join(shown) + (" ; …" if checked.found > len(shown) else ""),
    }
    messages.error(request, message)


class _Echo:
    def write(self, value):
        return value


def _csv_response(start, end):
    # Amounts are plain numbers ("-12,50") and stay numbers; a label or a piece reference that a
    # spreadsheet would run as a formula is written as text (lmb.csv_export).
    writer = csv_writer(_Echo(), delimiter=";")

    def rows():
        yield "\ufeff" + writer.writerow(queries.CSV_HEADERS)
        for row in queries.csv_rows(start, end):
            yield writer.writerow(row)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ecritures-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
    return response


@permission_required(VIEW)
def period_export(request):
    form = PeriodExportForm(request.GET)
    if not form.is_valid():
        return render(request, "accounting/exports.html", {"fec_form": FecForm(), "period_form": form})
    services.post_pending(until=form.cleaned_data["end"])
    start, end, report, fmt = (form.cleaned_data[name] for name in ("start", "end", "report", "fmt"))
    suffix = f"{start:%Y%m%d}-{end:%Y%m%d}"
    if report == "csv":
        return _csv_response(start, end)
    if report == "ledger":
        return table_response(
            fmt, f"grand-livre-{suffix}", [str(h) for h in queries.LEDGER_HEADERS], queries.general_ledger(start, end)
        )
    if report == "journals":
        return table_response(fmt, f"journaux-{suffix}", [str(h) for h in queries.JOURNAL_HEADERS], queries.journals(start, end))
    rows = (row.as_list() for row in queries.trial_balance(start, end))
    return table_response(fmt, f"balance-{suffix}", [str(h) for h in queries.TRIAL_BALANCE_HEADERS], rows)
