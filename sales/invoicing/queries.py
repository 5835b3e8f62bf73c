"""Read paths of automatic invoicing: which policy applies to a delivery note, which shipped
notes are still to invoice and why, and what the next grouped run will invoice."""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import DecimalField, Exists, ExpressionWrapper, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from lmb.formats import money_fr
from lmb.models import InvoicingPolicy

from ..models import DeliveryNote, DeliveryNoteLine, VatTreatment

GROUPED_POLICIES = (InvoicingPolicy.MONTHLY, InvoicingPolicy.WEEKLY)
SUNDAY = 6


def policy_expression(prefix: str = "order__"):
    """The policy of an order, in SQL: its customer's own, else its channel's."""
    return Coalesce(NullIf(F(f"{prefix}customer__invoicing_policy"), Value("")), F(f"{prefix}channel__invoicing_policy"))


def policy_of(order) -> str:
    return order.customer.invoicing_policy or order.channel.invoicing_policy


def lines_to_bill():
    """The lines of a delivery note shipped and not invoiced yet (the partial index serves it)."""
    return DeliveryNoteLine.objects.filter(delivery_note=OuterRef("pk"), invoiced_quantity__lt=F("quantity"))


def notes_to_invoice() -> QuerySet[DeliveryNote]:
    """Every shipped delivery note with something not invoiced yet, with its policy."""
    return (
        DeliveryNote.objects.filter(status=DeliveryNote.Status.SHIPPED)
        .filter(Exists(lines_to_bill()))
        .annotate(policy=policy_expression())
    )


def amount_to_invoice():
    """Per note, in SQL, the estimate ``_values_to_bill`` makes: the order line's net for the
    quantity shipped and not invoiced, rounded per line."""
    share = ExpressionWrapper(
        F("order_line__net_amount") * (F("quantity") - F("invoiced_quantity")) / F("order_line__quantity"),
        output_field=DecimalField(max_digits=20, decimal_places=6),
    )
    per_note = (
        lines_to_bill()
        .filter(order_line__quantity__gt=0)
        .order_by()
        .values("delivery_note")
        .annotate(total=Sum(Round(share, 2)))
        .values("total")
    )
    return Coalesce(Subquery(per_note), Value(Decimal("0.00")), output_field=DecimalField(max_digits=14, decimal_places=2))


def to_invoice_list() -> QuerySet[DeliveryNote]:
    """The « à facturer » list: every note to invoice with its policy, its estimated amount, its
    refusal if any, and what the page shows of its order, customer and channel joined in."""
    return (
        notes_to_invoice()
        .select_related("order__customer", "order__channel", "invoicing_hold")
        .annotate(amount_to_invoice=amount_to_invoice())
    )


def waiting_reason(note, *, today: date) -> str:
    """Why a note to invoice waits, without a refusal: its policy says when it will be invoiced."""
    if note.policy in GROUPED_POLICIES:
        day = max(period_end(note.policy, timezone.localtime(note.shipped_at).date()), today)
        return _("Facture périodique le %(day)s") % {"day": day.strftime("%d/%m/%Y")}
    if note.policy == InvoicingPolicy.MANUAL:
        return _("À facturer à la main")
    return _("En cours")


# --- Periods of the grouped policies -------------------------------------------------------------


def period_end(policy: str, day: date) -> date:
    """The last day of the period of ``day``: the end of its month, or its Sunday."""
    if policy == InvoicingPolicy.WEEKLY:
        return day + timedelta(days=SUNDAY - day.weekday())
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def due_up_to(policy: str, on: date) -> date:
    """The last shipping day a run on ``on`` invoices: the whole current period on its last day,
    else the periods already over (what a missed run left)."""
    end = period_end(policy, on)
    if end == on:
        return on
    if policy == InvoicingPolicy.WEEKLY:
        return on - timedelta(days=on.weekday() + 1)
    return on.replace(day=1) - timedelta(days=1)


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)) - timedelta(microseconds=1)


def grouped_notes_due(*, on: date, policies=GROUPED_POLICIES, customer_ids=None, early=False) -> QuerySet[DeliveryNote]:
    """The notes a grouped run on ``on`` invoices: to invoice, under a grouped policy, shipped
    by the end of the period that run closes (``due_up_to``), or by ``on`` when staff run it
    ``early`` for a selection."""
    notes = notes_to_invoice().none()
    for policy in policies:
        up_to = on if early else due_up_to(policy, on)
        notes = notes | notes_to_invoice().filter(policy=policy, shipped_at__lte=end_of_day(up_to))
    if customer_ids is not None:
        notes = notes.filter(order__customer_id__in=customer_ids)
    return notes


