"""Write paths of dunning: the daily run of reminders, their validation, sending and cancelling,
a customer's promise, insolvency and plan, disputed invoices, plan steps and penalty rates.

The ladder (fr-rules §6): a customer's first reminder (R1) is due ``delay_days`` after the due
date of their oldest overdue item; each next step ``delay_days`` after the previous reminder's
actual sending (a late R1 shifts the whole ladder), and never on the day of the previous one. A
ladder goes on while an item its last reminder listed is still overdue; once all of them are
paid, the next overdue item starts a new ladder at R1. A reminder waiting for validation holds
the ladder; a cancelled one counts as done on its day (the ladder moves on without it).
Not chased (DUN-03, PAY-06): disputed invoices, invoices with a draft credit note pending, claims
born before an insolvency judgment, customers marked « ne pas relancer » or with a payment
promised for a later day, and customers whose credit covers what is overdue.
"""

import string
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.models import CustomerCategory, Task, ThirdParty, TimelineEntry
from lmb import money
from lmb.errors import DomainError, InvalidInput, TransitionNotAllowed
from lmb.formats import money_fr
from lmb.services import apply_changes, get_company, validate_and_save
from lmb.text import printable
from sales.models import Invoice

from . import mailing as reminder_mailing
from . import pdfs, penalties, queries
from .models import (
    Channel,
    CustomerDunning,
    InvoiceDispute,
    PenaltyRate,
    Reminder,
    ReminderItem,
    ReminderPlan,
    ReminderStep,
)

ZERO = Decimal("0.00")
PLACEHOLDERS = {
    "company",
    "customer",
    "items",
    "amount_due",
    "total",
    "penalties_line",
    "deadline",
    "previous_date",
    "previous_dates",
}
TIMELINE_KIND = {
    Channel.EMAIL: TimelineEntry.Kind.EMAIL,
    Channel.LETTER: TimelineEntry.Kind.LETTER,
    Channel.REGISTERED_LETTER: TimelineEntry.Kind.LETTER,
    Channel.PHONE: TimelineEntry.Kind.CALL,
}


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


# --- Settings of a customer, disputes -----------------------------------------------------------


def dunning_of(customer: ThirdParty, *, lock: bool = False) -> CustomerDunning:
    """The customer's dunning row, made on first use (two processes at once make one)."""
    dunning, _created = CustomerDunning.objects.get_or_create(customer=customer)
    if lock:
        dunning = CustomerDunning.objects.select_for_update().get(pk=dunning.pk)
    return dunning


@transaction.atomic
def set_promise(*, customer: ThirdParty, promise_date: date | None, amount=None, today: date | None = None) -> CustomerDunning:
    """A payment promised for ``promise_date`` (and ``amount``): no reminder until that day
    included. ``None`` withdraws the promise. A promise in the past is refused."""
    today = today or timezone.localdate()
    dunning = dunning_of(customer, lock=True)
    if promise_date is not None and promise_date < today:
        raise InvalidInput({"promise_date": [_("Date de paiement promise : elle ne peut pas être dans le passé.")]})
    if amount is not None:
        try:
            amount = money.amount(amount)
        except (TypeError, ValueError) as exc:
            raise InvalidInput({"promise_amount": [str(exc)]}) from exc
        if amount <= 0:
            raise InvalidInput({"promise_amount": [_("Montant promis : il doit être positif.")]})
        if promise_date is None:
            raise InvalidInput({"promise_date": [_("Date de paiement promise : indiquez-la avec le montant.")]})
    dunning.promise_date, dunning.promise_amount = promise_date, amount
    return validate_and_save(dunning)


@transaction.atomic
def set_insolvency(*, customer: ThirdParty, judgment_date: date | None) -> CustomerDunning:
    """The opening judgment of a sauvegarde, redressement or liquidation (PAY-06): from it, claims
    born before it are neither chased nor charged penalties or the indemnity. ``None`` clears it."""
    dunning = dunning_of(customer, lock=True)
    if judgment_date is not None and judgment_date > timezone.localdate():
        raise InvalidInput({"insolvency_date": [_("Date du jugement d'ouverture : elle ne peut pas être dans le futur.")]})
    dunning.insolvency_date = judgment_date
    return validate_and_save(dunning)


