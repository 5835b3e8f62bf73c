"""Credit notes (avoirs): the only way to correct or cancel an issued invoice (NUM-03, CN-01).
Total or partial, always referencing the invoice, with its VAT treatment and rates (CN-02), in
their own continuous series. Returned goods come back to stock at the cost they left at. The
credit first settles what the invoice still awaits; the rest is kept on the customer's account,
refunded, or turned into a voucher."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import units
from lmb import closing, events, money
from lmb.errors import Conflict, InvalidInput
from lmb.formats import decimal_fr, money_fr
from stock import services as stock_services

from .. import chain, queries
from ..models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from . import documents, payments

ZERO = Decimal("0")
LineKind = InvoiceLine.Kind


def credited_quantities(invoice: Invoice) -> dict[int, Decimal]:
    """{invoice line id: quantity already credited by issued credit notes}."""
    rows = (
        CreditNoteLine.objects.filter(invoice_line__document=invoice, document__status=CreditNote.Status.ISSUED)
        .values("invoice_line")
        .annotate(total=Sum("quantity"))
    )
    return defaultdict(lambda: ZERO, {row["invoice_line"]: row["total"] for row in rows})


def credited_total(invoice: Invoice) -> Decimal:
    issued = CreditNote.objects.filter(invoice=invoice, status=CreditNote.Status.ISSUED)
    return issued.aggregate(total=Sum("total_incl_tax"))["total"] or ZERO


def _within(quantity: Decimal, left: Decimal) -> bool:
    """A credited quantity is between 0 (excluded) and what is left to credit — below 0 for a
    reduction line (a cart rule: negative quantity), which a credit note takes back too."""
    return 0 < quantity <= left if left >= 0 else left <= quantity < 0


def _requested_lines(invoice: Invoice, lines, return_to_stock: bool):
    """[(invoice line, quantity, unit price, return)] for the main lines (eco-participation
    lines follow their product). ``lines`` None means everything not credited yet."""
    credited = credited_quantities(invoice)
    invoice_lines = {line.pk: line for line in invoice.lines.select_related("product").exclude(kind=LineKind.ECO)}
    if lines is None:
        lines = [{"invoice_line": pk, "quantity": line.quantity - credited[pk]} for pk, line in invoice_lines.items()]
        lines = [dict(line, return_to_stock=return_to_stock) for line in lines if line["quantity"]]
    requested = []
    for index, wanted in enumerate(lines):
        key = wanted["invoice_line"]
        invoice_line = invoice_lines.get(key.pk if isinstance(key, InvoiceLine) else int(key))
        if invoice_line is None:
            raise InvalidInput(
                {
                    f"lines[{index}].invoice_line": [
                        _("Cette ligne n'est pas une ligne de la facture %(number)s.") % {"number": invoice}
                    ]
                }
            )
        try:
            quantity = money.quantity(wanted.get("quantity", invoice_line.quantity))
            unit_price = money.unit_price(wanted.get("unit_price", invoice_line.unit_price))
        except (ValueError, TypeError) as exc:
            raise InvalidInput({f"lines[{index}].quantity": [str(exc)]}) from exc
        left = invoice_line.quantity - credited[invoice_line.pk]
        if not _within(quantity, left):
            raise InvalidInput(
                {
                    f"lines[{index}].quantity": [
                        _("%(product)s : entre 0 et %(left)s (quantité facturée non encore créditée).")
                        % {"product": invoice_line.description, "left": decimal_fr(left)}
                    ]
                }
            )
        if invoice_line.product_id is not None:  # 1,5 mug is neither credited nor taken back (catalog.units)
            units.check_quantity(quantity, invoice_line.unit, field=f"lines[{index}].quantity")
        if unit_price < 0 or unit_price > invoice_line.unit_price:
            raise InvalidInput(
                {
                    f"lines[{index}].unit_price": [
                        _("%(product)s : le prix crédité ne dépasse pas le prix facturé.") % {"product": invoice_line.description}
                    ]
                }
            )
        returned = bool(wanted.get("return_to_stock", False))
        if returned and not (invoice_line.is_goods and invoice_line.delivery_line_id):
            raise InvalidInput(
                {
                    f"lines[{index}].return_to_stock": [
                        _("%(product)s n'est pas une marchandise livrée : rien ne revient en stock.")
                        % {"product": invoice_line.description}
                    ]
                }
            )
        requested.append((invoice_line, quantity, unit_price, returned))
    if not requested:
        raise InvalidInput({"lines": [_("Tout est déjà crédité sur la facture %(number)s.") % {"number": invoice}]})
    return requested


@transaction.atomic
def create_credit_note(
    invoice: Invoice,
    *,
    reason: str,
    lines=None,
    return_to_stock: bool = False,
    settlement: str = CreditNote.Settlement.BALANCE,
    user=None,
) -> CreditNote:
    """A draft credit note of an issued invoice: every line not credited yet (``lines`` None,
    a cancellation), or the given ``[{invoice_line, quantity, unit_price?, return_to_stock?}]``.
    A lower unit price credits a price reduction granted afterwards."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.ISSUED:
        raise Conflict(_("Seule une facture émise se corrige par un avoir."), field="invoice")
    if not reason.strip():
        raise InvalidInput({"reason": [_("Indiquez le motif de l'avoir.")]})
    if settlement not in CreditNote.Settlement.values:
        raise InvalidInput({"settlement": [_("Choix de règlement inconnu.")]})
    credit_note = CreditNote(invoice=invoice, reason=reason.strip(), settlement=settlement, created_by=user)
    documents.copy_header(invoice, credit_note)
    documents.validate_and_save(credit_note)
    position = 0
    for invoice_line, quantity, unit_price, returned in _requested_lines(invoice, lines, return_to_stock):
        position += 1
        parent = _copy_invoice_line(credit_note, invoice_line, quantity, unit_price, position, returned=returned)
        for eco in InvoiceLine.objects.filter(parent=invoice_line, kind=LineKind.ECO):
            position += 1
            _copy_invoice_line(credit_note, eco, quantity, eco.unit_price, position, parent=parent)
    documents.refresh_totals(credit_note)
    documents.log_event(credit_note, "created", user=user, detail=_("Sur la facture %(number)s") % {"number": invoice})
    return credit_note


