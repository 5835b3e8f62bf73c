"""Sending reminders (issue #23): the letter as PDF (read back with pdftotext), the e-mail through
crm's mailing with the PDF attached once, letters left to print, every sending on the customer's
timeline with its PDF, and the batch printing of many reminders as one PDF."""

import io
import re
import subprocess
from datetime import date

import pytest
from django.core import mail
from django_celery_beat.models import PeriodicTask
from pypdf import PdfReader

from crm.models import ThirdParty, TimelineEntry
from dunning import pdfs, services, tasks
from dunning.models import Reminder, ReminderStep
from lmb.errors import InvalidInput, TransitionNotAllowed
from lmb.models import Job
from tests.dunning.conftest import invoice, on

pytestmark = pytest.mark.django_db

IBAN = "FR7630006000011234567890189"


def run(day):
    with on(day):
        return services.run_reminders(on=day)


def validate(reminder, day, **kwargs):
    with on(day):
        return services.validate_reminder(reminder, **kwargs)


def text_of(pdf: bytes) -> str:
    """The PDF's text as pdftotext reads it, spaces of every width made plain, lines joined."""
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def business_r2(shop, business):
    """The bakery's R2 (an e-mail step showing penalties and the 40 €) on 22/02/2026, R1 sent on 12/02."""
    bill = invoice(shop, business, date(2026, 1, 5))  # 120 € TTC due 04/02/2026
    [r1] = run(date(2026, 2, 9))
    validate(r1, date(2026, 2, 12))  # no e-mail address: it leaves as a letter
    [r2] = run(date(2026, 2, 22))
    return bill, r1, r2


def test_a_business_customers_r2_shows_the_invoices_penalties_the_40_euros_and_how_to_pay(shop, business):
    bill, r1, r2 = business_r2(shop, business)
    text = text_of(pdfs.render_reminder(r2).content)
    assert "Au Comptoir Breton" in text and "12 quai Duguay-Trouin" in text and "SIREN 902114305" in text
    assert "Boulangerie Le Goff" in text and "1 rue du Port" in text and "35000 Ville" in text
    assert f"N° {r2.number}" in text and "Rennes, le 22/02/2026" in text
    assert "Objet : Deuxième rappel : factures impayées" in text
    assert "Notre précédent courrier du 12/02/2026" in text  # the courteous text of the step
    # The invoice: number, date, due date, days late, amount; 120 € × 12,15 % × 18 / 365 = 0,72 €; 40 €.
    assert re.search(rf"{bill.number} 05/01/2026 04/02/2026 18 120,00 € 0,72 € 40,00 €", text), text
    assert "Pénalités de retard 0,72 €" in text and "Indemnité forfaitaire 40,00 €" in text
    assert "Total à régler 160,72 €" in text
    assert "12,15 %" in text and "L441-10" in text and "40 € par facture" in text
    assert f"IBAN {IBAN}" in text and f"Référence à rappeler : {bill.number}" in text
    assert "mise en demeure" not in text.lower() and "au plus tard" not in text


def test_a_consumers_r1_shows_neither_penalties_nor_the_40_euros(shop, consumer):
    invoice(shop, consumer, date(2026, 1, 5), channel=shop.phone)
    [r1] = run(date(2026, 2, 11))  # D+7
    text = text_of(pdfs.render_reminder(r1).content)
    assert "Rappel : facture en attente de règlement" in text and "Il s'agit peut-être d'un simple oubli" in text
    assert "LE BIHAN Marie" in text and "1 rue du Port" in text
    assert "04/02/2026 7 100,00 €" in text and "Total à régler 100,00 €" in text  # a tax-included 100 € sale
    assert "Pénalités" not in text and "40,00" not in text and "Indemnité" not in text and "L441-10" not in text


def test_a_mise_en_demeure_gives_its_deadline_and_goes_registered(shop, business):
    services_automatic(shop)
    invoice(shop, business, date(2026, 1, 5))
    run(date(2026, 3, 30))
    run(date(2026, 4, 9))
    [r3] = run(date(2026, 4, 19))
    text = text_of(pdfs.render_reminder(r3).content)
    assert "Lettre recommandée avec accusé de réception" in text
    assert "À régler avant le 27/04/2026" in text  # DUN-01: 8 days
    assert "au plus tard le 27/04/2026" in text and "injonction de payer" in text


