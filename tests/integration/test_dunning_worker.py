"""The daily run of reminders as in production (issue #23): a real Celery worker with its beat,
started as a separate process on the test database and a queue private to the test, against Redis,
sends its e-mails to a local SMTP debugging server (aiosmtpd) listening on 127.0.0.1.

A business customer's invoice is 15 days late; the company sends its reminders at once. The beat's
``dunning.tasks.run_reminders``, set to run every second, makes the first reminder and e-mails it:
one e-mail to the customer with the letter as PDF — and still one after several more beats."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from crm.models import TimelineEntry
from dunning.models import Reminder
from tests.dunning.conftest import invoice
from tests.integration.test_auto_invoicing_worker import smtp_server, wait_until  # noqa: F401 (the fixture)
from tests.integration.test_worker_kill import REDIS_URL, Workers, workers  # noqa: F401 (the fixture)
from tests.sales.conftest import shop  # noqa: F401 (the fixture)

ADDRESS = "compta@boulangerie-legoff.example"
DAILY_TASK = "dunning.tasks.run_reminders"

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is empty: the worker tests need a Redis broker")


def daily_runs(team: Workers) -> list[str]:
    """The summaries of the daily runs the worker finished, from its log."""
    return re.findall(rf"Task {re.escape(DAILY_TASK)}\[[^\]]+\] succeeded in [^:]+: '([^']*)'", team.logs_in_full())


@pytest.mark.django_db(transaction=True)
def test_the_beat_runs_the_reminders_and_the_customer_gets_one_email_with_the_letter(
    workers,  # noqa: F811
    shop,  # noqa: F811
    smtp_server,  # noqa: F811
    monkeypatch,
):
    controller, inbox = smtp_server
    shop.company.send_reminders_automatically = True
    shop.company.save()
    who = shop.bakery
    who.email = ADDRESS
    who.save()
    bill = invoice(shop, who, timezone.localdate() - timedelta(days=45))  # net 30: 15 days late, R1 is due at D+5
    assert PeriodicTask.objects.get(task=DAILY_TASK).crontab.hour == "7"  # each morning, by the migration

    # The worker's beat runs the daily job every second; its e-mails go to the local server.
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task=DAILY_TASK).update(interval=every_second, crontab=None, enabled=True)
    monkeypatch.setenv("EMAIL_URL", f"smtp://{controller.hostname}:{controller.port}")
    workers.start(beat=True)

    wait_until(lambda: inbox.messages, "the reminder's e-mail", workers)
    runs_then = len(daily_runs(workers))
    later = wait_until(lambda: daily_runs(workers)[runs_then:][3:], "three more daily runs", workers)
    assert all(summary == "0 relance(s)" for summary in later), later

    reminder = Reminder.objects.get(customer=who)
    assert (reminder.position, reminder.status, reminder.channel) == (1, Reminder.Status.SENT, "email")
    (recipients, message), *others = inbox.messages
    assert others == [], [m["Subject"] for _r, m in others]
    assert recipients == [ADDRESS] and message["Subject"] == "Rappel : facture en attente de règlement"
    assert bill.number in message.get_body(preferencelist=("plain",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf" and attachment.get_filename() == f"relance-{reminder.number}.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    (entry,) = TimelineEntry.objects.filter(third_party=who, kind="email")
    assert entry.subject == f"Courrier de relance {reminder.number} envoyé à {ADDRESS}"
    assert entry.attachments.get().file.read() == attachment.get_content()