@transaction.atomic
def set_customer_dunning(*, customer: ThirdParty, plan: ReminderPlan | None = None, do_not_remind=False) -> CustomerDunning:
    """Another plan than their category's for this customer, or « ne pas relancer »."""
    dunning = dunning_of(customer, lock=True)
    if plan is not None and not plan.is_active:
        raise InvalidInput({"plan": [_("Plan de relance : « %(plan)s » n'est plus actif.") % {"plan": plan}]})
    dunning.plan, dunning.do_not_remind = plan, do_not_remind
    return validate_and_save(dunning)


@transaction.atomic
def set_dispute(*, invoice: Invoice, reason: str, since: date | None = None) -> InvoiceDispute:
    """The invoice is disputed (litige): not chased while the dispute is open (DUN-03)."""
    if invoice.status != Invoice.Status.ISSUED:
        raise InvalidInput({"invoice": [_("Facture : seule une facture émise peut être en litige.")]})
    if not (reason or "").strip():
        raise InvalidInput({"reason": [_("Motif du litige : il est obligatoire.")]})
    dispute = InvoiceDispute.objects.select_for_update().filter(invoice=invoice).first() or InvoiceDispute(invoice=invoice)
    dispute.reason, dispute.since, dispute.resolved_on = reason.strip(), since or timezone.localdate(), None
    return validate_and_save(dispute)


@transaction.atomic
def resolve_dispute(*, invoice: Invoice, on: date | None = None) -> InvoiceDispute:
    """The dispute is over: the invoice is chased again if still unpaid."""
    dispute = InvoiceDispute.objects.select_for_update().filter(invoice=invoice, resolved_on=None).first()
    if dispute is None:
        raise TransitionNotAllowed(_("Cette facture n'est pas en litige."))
    dispute.resolved_on = on or timezone.localdate()
    dispute.save(update_fields=["resolved_on"])
    return dispute


# --- Plans and rates ----------------------------------------------------------------------------


def _check_template(field: str, text: str):
    try:
        names = {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise InvalidInput({field: [_("Modèle : accolade mal fermée (%(error)s).") % {"error": exc}]}) from exc
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        raise InvalidInput(
            {
                field: [
                    _("Modèle : {%(name)s} n'est pas une variable connue (%(known)s).")
                    % {"name": unknown[0], "known": ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))}
                ]
            }
        )


def _check_step(step: ReminderStep):
    if step.delay_days is not None and int(step.delay_days) < 0:
        raise InvalidInput({"delay_days": [_("Délai (jours) : il ne peut pas être négatif.")]})
    _check_template("subject", step.subject)
    _check_template("body", step.body)


@transaction.atomic
def save_step(*, plan: ReminderPlan, position: int, **fields) -> ReminderStep:
    """Add or change the step ``position`` of a plan (delay, channel, what it shows, template)."""
    step = ReminderStep.objects.select_for_update().filter(plan=plan, position=position).first()
    if step is None:
        step = ReminderStep(plan=plan, position=position, **fields)
        _check_step(step)
        return validate_and_save(step)
    for name, value in fields.items():
        setattr(step, name, value)
    _check_step(step)
    return apply_changes(step, {})


