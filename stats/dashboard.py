"""The home dashboard's figures (issue #19): read-only, a fixed number of statements whatever the
size of the history (each function says how many), straight from the business tables through
their indexes (sales: invoices and credit notes by status and date, orders by date and status,
payments by date; stock: levels; dunning: the aged balance's SQL).

What counts as sales: issued invoices (not deposit invoices: a deposit is an advance, its sale is
the final invoice's) at their invoice date, less issued credit notes (on those invoices) at their
date, net of VAT (« HT ») and gross (« TTC »), in euros at each document's stored rate (CUR-02:
1 EUR = ``exchange_rate`` units). The same period last year is the same calendar days one year
earlier (29 February: the 28th). The SQL runs on PostgreSQL and on the embedded SQLite, on the
read replica when one is configured (``stats.queries.read_alias``; the overdue receivables are
dunning's statement, on the primary).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, Q, Sum

from catalog.models import Product
from dunning import queries as dunning_queries
from lmb import money
from sales import queries as sales_queries
from sales.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, Order, Payment, PaymentMethod
from stock.models import ProductStockSetting, StockLevel, Warehouse

from .queries import read_alias

ZERO = Decimal("0.00")
MONTHS_SHOWN = 12  # the bar chart: these months beside the same months a year earlier
CACHE_SECONDS = 6 * 3600
BEST_SELLERS = 5
UNDER_MINIMUM_SHOWN = 5


def _amount(value) -> Decimal:
    """An SQL sum as a Decimal of 2 places (SQLite answers floats or strings)."""
    if value is None:
        return ZERO
    return money.amount(value if isinstance(value, Decimal) else str(value))


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def one_year_before(day: date) -> date:
    """The same calendar day a year earlier; 29 February gives the 28th."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _months_back(day: date, months: int) -> date:
    """The first day of the month ``months`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _eur(amount: str, document: str) -> str:
    """SQL of the amount ``amount`` (an SQL column) in euros at the rate stored on the document
    aliased ``document``, rounded to the cent."""
    return (
        f"CASE WHEN {document}.currency = 'EUR' OR {document}.exchange_rate IS NULL OR {document}.exchange_rate = 0 "
        f"THEN {amount} ELSE ROUND({amount} / {document}.exchange_rate, 2) END"
    )


# --- Sales -------------------------------------------------------------------------------------


@dataclass
class DaySales:
    net: Decimal = ZERO
    gross: Decimal = ZERO
    invoices: int = 0


@dataclass(frozen=True)
class PeriodSales:
    """Sales of a period: net and gross in euros, invoices issued, orders taken, average basket."""

    start: date
    end: date
    net: Decimal
    gross: Decimal
    invoices: int
    orders: int

    @property
    def average_basket(self) -> Decimal | None:
        """Net sales per invoice; None without an invoice."""
        return money.amount(self.net / self.invoices) if self.invoices else None


@dataclass(frozen=True)
class Comparison:
    """A period beside the same period last year."""

    current: PeriodSales
    last_year: PeriodSales

    @property
    def change_percent(self) -> Decimal | None:
        """Net sales' change in %, one decimal; None when last year sold nothing."""
        if not self.last_year.net:
            return None
        return money.round_to((self.current.net - self.last_year.net) * 100 / abs(self.last_year.net), 1)


@dataclass(frozen=True)
class SalesOverview:
    today: Comparison
    month: Comparison
    days: list[tuple[date, Decimal, Decimal]]  # this month day by day: net, net on that day last year
    months: list[tuple[date, Decimal, Decimal]]  # the last 12 months: net, net of that month last year


def daily_sales(start: date, end: date) -> dict[date, DaySales]:
    """{day: net, gross, number of invoices} from ``start`` to ``end``: issued invoices less
    issued credit notes, in euros. One statement."""
    invoice, credit_note = Invoice._meta.db_table, CreditNote._meta.db_table
    sql = f"""
        SELECT day, SUM(net), SUM(gross), SUM(invoices) FROM (
            SELECT i.invoice_date AS day, {_eur("i.total_excl_tax", "i")} AS net, {_eur("i.total_incl_tax", "i")} AS gross,
                   1 AS invoices
            FROM {invoice} i
            WHERE i.status = 'issued' AND i.kind = 'invoice' AND i.invoice_date >= %(start)s AND i.invoice_date <= %(end)s
            UNION ALL
            SELECT c.credit_date, -({_eur("c.total_excl_tax", "c")}), -({_eur("c.total_incl_tax", "c")}), 0
            FROM {credit_note} c JOIN {invoice} ci ON ci.id = c.invoice_id
            WHERE c.status = 'issued' AND ci.kind = 'invoice' AND c.credit_date >= %(start)s AND c.credit_date <= %(end)s
        ) sales GROUP BY day"""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, {"start": start, "end": end})
        return {
            _as_date(day): DaySales(_amount(net), _amount(gross), int(invoices or 0))
            for day, net, gross, invoices in cursor.fetchall()
        }


