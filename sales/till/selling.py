"""What a sale rung up in a till session adds to ``sales.services.checkout_at_counter`` (the one
write path of a counter sale): the session is open and the user's, the goods leave the
register's warehouse, the discounts are within the register's limit (or granted by a manager and
logged), the day is not closed yet, and the ticket is recorded in the same transaction."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from lmb.errors import Conflict, InvalidInput
from lmb.formats import decimal_fr

from ..models import Order, OrderLine
from . import journal
from .models import Closure, Register, Ticket, TillSession

DISCOUNT_PERMISSION = "sales.discount_beyond_limit"


def locked_open_session(session: TillSession, *, user) -> TillSession:
    """The session, locked until the transaction ends (a sale and the session's closing never
    cross), refused unless open; a till action always has a user."""
    if user is None:
        raise InvalidInput({"user": [_("Une opération de caisse est faite par un utilisateur identifié.")]})
    session = TillSession.objects.select_for_update().select_related("register__channel").get(pk=session.pk)
    if session.status != TillSession.Status.OPEN:
        raise Conflict(_("La session de caisse n° %(pk)s est clôturée.") % {"pk": session.pk}, field="session")
    return session


def refuse_closed_day(register: Register, day: date):
    """A register's closed day (or month, or year) takes no more tickets: its Z is sealed."""
    if Closure.objects.filter(register=register, period_start__lte=day, period_end__gte=day).exists():
        raise Conflict(
            _("La journée du %(day)s est clôturée pour la caisse %(register)s.")
            % {"day": day.strftime("%d/%m/%Y"), "register": register.code},
            field="session",
        )


@dataclass
class PreparedSale:
    """What ``prepare_order`` checked, for ``record_sale`` once the invoice is issued."""

    session: TillSession
    #: the discounts beyond the register's limit a manager grants: [(what, percent)]
    discounts_over: list = field(default_factory=list)


def prepare_order(order: Order, session: TillSession, *, user, lines=None) -> PreparedSale:
    """Before the order is confirmed: the session is open, the order is of the register's
    channel and leaves the register's warehouse, and its discounts are allowed to the user.
    ``lines``: the order's lines in position order, when the caller read them under its lock."""
    session = locked_open_session(session, user=user)
    register = session.register
    refuse_closed_day(register, timezone.localdate())
    if order.channel_id != register.channel_id:
        raise InvalidInput(
            {"channel": [_("La vente est d'un autre canal que celui de la caisse %(register)s.") % {"register": register.code}]}
        )
    if order.warehouse_id != register.warehouse_id:  # by id: the warehouse itself is not read for this
        Order.objects.filter(pk=order.pk).update(warehouse_id=register.warehouse_id)
        order.warehouse_id = register.warehouse_id
    return PreparedSale(session=session, discounts_over=check_discounts(order, register, user=user, lines=lines))


def check_discounts(order: Order, register: Register, *, user, lines=None) -> list:
    """A line or ticket discount above the register's ``max_discount_percent`` is refused, unless
    the user holds ``sales.discount_beyond_limit`` (``lines``: the order's, in position order, when
    the caller has them). Returns the discounts a manager grants beyond
    the limit [(what, percent)]: ``record_sale`` logs them (``discount_over_threshold``)."""
    limit = register.max_discount_percent
    over = []
    if lines is None:
        lines = order.lines.order_by("position", "pk")
    for index, line in enumerate(line for line in lines if line.kind != OrderLine.Kind.ECO):
        if line.discount_percent > limit:
            over.append((f"lines[{index}].discount_percent", line.description, line.discount_percent))
    if order.discount_percent > limit:
        over.append(("discount_percent", _("remise sur le ticket"), order.discount_percent))
    if over and not user.has_perm(DISCOUNT_PERMISSION):
        raise InvalidInput(
            {
                name: [
                    _("%(what)s : remise de %(percent)s %% au-delà de votre plafond (%(limit)s %%) ; demandez à un responsable.")
                    % {"what": what, "percent": decimal_fr(percent), "limit": decimal_fr(limit)}
                ]
                for name, what, percent in over
            }
        )
    return [(str(what), percent) for _name, what, percent in over]


def record_sale(prepared: PreparedSale, invoice, *, user, tenders, change: Decimal) -> Ticket:
    """The sale ticket of an issued invoice, in the transaction that issued it, and the journal's
    entry for a discount granted beyond the limit. Logged after the invoice is issued: the
    document chain is always locked before the event chain (no deadlock with a return)."""
    session = prepared.session
    ticket = Ticket.objects.create(
        session=session,
        user=user,
        kind=Ticket.Kind.SALE,
        invoice=invoice,
        tendered=[{"method": tender["method"], "amount": format(tender["amount"], "f")} for tender in tenders],
        change=change,
        created_at=timezone.now(),
    )
    if prepared.discounts_over:
        journal.log(
            journal.Kind.DISCOUNT_OVER_THRESHOLD,
            user=user,
            session=session,
            ticket=ticket.pk,
            invoice=invoice.number,
            limit=session.register.max_discount_percent,
            discounts=[{"what": what, "percent": percent} for what, percent in prepared.discounts_over],
        )
    return ticket
