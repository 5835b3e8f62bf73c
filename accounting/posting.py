"""How each document becomes an entry: pure functions from a sales or purchasing document to an
``EntryDraft`` (journal, date, piece, lines). They read, never write; ``services.post_pending``
numbers, checks and saves what they return.

Posting patterns (fr-rules §4.1, §7, §8, §10):
- invoice (VT): Dr 411 aux incl. tax / Cr sales per product kind × VAT treatment (× channel),
  Cr VAT collected per rate, Dr 709 for a document discount; deposits deducted: Dr 4191 and
  Dr VAT of the deposit / Cr 411 (YE-03), per deduction when a deposit is deducted over several
  invoices (the one that exhausts it takes the VAT left, to the cent);
- deposit invoice (VT): Dr 411 / Cr 4191 excl. tax / Cr VAT collected (YE-02);
- credit note (VT): the mirror of its invoice (Dr 4191 when it credits a deposit invoice);
- payment (BQ/CA by method): Dr bank / Cr 411; paid with a voucher (OD): Dr 4198 / Cr 411;
  refund: Dr 411 / Cr bank; voucher sold: Dr bank / Cr 4198 (no VAT, VOU-04);
- voucher issued from a credit note (OD): Dr 411 / Cr 4198;
- supplier invoice (AC): Dr purchases per kind / Dr deductible VAT per rate / Cr 401 aux.
Foreign-currency documents are booked in EUR at the document's rate; each line keeps its
currency amount and code (CUR-03), and the cent lost converting goes to the rounding account.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from lmb import money
from lmb.errors import InvalidInput

from .models import AccountMapping

ZERO = Decimal("0.00")
Role = AccountMapping.Role


class MappingMissing(LookupError):
    pass


@dataclass
class LineDraft:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    label: str = ""
    third_party: object = None
    currency_amount: Decimal | None = None
    currency: str = ""


@dataclass
class EntryDraft:
    journal: str
    date: date
    piece_ref: str
    piece_date: date
    label: str
    source_type: str
    source_id: int
    lines: list[LineDraft] = field(default_factory=list)

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


class Mapping:
    """The mapping rules loaded once: ``account(role, **qualifiers)`` gives the most specific
    rule whose qualifiers all match (an empty qualifier on a rule matches anything). A channel
    weighs more than a VAT treatment, which weighs more than a product kind, a payment method,
    then a VAT rate: the OSS rule (treatment) beats the 20 % rule (rate) for VAT collected."""

    WEIGHTS = {"channel_id": 16, "vat_treatment": 8, "product_kind": 4, "payment_method": 2, "vat_rate": 1}

    def __init__(self, rules):
        self.rules = list(rules)

    @classmethod
    def load(cls):
        return cls(AccountMapping.objects.select_related("account", "journal"))

    def rule(self, role, **wanted) -> AccountMapping:
        best, best_score = None, -1
        for rule in self.rules:
            if rule.role != role:
                continue
            score = 0
            for name in AccountMapping.QUALIFIERS:
                value = getattr(rule, name)
                if value in ("", None):
                    continue
                if name not in wanted or not _same(value, wanted[name]):
                    break
                score += self.WEIGHTS[name]
            else:
                if score > best_score:
                    best, best_score = rule, score
        if best is None:
            details = ", ".join(f"{k}={v}" for k, v in wanted.items())
            raise MappingMissing(
                _("Aucune affectation comptable pour « %(role)s » (%(details)s).") % {"role": role, "details": details}
            )
        return best

    def account(self, role, **wanted) -> str:
        return self.rule(role, **wanted).account.number

    def journal(self, method: str) -> str:
        rule = self.rule(Role.BANK, payment_method=method)
        if rule.journal is None:
            raise MappingMissing(_("Aucun journal pour le mode de règlement « %(method)s ».") % {"method": method})
        return rule.journal.code


def _same(rule_value, wanted) -> bool:
    if isinstance(rule_value, Decimal):
        return wanted is not None and Decimal(wanted) == rule_value
    return rule_value == wanted


# --- Helpers ------------------------------------------------------------------------------------


class Converter:
    """Document currency → EUR at the document's rate (1 EUR = rate units)."""

    def __init__(self, currency: str, rate):
        self.currency = currency or "EUR"
        self.foreign = self.currency != "EUR"
        self.rate = Decimal(rate) if self.foreign and rate else Decimal(1)

    def eur(self, value) -> Decimal:
        return money.amount(Decimal(value) / self.rate) if self.foreign else money.amount(value)

    def line(self, account, value, *, debit: bool, label: str, third_party=None) -> LineDraft:
        """A line of ``value`` in the document currency, booked in EUR, keeping the currency amount."""
        value = money.amount(value)
        eur = self.eur(value)
        return LineDraft(
            account=account,
            debit=eur if debit else ZERO,
            credit=ZERO if debit else eur,
            label=label,
            third_party=third_party,
            currency_amount=value if self.foreign else None,
            currency=self.currency if self.foreign else "",
        )