def _chain_state() -> str:
    """The hashes of the last issued invoice and credit note: every issued document is chained
    (each hash covers the previous one), so a new one, whatever its date, changes this. One
    statement, on the chains' unique indexes."""
    invoice, credit_note = Invoice._meta.db_table, CreditNote._meta.db_table
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT content_hash FROM {invoice} WHERE chain_position IS NOT NULL ORDER BY chain_position DESC LIMIT 1), "
            f"(SELECT content_hash FROM {credit_note} WHERE chain_position IS NOT NULL ORDER BY chain_position DESC LIMIT 1)"
        )
        last_invoice, last_credit_note = cursor.fetchone()
    return f"{last_invoice or '-'}:{last_credit_note or '-'}"


def kept(name: str, compute, *args):
    """``compute(*args)`` kept in the cache until an invoice or a credit note is issued (then the
    chain's state changes, so does the key): adding up a big shop's two years of invoices takes a
    few hundred milliseconds, and the home page is opened far more often than a document is
    issued. One statement when kept (the chain's state), plus ``compute``'s otherwise."""
    key = ":".join(["stats", name, *(str(arg) for arg in args), _chain_state()])
    value = cache.get(key)
    if value is None:
        value = compute(*args)
        cache.set(key, value, CACHE_SECONDS)
    return value


def _period(days: dict[date, DaySales], start: date, end: date, orders: int) -> PeriodSales:
    chosen = [sales for day, sales in days.items() if start <= day <= end]
    return PeriodSales(
        start=start,
        end=end,
        net=sum((sales.net for sales in chosen), ZERO),
        gross=sum((sales.gross for sales in chosen), ZERO),
        invoices=sum(sales.invoices for sales in chosen),
        orders=orders,
    )


def sales_overview(today: date) -> SalesOverview:
    """Today and the month to date beside the same days last year, this month day by day and the
    last 12 months month by month (each beside last year's). Three statements at most: the
    daily sales of the last 24 months (kept in the cache, ``kept``) and the orders
    taken in the four periods."""
    month_start = today.replace(day=1)
    today_ly, month_start_ly = one_year_before(today), one_year_before(month_start)
    first = _months_back(today, 2 * MONTHS_SHOWN - 1)
    days = kept("daily-sales", daily_sales, first, today)
    taken = ~Q(status__in=[Order.Status.DRAFT, Order.Status.CANCELLED])
    orders = (
        Order.objects.using(read_alias())
        .filter(taken, order_date__gte=month_start_ly, order_date__lte=today)
        .aggregate(
            today=Count("pk", filter=Q(order_date=today)),
            month=Count("pk", filter=Q(order_date__gte=month_start)),
            today_ly=Count("pk", filter=Q(order_date=today_ly)),
            month_ly=Count("pk", filter=Q(order_date__gte=month_start_ly, order_date__lte=today_ly)),
        )
    )
    monthly = defaultdict(lambda: ZERO)
    for day, sales in days.items():
        monthly[day.replace(day=1)] += sales.net
    months = []
    for back in range(MONTHS_SHOWN - 1, -1, -1):
        month = _months_back(today, back)
        months.append((month, monthly[month], monthly[month.replace(year=month.year - 1)]))
    this_month = []
    day = month_start
    while day <= today:
        this_month.append((day, days.get(day, DaySales()).net, days.get(one_year_before(day), DaySales()).net))
        day += timedelta(days=1)
    return SalesOverview(
        today=Comparison(_period(days, today, today, orders["today"]), _period(days, today_ly, today_ly, orders["today_ly"])),
        month=Comparison(
            _period(days, month_start, today, orders["month"]),
            _period(days, month_start_ly, today_ly, orders["month_ly"]),
        ),
        days=this_month,
        months=months,
    )


@dataclass(frozen=True)
class BestSeller:
    product_id: int
    reference: str
    designation: str
    quantity: Decimal
    net: Decimal


