"""Sending a sales document by e-mail with its PDF attached (quote, order confirmation, delivery
note, invoice, deposit invoice, credit note).

``send_document_email`` checks the request and queues the ``email_document`` task once the
transaction commits; the task renders (or reads the stored) PDF and sends it. Either way the
outcome lands on the customer's timeline (crm), a failure with its reason, and in the document's
history. The text comes from the company's ``EmailTemplate`` of the document type.
"""

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.models import TimelineEntry
from lmb.errors import Conflict, InvalidInput
from lmb.formats import money_fr
from lmb.services import get_company

from . import pdfs
from .models import CreditNote, DeliveryNote, DocumentEvent, EmailTemplate, Invoice, Order, Quote

MODELS = {"quote": Quote, "order": Order, "delivery_note": DeliveryNote, "invoice": Invoice, "credit_note": CreditNote}
# Used when the company has deleted a type's template: a document always has a text to go with.
FALLBACK_SUBJECT = "{document} {number} — {company}"
FALLBACK_BODY = "Bonjour,\n\nVeuillez trouver ci-joint le document {number}.\n\nCordialement,\n{company}"


def document_type_of(document) -> str:
    return next(key for key, model in MODELS.items() if isinstance(document, model))


def load_document(document_type: str, document_id: int):
    if document_type not in MODELS:
        raise InvalidInput({"document_type": [_("Type de document inconnu : %(type)s.") % {"type": document_type}]})
    return MODELS[document_type].objects.get(pk=document_id)


def customer_of(document):
    return document.order.customer if isinstance(document, DeliveryNote) else document.customer


def default_recipient(document) -> str:
    """The customer's main contact's address, else the customer's own."""
    customer = customer_of(document)
    contact = customer.contacts.exclude(email="").order_by("-is_primary", "pk").first()
    return contact.email if contact else customer.email


def _template_key(document) -> str:
    if isinstance(document, Invoice) and document.kind == Invoice.Kind.DEPOSIT:
        return EmailTemplate.DocumentType.DEPOSIT_INVOICE
    return document_type_of(document)


def compose(document) -> tuple[str, str]:
    """Subject and body of the e-mail, from the company's template of the document type."""
    template = EmailTemplate.objects.filter(document_type=_template_key(document)).first()
    subject, body = (template.subject, template.body) if template else (FALLBACK_SUBJECT, FALLBACK_BODY)
    company = get_company()
    total = getattr(document, "total_incl_tax", None)
    due_date = getattr(document, "due_date", None)
    values = {
        "document": pdfs.title_of(document),
        "number": document.number or "",
        "customer": customer_of(document).name,
        "total": money_fr(total, document.currency) if total is not None else "",
        "due_date": due_date.strftime("%d/%m/%Y") if due_date else "",
        "company": company.display_name if company else "",
    }
    return _fill(subject, values).replace("\n", " "), _fill(body, values)


def _fill(text: str, values: dict) -> str:
    """Replace the known ``{placeholders}``; anything else the company typed stays as written."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _check_sendable(document):
    if not document.number:
        raise Conflict(_("Un document sans numéro ne s'envoie pas : validez-le ou émettez-le d'abord."))


def send_document_email(*, document, recipient: str = "", user=None) -> str:
    """Queue the e-mail of ``document`` to ``recipient`` (default: the customer's address).
    Returns the address. Nothing is queued when the request is refused."""
    _check_sendable(document)
    recipient = (recipient or default_recipient(document)).strip()
    if not recipient:
        raise InvalidInput({"recipient": [_("Le client n'a pas d'adresse e-mail : saisissez-en une.")]})
    try:
        validate_email(recipient)
    except ValidationError:
        raise InvalidInput({"recipient": [_("« %(address)s » n'est pas une adresse e-mail.") % {"address": recipient}]}) from None
    from .tasks import email_document  # the task module imports this one

    document_type, user_id = document_type_of(document), user.pk if user else None
    transaction.on_commit(lambda: email_document.delay(document_type, document.pk, recipient, user_id))
    return recipient


def deliver(*, document, recipient: str, user=None) -> TimelineEntry:
    """Send the e-mail now (called by the task), then record it on the customer's timeline and in
    the document's history. An SMTP error propagates: the task retries, then records the failure."""
    subject, body = compose(document)
    rendered = pdfs.pdf_of(document)
    message = EmailMessage(subject=subject, body=body, to=[recipient])
    message.attach(rendered.filename, rendered.content, "application/pdf")
    message.send(fail_silently=False)
    with transaction.atomic():
        _log_event(document, "emailed", user, _("à %(address)s") % {"address": recipient})
        return crm_services.log_interaction(
            third_party=customer_of(document),
            kind=TimelineEntry.Kind.EMAIL,
            direction=TimelineEntry.Direction.OUTGOING,
            subject=_("%(document)s %(number)s envoyé à %(address)s")
            % {"document": pdfs.title_of(document), "number": document.number, "address": recipient},
            body=f"{subject}\n\n{body}\n\n[{rendered.filename}]",
            author=user,
        )


def record_failure(*, document, recipient: str, reason: str, user=None) -> TimelineEntry:
    """The e-mail could not be sent, for good: the customer's timeline says so, with the reason."""
    with transaction.atomic():
        _log_event(document, "email_failed", user, reason)
        return crm_services.log_interaction(
            third_party=customer_of(document),
            kind=TimelineEntry.Kind.EMAIL,
            direction=TimelineEntry.Direction.OUTGOING,
            subject=_("Échec de l'envoi de %(document)s %(number)s à %(address)s")
            % {"document": pdfs.title_of(document), "number": document.number, "address": recipient},
            body=_("Raison : %(reason)s") % {"reason": reason},
            author=user,
        )


def _log_event(document, action: str, user, detail: str):
    DocumentEvent.objects.create(
        document_type=document._meta.model_name, document_id=document.pk, action=action, detail=detail[:255], user=user
    )