def _balance_with_rounding(draft: EntryDraft, mapping: Mapping):
    """Converting each line to EUR may lose a cent: it goes to the rounding account."""
    gap = draft.total_debit - draft.total_credit
    if gap:
        account = mapping.account(Role.ROUNDING)
        label = _("Écart d'arrondi de conversion")
        draft.lines.append(
            LineDraft(account=account, debit=-gap if gap < 0 else ZERO, credit=gap if gap > 0 else ZERO, label=label)
        )
    return draft


def _drop_zero_lines(draft: EntryDraft) -> EntryDraft:
    draft.lines = [line for line in draft.lines if line.debit or line.credit]
    return draft


def _product_kind(line) -> str:
    Kind = AccountMapping.ProductKind
    if line.kind == "shipping":
        return Kind.SHIPPING
    if line.kind == "eco":
        return Kind.ECO
    if line.kind in (Kind.PENALTY, Kind.INDEMNITY):  # late-payment penalties, the EUR 40 (PAY-05)
        return line.kind
    if line.product is not None and line.product.kind == "service":
        return Kind.SERVICES
    return Kind.GOODS


def _sales_amounts(document, mapping: Mapping) -> dict[str, Decimal]:
    """Net amounts of the document's lines, summed per sales account."""
    amounts = defaultdict(lambda: ZERO)
    for line in document.lines.all():
        if not line.net_amount:
            continue
        account = mapping.account(
            Role.SALES,
            product_kind=_product_kind(line),
            vat_treatment=document.vat_treatment,
            vat_rate=line.vat_rate,
            channel_id=document.channel_id,
        )
        amounts[account] += line.net_amount
    return amounts


def _vat_amounts(document, mapping: Mapping, role=Role.VAT_COLLECTED) -> dict[str, Decimal]:
    amounts = defaultdict(lambda: ZERO)
    for group in document.vat_breakdown:
        vat = Decimal(group["vat"])
        if vat:
            account = mapping.account(role, vat_rate=Decimal(group["rate"]), vat_treatment=getattr(document, "vat_treatment", ""))
            amounts[account] += vat
    return amounts


# --- Sales documents ----------------------------------------------------------------------------


