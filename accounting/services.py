"""Every write path of accounting: posting documents, fiscal years and periods, lettering.

Closed periods — the policy, as an accountant expects it: once a period is closed (its VAT
return filed, its books reviewed), nothing new is dated in it. ``post_entry`` refuses an entry
dated in a closed period (``Conflict``); ``post_pending``, which books documents that arrive
late (a supplier invoice recorded after the month was closed), dates their entry on the first
day of the first open period after it and keeps the document's own date as ``piece_date``
(PieceDate in the FEC), so the closed period's figures never move and the document is still
booked. Posted entries never change: a correction is a new entry.
"""

import calendar
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from lmb.errors import Conflict, InvalidInput
from lmb.formats import decimal_fr, money_fr
from lmb.services import next_value

from . import posting
from .models import Account, FiscalYear, Journal, JournalEntry, JournalLine, Period

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")


# --- Fiscal years and periods -------------------------------------------------------------------


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@transaction.atomic
def create_fiscal_year(*, start: date, end: date) -> FiscalYear:
    """A fiscal year cut into monthly periods (the last one ends with the year)."""
    if end <= start:
        raise InvalidInput({"end": [_("La fin de l'exercice doit suivre son début.")]})
    if (end - start).days > 731:
        raise InvalidInput({"end": [_("Un exercice dure au plus 24 mois.")]})
    if FiscalYear.objects.filter(start__lte=end, end__gte=start).exists():
        raise Conflict(_("Cet exercice chevauche un exercice existant."), field="start")
    year = FiscalYear.objects.create(start=start, end=end)
    day = start
    while day <= end:
        Period.objects.create(fiscal_year=year, start=day, end=min(_month_end(day), end))
        day = _month_end(day) + timedelta(days=1)
    return year


def fiscal_year_for(day: date) -> FiscalYear:
    """The fiscal year holding ``day``; a calendar year is opened when none does (the usual case
    for a small shop; other years are created on the fiscal years screen beforehand)."""
    year = FiscalYear.objects.filter(start__lte=day, end__gte=day).first()
    if year is not None:
        return year
    try:
        with transaction.atomic():
            return create_fiscal_year(start=date(day.year, 1, 1), end=date(day.year, 12, 31))
    except (IntegrityError, Conflict):  # opened by a concurrent poster, or an odd year overlaps
        year = FiscalYear.objects.filter(start__lte=day, end__gte=day).first()
        if year is None:
            raise
        return year


def open_period_for(day: date) -> tuple[Period, date]:
    """The period an entry dated ``day`` goes to, and its entry date: the period of ``day`` when
    open, else the first open period after it, entry dated on its first day (see module doc)."""
    period = Period.objects.get(fiscal_year=fiscal_year_for(day), start__lte=day, end__gte=day)
    if not period.is_closed:
        return period, day
    later = Period.objects.filter(start__gt=day, is_closed=False).order_by("start").first()
    if later is None:
        next_start = Period.objects.filter(start__gt=day).order_by("-end").values_list("end", flat=True).first() or period.end
        later = Period.objects.get(
            fiscal_year=fiscal_year_for(next_start + timedelta(days=1)), start=next_start + timedelta(days=1)
        )
    return later, later.start


@transaction.atomic
def close_period(period: Period, *, user=None) -> Period:
    """Close a period: no entry is dated in it any more. Earlier periods must be closed first,
    so the books are closed in order and a late document always lands in an open month."""
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.is_closed:
        raise Conflict(_("La période %(period)s est déjà clôturée.") % {"period": period})
    if Period.objects.filter(start__lt=period.start, is_closed=False).exists():
        raise Conflict(_("Clôturez d'abord les périodes précédentes."))
    post_pending(until=period.end)  # what belongs to the month is booked in it before it closes
    period.is_closed, period.closed_at = True, timezone.now()
    period.save(update_fields=["is_closed", "closed_at"])
    year = period.fiscal_year
    if not year.periods.filter(is_closed=False).exists():
        year.is_closed = True
        year.save(update_fields=["is_closed"])
    return period


@transaction.atomic
def reopen_period(period: Period) -> Period:
    """Reopen the last closed period (e.g. a VAT return not yet filed after all)."""
    period = Period.objects.select_for_update().get(pk=period.pk)
    if not period.is_closed:
        raise Conflict(_("La période %(period)s est ouverte.") % {"period": period})
    if Period.objects.filter(start__gt=period.start, is_closed=True).exists():
        raise Conflict(_("Seule la dernière période clôturée peut être rouverte."))
    period.is_closed, period.closed_at = False, None
    period.save(update_fields=["is_closed", "closed_at"])
    FiscalYear.objects.filter(pk=period.fiscal_year_id).update(is_closed=False)
    return period


# --- Posting ------------------------------------------------------------------------------------


