"""Lettering (lettrage, FEC EcritureLet/DateLet): lines of a control account that settle each
other get the same code. Automatic for what sales' allocations tie together (an invoice, the
payments and credit notes allocated to it, the deposits it deducts, a refund or voucher of a
credit note) once those lines balance; manual for the rest.

A code is letters, one series per account (A, B, … Z, AA, AB…); the date is that of the latest
entry of the group. Only the two lettering columns of a posted line may change (the PostgreSQL
trigger of migration 0002 allows nothing else)."""

from collections import deque
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from lmb.errors import Conflict, InvalidInput
from lmb.formats import money_fr
from lmb.services import next_value

from .models import AccountMapping, JournalEntry, JournalLine

ZERO = Decimal("0.00")


def letters(number: int) -> str:
    """1 → A, 26 → Z, 27 → AA: the usual lettering codes."""
    code = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        code = chr(ord("A") + rest) + code
    return code


def _code_for(account_id: int) -> str:
    return letters(next_value(f"accounting.lettering.{account_id}"))


def _neighbours(node):
    """The documents sales ties to this one (allocations, deposits, refunds, vouchers)."""
    from sales.models import Allocation, DepositDeduction, Payment, Voucher

    kind, pk = node
    found = []
    if kind == "invoice":
        for payment_id, credit_note_id in Allocation.objects.filter(invoice_id=pk).values_list("payment_id", "credit_note_id"):
            found.append(("payment", payment_id) if payment_id else ("credit_note", credit_note_id))
        # The deposits an invoice deducts, and the invoices that deduct a deposit (one or several).
        found += [("invoice", i) for i in DepositDeduction.objects.filter(invoice_id=pk).values_list("deposit_id", flat=True)]
        found += [("invoice", i) for i in DepositDeduction.objects.filter(deposit_id=pk).values_list("invoice_id", flat=True)]
    elif kind == "payment":
        found += [("invoice", i) for i in Allocation.objects.filter(payment_id=pk).values_list("invoice_id", flat=True)]
        credit_note_id = Payment.objects.filter(pk=pk).values_list("credit_note_id", flat=True).first()
        if credit_note_id:
            found.append(("credit_note", credit_note_id))
    elif kind == "credit_note":
        found += [("invoice", i) for i in Allocation.objects.filter(credit_note_id=pk).values_list("invoice_id", flat=True)]
        found += [("payment", i) for i in Payment.objects.filter(credit_note_id=pk).values_list("pk", flat=True)]
        found += [("voucher", i) for i in Voucher.objects.filter(credit_note_id=pk).values_list("pk", flat=True)]
    elif kind == "voucher":
        credit_note_id = Voucher.objects.filter(pk=pk).values_list("credit_note_id", flat=True).first()
        if credit_note_id:
            found.append(("credit_note", credit_note_id))
    return found


def _component(start, limit=200):
    seen, queue = {start}, deque([start])
    while queue and len(seen) < limit:
        for other in _neighbours(queue.popleft()):
            if other not in seen:
                seen.add(other)
                queue.append(other)
    return seen


def letter_settled() -> int:
    """Letter every group of customer-account lines that allocations tie together and that
    balances. Returns the number of groups lettered. Idempotent."""
    customers = AccountMapping.objects.filter(role=AccountMapping.Role.CUSTOMERS).values_list("account_id", flat=True)
    open_lines = JournalLine.objects.filter(account_id__in=customers, lettering_code="").exclude(entry__source_id=None)
    starts = set(open_lines.values_list("entry__source_type", "entry__source_id").distinct())
    done, count = set(), 0
    for start in sorted(starts):
        if start in done:
            continue
        component = _component(start)
        done |= component
        if _letter_component(component, customers):
            count += 1
    return count


@transaction.atomic
def _letter_component(component, customer_accounts) -> bool:
    entries = {}
    for source_type, source_id in component:
        entry = JournalEntry.objects.filter(source_type=source_type, source_id=source_id).first()
        if entry is None:
            return False  # a document of the group is not booked yet
        entries[entry.pk] = entry
    lines = list(
        JournalLine.objects.select_for_update().filter(entry_id__in=entries, account_id__in=customer_accounts, lettering_code="")
    )
    if len(lines) < 2 or len({line.account_id for line in lines}) != 1:
        return False
    if sum(line.debit for line in lines) != sum(line.credit for line in lines):
        return False
    _apply(lines, max(entries[line.entry_id].date for line in lines))
    return True


def _apply(lines, on_date):
    code = _code_for(lines[0].account_id)
    JournalLine.objects.filter(pk__in=[line.pk for line in lines]).update(lettering_code=code, lettering_date=on_date)
    return code


@transaction.atomic
def letter_lines(*, line_ids) -> str:
    """Manual lettering: lines of one account (and one third party) that balance."""
    lines = list(JournalLine.objects.select_for_update().select_related("entry").filter(pk__in=line_ids))
    if len(lines) < 2 or len(lines) != len(set(line_ids)):
        raise InvalidInput({"lines": [_("Choisissez au moins deux lignes.")]})
    if len({(line.account_id, line.auxiliary_number) for line in lines}) != 1:
        raise InvalidInput({"lines": [_("Les lignes lettrées ensemble sont d'un même compte et d'un même tiers.")]})
    if any(line.lettering_code for line in lines):
        raise Conflict(_("Une des lignes est déjà lettrée."), field="lines")
    debit = sum(line.debit for line in lines)
    credit = sum(line.credit for line in lines)
    if debit != credit:
        raise InvalidInput(
            {
                "lines": [
                    _("Les lignes ne s'équilibrent pas : débit %(d)s, crédit %(c)s.")
                    % {"d": money_fr(debit), "c": money_fr(credit)}
                ]
            }
        )
    return _apply(lines, max(line.entry.date for line in lines))


@transaction.atomic
def unletter(*, account_id: int, code: str) -> int:
    """Remove a lettering code from the lines of an account (a wrong match)."""
    lines = JournalLine.objects.filter(account_id=account_id, lettering_code=code)
    if not lines.exists():
        raise InvalidInput({"code": [_("Aucune ligne n'a ce lettrage.")]})
    return lines.update(lettering_code="", lettering_date=None)


def unlettered_balance(account_id: int, auxiliary_number: str = "") -> Decimal:
    lines = JournalLine.objects.filter(account_id=account_id, lettering_code="")
    if auxiliary_number:
        lines = lines.filter(auxiliary_number=auxiliary_number)
    totals = lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or ZERO) - (totals["credit"] or ZERO)
