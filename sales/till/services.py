"""Write paths of the till (DESIGN §3): registers, sessions, cash movements, returns, reprints,
lines removed from a ticket, and the period closures (Z). Each runs in one transaction and logs
its sensitive events in the hash-chained journal (fr-rules §3, POS-02).

A sale in a session is ``sales.services.checkout_at_counter(order, session=…)`` /
``sell_at_counter(session=…)``: the one write path of a counter sale. A voucher sold at the till
is ``sell_voucher_at_till``, around ``payments.sell_voucher``."""

import calendar
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from lmb import bounds, money
from lmb.errors import Conflict, InvalidInput
from lmb.formats import money_fr
from lmb.services import validate_and_save

from ..models import Channel, CreditNote, InvoiceLine, OrderLine, Payment, PaymentMethod
from ..services import credit_notes, documents, payments, quotes_orders
from . import chain, journal, queries, selling
from .models import CashMovement, Closure, Register, Ticket, TillSession

ZERO = Decimal("0.00")
Kind = journal.Kind

#: the euro notes and coins a drawer is counted in
DENOMINATIONS = tuple(
    Decimal(value)
    for value in ("500", "200", "100", "50", "20", "10", "5", "2", "1", "0.50", "0.20", "0.10", "0.05", "0.02", "0.01")
)
MAX_PIECES = 100_000


# --- Registers -----------------------------------------------------------------------------------


def _check_register(register: Register):
    if register.channel_id is None or register.channel.kind != Channel.Kind.COUNTER:
        raise InvalidInput({"channel": [_("Une caisse appartient à un canal de type comptoir.")]})
    if register.warehouse_id is None:
        raise InvalidInput({"warehouse": [_("Choisissez le dépôt d'où sortent les articles vendus à cette caisse.")]})
    if register.warehouse.is_active is False:
        raise InvalidInput({"warehouse": [_("Ce dépôt n'est plus actif.")]})


@transaction.atomic
def create_register(*, code: str, name: str, channel, warehouse, max_discount_percent=10, is_active=True) -> Register:
    """A register of a counter channel, selling from ``warehouse``; ``max_discount_percent`` is
    what its cashiers may grant without a manager."""
    register = Register(
        code=(code or "").strip().upper(),
        name=(name or "").strip(),
        channel=channel,
        warehouse=warehouse,
        max_discount_percent=max_discount_percent,
        is_active=is_active,
    )
    _check_register(register)
    return validate_and_save(register)


REGISTER_FIELDS = ("code", "name", "channel", "warehouse", "max_discount_percent", "is_active")


@transaction.atomic
def update_register(register: Register, **changes) -> Register:
    """Change a register's settings. Its channel and warehouse may change between sessions only."""
    register = Register.objects.select_for_update().get(pk=register.pk)
    unknown = set(changes) - set(REGISTER_FIELDS)
    if unknown:
        raise InvalidInput({name: [_("Ce champ ne se modifie pas sur une caisse.")] for name in sorted(unknown)})
    moves = {"channel", "warehouse"} & {name for name, value in changes.items() if value != getattr(register, name)}
    if moves and register.sessions.filter(status=TillSession.Status.OPEN).exists():
        raise Conflict(_("Clôturez la session ouverte avant de changer le canal ou le dépôt de la caisse."), field=min(moves))
    for name, value in changes.items():
        setattr(register, name, value.strip() if isinstance(value, str) else value)
    _check_register(register)
    return validate_and_save(register)


# --- Sessions ------------------------------------------------------------------------------------


def _amount(value, field: str, label: str) -> Decimal:
    try:
        value = money.amount(value)
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise InvalidInput({field: [_("%(label)s : montant illisible.") % {"label": label}]}) from exc
    return bounds.check(value, 14, 2, field=field, label=label)


