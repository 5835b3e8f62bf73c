"""Demo dunning: the last four months of daily runs replayed day by day over the demo year's
unpaid invoices (sales demo), each « à valider » reminder validated by the sales staff the next
working day — so customers stand at various steps of their plan (R1 e-mails, R2 with penalties
and the 40 €, a mise en demeure) — and the runs of the last days left « à valider »; a
consumer's invoice left unpaid; a disputed invoice (DUN-03, not chased from the day it is
disputed); a business customer in redressement judiciaire (PAY-06: no reminder, penalty or
40 € on earlier claims); a payment promised; a public buyer's invoice issued today with a
payment schedule (échéancier, PAY-07).

Each day runs under the sales demo's clock (``sales.demo.demo_clock``): the reminders' sending
days, the timeline and the ladder's delays are those of the day replayed.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from crm.models import CustomerCategory
from sales import services as sales_services
from sales.demo import demo_clock
from sales.models import Channel, Invoice

from . import queries, services
from .models import InvoiceDispute, Reminder

HISTORY_DAYS = 120  # the daily runs replayed
LEFT_TO_VALIDATE_DAYS = 3  # the last days' reminders wait for the staff


def _working(day) -> bool:
    return day.weekday() < 5


class DunningHistory:
    def __init__(self, context):
        self.today = timezone.localdate()
        self.seller = context["users"]["ventes"]
        self.disputed = None
        self.insolvent = None

    def pick_stories(self):
        """The invoice disputed and the customer in redressement, among what is overdue today
        (two different business customers), decided before the replay."""
        start = self.today - timedelta(days=HISTORY_DAYS)
        late = [item for item in queries.receivables(as_of=self.today, overdue_only=True) if item.due_date > start]
        business = [item for item in late if item.customer_category in (CustomerCategory.BUSINESS, CustomerCategory.RESELLER)]
        business.sort(key=lambda item: (item.due_date, item.invoice_id))
        if business:
            self.disputed = business[0]
        others = [item for item in business if self.disputed and item.customer_id != self.disputed.customer_id]
        if others:
            self.insolvent = others[len(others) // 2]

    def run(self):
        self.pick_stories()
        start = self.today - timedelta(days=HISTORY_DAYS)
        to_validate = []
        for offset in range(HISTORY_DAYS + 1):
            day = start + timedelta(days=offset)
            with demo_clock(day, 1):
                self.stories_of(day)
                if _working(day) and self.today - day >= timedelta(days=LEFT_TO_VALIDATE_DAYS):
                    for reminder in to_validate:
                        services.validate_reminder(reminder, user=self.seller)
                    to_validate = []
            with demo_clock(day, 2):
                made = services.run_reminders(on=day)
            to_validate += [reminder for reminder in made if reminder.status == Reminder.Status.TO_VALIDATE]

    def stories_of(self, day):
        if self.disputed and day == self.disputed.due_date + timedelta(days=3):
            invoice = Invoice.objects.get(pk=self.disputed.invoice_id)
            services.set_dispute(invoice=invoice, reason="Marchandise livrée abîmée : le client conteste la facture", since=day)
        if self.insolvent and day == self.insolvent.due_date + timedelta(days=20):
            customer = Invoice.objects.get(pk=self.insolvent.invoice_id).customer
            services.set_insolvency(customer=customer, judgment_date=day)


def _schedule_for_a_public_buyer(context):
    """A town hall's large order invoiced today, paid in three instalments (PAY-07, each within 60 days)."""
    town_hall = next((c for c in context["customers"] if c.customer_category == CustomerCategory.PUBLIC), None)
    if town_hall is None:
        return None
    b2b = Channel.objects.get(kind=Channel.Kind.B2B)
    draft = sales_services.create_direct_invoice(
        customer=town_hall,
        channel=b2b,
        lines=[{"description": "Mobilier de la salle du conseil", "unit_price": Decimal("2400.00"), "vat_rate": Decimal("20")}],
        user=context["users"]["ventes"],
    )
    today = timezone.localdate()
    total = draft.total_incl_tax if draft.total_incl_tax else Decimal("2880.00")
    first = (total / 3).quantize(Decimal("0.01"))
    installments = [(today + timedelta(days=20 * rank), first) for rank in (1, 2)]
    installments.append((today + timedelta(days=60), total - 2 * first))
    return sales_services.issue_invoice(draft, user=context["users"]["ventes"], installments=installments)


def _promise():
    """A customer R1 was sent to phoned back: they promise to pay within ten days."""
    today = timezone.localdate()
    sent = Reminder.objects.filter(status=Reminder.Status.SENT, position=1, customer__dunning__insolvency_date=None)
    reminder = sent.order_by("-run_date", "pk").first()
    if reminder is None:
        return None
    return services.set_promise(customer=reminder.customer, promise_date=today + timedelta(days=10), amount=reminder.amount_due)


def seed_dunning(context):
    history = DunningHistory(context)
    history.run()
    schedule = _schedule_for_a_public_buyer(context)
    promise = _promise()
    reminders = Reminder.objects.all()
    sent = reminders.filter(status=Reminder.Status.SENT)
    waiting = reminders.filter(status=Reminder.Status.TO_VALIDATE).count()
    steps = sorted(set(sent.values_list("position", flat=True)))
    overdue = [row for row in queries.aged_balance(as_of=timezone.localdate()) if row.days_late > 0]
    parts = [
        f"{sent.count()} relances envoyées (étapes {', '.join(f'R{p}' for p in steps)}), {waiting} à valider",
        f"{len(overdue)} clients en retard de paiement",
        f"{InvoiceDispute.objects.count()} facture en litige",
        "1 client en redressement judiciaire" if history.insolvent else "aucun client en redressement",
        "1 promesse de paiement" if promise else "aucune promesse",
        f"un échéancier en 3 fois ({schedule.number})" if schedule else "aucun échéancier",
    ]
    return ", ".join(parts)
