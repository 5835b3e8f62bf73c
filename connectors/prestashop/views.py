"""Back-office screens of the connector: shops (add, edit, test the connection) with their sync
history and outbox, the error queue (payload, error, retry, ignore with a reason), and "sync now"
as a job with progress."""

import json
from urllib.parse import urlencode

import django_filters
from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lmb.access import permission_required
from lmb.errors import DomainError
from lmb.forms import add_domain_error
from lmb.lists import ListView
from lmb.spreadsheets import Column

from . import services
from .client import WebserviceError
from .forms import ChannelForm
from .models import ImportIssue, Push, ShopChannel, WebhookEvent

PERMISSION = "prestashop.view_shopchannel"
# A shop's settings and the connection test: administrators. The key goes out with every call
# to the shop, so whoever may change its address could have the key sent to a server of theirs.
CHANGE = "prestashop.change_shopchannel"
ADD = "prestashop.add_shopchannel"
# Calls to the shop's stored address only: a sync, a push retried (sales too).
SYNC = "prestashop.sync_shopchannel"
WORK_ISSUES = "prestashop.change_importissue"


@permission_required(PERMISSION)
def channel_list(request):
    channels = ShopChannel.objects.select_related("sales_channel", "warehouse").order_by("name")
    return render(request, "prestashop/channel_list.html", {"channels": channels})


def _webhook_url(request, channel) -> str:
    return request.build_absolute_uri(reverse("prestashop:webhook", args=[channel.name]))


def _detail_context(request, channel) -> dict:
    return {
        "channel": channel,
        "runs": channel.runs.all()[:20],
        "pushes": channel.pushes.exclude(status=Push.Status.SENT)[:50],
        "open_issues": channel.issues.filter(status=ImportIssue.Status.OPEN).count(),
        "webhook_url": _webhook_url(request, channel),
    }


@permission_required(PERMISSION)
def channel_detail(request, pk):
    channel = get_object_or_404(ShopChannel.objects.select_related("sales_channel", "warehouse"), pk=pk)
    return render(request, "prestashop/channel_detail.html", _detail_context(request, channel))


@permission_required(ADD)
def channel_create(request):
    """A new shop. Its webhook secret is shown on the answer to this POST, once: it is not kept
    readable anywhere a page could show it again."""
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            channel, secret = services.add_channel(**form.service_arguments())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            context = {"channel": channel, "secret": secret, "webhook_url": _webhook_url(request, channel)}
            return render(request, "prestashop/channel_created.html", context)
    return render(request, "prestashop/channel_form.html", {"form": form})


@permission_required(CHANGE)
def channel_edit(request, pk):
    channel = get_object_or_404(ShopChannel, pk=pk)
    form = ChannelForm(request.POST or None, channel=channel)
    if request.method == "POST" and form.is_valid():
        try:
            channel = services.update_channel(channel, **form.service_arguments())
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Boutique %(name)s enregistrée.") % {"name": channel.name})
            return redirect(channel)
    return render(request, "prestashop/channel_form.html", {"form": form, "channel": channel})


@require_POST
@permission_required(CHANGE)
def channel_test(request, pk):
    """Ask the shop's webservice what the stored key may do, and show its answer on the page."""
    channel = get_object_or_404(ShopChannel.objects.select_related("sales_channel", "warehouse"), pk=pk)
    context = _detail_context(request, channel)
    try:
        context["connection"] = services.check_connection(channel)
    except WebserviceError as error:
        context["connection_error"] = error
    return render(request, "prestashop/channel_detail.html", context)


@require_POST
@permission_required(SYNC)
def sync_now(request, pk):
    channel = get_object_or_404(ShopChannel, pk=pk)
    job = services.start_sync_job(channel, user=request.user)
    return redirect("jobs:detail", pk=job.pk)


class IssueFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Statut"), choices=ImportIssue.Status.choices, empty_label=gettext_lazy("Tous")
    )
    channel = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Boutique"), queryset=ShopChannel.objects.all(), empty_label=gettext_lazy("Toutes")
    )

    class Meta:
        model = ImportIssue
        fields = ["status", "channel"]


class IssueListView(ListView):
    model = ImportIssue
    permission_required = PERMISSION
    template_name = "prestashop/issue_list.html"
    results_template_name = "prestashop/_issue_results.html"
    filterset_class = IssueFilter
    search_fields = ("external_id", "reference", "error")
    search_placeholder = gettext_lazy("N° de commande, référence, erreur…")
    sort_fields = {"seen": ("last_seen_at",), "order": ("external_id",), "attempts": ("attempts",)}
    default_sort = "-seen"
    export_name = "erreurs-prestashop"
    export_columns = [
        Column(gettext_lazy("Boutique"), lambda issue: issue.channel.name),
        Column(gettext_lazy("Commande"), "external_id"),
        Column(gettext_lazy("Référence"), "reference"),
        Column(gettext_lazy("Statut"), lambda issue: issue.get_status_display()),
        Column(gettext_lazy("Tentatives"), "attempts"),
        Column(gettext_lazy("Erreur"), "error"),
        Column(gettext_lazy("Motif"), "ignored_reason"),
    ]

    def get_base_queryset(self):
        return ImportIssue.objects.select_related("channel")


issue_list = IssueListView.as_view()


@permission_required(PERMISSION)
def issue_detail(request, pk):
    issue = get_object_or_404(ImportIssue.objects.select_related("channel"), pk=pk)
    payload_json = json.dumps(issue.payload, indent=2, ensure_ascii=False)
    return render(request, "prestashop/issue_detail.html", {"issue": issue, "payload_json": payload_json})


@require_POST
@permission_required(WORK_ISSUES)
def issue_retry(request, pk):
    issue = get_object_or_404(ImportIssue, pk=pk)
    try:
        outcome = services.retry_issue(issue)
    except (DomainError, WebserviceError) as error:
        messages.error(request, str(getattr(error, "message", error)))
    else:
        if outcome.status == "failed":
            messages.error(request, outcome.error)
        else:
            messages.success(request, _("Commande importée."))
    return redirect("prestashop:issue_detail", pk=pk)


@require_POST
@permission_required(WORK_ISSUES)
def issue_ignore(request, pk):
    issue = get_object_or_404(ImportIssue, pk=pk)
    try:
        services.ignore_issue(issue, reason=request.POST.get("reason", ""))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Erreur ignorée."))
    return redirect("prestashop:issue_detail", pk=pk)


@require_POST
@permission_required(SYNC)
def push_retry(request, pk):
    push = get_object_or_404(Push, pk=pk)
    services.retry_push(push)
    messages.success(request, _("Envoi relancé."))
    return redirect("prestashop:channel_detail", pk=push.channel_id)


def dashboard_panel(request) -> dict:
    """The home dashboard's « Boutiques en ligne » panel: orders received from the shops and not
    handled yet, those that failed, and the error queue. Two statements."""
    events = WebhookEvent.objects.filter(status__in=[WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED]).aggregate(
        waiting=Count("pk", filter=Q(status=WebhookEvent.Status.RECEIVED)),
        failed=Count("pk", filter=Q(status=WebhookEvent.Status.FAILED)),
    )
    return {
        "events_waiting": events["waiting"],
        "events_failed": events["failed"],
        "open_issues": ImportIssue.objects.filter(status=ImportIssue.Status.OPEN).count(),
        "issues_url": f"{reverse('prestashop:issue_list')}?{urlencode({'status': ImportIssue.Status.OPEN})}",
        "channels_url": reverse("prestashop:channel_list"),
    }