def services_automatic(shop):
    shop.company.send_reminders_automatically = True
    shop.company.save()


def test_a_control_character_in_the_customers_name_prints_without_it(shop, business, locmem, django_capture_on_commit_callbacks):
    invoice(shop, business, date(2026, 1, 5))
    # Stored before the inputs refused control characters, say; and a step whose text names the customer.
    ThirdParty.objects.filter(pk=business.pk).update(name="Boulangerie\x07 Le Goff", email="compta@legoff.example")
    ReminderStep.objects.filter(plan__customer_category="business", position=1).update(
        subject="Rappel pour {customer}", body="Bonjour {customer},\n\n{items}\n\n{company}"
    )
    [r1] = run(date(2026, 2, 9))
    assert "\x07" in r1.body
    text = text_of(pdfs.render_reminder(r1).content)
    assert "Boulangerie Le Goff" in text and "Bonjour Boulangerie Le Goff," in text
    with django_capture_on_commit_callbacks(execute=True):
        validate(r1, date(2026, 2, 10))
    (message,) = mail.outbox
    assert message.subject == "Rappel pour Boulangerie Le Goff" and "Bonjour Boulangerie Le Goff," in message.body
    (entry,) = TimelineEntry.objects.filter(third_party=business)
    assert "\x07" not in entry.body and entry.attachments.count() == 1


def test_an_email_reminder_leaves_once_with_its_pdf_and_lands_on_the_timeline_with_it(
    shop, business, locmem, django_capture_on_commit_callbacks
):
    business.email = "compta@legoff.example"
    business.save()
    bill = invoice(shop, business, date(2026, 1, 5))
    [r1] = run(date(2026, 2, 9))
    with django_capture_on_commit_callbacks(execute=True):
        validate(r1, date(2026, 2, 10))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionNotAllowed):
        validate(r1, date(2026, 2, 10))  # a second click: refused, nothing sent again
    (message,) = mail.outbox
    assert message.to == ["compta@legoff.example"]
    assert message.subject == "Rappel : facture en attente de règlement" and bill.number in message.body
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"relance-{r1.number}.pdf", "application/pdf")
    assert bill.number in text_of(content)
    r1.refresh_from_db()
    assert (r1.status, r1.channel, r1.email_error) == (Reminder.Status.SENT, "email", "")
    assert r1.emailed_at is not None  # the mailing says it left
    (entry,) = TimelineEntry.objects.filter(third_party=business)
    assert entry.kind == "email" and entry.subject == f"Courrier de relance {r1.number} envoyé à compta@legoff.example"
    (attachment,) = entry.attachments.all()
    assert attachment.original_name == filename
    assert attachment.file.read() == content == pdfs.render_reminder(r1).content  # the same file, printed again


