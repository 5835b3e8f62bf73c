"""Read paths of the till: a session's figures (the till page's « day's takings » and the cash
the drawer should hold) and a period's totals for its closure — always from the tickets and
cash movements of that session or register, never from every channel's payments of the day."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from lmb.errors import InvalidInput

from .. import receipts
from ..models import Allocation, CreditNote, CreditNoteLine, Invoice, InvoiceLine, Order, Payment, PaymentMethod, Voucher
from .models import CashMovement, Ticket, TillSession

ZERO = Decimal("0.00")


def _by(rows, key: str, value: str = "total") -> dict:
    return {row[key]: row[value] or ZERO for row in rows}


@dataclass
class SessionFigures:
    opening_float: Decimal
    sales_count: int
    sales_total: Decimal
    returns_count: int
    returns_total: Decimal
    #: money kept per tender on the session's sales (cash after the change given)
    tenders: dict = field(default_factory=dict)
    #: money paid back per tender on the session's returns
    refunds: dict = field(default_factory=dict)
    #: vouchers issued for the session's returns (no money leaves the drawer)
    vouchers_issued: Decimal = ZERO
    #: vouchers sold in the session (VOU-03: money in, not turnover, no VAT): count, total, per tender
    vouchers_sold_count: int = 0
    vouchers_sold_total: Decimal = ZERO
    vouchers_sold: dict = field(default_factory=dict)
    #: per kind of cash movement, the amount (positive)
    cash_movements: dict = field(default_factory=dict)
    cash_movements_net: Decimal = ZERO
    expected_cash: Decimal = ZERO


def _sales_tenders(tickets) -> dict:
    """What the payments of the tickets' invoices settled, per method. A counter payment records
    only what the till keeps (``checkout_at_counter``): cash is net of the change handed back."""
    rows = (
        Allocation.objects.filter(invoice__tickets__in=tickets, payment__isnull=False)
        .values("payment__method")
        .annotate(total=Sum("amount"))
    )
    return _by(rows, "payment__method")


def _refunds(tickets) -> dict:
    rows = (
        Payment.objects.filter(purpose=Payment.Purpose.REFUND, credit_note__tickets__in=tickets)
        .values("method")
        .annotate(total=Sum("amount"))
    )
    return _by(rows, "method")


def _voucher_sales(tickets) -> tuple[int, Decimal, dict]:
    """The vouchers sold on the tickets (kind ``voucher_sale``): how many, their total and the
    money received per tender, from the voucher sales' payments (one query)."""
    rows = (
        Payment.objects.filter(purpose=Payment.Purpose.VOUCHER_SALE, tickets__in=tickets)
        .values("method")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("method")
    )
    by_tender, count, total = {}, 0, ZERO
    for row in rows:
        by_tender[row["method"]] = row["total"]
        count += row["count"]
        total += row["total"]
    return count, total, by_tender


def session_figures(session: TillSession) -> SessionFigures:
    """The figures of one session: sales and returns (count, total including tax), money per
    tender, refunds, vouchers sold, cash movements, and the cash expected in the drawer: the
    float + cash kept on sales + cash received for vouchers sold − cash refunded ± cash
    movements."""
    tickets = Ticket.objects.filter(session=session)
    sales = tickets.filter(kind=Ticket.Kind.SALE)
    returns = tickets.filter(kind=Ticket.Kind.RETURN)
    sold = Invoice.objects.filter(tickets__in=sales).aggregate(count=Count("pk"), total=Sum("total_incl_tax"))
    returned = CreditNote.objects.filter(tickets__in=returns).aggregate(count=Count("pk"), total=Sum("total_incl_tax"))
    tenders, refunds = _sales_tenders(sales), _refunds(returns)
    movements = dict.fromkeys(CashMovement.Kind.values, ZERO)
    net = ZERO
    for movement in CashMovement.objects.filter(session=session).only("kind", "amount"):
        movements[movement.kind] += movement.amount
        net += movement.signed_amount
    vouchers = Voucher.objects.filter(credit_note__tickets__in=returns).aggregate(total=Sum("amount"))["total"] or ZERO
    voucher_count, voucher_total, voucher_tenders = _voucher_sales(tickets.filter(kind=Ticket.Kind.VOUCHER_SALE))
    cash = PaymentMethod.CASH
    return SessionFigures(
        opening_float=session.opening_float,
        sales_count=sold["count"],
        sales_total=sold["total"] or ZERO,
        returns_count=returned["count"],
        returns_total=returned["total"] or ZERO,
        tenders=tenders,
        refunds=refunds,
        vouchers_issued=vouchers,
        vouchers_sold_count=voucher_count,
        vouchers_sold_total=voucher_total,
        vouchers_sold=voucher_tenders,
        cash_movements=movements,
        cash_movements_net=net,
        expected_cash=session.opening_float
        + tenders.get(cash, ZERO)
        + voucher_tenders.get(cash, ZERO)
        - refunds.get(cash, ZERO)
        + net,
    )


