"""Sending a document to a third party by e-mail with its PDF attached, through a Celery task; the
sending, or its failure with the reason, lands on the third party's timeline. The text comes from
the company's ``EmailTemplate`` of the document type.

crm knows no document (DESIGN §2): each app that sends some registers a ``MailableDocument`` per
model from ``AppConfig.ready()`` — sales for quotes, orders, delivery notes, invoices and credit
notes, purchasing for supplier orders. The adapter says who receives it, what it is called, which
PDF goes with it and what fills the template's ``{placeholders}``.

``send_document_email`` checks the request and queues ``crm.tasks.email_document`` once the
transaction commits; the task calls ``deliver`` (or ``record_failure`` when the sending fails for
good). A broker that cannot take the message is a failure recorded at once, with its reason: the
user sends again; nothing is sent twice behind their back.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from lmb import queueing
from lmb.errors import InvalidInput
from lmb.services import get_company

from . import services
from .models import EmailTemplate, ThirdParty, TimelineEntry

# Used when the company has deleted a type's template: a document always has a text to go with.
FALLBACK_SUBJECT = "{document} {number} — {company}"
FALLBACK_BODY = "Bonjour,\n\nVeuillez trouver ci-joint le document {number}.\n\nCordialement,\n{company}"
COMMON_PLACEHOLDERS = ("document", "number", "company")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes


class MailableDocument:
    """How crm sends one model of another app by e-mail. Subclass, fill in, and ``register`` an
    instance from the owning app's ``AppConfig.ready()``."""

    model = None  # the document's model
    kind = ""  # the key the task carries to find this adapter again: "invoice", "supplier_order"
    template_types: dict = {}  # EmailTemplate.document_type → label, for the templates screen
    placeholders: tuple = ()  # the {placeholders} beyond COMMON_PLACEHOLDERS, for the screen's help

    def template_type(self, document) -> str:
        """The EmailTemplate that carries this document (one of ``template_types``)."""
        return self.kind

    def third_party(self, document) -> ThirdParty:
        raise NotImplementedError

    def title(self, document) -> str:
        """What the document is called on the timeline and in ``{document}``: "Facture"."""
        raise NotImplementedError

    def check_sendable(self, document) -> None:
        """Raise a DomainError when the document may not leave yet (a draft without number)."""

    def values(self, document) -> dict[str, str]:
        """The ``placeholders`` of this document, formatted for a reader."""
        return {}

    def attachment(self, document) -> Attachment:
        raise NotImplementedError

    def own_text(self, document) -> tuple[str, str] | None:
        """The subject and body of a document that carries its own (a reminder, written from its
        step's template); None: the company's ``EmailTemplate`` of its type."""
        return None

    # The PDF sent is kept on the timeline entry of the sending too (evidence of a reminder, DUN-03).
    attach_to_timeline = False

    def record(self, document, *, action: str, detail: str, user) -> None:
        """Write the sending ("emailed") or its failure ("email_failed") in the document's own
        history, when the app keeps one."""


_mailables: dict[str, MailableDocument] = {}


def register(mailable: MailableDocument) -> None:
    _mailables[mailable.kind] = mailable


def mailable_of_kind(kind: str) -> MailableDocument:
    if kind not in _mailables:
        raise InvalidInput({"document_type": [_("Type de document inconnu : %(type)s.") % {"type": kind}]})
    return _mailables[kind]


def mailable_for(document) -> MailableDocument:
    for mailable in _mailables.values():
        if isinstance(document, mailable.model):
            return mailable
    raise InvalidInput({"document_type": [_("Ce document ne s'envoie pas par e-mail.")]})


def template_types() -> dict[str, str]:
    """Every registered EmailTemplate type with its label."""
    return {key: label for mailable in _mailables.values() for key, label in mailable.template_types.items()}


def template_type_label(document_type: str) -> str:
    return str(template_types().get(document_type, document_type))


def placeholders_of(document_type: str) -> tuple[str, ...]:
    for mailable in _mailables.values():
        if document_type in mailable.template_types:
            return (*mailable.placeholders, *COMMON_PLACEHOLDERS)
    return COMMON_PLACEHOLDERS


def load_document(kind: str, document_id: int):
    return mailable_of_kind(kind).model.objects.get(pk=document_id)


