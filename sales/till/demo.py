"""The till in the demo (issue #20): the shop's register « Caisse boutique », through the till's
services only. Every counter sale of the two years is rung up in a session of it (POS-01): a
session on each day the shop sold, opened with a float, a bank deposit and the drawer counted
in the evening, the day's Z sealed, each month's and year's Z once the calendar has left it.
The last days in detail: a handful of tickets (card, cash with change, a voucher), a return,
one evening a small difference and its reason; today a session open by the sales user. The
shop's shelves are refilled from the warehouse at each month's start.

The days are events of the sales demo's calendar (``sales.demo.SalesYear.run``): their
invoices are numbered among the other documents in date order (NUM-01) and their tickets are
dated on their day, so that each day's closure finds them. Within a day, the till keeps its own
clock (opening at 8:30, the detailed days' tickets every 50 minutes from 10:00, closing at
19:00). The detailed days draw from their own random generator, with a fixed seed."""

import random
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal

from django.utils import timezone

from lmb.formats import money_fr
from stock import services as stock_services
from stock.models import ProductStockSetting, StockLevel

from ..models import CreditNote, InvoiceLine, PaymentMethod, Voucher
from ..services import counter, documents
from . import queries, services
from .models import CashMovement, Closure, Register, Ticket, TillSession

DAYS = 7  # the closed days before today
FLOAT = Decimal("150.00")
SHORT = Decimal("0.50")  # one evening the drawer is 50 centimes short
SHORT_REASON = "Erreur de rendu de monnaie sur un ticket payé en espèces"
SEED = 20


@contextmanager
def till_clock(day: date, hour: int, minute: int = 0, *, today: date):
    """The services run at ``day`` ``hour``:``minute`` (days before ``today`` only; today keeps the
    real clock). ``today`` is given: under the sales demo's clock ``localdate()`` is the event's day."""
    if day >= today:
        yield
        return
    # in UTC as ``timezone.now()`` gives it: the chains hash ``isoformat()``, read back in UTC
    moment = timezone.make_aware(datetime.combine(day, time(hour)) + timedelta(minutes=minute)).astimezone(UTC)
    outer = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = outer


def available_in(warehouse) -> dict:
    """{product id: on hand − reserved} in ``warehouse`` (what a demo basket can take)."""
    levels = StockLevel.objects.filter(warehouse=warehouse).values_list("product_id", "on_hand", "reserved")
    return {product_id: on_hand - reserved for product_id, on_hand, reserved in levels}