@transaction.atomic
def set_penalty_rate(*, start: date, ecb_rate, legal_interest_rate, points=10, public_points=8, source: str = "") -> PenaltyRate:
    """The rates of a semester (PAY-03): a rate other than the legal default (ECB + 10 points) may
    not fall below 3 × the legal interest rate (C. com. L441-10)."""
    values = {}
    for name, value in (
        ("ecb_rate", ecb_rate),
        ("legal_interest_rate", legal_interest_rate),
        ("points", points),
        ("public_points", public_points),
    ):
        try:
            values[name] = money.round_to(value, money.RATE_PLACES)
        except (TypeError, ValueError) as exc:
            raise InvalidInput({name: [str(exc)]}) from exc
    if start.day != 1 or start.month not in (1, 7):
        raise InvalidInput({"start": [_("Début du semestre : le 1er janvier ou le 1er juillet.")]})
    rate = PenaltyRate.objects.select_for_update().filter(start=start).first() or PenaltyRate(start=start)
    for name, value in values.items():
        setattr(rate, name, value)
    rate.source = source
    if rate.points != 10 and rate.business_rate < rate.legal_floor:
        raise InvalidInput(
            {
                "points": [
                    _(
                        "Taux des pénalités : %(rate)s %% est inférieur au plancher légal de 3 × le taux de l'intérêt légal, "
                        "soit %(floor)s %% (C. com. L441-10)."
                    )
                    % {"rate": str(rate.business_rate).replace(".", ","), "floor": str(rate.legal_floor).replace(".", ",")}
                ]
            }
        )
    return validate_and_save(rate)


# --- The daily run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Past:
    """A reminder of the customer's current ladder, as the decision needs it."""

    pk: int
    position: int
    status: str
    sent_on: date | None
    run_date: date

    @property
    def done_on(self) -> date:
        return self.sent_on or self.run_date


@dataclass(frozen=True)
class _Decision:
    step: ReminderStep
    ladder: int
    items: list


class _Plans:
    """Every plan's steps, read once per run."""

    def __init__(self):
        self.steps = defaultdict(dict)
        self.default = {}
        for step in ReminderStep.objects.select_related("plan").filter(plan__is_active=True):
            self.steps[step.plan_id][step.position] = step
            if step.plan.customer_category:
                self.default[step.plan.customer_category] = step.plan_id

    def of(self, category: str, dunning: CustomerDunning | None) -> dict:
        if dunning is not None and dunning.plan_id:
            return self.steps.get(dunning.plan_id, {})
        category = CustomerCategory.BUSINESS if category == CustomerCategory.RESELLER else category
        return self.steps.get(self.default.get(category), {})


def _chased(items, dunning: CustomerDunning | None) -> list:
    insolvency = dunning.insolvency_date if dunning else None
    return [
        item
        for item in items
        if not item.disputed and not item.pending_credit_note and not penalties.before_insolvency(item.invoice_date, insolvency)
    ]


def _decide(*, on: date, items, dunning, steps: dict, past: list[_Past], last_items: set) -> _Decision | None:
    """The reminder due for this customer on ``on``, or None (see the module's docstring)."""
    if dunning is not None and (dunning.do_not_remind or (dunning.promise_date and dunning.promise_date >= on)):
        return None
    chased = _chased(items, dunning)
    if not chased or not steps:
        return None
    ladder = dunning.ladder if dunning else 0
    last = max(past, key=lambda reminder: reminder.position) if past else None
    if last is not None and last.status == Reminder.Status.TO_VALIDATE:
        return None  # the staff have not validated it yet: the ladder waits
    if last is not None and last_items & {item.installment_id for item in chased}:
        step = steps.get(last.position + 1)
        if step is None:
            return None  # the plan is over: what comes next (injonction de payer) is the staff's call
        due_on = last.done_on + timedelta(days=max(step.delay_days, 1))
    else:
        step = steps.get(min(steps))
        due_on = min(item.due_date for item in chased) + timedelta(days=step.delay_days)
        if last is not None:
            due_on = max(due_on, last.done_on + timedelta(days=1))
        ladder += 1
    if due_on > on:
        return None
    return _Decision(step=step, ladder=ladder, items=chased)