@transaction.atomic
def open_session(*, register: Register, user, opening_float) -> TillSession:
    """Open a cash session on a register with the float counted in the drawer (≥ 0). One open
    session per register (a partial unique constraint keeps it so, even at the same instant)."""
    if user is None:
        raise InvalidInput({"user": [_("Une opération de caisse est faite par un utilisateur identifié.")]})
    opening_float = _amount(opening_float, "opening_float", _("fond de caisse"))
    if opening_float < 0:
        raise InvalidInput({"opening_float": [_("Le fond de caisse ne peut pas être négatif.")]})
    register = Register.objects.select_for_update().select_related("channel", "warehouse").get(pk=register.pk)
    if not register.is_active:
        raise Conflict(_("La caisse %(register)s n'est plus active.") % {"register": register.code}, field="register")
    if register.sessions.filter(status=TillSession.Status.OPEN).exists():
        raise Conflict(_("La caisse %(register)s a déjà une session ouverte.") % {"register": register.code}, field="register")
    try:
        with transaction.atomic():
            session = TillSession.objects.create(
                register=register, opened_by=user, opened_at=timezone.now(), opening_float=opening_float
            )
    except IntegrityError as exc:  # another terminal opened it between the check and the insert
        raise Conflict(
            _("La caisse %(register)s a déjà une session ouverte.") % {"register": register.code}, field="register"
        ) from exc
    journal.log(Kind.SESSION_OPENED, user=user, session=session, opening_float=opening_float)
    return session


def count_drawer(counted: dict) -> tuple[dict, Decimal]:
    """{"50.00": 2, "0.20": 3} checked (euro denominations, whole non-negative counts): the
    normalised count and its total."""
    normalised, total = {}, ZERO
    known = {value.quantize(Decimal("0.01")): value for value in DENOMINATIONS}
    for key, pieces in (counted or {}).items():
        try:
            value = Decimal(str(key).replace(",", ".")).quantize(Decimal("0.01"))
        except InvalidOperation:
            value = None
        if value not in known:
            raise InvalidInput({"counted_cash": [_("« %(value)s » n'est ni un billet ni une pièce en euros.") % {"value": key}]})
        try:
            pieces = int(pieces)
        except (TypeError, ValueError):
            pieces = -1
        if not 0 <= pieces <= MAX_PIECES:
            raise InvalidInput(
                {
                    "counted_cash": [
                        _("%(value)s : un nombre entier de billets ou de pièces, entre 0 et %(max)s.")
                        % {"value": money_fr(value), "max": MAX_PIECES}
                    ]
                }
            )
        if pieces:
            normalised[format(value, "f")] = normalised.get(format(value, "f"), 0) + pieces
            total += value * pieces
    return dict(sorted(normalised.items(), key=lambda item: -Decimal(item[0]))), total


@transaction.atomic
def close_session(session: TillSession, *, user, counted_cash: dict, difference_reason: str = "") -> TillSession:
    """Close a session: the drawer counted by denomination, compared with the cash the session
    expects (``queries.session_figures``); a difference needs a reason. A closed session never
    reopens and cannot be closed twice."""
    if user is None:
        raise InvalidInput({"user": [_("Une opération de caisse est faite par un utilisateur identifié.")]})
    session = TillSession.objects.select_for_update().select_related("register").get(pk=session.pk)
    if session.status != TillSession.Status.OPEN:
        raise Conflict(
            _("La session de caisse n° %(pk)s est déjà clôturée (le %(day)s).")
            % {"pk": session.pk, "day": timezone.localtime(session.closed_at).strftime("%d/%m/%Y %H:%M")},
            field="session",
        )
    counted, total = count_drawer(counted_cash)
    expected = queries.session_figures(session).expected_cash
    difference = total - expected
    reason = (difference_reason or "").strip()
    if difference and not reason:
        raise InvalidInput(
            {
                "difference_reason": [
                    _("Écart de %(difference)s entre le comptage et les espèces attendues : indiquez-en le motif.")
                    % {"difference": money_fr(difference)}
                ]
            }
        )
    session.status = TillSession.Status.CLOSED
    session.closed_by, session.closed_at = user, timezone.now()
    session.counted_cash, session.counted_total = counted, total
    session.expected_cash, session.difference, session.difference_reason = expected, difference, reason[:255]
    session.save()
    journal.log(
        Kind.SESSION_CLOSED,
        user=user,
        session=session,
        counted_total=total,
        expected_cash=expected,
        difference=difference,
        reason=reason[:255],
    )
    return session


# --- Cash movements, the drawer --------------------------------------------------------------------


