"""The month-end invoicing as in production (issue #22): a real Celery worker with its beat, started
as a separate process on the test database and a queue private to the test, against Redis, sends
its e-mails to a local SMTP debugging server (aiosmtpd) listening on 127.0.0.1.

A business customer's notes shipped last month (the B2B channel invoices monthly and e-mails each
new invoice) are invoiced by the beat's ``sales.tasks.run_grouped_invoicing``, set to run every
second: one invoice, issued, and one e-mail to the customer with its Factur-X PDF — and still one
of each after several more beats."""

import email
import email.policy
import re
import socket
import time
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from lmb.models import InvoicingPolicy
from sales import services
from sales.models import DeliveryNote, Invoice, InvoiceMailing
from tests.integration.test_worker_kill import REDIS_URL, TIMEOUT, Workers, workers  # noqa: F401 (the fixture)
from tests.sales.conftest import customer, shop  # noqa: F401 (the fixture)

PARIS = ZoneInfo("Europe/Paris")
ADDRESS = "compta@boulangerie-legoff.example"
GROUPED_TASK = "sales.tasks.run_grouped_invoicing"

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is empty: the worker tests need a Redis broker")


class Inbox:
    """aiosmtpd's handler: every message the server accepts, as (recipients, parsed message)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def wait_until(condition, what: str, team: Workers):
    """Poll (the worker writes from its own process) until ``condition()`` gives something true."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    pytest.fail(f"{what}: not after {TIMEOUT} s\n{team.logs()}")


def grouped_runs(team: Workers) -> list[str]:
    """The summaries of the grouped runs the worker finished, from its log."""
    return re.findall(rf"Task {re.escape(GROUPED_TASK)}\[[^\]]+\] succeeded in [^:]+: '([^']*)'", team.logs_in_full())


def last_month_notes(shop, who):  # noqa: F811
    """Two orders of ``who`` on the B2B channel, shipped on the 10th and the 20th of last month."""
    first_of_month = timezone.localdate().replace(day=1)
    last_month = (first_of_month - timedelta(days=1)).replace(day=1)
    notes = []
    for day, quantity in ((10, 4), (20, 6)):
        with time_machine.travel(datetime(last_month.year, last_month.month, day, 10, tzinfo=PARIS), tick=False):
            order = services.confirm_order(
                services.create_order(customer=who, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": quantity}])
            )
            notes.append(services.ship_delivery_note(services.create_delivery_note(order)))
    return notes


@pytest.mark.django_db(transaction=True)
def test_the_beat_invoices_last_months_notes_once_and_the_customer_gets_one_email_with_the_pdf(
    workers,  # noqa: F811
    shop,  # noqa: F811
    smtp_server,
    monkeypatch,
):
    controller, inbox = smtp_server
    shop.b2b.email_invoices = True
    shop.b2b.save()
    assert shop.b2b.invoicing_policy == InvoicingPolicy.MONTHLY
    who = customer("Boulangerie Le Goff", siren="732829320", vat_number="FR44732829320", email=ADDRESS)
    notes = last_month_notes(shop, who)
    assert not Invoice.objects.exists()  # monthly: the shipments invoice nothing by themselves

    # The worker's beat runs the grouped invoicing every second; its e-mails go to the local server.
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task=GROUPED_TASK).update(interval=every_second, crontab=None, enabled=True)
    monkeypatch.setenv("EMAIL_URL", f"smtp://{controller.hostname}:{controller.port}")
    workers.start(beat=True)

    invoice = wait_until(
        lambda: Invoice.objects.filter(customer=who, status=Invoice.Status.ISSUED).first(), "the month-end invoice", workers
    )
    wait_until(lambda: inbox.messages, "the invoice's e-mail", workers)
    runs_then = len(grouped_runs(workers))
    # Several more beats, each finding nothing left to invoice.
    later = wait_until(lambda: grouped_runs(workers)[runs_then:][3:], "three more grouped runs", workers)

    assert Invoice.objects.filter(kind=Invoice.Kind.INVOICE).count() == 1
    assert invoice.periodic and invoice.invoice_date == timezone.localdate()
    assert sorted(line.quantity for line in invoice.lines.all()) == [Decimal(4), Decimal(6)]
    assert {line.delivery_line.delivery_note_id for line in invoice.lines.all()} == {note.pk for note in notes}
    assert all(note.status == DeliveryNote.Status.SHIPPED for note in notes)
    assert all(summary.startswith("0 facture(s)") for summary in later), later

    (recipients, message), *others = inbox.messages
    assert others == [], [m["Subject"] for _r, m in others]
    assert recipients == [ADDRESS] and message["To"] == ADDRESS
    assert invoice.number in message["Subject"]
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf" and invoice.number in attachment.get_filename()
    assert attachment.get_content().startswith(b"%PDF")
    mailing = InvoiceMailing.objects.get(invoice=invoice)
    assert (mailing.status, mailing.recipient, mailing.attempts) == (InvoiceMailing.Status.SENT, ADDRESS, 1)
    assert who.timeline_entries.filter(subject__contains=invoice.number).count() == 1