def _current_ladders(customer_ids=None) -> tuple[dict, dict]:
    """({customer id: [_Past]}, {customer id: installment ids of their last reminder}) of the
    current ladders, in two queries."""
    reminders = Reminder.objects.filter(customer__dunning__ladder=F("ladder"))
    if customer_ids is not None:
        reminders = reminders.filter(customer_id__in=customer_ids)
    past = defaultdict(list)
    for pk, customer_id, position, status, sent_at, run_date in reminders.values_list(
        "pk", "customer_id", "position", "status", "sent_at", "run_date"
    ):
        sent_on = timezone.localdate(sent_at) if sent_at else None
        past[customer_id].append(_Past(pk, position, status, sent_on, run_date))
    last_pks = {max(reminders, key=lambda r: r.position).pk: customer_id for customer_id, reminders in past.items()}
    last_items = defaultdict(set)
    if last_pks:
        for reminder_id, installment_id in ReminderItem.objects.filter(reminder_id__in=list(last_pks)).values_list(
            "reminder_id", "installment_id"
        ):
            last_items[last_pks[reminder_id]].add(installment_id)
    return past, last_items


BATCH = 500  # customers decided, locked and written together by the daily run


def run_reminders(*, on: date | None = None) -> list[Reminder]:
    """The daily run: for each customer with overdue items, the next step of their plan due on
    or before ``on`` — one reminder listing all their chased overdue items, queued « à valider »,
    or sent at once when the company says so (``Company.send_reminders_automatically``; a phone
    step always waits for someone to call). Idempotent and safe from two processes at once: the
    customers due are taken in batches of ``BATCH``, each batch in one transaction that locks
    their ``CustomerDunning`` rows (in one statement, ordered by pk: two runs cannot deadlock),
    reads their ladders again and decides again under the lock; a reminder is unique per
    customer, ladder and step. A late run catches up one step at a time. Returns the reminders
    made."""
    on = on or timezone.localdate()
    items = queries.receivables(as_of=on, overdue_only=True)
    by_customer = defaultdict(list)
    for item in items:
        by_customer[item.customer_id].append(item)
    if not by_customer:
        return []
    settings = {dunning.customer_id: dunning for dunning in CustomerDunning.objects.all()}
    past, last_items = _current_ladders()
    plans, rates = _Plans(), penalties.Rates()
    due = []
    for customer_id, customer_items in by_customer.items():
        dunning = settings.get(customer_id)
        steps = plans.of(customer_items[0].customer_category, dunning)
        if _decide(
            on=on, items=customer_items, dunning=dunning, steps=steps, past=past[customer_id], last_items=last_items[customer_id]
        ):
            due.append(customer_id)
    if not due:
        return []
    due.sort()
    missing = [customer_id for customer_id in due if customer_id not in settings]
    if missing:  # their dunning rows, made first (two runs at once: one row each, ON CONFLICT DO NOTHING)
        CustomerDunning.objects.bulk_create(
            [CustomerDunning(customer_id=customer_id) for customer_id in missing], batch_size=BATCH, ignore_conflicts=True
        )
    # Every customer's credit in one statement (read before the locks, as the receivables are).
    credits = queries.customer_credits(as_of=on, customers=None if len(due) > BATCH else due)
    company = get_company()
    automatic = bool(company and company.send_reminders_automatically)
    made = []
    for start in range(0, len(due), BATCH):
        batch = due[start : start + BATCH]
        written = _remind_batch(
            customer_ids=batch, on=on, by_customer=by_customer, credits=credits, plans=plans, rates=rates, company=company
        )
        if automatic:
            _send_now(written)
        made += written
    return made


def _send_now(reminders) -> None:
    """The company sends its reminders without validation: each one made is sent after its batch
    committed, in its own transaction (a letter's PDF is not rendered while the batch holds its
    customers' locks), through the one path of a validation. A phone step waits for someone to
    call; an address the mailing refuses leaves it « à valider » for the staff to see."""
    for reminder in reminders:
        if reminder.step.channel == Channel.PHONE:
            continue
        with suppress(DomainError):  # an address the mailing refuses: left « à valider »
            validate_reminder(reminder)
        reminder.refresh_from_db()