def invoice_entry(invoice, mapping: Mapping) -> EntryDraft:
    """An issued invoice or deposit invoice, with the deposits it deducts."""
    convert = Converter(invoice.currency, invoice.exchange_rate)
    customer = invoice.customer
    customers = mapping.account(Role.CUSTOMERS)
    is_deposit = invoice.kind == "deposit"
    label = (_("Acompte %(number)s %(name)s") if is_deposit else _("Facture %(number)s %(name)s")) % {
        "number": invoice.number,
        "name": invoice.customer_name,
    }
    draft = EntryDraft("VT", invoice.invoice_date, invoice.number, invoice.invoice_date, label[:200], "invoice", invoice.pk)
    draft.lines.append(convert.line(customers, invoice.total_incl_tax, debit=True, label=label, third_party=customer))
    if is_deposit:
        draft.lines.append(convert.line(mapping.account(Role.DEPOSITS), invoice.total_excl_tax, debit=False, label=label))
    else:
        for account, value in _sales_amounts(invoice, mapping).items():
            draft.lines.append(convert.line(account, value, debit=False, label=label))
        if invoice.allowance_total:
            discount = mapping.account(Role.DISCOUNT, vat_treatment=invoice.vat_treatment)
            draft.lines.append(convert.line(discount, invoice.allowance_total, debit=True, label=label))
    for account, value in _vat_amounts(invoice, mapping).items():
        draft.lines.append(convert.line(account, value, debit=False, label=label))
    if invoice.deposits_total:
        draft.lines.extend(_deducted_deposits(invoice, mapping, convert, label))
    return _drop_zero_lines(_balance_with_rounding(draft, mapping))


def _deducted_deposits(invoice, mapping, convert, label) -> list[LineDraft]:
    """YE-03: what the invoice deducts of each deposit comes back out of 4191 (excl. tax) and
    VAT collected (the deposit's VAT), and 411 is credited with it, so the customer owes the
    amount due and VAT counts once. A deposit deducted over several invoices (DEP-01: an order
    shipped in parcels) gives back its VAT per deduction (``_deduction_vat``)."""
    vat_by_account = defaultdict(lambda: ZERO)
    for deduction in invoice.deposit_deductions.all():
        for account, value in _deduction_vat(invoice, deduction, mapping).items():
            vat_by_account[account] += value
    lines, vat_total = [], ZERO
    for account, value in vat_by_account.items():
        vat_total += value
        lines.append(convert.line(account, value, debit=True, label=label))
    lines.append(convert.line(mapping.account(Role.DEPOSITS), invoice.deposits_total - vat_total, debit=True, label=label))
    lines.append(
        convert.line(
            mapping.account(Role.CUSTOMERS), invoice.deposits_total, debit=False, label=label, third_party=invoice.customer
        )
    )
    return lines


def _deduction_vat(invoice, deduction, mapping) -> dict[str, Decimal]:
    """{VAT account: VAT of the deposit given back by this deduction}: in proportion (amount /
    deposit total incl. tax), except for the deduction that exhausts the deposit, which takes the
    deposit's VAT less what its credit notes and the earlier deductions took. Over all its
    invoices a deposit's VAT and its 4191 come back to exactly zero, to the cent. "Earlier" is
    read in the chain (invoices and credit notes share it, in the order they were issued), so an
    entry posted late is the entry posted on time."""
    deposit = deduction.deposit
    deposit_vat = _vat_amounts(deposit, mapping)
    if not deposit.total_incl_tax:
        return {}

    def share(amount) -> dict[str, Decimal]:
        return {account: money.amount(value * amount / deposit.total_incl_tax) for account, value in deposit_vat.items()}

    def before(document) -> bool:
        position = document.chain_position
        return document.status == "issued" and position is not None and position < invoice.chain_position

    credit_notes = [note for note in deposit.credit_notes.all() if before(note)]
    earlier = [other for other in deposit.deductions.all() if other.invoice_id != invoice.pk and before(other.invoice)]
    left = (
        deposit.total_incl_tax
        - sum((note.total_incl_tax for note in credit_notes), ZERO)
        - sum((other.amount for other in earlier), ZERO)
    )
    if deduction.amount < left:
        return share(deduction.amount)
    rest = dict(deposit_vat)
    for note in credit_notes:
        for account, value in _vat_amounts(note, mapping).items():
            rest[account] = rest.get(account, ZERO) - value
    for other in earlier:
        for account, value in share(other.amount).items():
            rest[account] -= value
    return rest