@transaction.atomic
def record_cash_movement(*, session: TillSession, user, kind: str, amount, reason: str = "") -> CashMovement:
    """Cash into or out of the drawer that is not a sale: a withdrawal, a deposit to the bank, a
    petty expense (those two with a reason), or cash put into the drawer."""
    session = selling.locked_open_session(session, user=user)
    if kind not in CashMovement.Kind.values:
        raise InvalidInput({"kind": [_("Type de mouvement d'espèces inconnu.")]})
    amount = _amount(amount, "amount", _("montant"))
    if amount <= 0:
        raise InvalidInput({"amount": [_("Le montant d'un mouvement d'espèces est positif.")]})
    reason = (reason or "").strip()
    if kind in (CashMovement.Kind.EXPENSE, CashMovement.Kind.WITHDRAWAL) and not reason:
        raise InvalidInput({"reason": [_("Indiquez le motif de la dépense ou du retrait.")]})
    movement = CashMovement.objects.create(
        session=session, user=user, kind=kind, amount=amount, reason=reason[:255], created_at=timezone.now()
    )
    journal.log(
        Kind.CASH_MOVEMENT, user=user, session=session, movement=movement.pk, movement_kind=kind, amount=amount, reason=reason
    )
    return movement


@transaction.atomic
def open_drawer(*, session: TillSession, user, reason: str = ""):
    """The drawer opened without a sale (to give change for a note, say): logged, nothing else."""
    session = selling.locked_open_session(session, user=user)
    return journal.log(Kind.DRAWER_OPENED, user=user, session=session, reason=(reason or "").strip()[:255])


# --- Tickets -------------------------------------------------------------------------------------


@transaction.atomic
def start_sale(*, session: TillSession, user, customer=None):
    """A new ticket at the register: a draft order of its channel, for the walk-in customer
    unless ``customer`` is given, leaving from the register's warehouse. Its lines are scanned
    in the order editor; ``checkout_at_counter(order, session=…)`` rings it up."""
    session = selling.locked_open_session(session, user=user)
    register = session.register
    customer = customer or register.channel.default_customer
    if customer is None:
        raise InvalidInput({"customer": [_("Choisissez le client, ou définissez le client de passage du canal.")]})
    return quotes_orders.create_order(customer=customer, channel=register.channel, user=user, warehouse=register.warehouse)


@transaction.atomic
def remove_ticket_line(line: OrderLine, *, session: TillSession, user):
    """Remove a line from a ticket being rung up (a draft counter order), before payment: the
    line goes (``documents.remove_line``) and the journal keeps what was removed and by whom."""
    session = selling.locked_open_session(session, user=user)
    order = line.document
    if order.channel_id != session.register.channel_id:
        raise InvalidInput({"line": [_("Cette ligne n'est pas celle d'une vente de cette caisse.")]})
    details = {
        "order": order.pk,
        "product": line.product_id,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "gross": line.gross_amount,
    }
    documents.remove_line(line)
    journal.log(Kind.LINE_DELETED, user=user, session=session, **details)
    return order


def _ticket_of_register(order, session: TillSession):
    """A ticket being rung up is a draft order of the session's register channel."""
    if order.channel_id != session.register.channel_id:
        raise InvalidInput({"line": [_("Cette ligne n'est pas celle d'une vente de cette caisse.")]})


@transaction.atomic
def change_ticket_line(line: OrderLine, *, session: TillSession, user, quantity=None, discount_percent=None) -> OrderLine:
    """A ticket line's quantity or discount, before payment. A discount beyond the register's
    limit is refused at once, not only at payment (``selling.check_discounts``), and changes
    nothing."""
    session = selling.locked_open_session(session, user=user)
    order = line.document
    _ticket_of_register(order, session)
    changes = {
        name: value for name, value in (("quantity", quantity), ("discount_percent", discount_percent)) if value is not None
    }
    if changes.get("quantity") is not None and changes["quantity"] <= 0:
        raise InvalidInput({"quantity": [_("La quantité doit être positive ; pour enlever l'article, supprimez la ligne.")]})
    documents.change_line(line, **changes)
    selling.check_discounts(order, session.register, user=user)
    return line


@transaction.atomic
def set_ticket_discount(order, *, session: TillSession, user, discount_percent) -> object:
    """The discount on the whole ticket, before payment, refused at once beyond the register's
    limit (``selling.check_discounts``)."""
    session = selling.locked_open_session(session, user=user)
    _ticket_of_register(order, session)
    order = documents.update_draft(order, user=user, discount_percent=discount_percent)
    selling.check_discounts(order, session.register, user=user)
    return order