def _copy_invoice_line(credit_note, invoice_line, quantity, unit_price, position, *, parent=None, returned=False):
    return CreditNoteLine.objects.create(
        **{**documents.line_terms(invoice_line), "unit_price": unit_price},
        document=credit_note,
        position=position,
        quantity=quantity,
        parent=parent,
        invoice_line=invoice_line,
        return_to_stock=returned,
    )


def _check_credit_left(credit_note: CreditNote):
    """Under the invoice's lock: quantities and amount still creditable (of a deposit invoice,
    no more than what invoices have not deducted from it)."""
    invoice = credit_note.invoice
    credited = credited_quantities(invoice)
    for line in credit_note.lines.select_related("invoice_line").exclude(kind=LineKind.ECO):
        if line.quantity > line.invoice_line.quantity - credited[line.invoice_line_id]:
            raise Conflict(_("%(product)s : plus que ce qui reste à créditer sur la facture.") % {"product": line.description})
    if credit_note.total_incl_tax > invoice.total_incl_tax - credited_total(invoice):
        raise Conflict(_("L'avoir dépasse ce qui reste à créditer sur la facture %(number)s.") % {"number": invoice})
    if invoice.kind == Invoice.Kind.DEPOSIT:
        # DEP-01: what invoices already deducted of a deposit is spent on them; only the rest can
        # be refunded (invoices deduct under the same lock on the deposit invoice).
        [(_pk, left)] = queries.deposits_left([invoice.pk])
        if credit_note.total_incl_tax > left:
            raise Conflict(
                _("L'avoir dépasse ce qui reste à déduire de l'acompte %(number)s (%(left)s) : le reste est déduit de factures.")
                % {"number": invoice, "left": money_fr(left)}
            )


def _check_chronology(issue_date: date, invoice: Invoice):
    if issue_date < invoice.invoice_date:
        raise InvalidInput(
            {
                "credit_date": [
                    _("Un avoir ne précède pas sa facture (%(day)s).") % {"day": invoice.invoice_date.strftime("%d/%m/%Y")}
                ]
            }
        )
    last = (  # one row read backwards from the (status, credit_date) index, not every credit note aggregated
        CreditNote.objects.filter(status=CreditNote.Status.ISSUED, credit_date__isnull=False)
        .order_by("-credit_date")
        .values_list("credit_date", flat=True)
        .first()
    )
    if last and issue_date < last:
        raise Conflict(
            _("Un avoir ne peut pas être daté du %(day)s : le dernier émis est du %(last)s.")
            % {"day": issue_date.strftime("%d/%m/%Y"), "last": last.strftime("%d/%m/%Y")}
        )
    if issue_date > timezone.localdate():
        raise InvalidInput({"credit_date": [_("Un avoir ne se date pas dans le futur.")]})


