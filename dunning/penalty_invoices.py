"""Late-payment penalties and the EUR 40 recovery indemnity, invoiced on demand or waived (issue #23,
fr-rules PAY-03..06, PAY-08, C. com. L441-10, D441-5).

- PAY-05: they are invoiced as a separate document, a numbered invoice of the one series (so
  accounting posts it and the FEC carries it), outside the scope of VAT (EN 16931 category « O »,
  exemption VATEX-EU-O): one line of penalties and one of the indemnity per late invoice. Or they
  are waived, the reason kept.
- PAY-03/05: the penalty of an overdue installment runs from the day after its due date — or the
  day after the end of the last claim on its invoice: the same days are never claimed twice — to
  the day of the claim, on what is left of it (in euros), at each semester's rate.
- PAY-04: the EUR 40 once per late invoice, never from a consumer.
- PAY-06: nothing on claims born before an insolvency judgment.
Every write goes through ``sales.services`` (the invoice) and this module (``PenaltyClaim``).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import CustomerCategory
from lmb.errors import Conflict, InvalidInput
from lmb.formats import percent_fr
from sales import services as sales_services
from sales.models import Channel, DocumentLine, Invoice

from . import penalties, queries
from .models import CustomerDunning, PenaltyClaim

ZERO = Decimal("0.00")
LineKind = DocumentLine.Kind


@dataclass(frozen=True)
class Claim:
    """What one late invoice owes for a period (not saved)."""

    invoice: Invoice
    period_start: date
    period_end: date
    days: int
    rate: Decimal  # the rate of the period's last semester (the line's wording)
    penalty: Decimal
    indemnity: Decimal

    @property
    def total(self) -> Decimal:
        return self.penalty + self.indemnity


def _refuse_consumer(customer):
    if not penalties.owes_penalties(customer.customer_category):
        raise Conflict(
            _("Un particulier ne doit ni pénalités de retard ni indemnité forfaitaire (C. com. L441-10)."),
            field="customer",
        )


def claims_for(*, customer, invoices=None, on: date, rates=None) -> list[Claim]:
    """What each late invoice of ``customer`` (all, or those of ``invoices``) owes as of ``on``
    and not claimed yet (PAY-03..06). Invoices owing nothing are left out."""
    if not penalties.owes_penalties(customer.customer_category):
        return []
    rates = rates or penalties.Rates()
    wanted = None if invoices is None else {invoice.pk for invoice in invoices}
    insolvency = CustomerDunning.objects.filter(customer=customer).values_list("insolvency_date", flat=True).first()
    items = [
        item
        for item in queries.receivables(as_of=on, customers=[customer.pk], overdue_only=True)
        if (wanted is None or item.invoice_id in wanted) and item.due_date < on
    ]
    by_invoice: dict[int, list] = {}
    for item in items:
        by_invoice.setdefault(item.invoice_id, []).append(item)
    claimed = penalties.claimed_through(by_invoice)
    documents = Invoice.objects.in_bulk(by_invoice)
    category = customer.customer_category
    result = []
    for invoice_id, installments in by_invoice.items():
        invoice = documents[invoice_id]
        last = claimed.get(invoice_id)
        if last is not None and last >= on:
            continue
        total = ZERO
        start = None
        for item in installments:
            since = penalties.running_since(item.due_date, last)
            total += penalties.penalty(
                amount=item.amount_due_eur,
                due_date=since,
                as_of=on,
                category=category,
                invoice_date=item.invoice_date,
                insolvency_date=insolvency,
                rates=rates,
            )
            start = min(start, since + timedelta(days=1)) if start else since + timedelta(days=1)
        indemnity = (
            ZERO
            if invoice_id in claimed
            else penalties.indemnity(category=category, invoice_date=invoice.invoice_date, insolvency_date=insolvency)
        )
        if not total and not indemnity:
            continue
        rate = rates.on(on)
        percent = rate.public_rate if category == CustomerCategory.PUBLIC else rate.business_rate
        result.append(Claim(invoice, start, on, (on - start).days + 1, percent, total, indemnity))
    return result


def _lock_and_claim(*, customer, invoices, on: date) -> list[Claim]:
    if not invoices:
        raise InvalidInput({"invoices": [_("Choisissez au moins une facture en retard.")]})
    _refuse_consumer(customer)
    ids = [invoice.pk for invoice in invoices]
    # One claimer at a time per invoice: the second waits, then finds the days already claimed.
    locked = list(Invoice.objects.select_for_update().filter(pk__in=ids, customer=customer).order_by("pk"))
    if len(locked) != len(set(ids)):
        raise InvalidInput({"invoices": [_("Une des factures choisies n'est pas de ce client.")]})
    claims = claims_for(customer=customer, invoices=locked, on=on)
    if not claims:
        raise Conflict(
            _(
                "Rien à réclamer au %(day)s : pénalités déjà réclamées, facture non échue "
                "ou créance antérieure au jugement d'ouverture."
            )
            % {"day": on.strftime("%d/%m/%Y")},
            field="invoices",
        )
    return claims


def _channel(invoices) -> Channel:
    return Channel.objects.filter(kind=Channel.Kind.B2B).order_by("pk").first() or invoices[0].channel


def _lines(claims: list[Claim]) -> list[dict]:
    lines = []
    for claim in claims:
        if claim.penalty:
            lines.append(
                {
                    "kind": LineKind.PENALTY,
                    "description": _("Pénalités de retard sur la facture %(number)s (%(days)s jours au taux de %(rate)s)")
                    % {"number": claim.invoice.number, "days": claim.days, "rate": percent_fr(claim.rate)},
                    "quantity": 1,
                    "unit_price": claim.penalty,
                }
            )
        if claim.indemnity:
            lines.append(
                {
                    "kind": LineKind.INDEMNITY,
                    "description": _(
                        "Indemnité forfaitaire pour frais de recouvrement (C. com. L441-10, D441-5) — facture %(number)s"
                    )
                    % {"number": claim.invoice.number},
                    "quantity": 1,
                    "unit_price": claim.indemnity,
                }
            )
    return lines


@transaction.atomic
def invoice_penalties(*, customer, invoices, on: date, user=None) -> Invoice:
    """Invoice the penalties and the EUR 40 of the chosen late invoices as of ``on`` on one issued
    invoice outside the scope of VAT (PAY-05), through ``sales.services`` (the one write path),
    and record what was claimed (``PenaltyClaim``)."""
    claims = _lock_and_claim(customer=customer, invoices=invoices, on=on)
    draft = sales_services.create_direct_invoice(
        customer=customer, channel=_channel([claim.invoice for claim in claims]), lines=_lines(claims), user=user
    )
    issued = sales_services.issue_invoice(draft, user=user, issue_date=on)
    _record(claims, customer=customer, user=user, status=PenaltyClaim.Status.INVOICED, penalty_invoice=issued)
    return issued


@transaction.atomic
def waive_penalties(*, customer, invoices, reason: str, on: date | None = None, user=None) -> list[PenaltyClaim]:
    """Waive the penalties and the EUR 40 of the chosen late invoices up to ``on``, the reason kept
    (PAY-05): those days are not claimed again."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("Le motif de l'abandon est obligatoire.")]})
    claims = _lock_and_claim(customer=customer, invoices=invoices, on=on or timezone.localdate())
    return _record(claims, customer=customer, user=user, status=PenaltyClaim.Status.WAIVED, waived_reason=reason)


def _record(claims, *, customer, user, **outcome) -> list[PenaltyClaim]:
    """What was claimed, invoiced or waived (``outcome``): those days are never claimed again."""
    return PenaltyClaim.objects.bulk_create(
        PenaltyClaim(
            customer=customer,
            invoice=claim.invoice,
            period_start=claim.period_start,
            period_end=claim.period_end,
            penalty=claim.penalty,
            indemnity=claim.indemnity,
            created_by=user,
            **outcome,
        )
        for claim in claims
    )