@transaction.atomic
def change_ticket_customer(order, *, session: TillSession, user, customer):
    """The customer of a ticket being rung up (who it is for is not changed on a document): a new
    ticket for ``customer`` with the same articles, quantities and discounts at this customer's
    prices; the previous draft is cancelled. Returns the new draft order."""
    session = selling.locked_open_session(session, user=user)
    _ticket_of_register(order, session)
    new = start_sale(session=session, user=user, customer=customer)
    for line in order.lines.filter(parent=None).exclude(kind=OrderLine.Kind.ECO).order_by("position", "pk"):
        if line.product_id is not None and line.kind == OrderLine.Kind.PRODUCT:
            documents.add_line(new, product=line.product, quantity=line.quantity, discount_percent=line.discount_percent)
        else:
            documents.add_line(
                new, kind=line.kind, description=line.description, quantity=line.quantity, unit_price=line.unit_price
            )
    new.refresh_from_db()
    if order.discount_percent:
        new = documents.update_draft(new, user=user, discount_percent=order.discount_percent)
    quotes_orders.cancel_order(order, user=user, reason=_("Client changé en caisse"))
    return new


@transaction.atomic
def reprint_ticket(ticket: Ticket, *, user) -> int:
    """A duplicate of a ticket: its reprint counter goes up under the ticket's row lock, the
    journal logs it; returns the duplicate's number (1 for the first reprint)."""
    ticket = Ticket.objects.select_for_update().select_related("session__register").get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(reprints=F("reprints") + 1)
    number = ticket.reprints + 1
    journal.log(
        Kind.REPRINT,
        user=user,
        session=ticket.session,
        ticket=ticket.pk,
        document=str(ticket),
        duplicate=number,
    )
    return number


RETURN_SETTLEMENTS = (CreditNote.Settlement.REFUND, CreditNote.Settlement.VOUCHER)
REFUND_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.CHEQUE)


@transaction.atomic
def return_at_counter(
    *,
    session: TillSession,
    user,
    ticket: Ticket,
    lines,
    settlement: str = CreditNote.Settlement.REFUND,
    refund_method: str = PaymentMethod.CASH,
    reason: str = "",
) -> Ticket:
    """Goods brought back against an earlier sale ticket: a credit note of the returned lines
    (never more than sold less already returned, CN-01), the goods back into the register's
    warehouse, the money refunded (cash, card, cheque) or turned into a voucher; recorded as a
    return ticket of the session and in the journal. ``lines``: [{invoice_line, quantity}]."""
    session = selling.locked_open_session(session, user=user)
    register = session.register
    selling.refuse_closed_day(register, timezone.localdate())
    if ticket.kind != Ticket.Kind.SALE:
        raise InvalidInput({"ticket": [_("Un retour se fait sur un ticket de vente.")]})
    if settlement not in RETURN_SETTLEMENTS:
        raise InvalidInput({"settlement": [_("Le retour est remboursé ou transformé en bon d'achat.")]})
    if settlement == CreditNote.Settlement.REFUND and refund_method not in REFUND_METHODS:
        raise InvalidInput({"refund_method": [_("Remboursement en espèces, par carte ou par chèque.")]})
    if not lines:
        raise InvalidInput({"lines": [_("Indiquez les articles rapportés.")]})
    invoice = ticket.invoice
    goods = {
        line.pk: line.is_goods and line.delivery_line_id is not None
        for line in InvoiceLine.objects.filter(document=invoice).select_related("product")
    }
    requested = []
    for wanted in lines:
        key = wanted.get("invoice_line")
        key = key.pk if isinstance(key, InvoiceLine) else key
        requested.append({**wanted, "invoice_line": key, "return_to_stock": goods.get(_int_or_none(key), False)})
    credit_note = credit_notes.create_credit_note(
        invoice,
        reason=(reason or "").strip() or _("Retour au comptoir (ticket de la facture %(number)s)") % {"number": invoice},
        lines=requested,
        settlement=settlement,
        user=user,
    )
    credit_note = credit_notes.issue_credit_note(
        credit_note,
        user=user,
        refund_method=refund_method if settlement == CreditNote.Settlement.REFUND else "",
        return_warehouse=register.warehouse,
    )
    returned = Ticket.objects.create(
        session=session, user=user, kind=Ticket.Kind.RETURN, credit_note=credit_note, created_at=timezone.now()
    )
    journal.log(
        Kind.RETURN,
        user=user,
        session=session,
        ticket=returned.pk,
        sale_ticket=ticket.pk,
        credit_note=credit_note.number,
        total=credit_note.total_incl_tax,
        settlement=settlement,
        refund_method=refund_method if settlement == CreditNote.Settlement.REFUND else "",
    )
    return returned


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- Vouchers sold at the till ----------------------------------------------------------------------

