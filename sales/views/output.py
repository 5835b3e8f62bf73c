"""Documents out, from the screens: the PDF of a document (the stored Factur-X of an issued
invoice or credit note), sending it by e-mail, the archive of a period as a zip job, and the
batch printing of selected documents as a job."""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lmb.errors import DomainError
from lmb.forms import add_domain_error

from .. import mailing, output, pdfs
from ..models import DeliveryNote, EmailTemplate
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


@permission_required("sales.view_deliverynote", raise_exception=True)
def delivery_pdf(request, pk):
    return _render_or_refuse(request, get_object_or_404(DeliveryNote.objects.select_related("order"), pk=pk))


class EmailForm(forms.Form):
    recipient = forms.EmailField(label=gettext_lazy("Destinataire"), required=False)


def _email(request, document, back_url):
    form = EmailForm(request.POST or None, initial={"recipient": mailing.default_recipient(document)})
    if request.method == "POST" and form.is_valid():
        try:
            address = mailing.send_document_email(document=document, recipient=form.cleaned_data["recipient"], user=request.user)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, _("Envoi à %(address)s en cours : il apparaîtra sur la chronologie du client.") % {"address": address}
            )
            return redirect(back_url)
    subject, body = mailing.compose(document)
    context = {"form": form, "document": document, "subject": subject, "body": body, "back_url": back_url}
    return render(request, "sales/email_form.html", context, status=400 if form.errors else 200)


def document_email(request, kind, pk):
    document = _document(request, kind, pk)
    if request.method == "POST":
        _require(request.user, _kind(kind).permission_prefix % "change")
    return _email(request, document, document.get_absolute_url())


@permission_required("sales.view_deliverynote", raise_exception=True)
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
@permission_required("sales.view_invoice", raise_exception=True)
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


# --- The company's e-mail texts -------------------------------------------------------------------


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
        help_texts = {
            "body": gettext_lazy("Remplacés à l'envoi : {number}, {customer}, {total}, {due_date}, {company}, {document}.")
        }


@permission_required("sales.view_emailtemplate", raise_exception=True)
def email_templates(request):
    return render(request, "sales/email_templates.html", {"templates": EmailTemplate.objects.all()})


@permission_required("sales.change_emailtemplate", raise_exception=True)
def email_template_edit(request, document_type):
    template = get_object_or_404(EmailTemplate, document_type=document_type)
    form = EmailTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Modèle « %(name)s » enregistré.") % {"name": template})
        return redirect("sales:email_templates")
    return render(
        request, "sales/email_template_form.html", {"form": form, "template": template}, status=400 if form.errors else 200
    )
