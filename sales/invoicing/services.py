"""Invoices made automatically (INV-18: the invoice is due when the goods are delivered, not when
they are paid): at shipment, or grouped by customer at the end of the month or of the week.

There is one write path for an invoice: these functions call ``create_invoice`` and
``issue_invoice`` as a person pressing « Facturer » then « Émettre » would. They react to
sales through ``lmb.events`` (``SalesConfig.ready``), after the shipment has committed: a failure
to invoice never undoes a shipment. It is kept as an ``InvoicingHold`` with its reason, shown in
the « à facturer » list, and tried again by the sweeper (``sweep_invoicing``) and by the next run.

Locks: every path locks the orders of the notes it invoices (ordered by id) before reading
what is left to invoice, as shipping does; so a note is invoiced once whoever runs at the same
time (the shipment's subscriber, the sweeper, two grouped runs, a person).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import mailing as crm_mailing
from lmb import queueing
from lmb.errors import DomainError, InvalidInput
from lmb.formats import decimal_fr
from lmb.jobs import start_job
from lmb.models import InvoicingPolicy

from ..models import DeliveryNote, DeliveryNoteLine, Invoice, InvoiceMailing, InvoicingHold, Order
from ..services import documents, invoices
from . import queries

logger = logging.getLogger(__name__)

# The sweeper leaves a shipment alone this long: its own subscriber is at work.
SWEEP_GRACE = timedelta(minutes=5)
# A refused note is tried again at most this often (a closed period stays closed for a while).
HOLD_RETRY = timedelta(hours=1)


# --- At shipment -------------------------------------------------------------------------------


def on_delivery_note_shipped(*, delivery_note_id, **_payload) -> None:
    """Subscriber of DELIVERY_NOTE_SHIPPED: the shipment has committed."""
    invoice_shipment(delivery_note_id=delivery_note_id)


def invoice_shipment(*, delivery_note_id: int, user=None) -> Invoice | None:
    """Issue the invoice of what a shipped delivery note holds when its order's policy is « à
    l'expédition »: its lines not invoiced yet, and the order's services, shipping and reductions
    not invoiced yet (so on its first invoice), deposits deducted, due date from the terms. Returns
    None when there is nothing to do (another policy, already invoiced: a counter sale is), or
    when invoicing was refused: the refusal is kept on the note (``InvoicingHold``)."""
    note = DeliveryNote.objects.select_related("order__customer", "order__channel").get(pk=delivery_note_id)
    if note.status != DeliveryNote.Status.SHIPPED or queries.policy_of(note.order) != InvoicingPolicy.AT_SHIPMENT:
        return None
    issued = _invoice_notes([note], periodic=False, user=user)
    return issued[0] if issued else None


# --- By hand, from the « à facturer » list ------------------------------------------------------


def invoice_notes_now(*, delivery_note_ids: list[int], user=None) -> "RunResult":
    """« Facturer maintenant » on the « à facturer » list (INV-18: what was delivered is invoiced):
    each note whose policy is « à l'expédition » or « manuelle » becomes one issued invoice, made
    as the shipment's own invoicing makes it (``_invoice_notes``, not periodic). A note under a
    grouped policy is refused (its periodic invoice is made by the grouped run), as is a note
    that is not shipped or has nothing left to invoice. A refusal to invoice (a closed period,
    the chronology) is kept on the note (``InvoicingHold``) and reported in ``held``."""
    ids = sorted({int(pk) for pk in delivery_note_ids})
    if not ids:
        raise InvalidInput({"delivery_notes": [_("Choisissez au moins un bon de livraison à facturer.")]})
    notes = list(queries.notes_to_invoice().filter(pk__in=ids).select_related("order__customer", "order__channel").order_by("pk"))
    if len(notes) != len(ids):
        raise InvalidInput({"delivery_notes": [_("Ce bon de livraison n'a plus rien à facturer.")]})
    grouped = [note.number for note in notes if note.policy in queries.GROUPED_POLICIES]
    if grouped:
        message = _("%(numbers)s : facturé par la facture périodique du client ; lancez la facturation groupée.")
        raise InvalidInput({"delivery_notes": [message % {"numbers": ", ".join(grouped)}]})
    result = RunResult(customers=len({note.order.customer_id for note in notes}))
    for note in notes:
        result.invoices.extend(_invoice_notes([note], periodic=False, user=user))
    held = InvoicingHold.objects.filter(delivery_note__in=notes, last_failed_at__gte=result.started_at)
    result.held.update(held.values_list("delivery_note_id", "reason"))
    return result


# --- Grouped runs ------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What a grouped run did: the invoices issued, the notes refused (with the reason), and the
    invoices made apart from a customer's others (with the reason)."""

    invoices: list[Invoice] = field(default_factory=list)
    held: dict[int, str] = field(default_factory=dict)  # delivery note id → reason
    splits: dict[int, str] = field(default_factory=dict)  # invoice id → reason
    customers: int = 0
    started_at: object = field(default_factory=timezone.now)

    def summary(self) -> str:
        return _("%(invoices)s facture(s) émise(s) pour %(customers)s client(s), %(held)s bon(s) en attente.") % {
            "invoices": decimal_fr(len(self.invoices)),
            "customers": decimal_fr(self.customers),
            "held": decimal_fr(len(self.held)),
        }


