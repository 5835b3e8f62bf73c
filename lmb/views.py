"""Kernel screens: home, login (throttled), health check, company settings, API tokens, imports."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpResponseServerError, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import imports, search, services
from .access import permission_required
from .errors import DomainError
from .formats import decimal_fr
from .forms import CompanyForm, add_domain_error
from .models import ApiToken, ImportJob, ImportRow
from .roles import ROLE_LABELS, user_roles
from .spreadsheets import CSV, EXPORT_FORMATS, table_response


def safe_next(request, default: str) -> str:
    """The ``next`` URL of a form when it stays on this site, else ``default``. The one place a
    redirect target is read from a request (a test keeps it so): a target taken as is would send
    a user, from one of our buttons, to any site (open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return target if target and allowed else default


@dataclass(frozen=True)
class DashboardPanel:
    template_name: str
    permission: str
    context: callable  # (request) -> dict
    order: int
    roles: tuple = ()  # the trades (lmb.roles) it is for; empty: whoever has the permission
    width: str = "col-lg-6"  # Bootstrap column classes of the panel on the home page


_panels: list[DashboardPanel] = []


def register_dashboard_panel(*, template_name, permission, context, order=100, roles=(), width="col-lg-6"):
    """Apps put a panel on the home page (e.g. crm: my tasks for today, stats: the day's sales)
    from ``ready()``. A panel is shown to a user who has ``permission`` and, when ``roles`` are
    given, belongs to one of them (each role sees the panels of its trade: the warehouse no
    money); a superuser sees every panel. ``context`` runs only for the panels shown."""
    if all(panel.template_name != template_name for panel in _panels):
        _panels.append(DashboardPanel(template_name, permission, context, order, tuple(roles), width))
        _panels.sort(key=lambda panel: panel.order)


def _shows(panel: DashboardPanel, user, groups: set[str]) -> bool:
    if not user.has_perm(panel.permission):
        return False
    return not panel.roles or user.is_superuser or bool(groups.intersection(panel.roles))


def home(request):
    groups = set(request.user.groups.values_list("name", flat=True))
    panels = [
        {"template_name": panel.template_name, "width": panel.width, **panel.context(request)}
        for panel in _panels
        if _shows(panel, request.user, groups)
    ]
    roles = [ROLE_LABELS.get(name, name) for name in sorted(groups)]
    return render(request, "lmb/home.html", {"panels": panels, "roles": roles})


def global_search(request):
    """The top-bar box: a scanned or typed code that matches one object opens it (code + Enter)."""
    text = (request.GET.get("q") or "").strip()
    if text:
        url = search.exact_match(request.user, text)
        if url:
            return redirect(url)
    sections = (
        [{"title": provider.title, "hits": provider.results(text, 20)} for provider in search.providers_for(request.user)]
        if text
        else []
    )
    return render(request, "lmb/search.html", {"q": text, "sections": sections})


@login_not_required
@never_cache
def health(request):
    """For load balancers and monitoring: 200 when the database (and Redis, if configured) answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not healthy"; say which
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def client_address(request) -> str:
    """The client's IP address; behind the production reverse proxy (``DJANGO_BEHIND_PROXY``),
    the last address it appended to X-Forwarded-For."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


class LoginView(auth_views.LoginView):
    """Django's login, refusing further attempts for a while after repeated failures: for one
    user name from one address (so a colleague behind the same shop router is not locked out,
    and nobody can lock an account from elsewhere), and for one address whatever the name
    (against guessing across accounts). Counters live in the cache (Redis in production)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def _limits(self):
        username = (self.request.POST.get("username") or "").strip().lower()
        address = client_address(self.request)
        return [
            (f"login-failures:user-ip:{username}:{address}", settings.LOGIN_FAILURE_LIMIT),
            (f"login-failures:ip:{address}", settings.LOGIN_FAILURE_LIMIT * 10),
        ]

    def _locked(self):
        return any((cache.get(key) or 0) >= limit for key, limit in self._limits())

    def post(self, request, *args, **kwargs):
        if self._locked():
            form = self.get_form()
            form.errors.clear()
            minutes = max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
            form.add_error(
                None, _("Trop de tentatives de connexion échouées. Réessayez dans %(minutes)s minutes.") % {"minutes": minutes}
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        for key, _limit in self._limits():
            cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
            cache.incr(key)
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete(self._limits()[0][0])
        return super().form_valid(form)


@permission_required("lmb.view_company")
def company_detail(request):
    company = services.get_company()
    return render(request, "lmb/company_detail.html", {"company": company})


def _company_changes(cleaned_data):
    """The form's values as service arguments; an unchanged logo is left out, a cleared one emptied."""
    changes = dict(cleaned_data)
    if changes.get("logo") is None:
        changes.pop("logo", None)
    elif changes["logo"] is False:
        changes["logo"] = ""
    return changes


@permission_required("lmb.change_company")
def company_edit(request):
    company = services.get_company()
    form = CompanyForm(request.POST or None, request.FILES or None, instance=company)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_company(**_company_changes(form.cleaned_data))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Les informations de l'entreprise sont enregistrées."))
            return redirect("company")
    return render(request, "lmb/company_form.html", {"form": form})


def account(request):
    """The user's own page: roles, API tokens (created here, the key shown once)."""
    if request.method == "POST":
        name = (request.POST.get("name") or "").strip()
        if not name:
            messages.error(request, _("Nom du jeton : ce champ est obligatoire."))
        else:
            try:
                _token, key = services.create_api_token(user=request.user, name=name)
            except DomainError as error:
                messages.error(request, _("Nom du jeton : %(error)s") % {"error": error.message})
            else:
                request.session["new_api_key"] = key  # shown once, after the redirect
        return redirect("account")
    new_key = request.session.pop("new_api_key", None)
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "lmb/account.html", {"tokens": tokens, "new_key": new_key, "roles": user_roles(request.user)})