# --- Period totals (closures) ------------------------------------------------------------------


def period_tickets(register, start: date, end: date):
    """The register's tickets made between two days (local dates, both included): a range of
    instants, so that the index on ``created_at`` serves it."""
    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    return Ticket.objects.filter(session__register=register, created_at__gte=since, created_at__lt=until)


def _add_breakdown(by_rate: dict, breakdown: list, sign: int):
    for group in breakdown:
        key = group["rate"]
        totals = by_rate.setdefault(key, {"rate": key, "net": ZERO, "vat": ZERO, "gross": ZERO})
        totals["net"] += sign * Decimal(group["base"])
        totals["vat"] += sign * Decimal(group["vat"])
        totals["gross"] += sign * Decimal(group["gross"])


def ticket_totals(tickets) -> dict:
    """What a set of tickets adds up to: counts, sales and returns including tax, the VAT
    breakdown per rate (net, VAT, gross: sales minus returns), money per tender (kept on sales
    minus refunded on returns), vouchers issued for returns, and per user — and, apart, the
    vouchers sold (``vouchers_sold``: count, total, per tender): money received that is neither
    turnover nor taxed (VOU-03), so it is in no VAT total, no sales total and no grand total."""
    voucher_sales = _voucher_sales(tickets.filter(kind=Ticket.Kind.VOUCHER_SALE))
    tickets = list(tickets.exclude(kind=Ticket.Kind.VOUCHER_SALE).select_related("invoice", "credit_note", "user"))
    by_rate: dict = {}
    by_user: dict = defaultdict(lambda: {"name": "", "tickets": 0, "total": ZERO})
    sales_total = returns_total = ZERO
    for ticket in tickets:
        document, sign = (ticket.invoice, 1) if ticket.kind == Ticket.Kind.SALE else (ticket.credit_note, -1)
        _add_breakdown(by_rate, document.vat_breakdown, sign)
        if sign > 0:
            sales_total += document.total_incl_tax
        else:
            returns_total += document.total_incl_tax
        user = by_user[str(ticket.user_id)]
        user["name"] = ticket.user.get_username()
        user["tickets"] += 1
        user["total"] += sign * document.total_incl_tax
    ids = [ticket.pk for ticket in tickets]
    sales = Ticket.objects.filter(pk__in=ids, kind=Ticket.Kind.SALE)
    returns = Ticket.objects.filter(pk__in=ids, kind=Ticket.Kind.RETURN)
    by_tender = defaultdict(lambda: ZERO, _sales_tenders(sales))
    for method, amount in _refunds(returns).items():
        by_tender[method] -= amount
    vouchers = Voucher.objects.filter(credit_note__tickets__in=returns).aggregate(total=Sum("amount"))["total"] or ZERO
    return {
        "ticket_count": len(tickets),
        "sales_total": sales_total,
        "returns_total": returns_total,
        "by_rate": [by_rate[key] for key in sorted(by_rate, key=Decimal)],
        "by_tender": dict(sorted(by_tender.items())),
        "vouchers_issued": vouchers,
        "vouchers_sold": _vouchers_sold(*voucher_sales),
        "by_user": dict(sorted(by_user.items())),
    }


def _vouchers_sold(count: int, total: Decimal, by_tender: dict) -> dict:
    return {"count": count, "total": total, "by_tender": dict(sorted(by_tender.items()))}