def credit_note_entry(credit_note, mapping: Mapping) -> EntryDraft:
    convert = Converter(credit_note.currency, credit_note.exchange_rate)
    label = (_("Avoir %(number)s %(name)s") % {"number": credit_note.number, "name": credit_note.customer_name})[:200]
    draft = EntryDraft(
        "VT", credit_note.credit_date, credit_note.number, credit_note.credit_date, label, "credit_note", credit_note.pk
    )
    draft.lines.append(
        convert.line(
            mapping.account(Role.CUSTOMERS),
            credit_note.total_incl_tax,
            debit=False,
            label=label,
            third_party=credit_note.customer,
        )
    )
    if credit_note.invoice.kind == "deposit":
        draft.lines.append(convert.line(mapping.account(Role.DEPOSITS), credit_note.total_excl_tax, debit=True, label=label))
    else:
        for account, value in _sales_amounts(credit_note, mapping).items():
            draft.lines.append(convert.line(account, value, debit=True, label=label))
        if credit_note.allowance_total:
            discount = mapping.account(Role.DISCOUNT, vat_treatment=credit_note.vat_treatment)
            draft.lines.append(convert.line(discount, credit_note.allowance_total, debit=False, label=label))
    for account, value in _vat_amounts(credit_note, mapping).items():
        draft.lines.append(convert.line(account, value, debit=True, label=label))
    return _drop_zero_lines(_balance_with_rounding(draft, mapping))


def _payment_currency(payment):
    """The currency of a payment: sales records the amount in the currency of the invoices it
    settles (``Payment.currency`` stays EUR), so the allocated invoices say which one it is."""
    currencies = {allocation.invoice.currency for allocation in payment.allocations.all()}
    if len(currencies) == 1:
        return currencies.pop()
    return payment.currency or "EUR"


def _payment_rate(currency, day, allocations):
    """ECB rate of the payment day when known (CUR-03), else the rate of the invoices paid."""
    from sales.currency import rate_for  # a read of sales' rate table

    try:
        return rate_for(currency, day).rate
    except InvalidInput:  # no published rate stored for that day: the invoice's rate
        return allocations[0].invoice.exchange_rate if allocations else None


def payment_entry(payment, mapping: Mapping) -> EntryDraft:
    purpose, method = payment.purpose, payment.method
    customers = mapping.account(Role.CUSTOMERS)
    reference = payment.reference or f"RG{payment.pk}"
    paid = [allocation.invoice.number for allocation in payment.allocations.all()][:3]
    what = payment.get_purpose_display() + (" " + " ".join(paid) if paid else "")
    label = (_("%(what)s %(name)s") % {"what": what, "name": payment.customer.name})[:200]
    if method == "voucher":
        draft = EntryDraft("OD", payment.payment_date, reference[:50], payment.payment_date, label, "payment", payment.pk)
        voucher = payment.voucher
        promotional = voucher is not None and not voucher.sold and voucher.credit_note_id is None
        # A free promotional voucher is no liability: spending it is a discount (VOU-01).
        account = mapping.account(Role.DISCOUNT) if promotional else mapping.account(Role.VOUCHERS)
        draft.lines.append(LineDraft(account, debit=payment.amount, label=label))
        draft.lines.append(LineDraft(customers, credit=payment.amount, label=label, third_party=payment.customer))
        return draft
    bank = mapping.account(Role.BANK, payment_method=method)
    journal = mapping.journal(method)
    draft = EntryDraft(journal, payment.payment_date, reference[:50], payment.payment_date, label, "payment", payment.pk)
    if purpose == "voucher_sale":
        draft.lines.append(LineDraft(bank, debit=payment.amount, label=label))
        draft.lines.append(LineDraft(mapping.account(Role.VOUCHERS), credit=payment.amount, label=label))
        return draft
    if purpose == "refund":
        draft.lines.append(LineDraft(customers, debit=payment.amount, label=label, third_party=payment.customer))
        draft.lines.append(LineDraft(bank, credit=payment.amount, label=label))
        return draft
    return _settlement(draft, payment, mapping, bank, customers, label)