def default_recipient(document) -> str:
    """The third party's main contact's address, else the third party's own."""
    third_party = mailable_for(document).third_party(document)
    contact = third_party.contacts.exclude(email="").order_by("-is_primary", "pk").first()
    return contact.email if contact else third_party.email


def compose(document) -> tuple[str, str]:
    """Subject and body of the e-mail, from the company's template of the document type."""
    mailable = mailable_for(document)
    own = mailable.own_text(document)
    if own is not None:
        subject, body = own
        return subject.replace("\n", " "), body
    template = EmailTemplate.objects.filter(document_type=mailable.template_type(document)).first()
    subject, body = (template.subject, template.body) if template else (FALLBACK_SUBJECT, FALLBACK_BODY)
    company = get_company()
    values = {
        "document": mailable.title(document),
        "number": document.number or "",
        "company": company.display_name if company else "",
        **mailable.values(document),
    }
    return _fill(subject, values).replace("\n", " "), _fill(body, values)


def _fill(text: str, values: dict) -> str:
    """Replace the known ``{placeholders}``; anything else the company typed stays as written."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def send_document_email(*, document, recipient: str = "", user=None) -> str:
    """Queue the e-mail of ``document`` to ``recipient`` (default: the third party's address).
    Returns the address. Nothing is queued when the request is refused."""
    mailable = mailable_for(document)
    mailable.check_sendable(document)
    recipient = (recipient or default_recipient(document)).strip()
    if not recipient:
        raise InvalidInput({"recipient": [_("Le tiers n'a pas d'adresse e-mail : saisissez-en une.")]})
    try:
        validate_email(recipient)
    except ValidationError:
        raise InvalidInput({"recipient": [_("« %(address)s » n'est pas une adresse e-mail.") % {"address": recipient}]}) from None
    kind, user_id = mailable.kind, user.pk if user else None

    def not_queued():  # the broker is down: the timeline says the e-mail did not leave, and why
        reason = _("la file d'envoi ne répond pas ; l'e-mail n'est pas parti, renvoyez-le dans un instant.")
        record_failure(document=document, recipient=recipient, reason=reason, user=user)

    queueing.send_on_commit("crm.tasks.email_document", kind, document.pk, recipient, user_id, on_failure=not_queued)
    return recipient


def deliver(*, document, recipient: str, user=None) -> TimelineEntry:
    """Send the e-mail now (called by the task), then record it on the third party's timeline and
    in the document's history. An SMTP error propagates: the task retries, then records the failure."""
    mailable = mailable_for(document)
    subject, body = compose(document)
    attachment = mailable.attachment(document)
    message = EmailMessage(subject=subject, body=body, to=[recipient])
    message.attach(attachment.filename, attachment.content, "application/pdf")
    message.send(fail_silently=False)
    with transaction.atomic():
        mailable.record(document, action="emailed", detail=_("à %(address)s") % {"address": recipient}, user=user)
        return services.log_interaction(
            third_party=mailable.third_party(document),
            kind=TimelineEntry.Kind.EMAIL,
            direction=TimelineEntry.Direction.OUTGOING,
            subject=_("%(document)s %(number)s envoyé à %(address)s")
            % {"document": mailable.title(document), "number": document.number, "address": recipient},
            body=f"{subject}\n\n{body}\n\n[{attachment.filename}]",
            author=user,
            attachments=[ContentFile(attachment.content, name=attachment.filename)] if mailable.attach_to_timeline else (),
        )


def record_failure(*, document, recipient: str, reason: str, user=None) -> TimelineEntry:
    """The e-mail could not be sent, for good: the third party's timeline says so, with the reason."""
    mailable = mailable_for(document)
    with transaction.atomic():
        mailable.record(document, action="email_failed", detail=reason, user=user)
        return services.log_interaction(
            third_party=mailable.third_party(document),
            kind=TimelineEntry.Kind.EMAIL,
            direction=TimelineEntry.Direction.OUTGOING,
            subject=_("Échec de l'envoi de %(document)s %(number)s à %(address)s")
            % {"document": mailable.title(document), "number": document.number, "address": recipient},
            body=_("Raison : %(reason)s") % {"reason": reason},
            author=user,
        )