def run_grouped_invoicing(
    *,
    on: date | None = None,
    policies=queries.GROUPED_POLICIES,
    customer_ids=None,
    early: bool = False,
    user=None,
    report: Callable[[int, str], None] | None = None,
) -> RunResult:
    """The periodic invoices (INV-18, PAY-02) of a run on ``on`` (today): for each customer, one
    invoice of all their shipped notes not invoiced under a grouped policy whose period is over
    (the month on its last day, the week on Sunday, and any earlier period a missed run left), in
    the customer's currency and VAT treatment — notes that cannot share an invoice make one
    invoice each kind, and the invoice's history says why. Each customer in its own transaction:
    a refusal holds that customer's notes with the reason and the run goes on. Safe to run twice
    or concurrently: a second run finds the notes invoiced. ``early``: staff run it now for a
    selection of customers, every note shipped so far."""
    on = on or timezone.localdate()
    due = queries.grouped_notes_due(on=on, policies=policies, customer_ids=customer_ids, early=early)
    customer_ids = list(due.order_by("order__customer_id").values_list("order__customer_id", flat=True).distinct())
    result = RunResult(customers=len(customer_ids))
    for done, customer_id in enumerate(customer_ids, start=1):
        _invoice_customer(customer_id, on=on, policies=policies, early=early, user=user, result=result)
        if report:
            report(
                done * 100 // len(customer_ids),
                _("%(done)s client(s) sur %(total)s") % {"done": decimal_fr(done), "total": decimal_fr(len(customer_ids))},
            )
    return result


def _invoice_customer(customer_id: int, *, on: date, policies, early: bool, user, result: RunResult) -> None:
    notes = list(
        queries.grouped_notes_due(on=on, policies=policies, customer_ids=[customer_id], early=early)
        .select_related("order__customer", "order__channel")
        .order_by("shipped_at", "pk")
    )
    groups: dict[tuple, list[DeliveryNote]] = {}
    for note in notes:
        groups.setdefault(queries.invoice_key(note.order), []).append(note)
    keys = list(groups)
    for key, group in groups.items():
        reason = queries.split_reason(key, keys)
        for invoice in _invoice_notes(group, periodic=True, user=user, split_reason=reason):
            result.invoices.append(invoice)
            if reason:
                result.splits[invoice.pk] = reason
        held = InvoicingHold.objects.filter(delivery_note__in=group, last_failed_at__gte=result.started_at)
        result.held.update(held.values_list("delivery_note_id", "reason"))


def start_grouped_run(*, customer_ids: list[int], user=None, done_url: str = "", done_label: str = ""):
    """« Facturer maintenant »: the grouped invoices of the chosen customers, made by a worker
    with progress (lmb.jobs). ``done_url``: the page the job's page offers once done (the
    invoices made)."""
    if not customer_ids:
        raise InvalidInput({"customers": [_("Choisissez au moins un client à facturer.")]})
    title = _("Facturation groupée de %(count)s client(s)") % {"count": decimal_fr(len(customer_ids))}
    return start_job(
        kind="grouped_invoicing",
        title=title,
        task="sales.tasks.run_grouped_invoicing_job",
        user=user,
        parameters={
            "customer_ids": sorted(customer_ids),
            **({"done_url": done_url, "done_label": done_label} if done_url else {}),
        },
    )


