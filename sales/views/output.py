"""Documents out, from the screens: the PDF of a document (the stored Factur-X of an issued
invoice or credit note), sending it by e-mail, the archive of a period as a zip job, and the
batch printing of selected documents as a job."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from crm.views import email_document_page
from lmb.access import permission_required
from lmb.errors import DomainError

from .. import output, pdfs
from ..models import DeliveryNote
from .documents import _kind


def _require(user, permission):
    if not user.has_perm(permission):
        raise PermissionDenied


def _document(request, kind_slug, pk):
    kind = _kind(kind_slug)
    _require(request.user, kind.permission_prefix % "view")
    return get_object_or_404(kind.queryset(), pk=pk)


def _pdf_response(rendered, *, download: bool) -> HttpResponse:
    response = HttpResponse(rendered.content, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{rendered.filename}"'
    return response


def _render_or_refuse(request, document):
    try:
        return _pdf_response(pdfs.pdf_of(document), download=request.GET.get("download") == "1")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(document)


def document_pdf(request, kind, pk):
    return _render_or_refuse(request, _document(request, kind, pk))


@permission_required("sales.view_deliverynote")
def delivery_pdf(request, pk):
    return _render_or_refuse(request, get_object_or_404(DeliveryNote.objects.select_related("order"), pk=pk))


def _email(request, document, back_url):
    return email_document_page(request, document=document, back_url=back_url, nav_template="sales/_nav.html")


def document_email(request, kind, pk):
    document = _document(request, kind, pk)
    if request.method == "POST":
        _require(request.user, _kind(kind).permission_prefix % "change")
    return _email(request, document, document.get_absolute_url())


@permission_required("sales.view_deliverynote")
def delivery_email(request, pk):
    note = get_object_or_404(DeliveryNote.objects.select_related("order"), pk=pk)
    if request.method == "POST":
        _require(request.user, "sales.change_deliverynote")
    return _email(request, note, note.get_absolute_url())


def _day(value):
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


@require_POST
@permission_required("sales.view_invoice")
def archive_start(request):
    """The zip of a period's issued documents (from the invoice list)."""
    try:
        job = output.start_archive_job(
            kind=request.POST.get("kind", "invoice"),
            date_from=_day(request.POST.get("date_from")),
            date_to=_day(request.POST.get("date_to")),
            user=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("sales:invoice_list")
    return redirect("jobs:detail", job.pk)


@require_POST
def batch_print(request, kind):
    """One PDF of the documents ticked in a list."""
    if kind == "delivery_note":
        _require(request.user, "sales.view_deliverynote")
        back = "sales:delivery_list"
    else:
        kind_info = _kind(kind)
        _require(request.user, kind_info.permission_prefix % "view")
        back = kind_info.list_url_name
    try:
        job = output.start_batch_job(kind=kind, ids=request.POST.getlist("ids"), user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    return redirect("jobs:detail", job.pk)
