"""Read paths of accounting: the general ledger, the journals, the trial balance and the CSV export
of a period. Each yields rows from a server-side iterator, so a year of lines streams into a
spreadsheet or a CSV in constant memory."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import JournalLine, Period

ZERO = Decimal("0.00")
CHUNK = 5000


def closed_day_reason(day: date) -> str:
    """Why nothing can be dated ``day`` (registered in lmb.closing): its period is closed."""
    period = Period.objects.filter(start__lte=day, end__gte=day, is_closed=True).only("start", "end").first()
    if period is None:
        return ""
    return gettext("La période du %(start)s au %(end)s est clôturée : rien ne peut y être daté du %(day)s.") % {
        "start": period.start.strftime("%d/%m/%Y"),
        "end": period.end.strftime("%d/%m/%Y"),
        "day": day.strftime("%d/%m/%Y"),
    }


def _lines(start: date, end: date):
    return JournalLine.objects.filter(entry__date__gte=start, entry__date__lte=end).select_related("entry__journal", "account")


LEDGER_HEADERS = [
    _("Compte"),
    _("Libellé du compte"),
    _("Date"),
    _("Journal"),
    _("N° d'écriture"),
    _("Pièce"),
    _("Tiers"),
    _("Libellé"),
    _("Débit"),
    _("Crédit"),
    _("Solde"),
    _("Lettrage"),
]


def general_ledger(start: date, end: date):
    """Every line, account by account, in date order, with the running balance of the account."""
    account, running = None, ZERO
    lines = _lines(start, end).order_by("account__number", "entry__date", "entry__journal__code", "entry__number", "position")
    for line in lines.iterator(chunk_size=CHUNK):
        if line.account_id != account:
            account, running = line.account_id, ZERO
        running += line.debit - line.credit
        yield [
            line.account.number,
            line.account.label,
            line.entry.date,
            line.entry.journal.code,
            line.entry.number,
            line.entry.piece_ref,
            line.auxiliary_number,
            line.label,
            line.debit,
            line.credit,
            running,
            line.lettering_code,
        ]


JOURNAL_HEADERS = [
    _("Journal"),
    _("N° d'écriture"),
    _("Date"),
    _("Pièce"),
    _("Date de pièce"),
    _("Compte"),
    _("Tiers"),
    _("Libellé"),
    _("Débit"),
    _("Crédit"),
    _("Montant en devise"),
    _("Devise"),
]


def journals(start: date, end: date, journal_code: str = ""):
    lines = _lines(start, end)
    if journal_code:
        lines = lines.filter(entry__journal__code=journal_code)
    for line in lines.order_by("entry__journal__code", "entry__number", "position").iterator(chunk_size=CHUNK):
        yield [
            line.entry.journal.code,
            line.entry.number,
            line.entry.date,
            line.entry.piece_ref,
            line.entry.piece_date,
            line.account.number,
            line.auxiliary_number,
            line.label,
            line.debit,
            line.credit,
            line.currency_amount,
            line.currency,
        ]


TRIAL_BALANCE_HEADERS = [
    _("Compte"),
    _("Libellé"),
    _("Total débit"),
    _("Total crédit"),
    _("Solde débiteur"),
    _("Solde créditeur"),
]


@dataclass
class TrialBalanceRow:
    number: str
    label: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit

    def as_list(self):
        return [
            self.number,
            self.label,
            self.debit,
            self.credit,
            self.balance if self.balance > 0 else ZERO,
            -self.balance if self.balance < 0 else ZERO,
        ]


def trial_balance(start: date, end: date) -> list[TrialBalanceRow]:
    """Totals and balance per account over the period (one query, grouped by the database)."""
    totals = (
        JournalLine.objects.filter(entry__date__gte=start, entry__date__lte=end)
        .values("account__number", "account__label")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by("account__number")
    )
    return [TrialBalanceRow(row["account__number"], row["account__label"], row["debit"], row["credit"]) for row in totals]


# The CSV layout (README, "Export CSV des écritures"): one line per entry line, ";"-separated,
# UTF-8 with BOM, dates JJ/MM/AAAA, amounts with a decimal comma — what Sage, EBP, Cegid and
# most French packages import with a column mapping.
CSV_HEADERS = [
    "Journal",
    "NumEcriture",
    "DateEcriture",
    "Compte",
    "CompteAuxiliaire",
    "Piece",
    "DatePiece",
    "Libelle",
    "Debit",
    "Credit",
    "Lettrage",
    "MontantDevise",
    "Devise",
]


def csv_rows(start: date, end: date):
    """The rows of the entries' CSV; amounts stay Decimals (2 places, as stored), which the CSV
    writer puts with a decimal comma (lmb.csv_export)."""
    lines = _lines(start, end).order_by("entry__journal__code", "entry__number", "position")
    for line in lines.iterator(chunk_size=CHUNK):
        yield [
            line.entry.journal.code,
            str(line.entry.number),
            line.entry.date.strftime("%d/%m/%Y"),
            line.account.number,
            line.auxiliary_number,
            line.entry.piece_ref,
            line.entry.piece_date.strftime("%d/%m/%Y"),
            line.label,
            line.debit,
            line.credit,
            line.lettering_code,
            line.currency_amount,
            line.currency,
        ]


def unlettered_lines(account_id: int, auxiliary_number: str = ""):
    lines = JournalLine.objects.filter(account_id=account_id, lettering_code="").select_related("entry__journal")
    if auxiliary_number:
        lines = lines.filter(auxiliary_number=auxiliary_number)
    return lines.order_by("auxiliary_number", "entry__date", "pk")
