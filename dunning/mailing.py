"""Reminders sent by e-mail through ``crm.mailing`` (registered from ``DunningConfig.ready``): the
e-mail carries the reminder's own subject and text (written from its step's template, fr-rules
§6), the letter attached as PDF; the crm task sends it and writes the outcome on the customer's
timeline — the sending with the PDF attached (DUN-03: every dunning action kept, with its date and
channel), or its failure with the reason."""

from django.utils import timezone
from django.utils.translation import gettext as _

from crm import mailing
from lmb.errors import Conflict
from lmb.text import printable

from . import pdfs
from .models import Reminder

# The sending itself is crm's.
send_document_email = mailing.send_document_email
default_recipient = mailing.default_recipient


class ReminderMail(mailing.MailableDocument):
    model = Reminder
    kind = "reminder"
    template_types = {}  # the text is the step's, edited with the plan, not an EmailTemplate
    attach_to_timeline = True

    def third_party(self, document):
        return document.customer

    def title(self, document) -> str:
        return _("Courrier de relance")

    def check_sendable(self, document) -> None:
        if document.status == Reminder.Status.CANCELLED:
            raise Conflict(_("Cette relance est annulée : elle ne s'envoie pas."))

    def own_text(self, document) -> tuple[str, str]:
        # Stored before control characters were refused, a customer's name may carry one: left out.
        return printable(document.subject), printable(document.body)

    def record(self, document, *, action: str, detail: str, user) -> None:
        """The mailing's outcome on the reminder: left (``emailed_at``), or failed for good — then
        the reminder is « à valider » again with the reason, for the staff to send it again (to
        another address, or by post) or cancel it; the next step waits for its real sending."""
        if action == "emailed":
            Reminder.objects.filter(pk=document.pk).update(emailed_at=timezone.now(), email_error="")
        elif action == "email_failed":
            Reminder.objects.filter(pk=document.pk, status=Reminder.Status.SENT, emailed_at=None).update(
                status=Reminder.Status.TO_VALIDATE, sent_at=None, sent_by=None, email_error=printable(detail)[:500]
            )

    def attachment(self, document) -> mailing.Attachment:
        rendered = pdfs.render_reminder(document)
        return mailing.Attachment(rendered.filename, rendered.content)


def register() -> None:
    mailing.register(ReminderMail())
