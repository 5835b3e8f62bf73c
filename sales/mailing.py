"""Sending a sales document by e-mail with its PDF attached (quote, order confirmation, delivery
note, invoice, deposit invoice, credit note).

The sending itself — the Celery task, the company's templates, the outcome on the customer's
timeline — is ``crm.mailing``'s; this module tells it what a sales document is (``register``
from ``SalesConfig.ready``): its customer, its title, its PDF (the stored Factur-X of an issued
invoice or credit note) and its history, where the sending or its failure is written too.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import mailing
from lmb.errors import Conflict
from lmb.formats import money_fr

from . import pdfs
from .models import CreditNote, DeliveryNote, DocumentEvent, Invoice, Order, Quote

# The edges call these names on sales documents; the work is crm's.
send_document_email = mailing.send_document_email
compose = mailing.compose
default_recipient = mailing.default_recipient


def customer_of(document):
    return document.order.customer if isinstance(document, DeliveryNote) else document.customer


class SalesDocumentMail(mailing.MailableDocument):
    placeholders = ("customer", "total", "due_date")

    def __init__(self, model, kind: str, label):
        self.model, self.kind, self.template_types = model, kind, {kind: label}

    def third_party(self, document):
        return customer_of(document)

    def title(self, document) -> str:
        return pdfs.title_of(document)

    def check_sendable(self, document) -> None:
        if not document.number:
            raise Conflict(_("Un document sans numéro ne s'envoie pas : validez-le ou émettez-le d'abord."))

    def values(self, document) -> dict[str, str]:
        total = getattr(document, "total_incl_tax", None)
        due_date = getattr(document, "due_date", None)
        return {
            "customer": customer_of(document).name,
            "total": money_fr(total, document.currency) if total is not None else "",
            "due_date": due_date.strftime("%d/%m/%Y") if due_date else "",
        }

    def attachment(self, document) -> mailing.Attachment:
        rendered = pdfs.pdf_of(document)
        return mailing.Attachment(rendered.filename, rendered.content)

    def record(self, document, *, action: str, detail: str, user) -> None:
        DocumentEvent.objects.create(
            document_type=document._meta.model_name,
            document_id=document.pk,
            action=action,
            detail=detail[:255],  # our own text (the recipient, or why the sending failed), cut to the column
            user=user,
        )


class InvoiceMail(SalesDocumentMail):
    """Invoices and deposit invoices share a model but not a text."""

    DEPOSIT_INVOICE = "deposit_invoice"

    def __init__(self):
        super().__init__(Invoice, "invoice", gettext_lazy("Facture"))
        self.template_types = {**self.template_types, self.DEPOSIT_INVOICE: gettext_lazy("Facture d'acompte")}

    def template_type(self, document) -> str:
        return self.DEPOSIT_INVOICE if document.kind == Invoice.Kind.DEPOSIT else self.kind


def register() -> None:
    mailing.register(SalesDocumentMail(Quote, "quote", gettext_lazy("Devis")))
    mailing.register(SalesDocumentMail(Order, "order", gettext_lazy("Confirmation de commande")))
    mailing.register(SalesDocumentMail(DeliveryNote, "delivery_note", gettext_lazy("Bon de livraison")))
    mailing.register(InvoiceMail())
    mailing.register(SalesDocumentMail(CreditNote, "credit_note", gettext_lazy("Avoir")))