@transaction.atomic
def _remind_batch(*, customer_ids, on, by_customer, credits, plans, rates, company) -> list[Reminder]:
    """A batch of customers' reminders, decided again under the lock of their dunning rows, written
    in bulk (reminders, then their items)."""
    locked = CustomerDunning.objects.select_for_update().filter(customer_id__in=customer_ids).order_by("pk")
    dunnings = {dunning.customer_id: dunning for dunning in locked}
    customers = ThirdParty.objects.in_bulk(customer_ids)
    past, last_items = _current_ladders(customer_ids)
    claimed = penalties.claimed_through({item.invoice_id for customer_id in customer_ids for item in by_customer[customer_id]})
    built, new_ladders = [], []
    for customer_id in customer_ids:
        dunning, customer = dunnings.get(customer_id), customers.get(customer_id)
        if dunning is None or customer is None:
            continue  # deleted meanwhile
        prepared = _prepare(
            customer=customer,
            dunning=dunning,
            on=on,
            items=by_customer[customer_id],
            credit=credits.get(customer_id, ZERO),
            steps=plans.of(customer.customer_category, dunning),
            past=past[customer_id],
            last_items=last_items[customer_id],
            rates=rates,
            claimed=claimed,
            company=company,
        )
        if prepared is None:
            continue
        reminder, reminder_items = prepared
        if reminder.ladder != dunning.ladder:
            assert reminder.ladder == dunning.ladder + 1  # noqa: S101 (the UPDATE below relies on it)
            dunning.ladder = reminder.ladder
            new_ladders.append(dunning)
        built.append((reminder, reminder_items))
    if not built:
        return []
    if new_ladders:  # a new ladder is always the next one (``_decide``): one UPDATE, not a CASE per row
        CustomerDunning.objects.filter(pk__in=[dunning.pk for dunning in new_ladders]).update(
            ladder=F("ladder") + 1, updated_at=timezone.now()
        )
    return _save_reminders(built)


def _save_reminders(built) -> list[Reminder]:
    """Insert the reminders and their items; one by one if a reminder was made meanwhile (the
    unique step of the ladder is the backstop: such a reminder is skipped)."""
    try:
        with transaction.atomic():
            Reminder.objects.bulk_create([reminder for reminder, _items in built])
            saved = built
    except IntegrityError:
        saved = []
        for reminder, reminder_items in built:
            reminder.pk = None
            reminder._state.adding = True
            try:
                with transaction.atomic():
                    reminder.save()
            except IntegrityError:
                continue  # made meanwhile by another run
            saved.append((reminder, reminder_items))
    lines = []
    for reminder, reminder_items in saved:
        for line in reminder_items:
            line.reminder = reminder
            lines.append(line)
    ReminderItem.objects.bulk_create(lines, batch_size=2000)
    return [reminder for reminder, _items in saved]