def test_an_email_that_cannot_leave_puts_the_reminder_back_to_validate_with_the_reason(
    shop, business, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.sales.test_documents_out.RefusingBackend"
    business.email = "compta@legoff.example"
    business.save()
    invoice(shop, business, date(2026, 1, 5))
    [r1] = run(date(2026, 2, 9))
    with django_capture_on_commit_callbacks(execute=True):
        validate(r1, date(2026, 2, 10))
    r1.refresh_from_db()
    assert (r1.status, r1.sent_at, r1.emailed_at) == (Reminder.Status.TO_VALIDATE, None, None)
    assert r1.email_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert run(date(2026, 2, 25)) == []  # R2 waits for R1's real sending
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        validate(r1, date(2026, 2, 26), recipient="direction@legoff.example")
    r1.refresh_from_db()
    assert (r1.status, r1.email_error) == (Reminder.Status.SENT, "") and r1.emailed_at is not None
    assert mail.outbox[0].to == ["direction@legoff.example"]


def test_the_automatic_run_emails_each_reminder_once(shop, business, locmem, django_capture_on_commit_callbacks):
    services_automatic(shop)
    business.email = "compta@legoff.example"
    business.save()
    invoice(shop, business, date(2026, 1, 5))
    with django_capture_on_commit_callbacks(execute=True):
        [r1] = run(date(2026, 2, 9))
        assert run(date(2026, 2, 9)) == [] and run(date(2026, 2, 10)) == []
    assert r1.status == Reminder.Status.SENT
    assert [m.attachments[0][0] for m in mail.outbox] == [f"relance-{r1.number}.pdf"]


def test_a_letter_is_marked_sent_and_its_pdf_kept_on_the_timeline(shop, consumer):
    invoice(shop, consumer, date(2026, 1, 5), channel=shop.phone)
    [r1] = run(date(2026, 2, 11))
    validate(r1, date(2026, 2, 11))  # an e-mail step, but no address: by post
    [r2] = run(date(2026, 2, 25))  # the consumer's R2 is a letter
    assert r2.channel == "letter"
    validate(r2, date(2026, 2, 25))
    r2.refresh_from_db()
    assert r2.status == Reminder.Status.SENT and not mail.outbox
    entries = TimelineEntry.objects.filter(third_party=consumer, kind="letter").order_by("occurred_at")
    assert [entry.subject for entry in entries] == [
        "Relance amicale — Rappel : facture en attente de règlement (par courrier : pas d'adresse e-mail)",
        "Deuxième relance — Deuxième rappel : factures impayées",
    ]
    (attachment,) = entries[1].attachments.all()
    assert attachment.original_name == f"relance-{r2.number}.pdf"
    assert attachment.file.read() == pdfs.render_reminder(r2).content


@pytest.mark.parametrize("with_rep", [True, False])
def test_a_phone_step_is_a_call_in_the_sales_reps_agenda_or_the_validators(shop, business, django_user_model, with_rep):
    from crm.models import Task

    clerk = django_user_model.objects.create_user("clerk")
    rep = django_user_model.objects.create_user("rep", first_name="Yann", last_name="Kervella")
    if with_rep:
        ThirdParty.objects.filter(pk=business.pk).update(sales_rep=rep)
    ReminderStep.objects.filter(plan__customer_category="business", position=1).update(channel="phone")
    invoice(shop, business, date(2026, 1, 5))
    [r1] = run(date(2026, 2, 9))
    assert r1.channel == "phone"
    validate(r1, date(2026, 2, 10), user=clerk)
    (task,) = Task.objects.filter(third_party=business)
    assert task.assignee == (rep if with_rep else clerk)
    assert task.due_date == date(2026, 2, 10) and task.title.startswith("Appeler ")
    assert TimelineEntry.objects.filter(third_party=business, kind="call").count() == 1


def test_a_wrong_address_is_refused_and_nothing_changes(shop, business, locmem, django_capture_on_commit_callbacks):
    invoice(shop, business, date(2026, 1, 5))
    [r1] = run(date(2026, 2, 9))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidInput) as refused:
        validate(r1, date(2026, 2, 10), recipient="pas-une-adresse")
    assert "recipient" in refused.value.errors
    r1.refresh_from_db()
    assert r1.status == Reminder.Status.TO_VALIDATE and not mail.outbox and not TimelineEntry.objects.exists()


def test_batch_printing_makes_one_pdf_of_the_selected_reminders(shop, business, consumer, django_capture_on_commit_callbacks):
    invoice(shop, business, date(2026, 1, 5))
    invoice(shop, consumer, date(2026, 1, 5), channel=shop.phone)
    reminders = run(date(2026, 2, 11))
    assert len(reminders) == 2
    with django_capture_on_commit_callbacks(execute=True):
        job = pdfs.start_print_job(ids=[r.pk for r in reminders])
    job.refresh_from_db()
    assert (job.status, job.progress) == (Job.Status.DONE, 100)
    content = job.result.read()
    assert len(PdfReader(io.BytesIO(content)).pages) >= 2
    text = text_of(content)
    assert "Boulangerie Le Goff" in text and "LE BIHAN Marie" in text
    with pytest.raises(InvalidInput):
        pdfs.start_print_job(ids=[])
    with pytest.raises(InvalidInput):
        pdfs.start_print_job(ids=[reminders[0].pk, 999999])


def test_beat_runs_the_reminders_each_morning_at_seven_paris_time(shop, business):
    daily = PeriodicTask.objects.get(task="dunning.tasks.run_reminders")
    assert daily.enabled and (daily.crontab.minute, daily.crontab.hour, str(daily.crontab.timezone)) == ("0", "7", "Europe/Paris")
    invoice(shop, business, date(2026, 1, 5))
    with on(date(2026, 2, 9)):
        assert tasks.run_reminders.delay().get() == "1 relance(s)"
        assert tasks.run_reminders.delay().get() == "0 relance(s)"
