"""Late-payment penalties and the flat recovery indemnity (C. com. L441-10, fr-rules PAY-03..06, PAY-08).

- PAY-03: penalties run from the day after the due date, without any reminder, at the ECB main
  refinancing rate + 10 points; each day at the rate of its semester (the ECB rate in force on
  1 January for January–June, on 1 July for July–December), stored as ``PenaltyRate`` rows.
  Public buyers owe moratory interest at the ECB rate + 8 points (PAY-08).
- PAY-05: penalty = amount due incl. VAT × rate × days late / 365 *(convention)*, per overdue
  installment (PAY-07), summed over the semesters unrounded and rounded once to the cent
  (ROUND_HALF_UP, ``lmb.money``).
- PAY-04: EUR 40 per late invoice, from business and public customers only, never a consumer.
- PAY-06: neither on claims born before the opening judgment of an insolvency procedure.
A consumer owes no contractual penalty here (legal-rate interest runs only from a mise en
demeure, DUN-01: not computed).
"""

from bisect import bisect_right
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Max
from django.utils.translation import gettext as _

from crm.models import CustomerCategory
from lmb import money
from lmb.errors import Conflict
from lmb.formats import percent_fr

from .models import PenaltyClaim, PenaltyRate

ZERO = Decimal("0.00")
INDEMNITY = Decimal("40.00")
DAYS_IN_YEAR = Decimal(365)


def semester_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_semester(day: date) -> date:
    start = semester_start(day)
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


def owes_penalties(category: str) -> bool:
    """Business, reseller and public customers owe penalties and the indemnity; consumers do not."""
    return category != CustomerCategory.CONSUMER


def before_insolvency(invoice_date: date, insolvency_date: date | None) -> bool:
    """A claim born before the opening judgment (PAY-06): neither chased nor charged."""
    return insolvency_date is not None and invoice_date < insolvency_date


def claimed_through(invoice_ids) -> dict[int, date]:
    """{invoice id: the last day whose penalties were already claimed — invoiced or waived} for the
    invoices given that have a claim (one query). A reminder counts penalties from the day after:
    the same days are never asked twice, and the 40 € of such an invoice was already settled."""
    rows = (
        PenaltyClaim.objects.filter(invoice_id__in=list(invoice_ids))
        .values("invoice_id")
        .annotate(last=Max("period_end"))
        .values_list("invoice_id", "last")
    )
    return dict(rows)


def running_since(due_date: date, claimed_until: date | None) -> date:
    """The day before the first day of penalties still to claim on an installment due ``due_date``."""
    return max(due_date, claimed_until) if claimed_until else due_date


class Rates:
    """The semesters' rates, read once (a daily run computes thousands of penalties). A semester
    without its row takes the previous semester's rates; none at all before a date is refused."""

    def __init__(self, rates=None):
        rates = sorted(rates if rates is not None else PenaltyRate.objects.all(), key=lambda rate: rate.start)
        self._starts = [rate.start for rate in rates]
        self._rates = rates

    def on(self, day: date) -> PenaltyRate:
        index = bisect_right(self._starts, semester_start(day)) - 1
        if index < 0:
            raise Conflict(
                _("Aucun taux de pénalités de retard n'est saisi pour le %(day)s.") % {"day": day.strftime("%d/%m/%Y")},
                field="start",
            )
        return self._rates[index]


def penalty(
    *,
    amount: Decimal,
    due_date: date,
    as_of: date,
    category: str,
    invoice_date: date | None = None,
    insolvency_date: date | None = None,
    rates: Rates | None = None,
) -> Decimal:
    """The late penalty on ``amount`` (incl. VAT) due on ``due_date``, as of ``as_of`` (the days
    from the day after the due date to ``as_of`` included), to the cent (PAY-03, PAY-05, PAY-08)."""
    if amount <= 0 or as_of <= due_date or not owes_penalties(category):
        return ZERO
    if invoice_date is not None and before_insolvency(invoice_date, insolvency_date):
        return ZERO
    rates = rates or Rates()
    total = Decimal(0)
    day = due_date + timedelta(days=1)
    while day <= as_of:
        end = min(next_semester(day) - timedelta(days=1), as_of)
        rate = rates.on(day)
        percent = rate.public_rate if category == CustomerCategory.PUBLIC else rate.business_rate
        total += amount * percent / money.HUNDRED * Decimal((end - day).days + 1) / DAYS_IN_YEAR
        day = end + timedelta(days=1)
    return money.amount(total)


def indemnity(*, category: str, invoice_date: date, insolvency_date: date | None = None) -> Decimal:
    """The flat EUR 40 of one late invoice (PAY-04, PAY-08), or nothing (a consumer, PAY-06)."""
    if not owes_penalties(category) or before_insolvency(invoice_date, insolvency_date):
        return ZERO
    return INDEMNITY


def rate_warnings(today: date, *, printed_rate: Decimal | None = None) -> list[str]:
    """What the staff should know about the rates before chasing (plans page, reminders to
    validate): the current semester not entered yet (the previous one is applied meanwhile), and
    the rate printed on the invoices (``Company.late_penalty_rate``) differing from the rate the
    reminders compute — the customer reads both."""
    warnings = []
    rates = Rates()
    start = semester_start(today)
    try:
        applied = rates.on(today)
    except Conflict as error:
        return [error.message]
    if applied.start != start:
        warnings.append(
            _(
                "Le taux du %(semester)s n'est pas saisi : celui du %(applied)s est appliqué en attendant. "
                "Saisissez le taux de la BCE en vigueur au %(day)s."
            )
            % {"semester": PenaltyRate(start=start), "applied": applied, "day": start.strftime("%d/%m/%Y")}
        )
    if printed_rate and printed_rate.normalize() != applied.business_rate.normalize():
        warnings.append(
            _(
                "Vos factures annoncent des pénalités au taux de %(printed)s, les relances les calculent au taux de "
                "%(applied)s (%(semester)s) : accordez-les dans les paramètres de la société."
            )
            % {"printed": percent_fr(printed_rate), "applied": percent_fr(applied.business_rate), "semester": applied}
        )
    return warnings