def _settlement(draft, payment, mapping, bank, customers, label) -> EntryDraft:
    """Money received. In a foreign currency, 411 is relieved at the rate of each invoice paid
    and the difference with the EUR actually received is an exchange gain or loss (CUR-03)."""
    currency = _payment_currency(payment)
    if currency == "EUR":
        draft.lines.append(LineDraft(bank, debit=payment.amount, label=label))
        draft.lines.append(LineDraft(customers, credit=payment.amount, label=label, third_party=payment.customer))
        return draft
    allocations = list(payment.allocations.all())
    received = Converter(currency, _payment_rate(currency, payment.payment_date, allocations))
    draft.lines.append(received.line(bank, payment.amount, debit=True, label=label))
    allocated = ZERO
    for allocation in allocations:
        at_invoice_rate = Converter(currency, allocation.invoice.exchange_rate)
        draft.lines.append(
            at_invoice_rate.line(customers, allocation.amount, debit=False, label=label, third_party=payment.customer)
        )
        allocated += allocation.amount
    if payment.amount > allocated:
        draft.lines.append(
            received.line(customers, payment.amount - allocated, debit=False, label=label, third_party=payment.customer)
        )
    gap = draft.total_debit - draft.total_credit
    if gap > 0:
        draft.lines.append(LineDraft(mapping.account(Role.EXCHANGE_GAIN), credit=gap, label=_("Gain de change")))
    elif gap < 0:
        draft.lines.append(LineDraft(mapping.account(Role.EXCHANGE_LOSS), debit=-gap, label=_("Perte de change")))
    return draft


def voucher_entry(voucher, mapping: Mapping) -> EntryDraft:
    """A voucher given instead of a refund: the customer's credit becomes a voucher liability."""
    credit_note = voucher.credit_note
    label = (_("Bon d'achat %(code)s (avoir %(number)s)") % {"code": voucher.code, "number": credit_note.number})[:200]
    day = credit_note.credit_date
    draft = EntryDraft("OD", day, voucher.code, day, label, "voucher", voucher.pk)
    draft.lines.append(
        LineDraft(mapping.account(Role.CUSTOMERS), debit=voucher.amount, label=label, third_party=voucher.customer)
    )
    draft.lines.append(LineDraft(mapping.account(Role.VOUCHERS), credit=voucher.amount, label=label))
    return draft


# --- Purchasing ---------------------------------------------------------------------------------


def supplier_invoice_entry(invoice, mapping: Mapping) -> EntryDraft:
    label = (_("Facture %(number)s %(name)s") % {"number": invoice.number, "name": invoice.supplier.name})[:200]
    draft = EntryDraft(
        "AC", invoice.invoice_date, invoice.number[:50], invoice.invoice_date, label, "supplier_invoice", invoice.pk
    )
    purchases = defaultdict(lambda: ZERO)
    for line in invoice.lines.all():
        kind = (
            AccountMapping.ProductKind.SERVICES
            if line.product and line.product.kind == "service"
            else AccountMapping.ProductKind.GOODS
        )
        purchases[mapping.account(Role.PURCHASES, product_kind=kind, vat_rate=line.vat_rate)] += line.net_amount
    # The header total is the truth; lines that do not add up to it leave the gap on goods.
    gap = invoice.total_excl_tax - sum(purchases.values(), ZERO)
    if gap:
        purchases[mapping.account(Role.PURCHASES, product_kind=AccountMapping.ProductKind.GOODS)] += gap
    for account, value in purchases.items():
        draft.lines.append(LineDraft(account, debit=money.amount(value), label=label))
    for account, value in _vat_amounts(invoice, mapping, role=Role.VAT_DEDUCTIBLE).items():
        draft.lines.append(LineDraft(account, debit=value, label=label))
    draft.lines.append(
        LineDraft(mapping.account(Role.SUPPLIERS), credit=invoice.total_incl_tax, label=label, third_party=invoice.supplier)
    )
    return _drop_zero_lines(_balance_with_rounding(draft, mapping))