def _prepare(*, customer, dunning, on, items, credit, steps, past, last_items, rates, claimed, company):
    """(the reminder, its items) due for one customer, not saved, or None. Penalties count from the
    day after what was already claimed on an invoice (``claimed``: invoiced or waived), and its 40 €
    only when no claim settled it."""
    decision = _decide(on=on, items=items, dunning=dunning, steps=steps, past=past, last_items=last_items)
    if decision is None:
        return None
    amount_due = sum((item.amount_due_eur for item in decision.items), ZERO)
    if credit >= amount_due:
        return None  # what is late is covered by the customer's credit: to allocate, not to chase
    step = decision.step
    reminder_items, indemnified = [], set()
    for item in decision.items:
        indemnity = ZERO
        if item.invoice_id not in indemnified and item.invoice_id not in claimed:
            indemnity = penalties.indemnity(
                category=customer.customer_category, invoice_date=item.invoice_date, insolvency_date=dunning.insolvency_date
            )
            indemnified.add(item.invoice_id)
        reminder_items.append(
            ReminderItem(
                invoice_id=item.invoice_id,
                installment_id=item.installment_id,
                due_date=item.due_date,
                currency=item.currency,
                amount_due=item.amount_due,
                amount_due_eur=item.amount_due_eur,
                days_late=item.days_late,
                penalty=penalties.penalty(
                    amount=item.amount_due_eur,
                    due_date=penalties.running_since(item.due_date, claimed.get(item.invoice_id)),
                    as_of=on,
                    category=customer.customer_category,
                    invoice_date=item.invoice_date,
                    insolvency_date=dunning.insolvency_date,
                    rates=rates,
                ),
                indemnity=indemnity,
            )
        )
    shown_penalties = sum((line.penalty for line in reminder_items), ZERO) if step.show_penalties else ZERO
    shown_indemnity = sum((line.indemnity for line in reminder_items), ZERO) if step.show_indemnity else ZERO
    credit = max(credit, ZERO)
    reminder = Reminder(
        customer=customer,
        ladder=decision.ladder,
        position=step.position,
        step=step,
        run_date=on,
        channel=step.channel,
        amount_due=amount_due,
        credit=credit,
        penalties=shown_penalties,
        indemnity=shown_indemnity,
        total=amount_due - credit + shown_penalties + shown_indemnity,
        payment_deadline=on + timedelta(days=step.payment_deadline_days) if step.payment_deadline_days else None,
    )
    same_ladder = decision.ladder == dunning.ladder
    previous = sorted((p for p in past if p.sent_on), key=lambda p: p.position) if same_ladder else []
    invoices = {item.invoice_id: (item.invoice_number, item.invoice_date) for item in decision.items}
    reminder.subject, reminder.body = _render(
        step, reminder, reminder_items, invoices=invoices, company=company, customer=customer, previous=previous
    )
    return reminder, reminder_items


def _render(step, reminder, items, *, invoices, company, customer, previous) -> tuple[str, str]:
    """The step's subject and text with the reminder's figures ({placeholders}, see PLACEHOLDERS)."""
    lines = []
    for line in items:
        number, invoice_date = invoices[line.invoice_id]
        text = _("- Facture %(number)s du %(date)s, échéance du %(due)s : %(amount)s (%(days)s jours de retard)") % {
            "number": number,
            "date": _day(invoice_date),
            "due": _day(line.due_date),
            "amount": money_fr(line.amount_due, line.currency),
            "days": line.days_late,
        }
        lines.append(text)
    penalties_line = ""
    if reminder.penalties or reminder.indemnity:
        penalties_line = _(
            "Pénalités de retard (C. com. L441-10) : %(penalties)s ; indemnité forfaitaire pour frais de recouvrement : "
            "%(indemnity)s.\n"
        ) % {"penalties": money_fr(reminder.penalties), "indemnity": money_fr(reminder.indemnity)}
    if reminder.credit:
        penalties_line += _("Déduction faite de votre crédit chez nous : %(credit)s.\n") % {"credit": money_fr(reminder.credit)}
    sent_days = [_day(p.sent_on) for p in previous]
    values = {
        "company": company.display_name if company else "",
        "customer": customer.name,
        "items": "\n".join(lines),
        "amount_due": money_fr(reminder.amount_due),
        "total": money_fr(reminder.total),
        "penalties_line": penalties_line,
        "deadline": _day(reminder.payment_deadline) if reminder.payment_deadline else "",
        "previous_date": sent_days[-1] if sent_days else "",
        "previous_dates": (", ".join(sent_days[:-1]) + _(" et ") + sent_days[-1]) if len(sent_days) > 1 else "".join(sent_days),
    }
    return step.subject.format_map(values)[:200], step.body.format_map(values)


# --- Transitions of a reminder ------------------------------------------------------------------