def grouped_job_work(job, report):
    """The work of a « Facturer maintenant » job: the selection's notes, shipped so far."""
    result = run_grouped_invoicing(customer_ids=job.parameters["customer_ids"], early=True, user=job.created_by, report=report)
    return result.summary()


# --- The one way notes become an invoice ---------------------------------------------------------


def _invoice_notes(notes: list[DeliveryNote], *, periodic: bool, user=None, split_reason: str = "") -> list[Invoice]:
    """Invoice ``notes`` (one customer, one invoice key) in one transaction, under the lock of
    their orders: the notes still to invoice once the locks are held make one issued invoice. A
    refusal (DomainError) is rolled back and kept on each note as an ``InvoicingHold``; the notes
    invoiced lose theirs. Returns the invoices issued ([] or one)."""
    try:
        with transaction.atomic():
            _lock_orders({note.order_id for note in notes})
            still = _still_to_invoice(notes)
            if not still:
                return []
            draft = invoices.create_invoice(delivery_notes=still, user=user)
            if periodic:
                draft.periodic = True
                draft.save(update_fields=["periodic"])
            invoice = invoices.issue_invoice(draft, user=user)
            _record_grouping(invoice, still, periodic=periodic, split_reason=split_reason, user=user)
            InvoicingHold.objects.filter(delivery_note__in=still).delete()
            return [invoice]
    except DomainError as refusal:
        _hold(notes, str(refusal.message), user=user)
        return []


def _lock_orders(order_ids) -> None:
    list(Order.objects.select_for_update().filter(pk__in=sorted(order_ids)).order_by("pk").values_list("pk", flat=True))


def _still_to_invoice(notes: list[DeliveryNote]) -> list[DeliveryNote]:
    """The notes that still have a line to invoice, read under the orders' locks."""
    left = set(
        DeliveryNoteLine.objects.filter(
            delivery_note__in=notes, delivery_note__status=DeliveryNote.Status.SHIPPED, invoiced_quantity__lt=F("quantity")
        ).values_list("delivery_note_id", flat=True)
    )
    return [note for note in notes if note.pk in left]


def _record_grouping(invoice: Invoice, notes, *, periodic: bool, split_reason: str, user) -> None:
    numbers = ", ".join(note.number for note in notes)
    if periodic:
        detail = _("%(count)s livraison(s) : %(numbers)s") % {"count": decimal_fr(len(notes)), "numbers": numbers}
        documents.log_event(invoice, "grouped", user=user, detail=f"{detail} {split_reason}".strip()[:255])
    for order in {note.order_id: note.order for note in notes}.values():
        documents.log_event(order, "invoiced", user=user, detail=invoice.number)


def _hold(notes: list[DeliveryNote], reason: str, *, user=None) -> None:
    """Keep why the notes could not be invoiced (the « à facturer » list shows it)."""
    now = timezone.now()
    with transaction.atomic():
        for note in notes:
            hold, created = InvoicingHold.objects.select_for_update().get_or_create(
                delivery_note=note, defaults={"reason": reason, "last_failed_at": now}
            )
            if not created:
                InvoicingHold.objects.filter(pk=hold.pk).update(reason=reason, last_failed_at=now, attempts=F("attempts") + 1)
            else:
                documents.log_event(note.order, "invoicing_held", user=user, detail=f"{note.number} : {reason}"[:255])
    logger.info("Invoicing of %s held: %s", [note.number for note in notes], reason)


# --- Sweeping ------------------------------------------------------------------------------------


