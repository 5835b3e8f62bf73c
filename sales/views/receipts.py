"""A till receipt of an issued invoice (a sale) or credit note (a return), for a thermal roll:
``?width=80|58&format=pdf|txt|escpos``. Reading it is not a reprint: counting and marking
reprints (« DUPLICATA n° N ») belongs to the till's own reprint action."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from .. import receipts
from .documents import _kind


def document_receipt(request, kind, pk):
    """The ticket as a PDF the roll's width (shown in the browser), as UTF-8 text in the roll's
    columns, or as the bytes an ESC/POS printer takes (CP858, cut at the end)."""
    kind = _kind(kind)
    if kind.slug not in ("invoice", "credit_note"):
        raise Http404
    if not request.user.has_perm(kind.permission_prefix % "view"):
        raise PermissionDenied
    width, output = request.GET.get("width", "80"), request.GET.get("format", "pdf")
    if width not in ("80", "58"):
        return HttpResponseBadRequest(_("Largeur de rouleau inconnue : 80 ou 58 (mm)."), content_type="text/plain; charset=utf-8")
    if output not in receipts.OUTPUTS:
        return HttpResponseBadRequest(_("Format inconnu : pdf, txt ou escpos."), content_type="text/plain; charset=utf-8")
    document = get_object_or_404(kind.queryset().filter(status="issued"), pk=pk)
    served = receipts.receipt_file(
        receipts.receipt_of(document), width_mm=int(width), output=output, name=f"ticket-{document.number}"
    )
    response = HttpResponse(served.content, content_type=served.content_type)
    response["Content-Disposition"] = served.content_disposition
    return response