def send_reminder(reminder: Reminder, *, user=None, recipient: str = "") -> Reminder:
    """Send a reminder (its row locked by the caller, ``validate_reminder`` or the daily run):
    records its sending (``sent_at``: the next step's delay counts from it, fr-rules §6), then
    - e-mail: queued through crm's mailing to ``recipient`` (default: the customer's address), the
      letter attached as PDF; the crm task sends it and writes the outcome on the customer's
      timeline, with the PDF. A customer without an e-mail address gets the letter by post instead
      (the reminder's channel says so);
    - letter, registered letter (mise en demeure, DUN-01): the PDF is left to print
      (``dunning.pdfs.start_print_job``);
    - phone call: a task in the agenda of the customer's sales rep (« commercial »), or of the
      person who validated it when the customer has none.
    Letters and calls are written on the customer's timeline at once, a letter with its PDF
    attached (DUN-03: every dunning action logged with its date and channel)."""
    now = timezone.now()
    channel = reminder.channel
    if channel == Channel.EMAIL:
        recipient = (recipient or reminder_mailing.default_recipient(reminder)).strip()
        if not recipient:
            channel = Channel.LETTER
    fields = ["status", "sent_at", "sent_by", "email_error"]
    reminder.email_error = ""  # a failed e-mail sent again: its outcome is the new sending's
    if channel != reminder.channel:
        reminder.channel = channel
        fields.append("channel")
    reminder.status, reminder.sent_at, reminder.sent_by = Reminder.Status.SENT, now, user
    reminder.save(update_fields=fields)
    if channel == Channel.EMAIL:
        reminder_mailing.send_document_email(document=reminder, recipient=recipient, user=user)
        return reminder
    attachments = ()
    if channel != Channel.PHONE:
        rendered = pdfs.render_reminder(reminder)
        attachments = [ContentFile(rendered.content, name=rendered.filename)]
    subject = _("%(step)s — %(subject)s") % {"step": reminder.step.name, "subject": reminder.subject}
    if "channel" in fields:
        subject += _(" (par courrier : pas d'adresse e-mail)")
    crm_services.log_interaction(
        third_party=reminder.customer,
        kind=TIMELINE_KIND[channel],
        subject=" ".join(printable(subject).split())[:200],  # one line, without what a stored name may carry
        body=printable(reminder.body),
        author=user,
        occurred_at=now,
        direction=TimelineEntry.Direction.OUTGOING,
        attachments=attachments,
    )
    caller = reminder.customer.sales_rep if reminder.customer.sales_rep_id and reminder.customer.sales_rep.is_active else user
    if channel == Channel.PHONE and caller is not None:
        crm_services.create_task(
            title=(
                _("Appeler %(customer)s : relance de %(total)s")
                % {"customer": printable(reminder.customer.name), "total": money_fr(reminder.total)}
            )[:200],
            description=printable(reminder.body),
            third_party=reminder.customer,
            assignee=caller,
            due_date=timezone.localdate(now),
            priority=Task.Priority.HIGH,
            created_by=user,
        )
    return reminder


def _locked(reminder: Reminder) -> Reminder:
    return Reminder.objects.select_for_update().select_related("customer", "step").get(pk=reminder.pk)


@transaction.atomic
def validate_reminder(reminder: Reminder, *, user=None, recipient: str = "") -> Reminder:
    """A reminder « à valider » checked by the staff and sent (its sending day starts the next
    step's delay). Its row locked, a reminder already sent is refused: validated twice (two
    clicks, two users), it leaves once."""
    reminder = _locked(reminder)
    if reminder.status != Reminder.Status.TO_VALIDATE:
        raise TransitionNotAllowed(
            _("Cette relance est « %(status)s » : elle ne s'envoie plus.") % {"status": reminder.get_status_display()}
        )
    return send_reminder(reminder, user=user, recipient=recipient)


@transaction.atomic
def cancel_reminder(reminder: Reminder, *, reason: str, user=None) -> Reminder:
    """A reminder « à valider » not sent: the step is skipped, the ladder moves on from its day."""
    reminder = _locked(reminder)
    if reminder.status != Reminder.Status.TO_VALIDATE:
        raise TransitionNotAllowed(
            _("Cette relance est « %(status)s » : elle ne s'annule plus.") % {"status": reminder.get_status_display()}
        )
    if not (reason or "").strip():
        raise InvalidInput({"cancel_reason": [_("Motif d'annulation : il est obligatoire.")]})
    reminder.status, reminder.cancel_reason = Reminder.Status.CANCELLED, reason.strip()[:255]
    reminder.save(update_fields=["status", "cancel_reason"])
    return reminder