# --- Grouping ------------------------------------------------------------------------------------


def invoice_key(order) -> tuple:
    """What notes must share to be on one invoice (sales.services.invoices._same_terms)."""
    return (order.vat_treatment, order.currency, order.prices_include_tax)


def split_reason(key: tuple, keys: list[tuple]) -> str:
    """Why a customer's notes of ``key`` are invoiced apart from the others: "" when all share it."""
    if len(keys) < 2:
        return ""
    vat_treatment, currency, prices_include_tax = key
    differs = []
    if len({k[0] for k in keys}) > 1:
        differs.append(_("régime de TVA « %(treatment)s »") % {"treatment": VatTreatment(vat_treatment).label})
    if len({k[1] for k in keys}) > 1:
        differs.append(_("devise %(currency)s") % {"currency": currency})
    if len({k[2] for k in keys}) > 1:
        differs.append(_("prix TTC") if prices_include_tax else _("prix HT"))
    return _("Facturé à part des autres livraisons du client : %(what)s.") % {"what": ", ".join(differs)}


@dataclass
class PreviewGroup:
    """One invoice the next grouped run will make."""

    key: tuple
    notes: list = field(default_factory=list)
    amount_excl_tax: Decimal = Decimal("0.00")
    reason: str = ""

    @property
    def currency(self) -> str:
        return self.key[1]

    @property
    def amount_display(self) -> str:
        return money_fr(self.amount_excl_tax, self.currency)


@dataclass
class PreviewCustomer:
    customer: object
    policy: str
    groups: list[PreviewGroup] = field(default_factory=list)

    @property
    def note_count(self) -> int:
        return sum(len(group.notes) for group in self.groups)

    @property
    def policy_display(self) -> str:
        return InvoicingPolicy(self.policy).label


def next_run_preview(*, policies=GROUPED_POLICIES, customer_ids=None) -> list[PreviewCustomer]:
    """What the next grouped runs will invoice: every note to invoice under a grouped policy,
    per customer and per invoice, with the value shipped and not invoiced (excl. tax, the order's
    line prices) and why a customer's notes are split."""
    notes = (
        notes_to_invoice().filter(policy__in=policies).select_related("order__customer").order_by("order__customer__name", "pk")
    )
    if customer_ids is not None:
        notes = notes.filter(order__customer_id__in=customer_ids)
    notes = list(notes)
    values = _values_to_bill([note.pk for note in notes])
    customers: dict[int, PreviewCustomer] = {}
    for note in notes:
        order = note.order
        entry = customers.setdefault(order.customer_id, PreviewCustomer(customer=order.customer, policy=note.policy))
        group = next((g for g in entry.groups if g.key == invoice_key(order)), None)
        if group is None:
            group = PreviewGroup(key=invoice_key(order))
            entry.groups.append(group)
        group.notes.append(note)
        group.amount_excl_tax += values.get(note.pk, Decimal("0.00"))
    for entry in customers.values():
        keys = [group.key for group in entry.groups]
        for group in entry.groups:
            group.reason = split_reason(group.key, keys)
    return list(customers.values())


def _values_to_bill(note_ids: list[int]) -> dict[int, Decimal]:
    """Per note, the net value of what it shipped and is not invoiced: the order line's net for
    the quantity left (an estimate for the preview; the invoice computes its own totals)."""
    values: dict[int, Decimal] = {}
    lines = (
        DeliveryNoteLine.objects.filter(delivery_note_id__in=note_ids, invoiced_quantity__lt=F("quantity"))
        .select_related("order_line")
        .only("delivery_note_id", "quantity", "invoiced_quantity", "order_line__quantity", "order_line__net_amount")
    )
    for line in lines:
        ordered = line.order_line.quantity
        share = (line.quantity - line.invoiced_quantity) / ordered if ordered else 0
        values[line.delivery_note_id] = values.get(line.delivery_note_id, Decimal("0.00")) + (
            line.order_line.net_amount * share
        ).quantize(Decimal("0.01"))
    return values