def _returned_lines(credit_note: CreditNote) -> list:
    """The lines whose goods come back to stock."""
    lines = credit_note.lines.select_related(
        "invoice_line__delivery_line__delivery_note", "invoice_line__delivery_line__stock_move", "product"
    )
    return [line for line in lines if line.return_to_stock and line.kind == LineKind.PRODUCT]


def _return_goods(credit_note: CreditNote, lines: list, user, warehouse=None):
    """Returned goods come back to the warehouse they left (or ``warehouse``: a till's return
    goes into its register's), at the cost they left at."""
    for line in lines:
        delivery_line = line.invoice_line.delivery_line
        line.stock_move = stock_services.customer_return(
            product=line.product,
            warehouse=warehouse or delivery_line.delivery_note.warehouse,
            quantity=line.quantity,
            unit_cost=delivery_line.stock_move.unit_cost if delivery_line.stock_move else None,
            reference=credit_note.number,
            source=("sales.creditnote", credit_note.pk),
            user=user,
        )
        line.save(update_fields=["stock_move"])


@transaction.atomic
def issue_credit_note(
    credit_note: CreditNote,
    *,
    user=None,
    issue_date: date | None = None,
    refund_method: str = "",
    return_warehouse=None,
) -> CreditNote:
    """Issue a draft credit note: number it in the credit-note series (AV2026-000012), date it,
    chain its hash, bring returned goods back to stock (to ``return_warehouse`` when given, else
    where they left), and settle: first what the invoice still awaits, then the rest kept on
    account, refunded (``refund_method``) or as a voucher."""
    credit_note = documents.lock(credit_note)
    documents.require_status(credit_note, CreditNote.Status.DRAFT, action=_("émettre l'avoir"))
    if credit_note.settlement == CreditNote.Settlement.REFUND and not refund_method:
        raise InvalidInput({"refund_method": [_("Indiquez comment le client est remboursé.")]})
    invoice = Invoice.objects.select_for_update().get(pk=credit_note.invoice_id)
    if not credit_note.lines.exists():
        raise InvalidInput({"lines": [_("Un avoir sans ligne ne s'émet pas.")]})
    issue_date = issue_date or timezone.localdate()
    closing.refuse_closed_day(issue_date)  # its VAT return is filed: the period's figures stay as declared
    documents.recompute(credit_note, on_date=issue_date)
    credit_note.invoice = invoice
    _check_credit_left(credit_note)
    returned = _returned_lines(credit_note)
    stock_services.lock_products(line.product for line in returned)  # the stock before the number (stock/services.py)
    credit_note.number = documents.number(credit_note, "credit_note", "AV", issue_date)  # locks the series until commit
    _check_chronology(issue_date, invoice)
    credit_note.credit_date = issue_date
    _return_goods(credit_note, returned, user, return_warehouse)
    chain.link(credit_note)
    credit_note.status = CreditNote.Status.ISSUED
    credit_note.issued_at = timezone.now()
    credit_note.save(issuing=True)
    documents.log_event(credit_note, "issued", user=user, detail=credit_note.number)
    documents.log_event(invoice, "credited", user=user, detail=credit_note.number)
    _settle(credit_note, invoice, refund_method=refund_method, user=user)
    events.publish(events.CREDIT_NOTE_ISSUED, credit_note_id=credit_note.pk, invoice_id=invoice.pk)
    return credit_note


def _settle(credit_note: CreditNote, invoice: Invoice, *, refund_method: str, user):
    owed = min(queries.invoice_balance(invoice), credit_note.total_incl_tax)
    if owed > 0:
        payments.allocate(invoice=invoice, credit_note=credit_note, amount=owed)
    rest = credit_note.total_incl_tax - owed
    if rest <= 0:
        return
    if credit_note.settlement == CreditNote.Settlement.REFUND:
        payments.refund(customer=credit_note.customer, amount=rest, method=refund_method, credit_note=credit_note, user=user)
        documents.log_event(credit_note, "refunded", user=user, detail=money_fr(rest))
    elif credit_note.settlement == CreditNote.Settlement.VOUCHER:
        voucher = payments.issue_voucher(amount=rest, customer=credit_note.customer, credit_note=credit_note)
        documents.log_event(credit_note, "voucher", user=user, detail=voucher.code)


@transaction.atomic
def delete_draft_credit_note(credit_note: CreditNote):
    credit_note = documents.lock(credit_note)
    documents.require_status(credit_note, CreditNote.Status.DRAFT, action=_("supprimer le brouillon"))
    credit_note.delete()