def best_sellers(start: date, end: date, limit: int = BEST_SELLERS) -> list[BestSeller]:
    """The products that sold most (net sales in euros) from ``start`` to ``end``: invoice lines
    less credit note lines (returns), as the sales above. One statement."""
    tables = {
        "invoice": Invoice._meta.db_table,
        "invoice_line": InvoiceLine._meta.db_table,
        "credit_note": CreditNote._meta.db_table,
        "credit_line": CreditNoteLine._meta.db_table,
        "product": Product._meta.db_table,
    }
    sql = f"""
        SELECT p.id, p.reference, p.designation, SUM(s.quantity) AS quantity, SUM(s.net) AS net FROM (
            SELECT l.product_id, l.quantity, {_eur("l.net_amount", "i")} AS net
            FROM {tables["invoice_line"]} l JOIN {tables["invoice"]} i ON i.id = l.document_id
            WHERE i.status = 'issued' AND i.kind = 'invoice' AND i.invoice_date >= %(start)s AND i.invoice_date <= %(end)s
              AND l.kind = 'product' AND l.product_id IS NOT NULL
            UNION ALL
            SELECT l.product_id, -l.quantity, -({_eur("l.net_amount", "c")})
            FROM {tables["credit_line"]} l JOIN {tables["credit_note"]} c ON c.id = l.document_id
            WHERE c.status = 'issued' AND c.credit_date >= %(start)s AND c.credit_date <= %(end)s
              AND l.kind = 'product' AND l.product_id IS NOT NULL
        ) s JOIN {tables["product"]} p ON p.id = s.product_id
        GROUP BY p.id, p.reference, p.designation
        HAVING SUM(s.net) > 0
        ORDER BY net DESC, p.reference
        LIMIT %(limit)s"""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, {"start": start, "end": end, "limit": limit})
        return [
            BestSeller(product_id, reference, designation, money.quantity(str(quantity)), _amount(net))
            for product_id, reference, designation, quantity, net in cursor.fetchall()
        ]


# --- Orders, stock ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Shipping:
    to_ship: int  # confirmed orders, nothing shipped yet
    partly_shipped: int  # orders partly delivered: their rest is a backorder
    backorder_lines: int  # lines of open orders still to ship


def shipping() -> Shipping:
    """Orders waiting to leave the warehouse. Two statements."""
    counts = (
        Order.objects.using(read_alias())
        .filter(status__in=Order.OPEN_STATUSES)
        .aggregate(
            to_ship=Count("pk", filter=Q(status=Order.Status.CONFIRMED)),
            partly=Count("pk", filter=Q(status=Order.Status.PARTIALLY_DELIVERED)),
        )
    )
    return Shipping(counts["to_ship"], counts["partly"], sales_queries.backorders().order_by().count())


@dataclass(frozen=True)
class LevelUnderMinimum:
    product_id: int
    reference: str
    designation: str
    warehouse: str
    available: Decimal
    minimum: Decimal


@dataclass(frozen=True)
class UnderMinimum:
    count: int
    first: list[LevelUnderMinimum] = field(default_factory=list)  # the furthest under their minimum


def under_minimum(limit: int = UNDER_MINIMUM_SHOWN) -> UnderMinimum:
    """Stock levels whose available quantity (on hand − reserved) is under the product's minimum
    in that warehouse — the stock list's « Sous le minimum » filter. One statement."""
    tables = {
        "level": StockLevel._meta.db_table,
        "setting": ProductStockSetting._meta.db_table,
        "product": Product._meta.db_table,
        "warehouse": Warehouse._meta.db_table,
    }
    sql = f"""
        SELECT p.id, p.reference, p.designation, w.name, l.on_hand - l.reserved, s.min_quantity, COUNT(*) OVER ()
        FROM {tables["level"]} l
        JOIN {tables["setting"]} s ON s.product_id = l.product_id AND s.warehouse_id = l.warehouse_id
        JOIN {tables["product"]} p ON p.id = l.product_id
        JOIN {tables["warehouse"]} w ON w.id = l.warehouse_id
        WHERE s.min_quantity > 0 AND l.on_hand - l.reserved < s.min_quantity
        ORDER BY (l.on_hand - l.reserved) - s.min_quantity, p.reference
        LIMIT %(limit)s"""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, {"limit": limit})
        rows = cursor.fetchall()
    if not rows:
        return UnderMinimum(0)
    return UnderMinimum(
        count=rows[0][6],
        first=[
            LevelUnderMinimum(row[0], row[1], row[2], row[3], money.quantity(str(row[4])), money.quantity(str(row[5])))
            for row in rows
        ],
    )


# --- Money -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyIn:
    method: str
    label: str
    amount: Decimal
    count: int


def money_in(day: date) -> list[MoneyIn]:
    """Money received on ``day`` by payment method, in euros: settlements, deposits and vouchers
    sold; refunds paid back count negative. A voucher spent brings no money: left out. One
    statement."""
    rows = (
        Payment.objects.using(read_alias())
        .filter(payment_date=day, currency="EUR")
        .exclude(method=PaymentMethod.VOUCHER)
        .values("method")
        .annotate(
            received=Sum("amount", filter=~Q(purpose=Payment.Purpose.REFUND), default=ZERO),
            refunded=Sum("amount", filter=Q(purpose=Payment.Purpose.REFUND), default=ZERO),
            count=Count("pk"),
        )
        .order_by("method")
    )
    result = [
        MoneyIn(row["method"], PaymentMethod.label_of(row["method"]), _amount(row["received"] - row["refunded"]), row["count"])
        for row in rows
    ]
    return sorted(result, key=lambda line: (-line.amount, line.label))


def overdue(day: date) -> dunning_queries.OverdueSummary:
    """What customers owe past its due date (the aged balance's overdue buckets). One statement."""
    return dunning_queries.overdue_summary(as_of=day)
