"""The PDF and the e-mail of a sales document in the REST API: ``GET …/{id}/pdf/`` (the stored
Factur-X of an issued invoice or credit note, a fresh render otherwise) and ``POST …/{id}/email/``
(queued; the outcome lands on the customer's timeline)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.serializers import EmailQueuedSerializer, EmailRequestSerializer

from . import mailing, pdfs


class DocumentOutputMixin:
    """For the viewsets of quotes, orders, delivery notes, invoices and credit notes."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(response=OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """The document's PDF (an issued invoice's or credit note's is always the same file)."""
        rendered = pdfs.pdf_of(self.get_object())
        response = HttpResponse(rendered.content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{rendered.filename}"'
        return response

    @extend_schema(request=EmailRequestSerializer, responses={202: EmailQueuedSerializer})
    @action(detail=True, methods=["post"])
    def email(self, request, pk=None):
        """Send the document with its PDF by e-mail (400 for a bad address, 409 for a draft)."""
        serializer = EmailRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        address = mailing.send_document_email(
            document=self.get_object(), recipient=serializer.validated_data.get("recipient", ""), user=request.user
        )
        return Response({"recipient": address, "status": "queued"}, status=status.HTTP_202_ACCEPTED)