#: what pays a voucher at the till (a voucher is not paid with another voucher)
VOUCHER_SALE_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.CHEQUE)


def _voucher_amount(value) -> Decimal:
    """The amount typed, to the cent, positive, within its column — each refusal names the field."""
    label = _("Montant du bon d'achat")
    try:
        value = money.to_decimal(value)
    except (ValueError, TypeError) as exc:
        raise InvalidInput({"amount": [_("%(label)s : montant illisible.") % {"label": label}]}) from exc
    bounds.check(value, 14, 2, field="amount", label=label)  # 40 digits: « trop grand », not « illisible »
    value = money.amount(value)
    if value <= 0:
        raise InvalidInput({"amount": [_("%(label)s : saisissez un montant positif.") % {"label": label}]})
    return value


@transaction.atomic
def sell_voucher_at_till(*, session: TillSession, user, amount, method: str, customer=None) -> Ticket:
    """A multi-purpose voucher (bon d'achat) sold at the register: ``payments.sell_voucher``
    issues it and records the money received (a « voucher sale » payment: a liability, no VAT,
    not turnover — VOU-03), and a ``voucher_sale`` ticket ties that payment to the session and
    the user (POS-01), in the same transaction. The session's expected cash counts its cash; the
    Z shows it apart from the sales (``queries.ticket_totals``: ``vouchers_sold``). The customer
    is the channel's walk-in customer unless ``customer`` is given. Its receipt (code, amount,
    validity): ``sales.receipts.voucher_receipt``."""
    session = selling.locked_open_session(session, user=user)
    register = session.register
    selling.refuse_closed_day(register, timezone.localdate())
    amount = _voucher_amount(amount)
    if method not in VOUCHER_SALE_METHODS:
        raise InvalidInput({"method": [_("Mode de règlement du bon d'achat : espèces, carte ou chèque.")]})
    customer = customer or register.channel.default_customer
    if customer is None:
        raise InvalidInput({"customer": [_("Choisissez le client, ou définissez le client de passage du canal.")]})
    voucher = payments.sell_voucher(amount=amount, method=method, customer=customer, user=user)
    payment = voucher.payments.get(purpose=Payment.Purpose.VOUCHER_SALE)
    return Ticket.objects.create(
        session=session,
        user=user,
        kind=Ticket.Kind.VOUCHER_SALE,
        payment=payment,
        tendered=[{"method": method, "amount": format(amount, "f")}],
        created_at=timezone.now(),
    )


# --- Closures (Z) ----------------------------------------------------------------------------------


def _refuse_unfinished(register: Register, end: date):
    if end > timezone.localdate():
        raise InvalidInput({"period": [_("La période n'est pas terminée : elle se clôture à son dernier jour.")]})
    open_session = register.sessions.filter(status=TillSession.Status.OPEN, opened_at__date__lte=end).first()
    if open_session is not None:
        raise Conflict(
            _("Clôturez d'abord la session n° %(pk)s ouverte sur la caisse %(register)s.")
            % {"pk": open_session.pk, "register": register.code},
            field="session",
        )


def _refuse_closed_twice(register: Register, kind: str, start: date, label: str):
    if Closure.objects.filter(register=register, kind=kind, period_start=start).exists():
        raise Conflict(
            _("%(period)s est déjà clôturé(e) pour la caisse %(register)s : une clôture ne se refait pas.")
            % {"period": label, "register": register.code},
            field="period",
        )