@require_POST
def revoke_token(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token)
    messages.success(request, _("Le jeton « %(name)s » est révoqué.") % {"name": token.name})
    return redirect("account")


# --- Spreadsheet imports (any kind an app registered) ------------------------------------------


# The rejected rows also come as CSV: what a user who sent a CSV corrects and sends back.
REJECTED_ROWS_FORMATS = {**EXPORT_FORMATS, CSV: "CSV (;)"}


def _importer_for(request, kind):
    try:
        importer = imports.get_importer(kind)
    except DomainError:
        raise Http404 from None
    if not request.user.has_perms(importer.permissions):
        raise PermissionDenied
    return importer


def import_start(request, kind):
    importer = _importer_for(request, kind)
    error = None
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        if uploaded is None:
            error = _("Fichier : choisissez un fichier .xlsx ou .csv.")
        else:
            try:
                job = imports.preview_import(kind=kind, uploaded_file=uploaded, user=request.user)
            except DomainError as exc:
                error = exc.message
            else:
                return redirect("import_preview", pk=job.pk)
    return render(request, "lmb/import_start.html", {"importer": importer, "error": error})


def _own_job(request, pk):
    """An import is its author's (an administrator may see anyone's)."""
    jobs = ImportJob.objects.all() if request.user.is_superuser else ImportJob.objects.filter(created_by=request.user)
    job = get_object_or_404(jobs, pk=pk)
    _importer_for(request, job.kind)
    return job


PREVIEW_ERROR_ROWS = 200  # rejected rows listed on the page; all of them are in the download


def import_preview(request, pk):
    """The import's page: its background job's progress while a large file is checked or
    written, then the preview (the rejected rows and why) or the outcome."""
    job = _own_job(request, pk)
    importer = imports.get_importer(job.kind)
    rejected = job.rows.filter(state=ImportRow.State.REJECTED).order_by("number")[:PREVIEW_ERROR_ROWS]
    errors_by_row = [(row.number, row.errors) for row in rejected]
    background = job.job if job.status in (ImportJob.Status.CHECKING, ImportJob.Status.IMPORTING) else None
    return render(
        request,
        "lmb/import_preview.html",
        {
            "job": job,
            "importer": importer,
            "errors_by_row": errors_by_row,
            "more_rejected": max(job.rejected_count - len(errors_by_row), 0),
            "export_formats": REJECTED_ROWS_FORMATS,
            "background_job": background,
        },
    )


@require_POST
def import_confirm(request, pk):
    job = _own_job(request, pk)
    try:
        job = imports.confirm_import(job, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if job.status == ImportJob.Status.IMPORTING:
            messages.info(request, _("Import lancé : les lignes sont écrites par lots, la page suit leur progression."))
        else:
            messages.success(
                request,
                _("Import terminé : %(created)s créé(s), %(updated)s mis à jour, %(rejected)s ligne(s) rejetée(s).")
                % {
                    "created": decimal_fr(job.created_count),
                    "updated": decimal_fr(job.updated_count),
                    "rejected": decimal_fr(job.rejected_count),
                },
            )
    return redirect("import_preview", pk=job.pk)


@require_POST
def import_cancel(request, pk):
    job = _own_job(request, pk)
    try:
        imports.cancel_import(job)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, _("Import annulé : rien n'a été enregistré."))
    return redirect("import_preview", pk=job.pk)


def import_rejected(request, pk, fmt):
    job = _own_job(request, pk)
    if fmt not in REJECTED_ROWS_FORMATS:
        raise Http404
    header, rows = imports.rejected_rows(job)
    return table_response(fmt, f"lignes-rejetees-{job.pk}", header, rows)


@login_not_required
def admin_login(request):
    """Where Django's admin sends whoever it refuses. Someone not logged in goes to our (throttled)
    login page. A logged-in user the admin refuses (not staff) would be sent back by the login page
    to the admin, which refuses them again — a redirect loop: tell them instead."""
    if not request.user.is_authenticated:
        query = request.META.get("QUERY_STRING", "")
        return redirect(f"{reverse('login')}?{query}" if query else reverse("login"))
    if request.user.is_active and request.user.is_staff:
        return redirect(safe_next(request, reverse("admin:index")))
    reason = _("L'administration technique est réservée au support technique.")
    return render(request, "403.html", {"reason": reason}, status=403)


# --- Error pages -----------------------------------------------------------------------------


# Under /api/ an error Django answers itself (no URL matches, an unhandled exception) is JSON
# like DRF's: an integrator's client reads every answer of the API the same way.
API_PREFIX = "/api/"
API_ERROR_MESSAGES = {
    400: gettext_lazy("Requête invalide."),
    403: gettext_lazy("Vous n'avez pas la permission d'effectuer cette action."),
    404: gettext_lazy("Aucune ressource à cette adresse."),
    500: gettext_lazy("Erreur interne du serveur : l'équipe technique a été prévenue."),
}


def _api_error(request, status):
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": str(API_ERROR_MESSAGES[status])}, status=status)
    return None


def _error_page(template, status):
    def view(request, exception=None):
        return _api_error(request, status) or render(request, template, status=status)

    return login_not_required(view)


bad_request = _error_page("400.html", 400)
permission_denied = _error_page("403.html", 403)
page_not_found = _error_page("404.html", 404)


@login_not_required
def server_error(request):
    """Rendered without context processors: the database may be what failed."""
    return _api_error(request, 500) or HttpResponseServerError(loader.get_template("500.html").render())