def _drawer(amount: Decimal) -> dict:
    """The notes and coins of ``amount``, largest first (how the cashier counts it)."""
    counted = {}
    for value in services.DENOMINATIONS:
        pieces = int(amount // value)
        if pieces:
            counted[format(value, "f")] = pieces
            amount -= value * pieces
    return counted


def _cash_tendered(total: Decimal) -> Decimal:
    """The note the customer hands over: the next 5, 10, 20 or 50 € above the total."""
    for note in (Decimal(5), Decimal(10), Decimal(20), Decimal(50)):
        if total < note * 4:
            return (total / note).to_integral_value(rounding=ROUND_CEILING) * note
    return (total / 50).to_integral_value(rounding=ROUND_CEILING) * 50


class TillDays:
    """The register and its days. Every counter sale of the demo is rung up in a session of the
    register (POS-01): ``sell_walk_in`` opens the day's session at its first ticket; the day ends
    (bank deposit, drawer counted, session closed, Z sealed) when the next day's first ticket
    comes, and a month's or a year's Z follows when the calendar has left it. ``schedule`` puts
    the detailed last days and today on the sales demo's calendar."""

    def __init__(self, *, calendar, counter_channel, warehouse, seller, manager, source):
        self.calendar, self.seller, self.manager = calendar, seller, manager
        self.source = source  # the warehouse that refills the shop
        self.rng = random.Random(SEED)
        self.register = Register.objects.filter(code="CAISSE1").first() or services.create_register(
            code="CAISSE1", name="Caisse boutique", channel=counter_channel, warehouse=warehouse, max_discount_percent=10
        )
        self.session = None  # the day's open session
        self.short = False  # the day's drawer is counted short (once, with its reason)
        self.voucher_code = None  # the voucher of the first day's return, spent the next day

    def clock(self, day: date, hour: int, minute: int = 0):
        return till_clock(day, hour, minute, today=self.calendar.today)

    def schedule(self):
        today = self.calendar.today
        days = [today - timedelta(days=ago) for ago in range(DAYS, 0, -1)]
        days = [day for day in days if day.weekday() < 6]  # closed on Sundays
        for index, day in enumerate(days):
            self.calendar.at(day, self.day, index, index == len(days) // 2)
        self.calendar.at(today, self.today)

    # --- Stock -----------------------------------------------------------------------------------

    def available(self) -> dict:
        return available_in(self.register.warehouse)

    def refill_shop(self, day: date):
        """The month's shuttle from the warehouse: each article the shop keeps (its min/max) and
        runs short of is brought back to its maximum, as far as the warehouse has it."""
        settings = ProductStockSetting.objects.filter(warehouse=self.register.warehouse, max_quantity__gt=0)
        settings = settings.select_related("product")
        shop, source = self.available(), available_in(self.source)
        for setting in sorted(settings, key=lambda setting: setting.product_id):
            have = shop.get(setting.product_id, 0)
            if have >= setting.min_quantity:
                continue
            quantity = min(setting.max_quantity - have, source.get(setting.product_id, 0))
            if quantity > 0 and setting.product.is_active:
                stock_services.transfer(
                    product=setting.product,
                    from_warehouse=self.source,
                    to_warehouse=self.register.warehouse,
                    quantity=quantity,
                    user=self.seller,
                )

    def basket(self) -> list[dict]:
        """One to three articles scanned, in stock in the register's warehouse."""
        levels = StockLevel.objects.filter(warehouse=self.register.warehouse).select_related("product", "product__vat_rate")
        stock = sorted(
            (level for level in levels if level.on_hand - level.reserved >= 1 and level.product.is_active),
            key=lambda level: level.product_id,
        )
        chosen = self.rng.sample(stock, min(len(stock), self.rng.choice([1, 1, 2, 3])))
        return [{"product": level.product, "quantity": 1} for level in chosen]

    # --- Sessions --------------------------------------------------------------------------------

    def session_of(self, day: date) -> TillSession:
        """The day's session: opened at 8:30 with the float at the day's first ticket, after the
        previous day has been closed (and its month and year, once left behind)."""
        if self.session is not None and self.session.opened_at.date() != day:
            # opened_at is in UTC: 8:30 in Paris is the same date
            self.end_day()
        if self.session is None:
            self.close_periods_before(day)
            with self.clock(day, 8, 30):
                self.session = services.open_session(register=self.register, user=self.seller, opening_float=FLOAT)
        return self.session

    def end_day(self):
        """The evening: cash beyond the float to the bank, the drawer counted, the session
        closed, the day's Z sealed."""
        session, day = self.session, timezone.localtime(self.session.opened_at).date()
        expected = queries.session_figures(session).expected_cash
        deposit = ((expected - FLOAT) // 10) * 10
        if deposit > 0:
            with self.clock(day, 18, 30):
                services.record_cash_movement(
                    session=session,
                    user=self.seller,
                    kind=CashMovement.Kind.BANK_DEPOSIT,
                    amount=deposit,
                    reason="Remise en banque",
                )
        expected = queries.session_figures(session).expected_cash
        counted = expected - SHORT if self.short and expected > SHORT else expected
        with self.clock(day, 19):
            services.close_session(
                session,
                user=self.seller,
                counted_cash=_drawer(counted),
                difference_reason=SHORT_REASON if counted != expected else "",
            )
        with self.clock(day, 19, 5):
            services.close_day(register=self.register, day=day, user=self.manager)
        self.session, self.short = None, False

    def close_periods_before(self, day: date):
        """The months (and years) the calendar has left, whose days are all closed: their Z."""
        last = Closure.objects.filter(register=self.register, kind=Closure.Kind.DAY).order_by("-period_start").first()
        if last is None:
            return
        month = last.period_start.replace(day=1)
        closures = self.register.closures
        if month < day.replace(day=1) and not closures.filter(kind=Closure.Kind.MONTH, period_start=month).exists():
            with self.clock(day, 8):
                services.close_month(register=self.register, year=month.year, month=month.month, user=self.manager)
        if month.year < day.year and not closures.filter(kind=Closure.Kind.YEAR, period_start__year=month.year).exists():
            with self.clock(day, 8, 1):
                services.close_year(register=self.register, year=month.year, user=self.manager)

    # --- Tickets ---------------------------------------------------------------------------------

    def sell_walk_in(self, day: date, *, lines, tenders, customer=None):
        """A sale of the sales demo's calendar (its basket and tenders drawn there), rung up in
        the day's session."""
        session = self.session_of(day)
        return counter.sell_at_counter(
            channel=self.register.channel,
            lines=lines,
            tenders=tenders,
            customer=customer,
            user=self.seller,
            confirm_excess=True,
            session=session,
        )

    def sell(self, session, tender: str):
        """A ticket: scanned articles paid by card, in cash (with change) or with the voucher."""
        lines = self.basket()
        if not lines:
            return None
        order = services.start_sale(session=session, user=self.seller)
        for line in lines:
            product = line["product"]
            documents.add_line(order, code=product.ean13 or product.reference, quantity=line["quantity"])
        order.refresh_from_db()
        total = order.total_incl_tax
        tenders = [{"method": PaymentMethod.CARD, "amount": total}]
        if tender == "cash":
            tenders = [{"method": PaymentMethod.CASH, "amount": _cash_tendered(total)}]
        elif tender == "voucher" and self.voucher_code:
            voucher = Voucher.objects.get(code=self.voucher_code)
            spent = min(voucher.balance, total)
            tenders = [{"method": PaymentMethod.VOUCHER, "amount": spent, "voucher_code": voucher.code}]
            if total > spent:
                tenders.append({"method": PaymentMethod.CARD, "amount": total - spent})
            self.voucher_code = None
        return counter.checkout_at_counter(order, tenders=tenders, user=self.seller, confirm_excess=True, session=session)

    def give_back(self, session, sale, *, as_voucher: bool):
        """An article of an earlier ticket of the day brought back: refunded in cash, or a voucher."""
        line = next(
            line
            for line in InvoiceLine.objects.filter(document=sale.invoice).order_by("position", "pk")
            if line.is_goods and line.delivery_line_id is not None
        )
        returned = services.return_at_counter(
            session=session,
            user=self.seller,
            ticket=sale.ticket,
            lines=[{"invoice_line": line.pk, "quantity": 1}],
            settlement=CreditNote.Settlement.VOUCHER if as_voucher else CreditNote.Settlement.REFUND,
            refund_method=PaymentMethod.CASH,
            reason="Article rapporté par le client (ne convient pas)",
        )
        if as_voucher:
            self.voucher_code = returned.credit_note.vouchers.get().code

    def day(self, day: date, index: int, short: bool):
        """One of the last days, in detail: tickets every 50 minutes from 10:00 (card, cash with
        change, the voucher), a return; ``short``: that evening the drawer is 50 centimes short.
        The day ends with the next one (``session_of``)."""
        session = self.session_of(day)
        tenders = ["cash", "card", "cash", "card", "voucher" if self.voucher_code else "card", "cash"]
        sales = []
        for rank, tender in enumerate(tenders[: self.rng.choice([4, 5, 6])] + ["cash"]):
            with self.clock(day, 10, 50 * rank):
                sale = self.sell(session, tender)
            if sale is not None:
                sales.append(sale)
        if sales:
            with self.clock(day, 17, 30):
                self.give_back(session, sales[0], as_voucher=index == 0)
        self.short = self.short or short

    def today(self, today: date):
        """Yesterday's day (and last month's) closed, today's session opened by the seller and
        its first two tickets (real clock)."""
        session = self.session_of(today)
        for tender in ("card", "cash"):  # the first customers: the till's home shows figures
            self.sell(session, tender)


def summary() -> str:
    """The demo's line for the till."""
    register = Register.objects.filter(code="CAISSE1").first()
    if register is None:
        return "aucune caisse"
    closures = register.closures.all()
    days = closures.filter(kind=Closure.Kind.DAY)
    sessions = register.sessions.all()
    tickets = Ticket.objects.filter(session__register=register)
    last = days.order_by("-sequence").first()
    return (
        f"caisse « {register.name} » ({register.code}) : {sessions.filter(status=TillSession.Status.CLOSED).count()} "
        f"sessions clôturées, {tickets.filter(kind=Ticket.Kind.SALE).count()} tickets de vente, "
        f"{tickets.filter(kind=Ticket.Kind.RETURN).count()} retours, {days.count()} clôtures journalières (Z), "
        f"{closures.filter(kind=Closure.Kind.MONTH).count()} mensuelle(s), grand total "
        f"{money_fr(last.grand_total) if last else money_fr(0)}, "
        f"{sessions.filter(status=TillSession.Status.OPEN).count()} session ouverte aujourd'hui"
    )


def seed_till(context):
    """The till's step: its days were made in the sales calendar; this says what they hold."""
    return summary()