def sum_closures(closures) -> dict:
    """A month's (or year's) totals: the sum of its day (or month) closures' totals."""
    by_rate: dict = {}
    by_tender: dict = defaultdict(lambda: ZERO)
    by_user: dict = defaultdict(lambda: {"name": "", "tickets": 0, "total": ZERO})
    result = {"ticket_count": 0, "sales_total": ZERO, "returns_total": ZERO, "vouchers_issued": ZERO}
    sold_count, sold_total, sold_by_tender = 0, ZERO, defaultdict(lambda: ZERO)
    for closure in closures:
        result["ticket_count"] += closure.ticket_count
        result["sales_total"] += closure.sales_total
        result["returns_total"] += closure.returns_total
        result["vouchers_issued"] += Decimal(closure.totals.get("vouchers_issued", "0"))
        sold = closure.totals.get("vouchers_sold") or {}  # closures sealed before vouchers were sold at the till have none
        sold_count += sold.get("count", 0)
        sold_total += Decimal(sold.get("total", "0"))
        for method, amount in sold.get("by_tender", {}).items():
            sold_by_tender[method] += Decimal(amount)
        for group in closure.totals.get("by_rate", []):
            totals = by_rate.setdefault(group["rate"], {"rate": group["rate"], "net": ZERO, "vat": ZERO, "gross": ZERO})
            for name in ("net", "vat", "gross"):
                totals[name] += Decimal(group[name])
        for method, amount in closure.totals.get("by_tender", {}).items():
            by_tender[method] += Decimal(amount)
        for user_id, figures in closure.totals.get("by_user", {}).items():
            user = by_user[user_id]
            user["name"] = figures["name"]
            user["tickets"] += figures["tickets"]
            user["total"] += Decimal(figures["total"])
    result["by_rate"] = [by_rate[key] for key in sorted(by_rate, key=Decimal)]
    result["by_tender"] = dict(sorted(by_tender.items()))
    result["by_user"] = dict(sorted(by_user.items()))
    result["vouchers_sold"] = _vouchers_sold(sold_count, sold_total, sold_by_tender)
    return result


def open_session(register) -> TillSession | None:
    """The register's open session, if any (one at most: a partial unique constraint)."""
    return TillSession.objects.filter(register=register, status=TillSession.Status.OPEN).select_related("register").first()


def session_tickets(session: TillSession):
    """The session's tickets, newest first, with their documents (the till page's list)."""
    return (
        Ticket.objects.filter(session=session)
        .select_related("invoice", "credit_note", "payment__voucher", "user")
        .order_by("-created_at", "-pk")
    )


def current_sale(session: TillSession, user) -> Order | None:
    """The ticket ``user`` is ringing up at the session's register: the newest draft order of the
    register's channel and warehouse that ``user`` started since the session opened."""
    register = session.register
    return (
        Order.objects.filter(
            status=Order.Status.DRAFT,
            channel_id=register.channel_id,
            warehouse_id=register.warehouse_id,
            created_by=user,
            created_at__gte=session.opened_at,
        )
        .select_related("customer", "channel")
        .order_by("-pk")
        .first()
    )


def returnable_lines(invoice: Invoice) -> list:
    """The lines of a sale that can still come back: each invoice line (eco-participation lines
    follow their article) with ``returned`` (on issued credit notes) and ``returnable`` set."""
    returned = dict(
        CreditNoteLine.objects.filter(invoice_line__document=invoice, document__status=CreditNote.Status.ISSUED)
        .values("invoice_line")
        .annotate(total=Sum("quantity"))
        .values_list("invoice_line", "total")
    )
    lines = list(InvoiceLine.objects.filter(document=invoice, parent=None).order_by("position", "pk"))
    for line in lines:
        line.returned = returned.get(line.pk) or Decimal("0")
        line.returnable = max(line.quantity - line.returned, Decimal("0"))
    return lines


def ticket_receipt_file(ticket: Ticket, *, width_mm: int, output: str, duplicate: int | None = None) -> receipts.ReceiptFile:
    """The ticket's receipt for the roll (``receipts.OUTPUTS``), with the change recorded on the
    ticket; ``duplicate`` prints the N-th duplicate (« DUPLICATA n° N ») once ``reprint_ticket``
    counted it — reading a receipt never counts a reprint. The sale screen's print buttons and
    the API's ``receipt`` action serve this one file."""
    if duplicate is not None and not 1 <= duplicate <= ticket.reprints:
        raise InvalidInput(
            {
                "duplicate": [
                    _("Le duplicata n° %(number)s n'a pas été demandé : réimprimez d'abord le ticket (%(reprints)s à ce jour).")
                    % {"number": duplicate, "reprints": ticket.reprints}
                ]
            }
        )
    suffix = f"-duplicata-{duplicate}" if duplicate else ""
    return receipts.receipt_file(
        ticket_receipt(ticket, duplicate), width_mm=width_mm, output=output, name=f"ticket-{ticket.number}{suffix}"
    )


def ticket_receipt(ticket: Ticket, duplicate: int | None = None) -> receipts.Receipt:
    """The receipt of a sale or return (its document), or of a voucher sold (no document)."""
    if ticket.kind == Ticket.Kind.VOUCHER_SALE:
        return receipts.voucher_receipt(
            ticket.payment.voucher,
            ticket.payment,
            issued_at=ticket.created_at,
            channel=ticket.session.register.channel,
            duplicate_number=duplicate,
        )
    return receipts.receipt_of(ticket.document, change=ticket.change, duplicate_number=duplicate)