def _seal_closure(register: Register, kind: str, start: date, end: date, totals: dict, *, user) -> Closure:
    """The closure row, its perpetual grand total carried from the register's previous closure of
    the same kind, sealed in the closure chain; the journal logs it."""
    previous = Closure.objects.filter(register=register, kind=kind).order_by("-sequence").first()
    period_total = totals["sales_total"] - totals["returns_total"]
    grand_total = (previous.grand_total if previous else ZERO) + period_total
    closure = Closure(
        register=register,
        kind=kind,
        period_start=start,
        period_end=end,
        ticket_count=totals["ticket_count"],
        sales_total=totals["sales_total"],
        returns_total=totals["returns_total"],
        period_total=period_total,
        grand_total=grand_total,
        totals={name: totals[name] for name in ("by_rate", "by_tender", "by_user", "vouchers_issued", "vouchers_sold")},
        closed_by=user,
        closed_at=timezone.now(),
    )
    chain.seal(closure)
    journal.log(
        Kind.CLOSURE,
        user=user,
        register=register,
        closure=closure.pk,
        period=kind,
        start=start,
        end=end,
        period_total=period_total,
        grand_total=grand_total,
    )
    return closure


def _locked_register(register: Register, user) -> Register:
    if user is None:
        raise InvalidInput({"user": [_("Une opération de caisse est faite par un utilisateur identifié.")]})
    return Register.objects.select_for_update().get(pk=register.pk)


@transaction.atomic
def close_day(*, register: Register, day: date, user) -> Closure:
    """The day's closure (Z) of a register: its tickets' totals per VAT rate, tender and user,
    sealed, with the perpetual grand total. Once closed, the day takes no more tickets; closing
    it again is refused."""
    register = _locked_register(register, user)
    _refuse_closed_twice(register, Closure.Kind.DAY, day, _("La journée du %(day)s") % {"day": day.strftime("%d/%m/%Y")})
    _refuse_unfinished(register, day)
    totals = queries.ticket_totals(queries.period_tickets(register, day, day))
    return _seal_closure(register, Closure.Kind.DAY, day, day, totals, user=user)


def _missing_closure(register: Register, kind: str, starts: set, start: date, end: date):
    closed = set(
        Closure.objects.filter(register=register, kind=kind, period_start__range=(start, end)).values_list(
            "period_start", flat=True
        )
    )
    missing = sorted(starts - closed)
    if missing:
        what = _("la journée du %(day)s") if kind == Closure.Kind.DAY else _("le mois de %(day)s")
        day = missing[0].strftime("%d/%m/%Y" if kind == Closure.Kind.DAY else "%m/%Y")
        raise Conflict(_("Clôturez d'abord %(what)s.") % {"what": what % {"day": day}}, field="period")


@transaction.atomic
def close_month(*, register: Register, year: int, month: int, user) -> Closure:
    """The month's closure: the sum of its day closures (every day with tickets must be closed)."""
    register = _locked_register(register, user)
    if not (1 <= int(month) <= 12 and 2000 <= int(year) <= 9999):
        raise InvalidInput({"period": [_("Mois ou année invalide.")]})
    start = date(int(year), int(month), 1)
    end = date(int(year), int(month), calendar.monthrange(int(year), int(month))[1])
    _refuse_closed_twice(register, Closure.Kind.MONTH, start, _("Le mois de %(month)s") % {"month": start.strftime("%m/%Y")})
    _refuse_unfinished(register, end)
    days = set(queries.period_tickets(register, start, end).dates("created_at", "day"))
    _missing_closure(register, Closure.Kind.DAY, days, start, end)
    closures = Closure.objects.filter(register=register, kind=Closure.Kind.DAY, period_start__range=(start, end))
    return _seal_closure(register, Closure.Kind.MONTH, start, end, queries.sum_closures(closures), user=user)


@transaction.atomic
def close_year(*, register: Register, year: int, user) -> Closure:
    """The year's closure: the sum of its month closures (every month with tickets must be closed)."""
    register = _locked_register(register, user)
    if not 2000 <= int(year) <= 9999:
        raise InvalidInput({"period": [_("Année invalide.")]})
    start, end = date(int(year), 1, 1), date(int(year), 12, 31)
    _refuse_closed_twice(register, Closure.Kind.YEAR, start, _("L'année %(year)s") % {"year": year})
    _refuse_unfinished(register, end)
    months = {day.replace(day=1) for day in queries.period_tickets(register, start, end).dates("created_at", "month")}
    _missing_closure(register, Closure.Kind.MONTH, months, start, end)
    closures = Closure.objects.filter(register=register, kind=Closure.Kind.MONTH, period_start__range=(start, end))
    return _seal_closure(register, Closure.Kind.YEAR, start, end, queries.sum_closures(closures), user=user)
