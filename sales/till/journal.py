"""Writing to the till's event log (POS-02): one sealed, hash-chained row per sensitive event,
and reading its details back in French."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lmb.formats import decimal_fr, money_fr

from ..models import CreditNote, PaymentMethod
from . import chain
from .models import CashMovement, Closure, TillEvent

Kind = TillEvent.Kind

#: what each detail an event keeps means, on screen (the keys stay in the sealed row)
DETAIL_LABELS = {
    "opening_float": _("fond de caisse"),
    "counted_total": _("espèces comptées"),
    "expected_cash": _("espèces attendues"),
    "difference": _("écart"),
    "reason": _("motif"),
    "movement": _("mouvement n°"),
    "movement_kind": _("nature"),
    "amount": _("montant"),
    "order": _("vente n°"),
    "product": _("article n°"),
    "description": _("désignation"),
    "quantity": _("quantité"),
    "unit_price": _("prix unitaire"),
    "gross": _("montant TTC"),
    "ticket": _("ticket n°"),
    "sale_ticket": _("ticket de vente n°"),
    "document": _("document"),
    "duplicate": _("duplicata n°"),
    "invoice": _("facture"),
    "credit_note": _("avoir"),
    "total": _("total TTC"),
    "settlement": _("règlement"),
    "refund_method": _("remboursé en"),
    "limit": _("plafond (%)"),
    "discounts": _("remises"),
    "closure": _("clôture n°"),
    "period": _("période"),
    "start": _("du"),
    "end": _("au"),
    "period_start": _("du"),
    "period_end": _("au"),
    "period_total": _("total de la période"),
    "grand_total": _("grand total"),
    "sha256": _("empreinte SHA-256"),
}
MONEY_DETAILS = {"opening_float", "counted_total", "expected_cash", "difference", "amount", "unit_price", "gross", "total"}
MONEY_DETAILS |= {"period_total", "grand_total"}
DATE_DETAILS = {"start", "end", "period_start", "period_end"}
CHOICE_DETAILS = {
    "movement_kind": CashMovement.Kind,
    "period": Closure.Kind,
    "settlement": CreditNote.Settlement,
    "refund_method": PaymentMethod,
}


def log(kind: str, /, *, user, session=None, register=None, **details) -> TillEvent:
    """Record an event in the caller's transaction (it is kept only if the action is): who, when,
    on which register and session, with its details. ``register`` defaults to the session's."""
    if register is None and session is not None:
        register = session.register
    event = TillEvent(
        kind=kind,
        register=register,
        session=session,
        user=user,
        at=timezone.now(),
        details=details,
    )
    return chain.seal(event)


def describe(details: dict) -> list[tuple[str, str]]:
    """The event's details as the journal's page shows them: French labels, amounts in euros,
    dates as 22/11/2026, kinds by their names; empty details left out."""
    shown = []
    for key, value in (details or {}).items():
        if value in ("", None, [], {}):
            continue
        shown.append((str(DETAIL_LABELS.get(key, key)), _detail_value(key, value)))
    return shown


def described_text(details: dict) -> str:
    """``describe`` on one line (a spreadsheet cell)."""
    return " · ".join(f"{label} : {value}" for label, value in describe(details))


def _detail_value(key: str, value) -> str:
    if key in MONEY_DETAILS:
        return _number(value, money_fr)
    if key in CHOICE_DETAILS:
        return str(dict(CHOICE_DETAILS[key].choices).get(value, value))
    if key in ("quantity", "limit"):
        return _number(value, decimal_fr)
    if key == "discounts":
        return " ; ".join(f"{item.get('what', '')} {_number(item.get('percent'), decimal_fr)} %" for item in value)
    if key in DATE_DETAILS:
        try:
            return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    return str(value)


def _number(value, formatter) -> str:
    try:
        return formatter(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)