def sweep_invoicing(now=None) -> dict:
    """What the subscribers may have missed (a process killed between the commit and them, a
    refusal since cured): invoice the « à l'expédition » notes still to invoice, shipped more
    than SWEEP_GRACE ago and not refused within HOLD_RETRY; send again the invoice e-mails still
    pending."""
    now = now or timezone.now()
    notes = (
        queries.notes_to_invoice()
        .filter(policy=InvoicingPolicy.AT_SHIPMENT, shipped_at__lte=now - SWEEP_GRACE)
        .exclude(invoicing_hold__last_failed_at__gt=now - HOLD_RETRY)
        .order_by("shipped_at", "pk")
        .values_list("pk", flat=True)
    )
    invoiced = sum(1 for note_id in notes if invoice_shipment(delivery_note_id=note_id))
    requeued = sum(1 for mailing_id in pending_mailings(before=now - SWEEP_GRACE) if queue_mailing(mailing_id))
    return {"invoiced": invoiced, "mailings": requeued}


# --- Sending each new invoice --------------------------------------------------------------------


def on_invoice_issued(*, invoice_id, kind, **_payload) -> None:
    """Subscriber of INVOICE_ISSUED: when the invoice's channel says so, its e-mail to the
    customer (the stored Factur-X PDF), recorded first so that it is sent once."""
    if kind != Invoice.Kind.INVOICE:
        return
    invoice = (
        Invoice.objects.select_related("channel", "customer")
        .only("channel__email_invoices", "customer__email")
        .get(pk=invoice_id)
    )
    if not invoice.channel.email_invoices or invoice.customer_id == invoice.channel.default_customer_id:
        return  # the counter's walk-in customer has no address to send to
    mailing, created = InvoiceMailing.objects.get_or_create(invoice_id=invoice_id, defaults={"recipient": invoice.customer.email})
    if created:
        queue_mailing(mailing.pk)


def pending_mailings(*, before) -> list[int]:
    return list(
        InvoiceMailing.objects.filter(status=InvoiceMailing.Status.PENDING, created_at__lte=before).values_list("pk", flat=True)
    )


def queue_mailing(mailing_id: int) -> bool:
    """Hand the sending to a worker; a broker down leaves it pending for the sweeper."""
    return queueing.send("sales.tasks.send_invoice_mailing", mailing_id)


def send_invoice_mailing(*, mailing_id: int) -> str:
    """Send a new invoice's e-mail once: the row is locked while sending, and a sent one is left.
    Written on the customer's timeline and the invoice's history (crm.mailing). A customer without
    an address, or an address refused, fails at once with the reason; a mail server error is raised
    for the task to retry."""
    with transaction.atomic():
        mailing = InvoiceMailing.objects.select_for_update().select_related("invoice").get(pk=mailing_id)
        if mailing.status != InvoiceMailing.Status.PENDING:
            return mailing.status
        mailing.attempts += 1
        recipient = mailing.recipient or crm_mailing.default_recipient(mailing.invoice)
        if not recipient:
            reason = _("le client n'a pas d'adresse e-mail.")
            crm_mailing.record_failure(document=mailing.invoice, recipient="", reason=reason)
            _finish_mailing(mailing, InvoiceMailing.Status.FAILED, reason)
            return mailing.status
        crm_mailing.deliver(document=mailing.invoice, recipient=recipient)
        mailing.recipient = recipient
        _finish_mailing(mailing, InvoiceMailing.Status.SENT, "")
        return mailing.status


def fail_mailing(*, mailing_id: int, reason: str) -> None:
    """The sending failed for good (the task's retries are spent): say so on the timeline."""
    with transaction.atomic():
        mailing = InvoiceMailing.objects.select_for_update().select_related("invoice").get(pk=mailing_id)
        if mailing.status != InvoiceMailing.Status.PENDING:
            return
        crm_mailing.record_failure(document=mailing.invoice, recipient=mailing.recipient, reason=reason)
        _finish_mailing(mailing, InvoiceMailing.Status.FAILED, reason)


def _finish_mailing(mailing: InvoiceMailing, status: str, reason: str) -> None:
    mailing.status, mailing.reason = status, reason[:2000]
    mailing.sent_at = timezone.now() if status == InvoiceMailing.Status.SENT else None
    mailing.save(update_fields=["status", "reason", "sent_at", "attempts", "recipient"])
