"""The reminder letter as PDF (WeasyPrint, through ``lmb.pdf``), and the batch printing of many
reminders as one PDF, by a job with progress.

The letter carries the company's identity, the customer's billing address, the step's text
(the courteous words of fr-rules §6, written from the step's template when the reminder was made),
the invoices chased with their dates, amounts and days late, the late penalties and the EUR 40
indemnity where the step shows them (PAY-03..05; never for a consumer, PAY-04), the deadline of a
mise en demeure (DUN-01), and how to pay (the company's IBAN).

Its bytes depend on the reminder only (its dates and the PDF identifier come from the reminder):
rendered again to print it, it is the file that was e-mailed and kept on the timeline. Text stored
before LMB refused control characters (a customer's name) is printed without them: ``lmb.pdf``
drops them from the HTML (``lmb.text.printable``), the PDF's title and metadata included.
"""

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, time

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pypdf import PdfWriter

from crm import queries as crm_queries
from crm.models import CustomerCategory
from lmb.countries import country_name
from lmb.errors import DomainError, InvalidInput
from lmb.formats import decimal_fr
from lmb.jobs import start_job
from lmb.models import Job
from lmb.pdf import html_to_pdf
from lmb.services import get_company
from sales.services.documents import address_snapshot

from . import penalties
from .models import Channel, Reminder

BATCH_JOB = "dunning_batch_print"
BATCH_LIMIT = 500


@dataclass
class RenderedPdf:
    filename: str
    content: bytes


def letter_day(reminder: Reminder):
    """The date of the letter: the day it was sent, else the day the run made it."""
    return timezone.localdate(reminder.sent_at) if reminder.sent_at else reminder.run_date


def filename_of(reminder: Reminder) -> str:
    return f"relance-{reminder.number}.pdf"


def _billing_address(customer) -> dict:
    snapshot = address_snapshot(crm_queries.billing_address(customer), customer.name)  # as sales documents copy it
    return {**snapshot, "country_name": country_name(snapshot["country"] or "FR")} if snapshot else {}


def _rate_text(reminder: Reminder, day) -> str:
    """How the penalties are computed, as the letter states it (PAY-03, PAY-05, PAY-08)."""
    try:
        rate = penalties.Rates().on(day)
    except DomainError:
        return ""
    if reminder.customer.customer_category == CustomerCategory.PUBLIC:
        return _(
            "Intérêts moratoires au taux de %(rate)s %% (taux de la BCE + %(points)s points, C. commande publique R2192-31), "
            "calculés par échéance du lendemain de son échéance au %(day)s."
        ) % {"rate": decimal_fr(rate.public_rate, 2), "points": decimal_fr(rate.public_points), "day": day.strftime("%d/%m/%Y")}
    return _(
        "Pénalités de retard au taux de %(rate)s %% l'an (taux de la BCE + %(points)s points, C. com. L441-10), "
        "calculées sur chaque échéance, du lendemain de sa date jusqu'au %(day)s."
    ) % {"rate": decimal_fr(rate.business_rate, 2), "points": decimal_fr(rate.points), "day": day.strftime("%d/%m/%Y")}


def _timestamp(reminder: Reminder) -> datetime:
    if reminder.sent_at:
        return reminder.sent_at.astimezone(UTC).replace(microsecond=0)
    return datetime.combine(reminder.run_date, time(), tzinfo=UTC)


def letter_html(reminder: Reminder) -> str:
    company = get_company()
    customer = reminder.customer
    day = letter_day(reminder)
    items = list(reminder.items.select_related("invoice").order_by("due_date", "pk"))
    show_penalties, show_indemnity = reminder.penalties > 0, reminder.indemnity > 0
    context = {
        "company": company,
        "logo_url": company.logo.path if company and company.logo else "",
        "reminder": reminder,
        "customer": customer,
        "title": _("Mise en demeure") if reminder.payment_deadline else _("Relance"),
        "number": reminder.number,
        "letter_day": day,
        "place": company.city if company else "",
        "address": _billing_address(customer),
        "items": items,
        "show_penalties": show_penalties,
        "show_indemnity": show_indemnity,
        "rate_text": _rate_text(reminder, day) if show_penalties else "",
        "is_registered": reminder.channel == Channel.REGISTERED_LETTER,
        "is_notice": bool(reminder.payment_deadline),
        "foreign_currency": any(item.currency != "EUR" for item in items),
        "invoice_numbers": ", ".join(dict.fromkeys(item.invoice.number for item in items)),
        "created_iso": _timestamp(reminder).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return render_to_string("dunning/pdf/reminder.html", context)


def _identifier(reminder: Reminder) -> bytes:
    return hashlib.md5(f"lmb:Reminder:{reminder.pk}:{reminder.sent_at}".encode()).hexdigest().encode()


def render_reminder(reminder: Reminder) -> RenderedPdf:
    """The letter of a reminder, to send, print or keep."""
    return RenderedPdf(filename_of(reminder), html_to_pdf(letter_html(reminder), identifier=_identifier(reminder)))


# --- Batch printing -----------------------------------------------------------------------------


def _reminders(ids) -> dict:
    return Reminder.objects.select_related("customer", "step").in_bulk(ids)


def start_print_job(*, ids, user=None) -> Job:
    """One PDF of the selected reminders' letters, in the order given, made by a job with
    progress (the letters and registered letters to post). A cancelled reminder is not printed."""
    try:
        ids = list(dict.fromkeys(int(value) for value in ids))
    except (TypeError, ValueError):
        raise InvalidInput({"ids": [_("Sélection illisible.")]}) from None
    if not ids:
        raise InvalidInput({"ids": [_("Cochez au moins une relance.")]})
    if len(ids) > BATCH_LIMIT:
        raise InvalidInput({"ids": [_("Au plus %(limit)s relances à la fois.") % {"limit": decimal_fr(BATCH_LIMIT)}]})
    found = dict(Reminder.objects.filter(pk__in=ids).values_list("pk", "status"))
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise InvalidInput({"ids": [_("Relances introuvables : n° %(ids)s.") % {"ids": ", ".join(missing)}]})
    cancelled = [str(pk) for pk in ids if found[pk] == Reminder.Status.CANCELLED]
    if cancelled:
        message = _("Relances annulées, qui ne s'impriment pas : n° %(ids)s.") % {"ids": ", ".join(cancelled)}
        raise InvalidInput({"ids": [message]})
    title = ngettext("Impression de %(count)s relance", "Impression de %(count)s relances", len(ids)) % {"count": len(ids)}
    return start_job(kind=BATCH_JOB, title=title, user=user, parameters={"ids": ids}, task="dunning.tasks.print_reminders")


def batch_pdf(reminders, progress=None) -> bytes:
    writer = PdfWriter()
    total = len(reminders)
    for done, reminder in enumerate(reminders, start=1):
        writer.append(io.BytesIO(render_reminder(reminder).content))
        if progress:
            counts = {"done": decimal_fr(done), "total": decimal_fr(total)}
            progress(95 * done / total, _("%(done)s / %(total)s relances") % counts)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def print_work(job: Job, report):
    ids = job.parameters["ids"]
    found = _reminders(ids)
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise DomainError(_("Relances supprimées depuis la demande : n° %(ids)s.") % {"ids": ", ".join(missing)})
    content = batch_pdf([found[pk] for pk in ids], progress=report)
    return f"relances-{timezone.localdate():%Y%m%d}-{job.pk}.pdf", content