def _auxiliary(third_party) -> tuple[str, str]:
    if third_party is None:
        return "", ""
    return third_party.code, third_party.name[:200]  # a name is 200 characters at most: the cut never bites


def check_balanced(draft: posting.EntryDraft):
    if not draft.lines:
        raise InvalidInput({"lines": [_("Une écriture a au moins deux lignes.")]})
    for line in draft.lines:
        if line.debit < 0 or line.credit < 0 or (line.debit and line.credit):
            raise InvalidInput({"lines": [_("Une ligne porte un débit ou un crédit positif, pas les deux.")]})
    if draft.total_debit != draft.total_credit:
        raise InvalidInput(
            {
                "lines": [
                    _("Écriture déséquilibrée : débit %(debit)s, crédit %(credit)s.")
                    % {"debit": money_fr(draft.total_debit), "credit": money_fr(draft.total_credit)}
                ]
            }
        )


@transaction.atomic
def post_entry(draft: posting.EntryDraft, *, late_documents_go_forward: bool = False) -> JournalEntry | None:
    """Check, number and save one entry. Returns None when its document already has an entry
    (posted meanwhile by another process). An entry dated in a closed period is refused, unless
    ``late_documents_go_forward`` (documents posted by ``post_pending``, see module doc)."""
    check_balanced(draft)
    journal = Journal.objects.filter(code=draft.journal).first()
    if journal is None:
        raise InvalidInput({"journal": [_("Journal inconnu : %(code)s.") % {"code": draft.journal}]})
    period, entry_date = open_period_for(draft.date)
    if entry_date != draft.date and not late_documents_go_forward:
        raise Conflict(
            _("La période %(period)s est clôturée : aucune écriture n'y est acceptée.") % {"period": period}, field="date"
        )
    # Taking the journal's number locks its sequence row until commit: a second poster of the
    # same document waits here, then sees the first one's entry and gives its number back.
    number = next_value(journal.sequence_code, period=str(period.fiscal_year.start))
    if (
        draft.source_id is not None
        and JournalEntry.objects.filter(source_type=draft.source_type, source_id=draft.source_id).exists()
    ):
        transaction.set_rollback(True)
        return None
    accounts = dict(Account.objects.filter(number__in={line.account for line in draft.lines}).values_list("number", "pk"))
    missing = {line.account for line in draft.lines} - set(accounts)
    if missing:
        raise InvalidInput({"account": [_("Compte inconnu : %(numbers)s.") % {"numbers": ", ".join(sorted(missing))}]})
    entry = JournalEntry.objects.create(
        journal=journal,
        number=number,
        fiscal_year=period.fiscal_year,
        date=entry_date,
        period=period,
        # Piece references and labels are our own text, made from a document's number and its
        # customer's name (each checked at its input): cut to the columns, as a ledger shows them.
        piece_ref=draft.piece_ref[:50],
        piece_date=draft.piece_date,
        label=draft.label[:200],
        source_type=draft.source_type,
        source_id=draft.source_id,
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(
                entry=entry,
                position=position,
                account_id=accounts[line.account],
                third_party=line.third_party,
                auxiliary_number=_auxiliary(line.third_party)[0],
                auxiliary_label=_auxiliary(line.third_party)[1],
                label=(line.label or draft.label)[:200],
                debit=line.debit,
                credit=line.credit,
                currency_amount=line.currency_amount,
                currency=line.currency,
            )
            for position, line in enumerate(draft.lines, start=1)
        ]
    )
    return entry


@dataclass
class PostingReport:
    posted: int = 0
    already: int = 0
    errors: list[str] = field(default_factory=list)
    lettered: int = 0

    def __str__(self):
        """The run in one French sentence, counts written the French way: « 1 234 écriture(s)
        passée(s), 12 lettrage(s) — 2 document(s) en erreur » (the screens' message, the task's
        result, the export command's first line)."""
        text = _("%(posted)s écriture(s) passée(s)") % {"posted": decimal_fr(self.posted)}
        if self.already:
            text += ", " + _("%(count)s déjà passée(s) par un autre traitement") % {"count": decimal_fr(self.already)}
        text += ", " + _("%(count)s lettrage(s)") % {"count": decimal_fr(self.lettered)}
        if self.errors:
            text += " — " + _("%(count)s document(s) en erreur") % {"count": decimal_fr(len(self.errors))}
        return text


def _pending(model, source_type, **filters):
    posted = JournalEntry.objects.filter(source_type=source_type, source_id=OuterRef("pk"))
    return model.objects.filter(**filters).exclude(Exists(posted))


def pending_documents(until: date | None = None):
    """(documents, posting rule) of every kind of document that should have an entry and has none."""
    from purchasing.models import SupplierInvoice
    from sales.models import CreditNote, DepositDeduction, Invoice, Payment, Voucher

    # What posting.invoice_entry reads of the deposits an invoice deducts: each deposit with its
    # credit notes and its other deductions (whose invoice's place in the chain says which came first).
    deductions = (
        Prefetch("deposit_deductions", queryset=DepositDeduction.objects.select_related("deposit").order_by("pk")),
        "deposit_deductions__deposit__credit_notes",
        Prefetch(
            "deposit_deductions__deposit__deductions",
            queryset=DepositDeduction.objects.select_related("invoice").only(
                "amount", "invoice_id", "deposit_id", "invoice__status", "invoice__chain_position"
            ),
        ),
    )

    def upto(name):
        return {f"{name}__lte": until} if until else {}

    return [
        (
            _pending(Invoice, "invoice", status=Invoice.Status.ISSUED, **upto("invoice_date"))
            .select_related("customer")
            .prefetch_related("lines__product", *deductions),
            posting.invoice_entry,
        ),
        (
            _pending(CreditNote, "credit_note", status=CreditNote.Status.ISSUED, **upto("credit_date"))
            .select_related("customer", "invoice")
            .prefetch_related("lines__product"),
            posting.credit_note_entry,
        ),
        (
            _pending(Payment, "payment", **upto("payment_date"))
            .select_related("customer", "voucher")
            .prefetch_related("allocations__invoice"),
            posting.payment_entry,
        ),
        (
            _pending(
                Voucher, "voucher", credit_note__isnull=False, credit_note__status="issued", **upto("credit_note__credit_date")
            ).select_related("customer", "credit_note"),
            posting.voucher_entry,
        ),
        (
            _pending(SupplierInvoice, "supplier_invoice", status=SupplierInvoice.Status.RECORDED, **upto("invoice_date"))
            .select_related("supplier")
            .prefetch_related("lines__product"),
            posting.supplier_invoice_entry,
        ),
    ]


def post_pending(*, until: date | None = None) -> PostingReport:
    """Turn every issued invoice, deposit invoice, credit note, payment, refund, voucher sale or
    use, voucher from a credit note and recorded supplier invoice that has no entry yet into
    its entry, then letter what allocations settled. Idempotent, and safe to run concurrently
    (periodic task, before every export, the screens' button): a document gets one entry. A
    document that cannot be posted (a mapping missing) is reported and left pending."""
    report = PostingReport()
    mapping = posting.Mapping.load()
    drafts = []
    for queryset, rule in pending_documents(until):
        for document in queryset:
            try:
                drafts.append(rule(document, mapping))
            except (posting.MappingMissing, InvalidInput) as exc:
                report.errors.append(f"{document} : {exc}")
    # Posted in date order, so numbers follow dates within each journal as far as possible.
    drafts.sort(key=lambda draft: (draft.date, draft.source_type != "invoice", draft.source_id))
    for draft in drafts:
        try:
            entry = post_entry(draft, late_documents_go_forward=True)
        except IntegrityError as exc:
            # Another process posted it (the unique source constraint), or closed its period
            # meanwhile (the trigger): in the latter case the next run books it forward.
            if not JournalEntry.objects.filter(source_type=draft.source_type, source_id=draft.source_id).exists():
                report.errors.append(f"{draft.piece_ref} : {exc}")
                continue
            entry = None
        except (InvalidInput, Conflict) as exc:
            report.errors.append(f"{draft.piece_ref}: {exc}")
            continue
        if entry is None:
            report.already += 1
        else:
            report.posted += 1
    for error in report.errors:
        logger.warning("accounting.post_pending: %s", error)
    from .lettering import letter_settled

    report.lettered = letter_settled()
    return report


@transaction.atomic
def post_manual_entry(*, journal: str, day: date, piece_ref: str, label: str, lines: list[dict]) -> JournalEntry:
    """A miscellaneous entry typed by the accountant (OD): refused in a closed period."""
    drafts = []
    for index, line in enumerate(lines):
        try:
            debit = Decimal(str(line.get("debit") or "0")).quantize(Decimal("0.01"))
            credit = Decimal(str(line.get("credit") or "0")).quantize(Decimal("0.01"))
        except ArithmeticError as exc:
            raise InvalidInput({f"lines.{index}": [_("Montant illisible.")]}) from exc
        drafts.append(posting.LineDraft(account=line["account"], debit=debit, credit=credit, label=line.get("label", label)))
    draft = posting.EntryDraft(journal, day, piece_ref, day, label, "", None, drafts)
    return post_entry(draft)


def account_balance(number: str, *, until: date | None = None) -> Decimal:
    lines = JournalLine.objects.filter(account__number=number)
    if until:
        lines = lines.filter(entry__date__lte=until)
    totals = lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or ZERO) - (totals["credit"] or ZERO)


__all__ = [
    "account_balance",
    "close_period",
    "create_fiscal_year",
    "post_entry",
    "post_manual_entry",
    "post_pending",
    "reopen_period",
]
