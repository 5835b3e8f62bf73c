"""Receivables and the aged balance, AS OF any date, in SQL aggregates (one statement each).

What a customer owed on a given day is rebuilt from what existed that day: invoices (and
deposit invoices) dated by then, allocations of payments and credit notes dated by then (an
allocation counts from the later of the day it was made and its payment's or credit note's
date), and the customer's credit by then — settlements not yet allocated and credit notes kept
on account, less refunds outside a credit note. A past date shows the picture of that day, not
today's.

Each invoice's installments (PAY-07) take what paid the invoice in due-date order: the oldest
installment is settled first. Amounts are in the invoice's currency and in euros, converted at
the invoice's stored rate (CUR-02: 1 EUR = ``exchange_rate`` units).

The SQL is plain enough for SQLite too (no date arithmetic in SQL: the aged buckets are bounded
by dates computed here).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from crm.models import Address, ThirdParty
from lmb import money
from sales.models import Allocation, CreditNote, Installment, Invoice, Payment, Voucher

from .models import InvoiceDispute

ZERO = Decimal("0.00")
BUCKETS = ("not_due", "late_1_30", "late_31_60", "late_61_90", "late_over_90")
SORTS = {  # SQL of the aged balance's ORDER BY; « -sort » is the exact reverse order
    "days_late": "pc.oldest_due_date IS NULL, pc.oldest_due_date ASC, balance DESC, pc.customer_id",
    "-days_late": "pc.oldest_due_date IS NOT NULL, pc.oldest_due_date DESC, balance ASC, pc.customer_id DESC",
    "balance": "balance DESC, pc.customer_id",
    "-balance": "balance ASC, pc.customer_id DESC",
    "name": "tp.name ASC, pc.customer_id",
    "-name": "tp.name DESC, pc.customer_id DESC",
}
TOTALLED = ("not_due", "late_1_30", "late_31_60", "late_61_90", "late_over_90", "total", "credit", "balance")


@dataclass(frozen=True)
class Receivable:
    """One open installment as of a date."""

    installment_id: int
    invoice_id: int
    invoice_number: str
    invoice_kind: str
    invoice_date: date
    customer_id: int
    customer_category: str
    channel_id: int
    due_date: date
    currency: str
    amount: Decimal  # the installment, in the invoice's currency
    amount_due: Decimal  # what is left of it, in the invoice's currency
    amount_due_eur: Decimal
    days_late: int
    disputed: bool  # an open dispute (DUN-03)
    pending_credit_note: bool  # a draft credit note on the invoice (DUN-03: not chased meanwhile)

    @property
    def is_overdue(self) -> bool:
        return self.days_late > 0


@dataclass(frozen=True)
class AgedBalance:
    """A customer's open items by days late, in euros, as of a date."""

    customer_id: int
    name: str
    customer_category: str
    not_due: Decimal
    late_1_30: Decimal
    late_31_60: Decimal
    late_61_90: Decimal
    late_over_90: Decimal
    total: Decimal  # every open item
    credit: Decimal  # unallocated payments and credit notes on account
    balance: Decimal  # total − credit
    oldest_due_date: date | None  # of the oldest overdue item
    days_late: int  # of the oldest overdue item (0: nothing late)


@dataclass(frozen=True)
class AgedBalancePage:
    """One page of the aged balance with the count and totals of the whole filtered report."""

    rows: list[AgedBalance]
    count: int  # customers in the whole report
    totals: dict[str, Decimal]  # per column of ``TOTALLED``, over the whole report


def _cutoff(as_of: date) -> datetime:
    """The first instant after ``as_of`` in the company's time zone: what was recorded before it
    existed on that day."""
    return datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())


def _tables() -> dict:
    return {
        "installment": Installment._meta.db_table,
        "invoice": Invoice._meta.db_table,
        "allocation": Allocation._meta.db_table,
        "payment": Payment._meta.db_table,
        "credit_note": CreditNote._meta.db_table,
        "voucher": Voucher._meta.db_table,
        "dispute": InvoiceDispute._meta.db_table,
        "customer": ThirdParty._meta.db_table,
        "address": Address._meta.db_table,
    }


def _in(name: str, values, params: dict) -> str:
    """``(%(name0)s, %(name1)s…)`` for an SQL ``IN``, its values put in ``params`` (portable: no
    array parameter)."""
    values = list(values)
    params.update({f"{name}{index}": value for index, value in enumerate(values)})
    return "(" + ", ".join(f"%({name}{index})s" for index in range(len(values))) + ")"


def _filters(*, customers=None, category="", channel=None, country="", sales_rep=None, alias_invoice="v", alias_customer="tp"):
    """SQL conditions and parameters for the filters of both reports."""
    conditions, params = [], {}
    if sales_rep is not None:
        conditions.append(f"{alias_customer}.sales_rep_id = %(sales_rep)s")
        params["sales_rep"] = getattr(sales_rep, "pk", sales_rep)
    if customers is not None:
        ids = [getattr(customer, "pk", customer) for customer in customers]
        conditions.append(f"{alias_invoice}.customer_id IN {_in('customer', ids, params)}" if ids else "1 = 0")
    if category:
        categories = ["business", "reseller"] if category == "business" else [category]
        conditions.append(f"{alias_customer}.customer_category IN {_in('category', categories, params)}")
    if channel is not None:
        conditions.append(f"{alias_invoice}.channel_id = %(channel)s")
        params["channel"] = getattr(channel, "pk", channel)
    if country:
        conditions.append(
            "EXISTS (SELECT 1 FROM {address} ad WHERE ad.third_party_id = "
            + alias_customer
            + ".id AND ad.kind = 'billing' AND ad.is_default AND ad.country = %(country)s)"
        )
        params["country"] = country
    return conditions, params


# The open installments as of %(as_of)s: ``open_items`` (installment, invoice, customer, amounts).
_OPEN_ITEMS = """
paid AS (
    SELECT a.invoice_id, SUM(a.amount) AS paid
    FROM {allocation} a
    LEFT JOIN {payment} p ON p.id = a.payment_id
    LEFT JOIN {credit_note} c ON c.id = a.credit_note_id
    WHERE a.allocated_at < %(cutoff)s AND COALESCE(p.payment_date, c.credit_date) <= %(as_of)s
    GROUP BY a.invoice_id
),
items AS (
    SELECT i.id AS installment_id, i.invoice_id, i.due_date, i.amount,
           v.number, v.kind, v.invoice_date, v.customer_id, tp.customer_category, v.channel_id, v.currency, v.exchange_rate,
           SUM(i.amount) OVER (PARTITION BY i.invoice_id ORDER BY i.due_date, i.id) - COALESCE(paid.paid, 0) AS left_through
    FROM {installment} i
    JOIN {invoice} v ON v.id = i.invoice_id
    JOIN {customer} tp ON tp.id = v.customer_id
    LEFT JOIN paid ON paid.invoice_id = i.invoice_id
    WHERE v.status = 'issued' AND v.invoice_date <= %(as_of)s {where}
      -- An invoice paid in full by then has no open installment (its installments add up to its
      -- amount due, checked when it is issued): left out before the window sorts the rest.
      AND COALESCE(paid.paid, 0) < v.amount_due
),
open_items AS (
    SELECT items.*,
           CASE WHEN left_through < amount THEN left_through ELSE amount END AS amount_due
    FROM items WHERE left_through > 0
),
open_eur AS (
    SELECT open_items.*,
           CASE WHEN currency = 'EUR' OR exchange_rate IS NULL OR exchange_rate = 0 THEN amount_due
                ELSE ROUND(amount_due / exchange_rate, 2) END AS amount_due_eur
    FROM open_items
)
"""

# Each customer's credit as of %(as_of)s.
_CREDIT = """
allocated_by_payment AS (
    SELECT a.payment_id, SUM(a.amount) AS amount FROM {allocation} a
    WHERE a.payment_id IS NOT NULL AND a.allocated_at < %(cutoff)s GROUP BY a.payment_id
),
used_by_note AS (
    SELECT note_id, SUM(amount) AS amount FROM (
        SELECT a.credit_note_id AS note_id, a.amount FROM {allocation} a
        WHERE a.credit_note_id IS NOT NULL AND a.allocated_at < %(cutoff)s
        UNION ALL
        SELECT r.credit_note_id, r.amount FROM {payment} r
        WHERE r.credit_note_id IS NOT NULL AND r.purpose = 'refund' AND r.payment_date <= %(as_of)s
        UNION ALL
        SELECT b.credit_note_id, b.amount FROM {voucher} b
        WHERE b.credit_note_id IS NOT NULL AND b.created_at < %(cutoff)s
    ) used GROUP BY note_id
),
credit AS (
    SELECT customer_id, SUM(amount) AS credit FROM (
        SELECT p.customer_id, p.amount - COALESCE(ap.amount, 0) AS amount
        FROM {payment} p LEFT JOIN allocated_by_payment ap ON ap.payment_id = p.id
        WHERE p.purpose = 'settlement' AND p.payment_date <= %(as_of)s
        UNION ALL
        SELECT c.customer_id,
               CASE WHEN c.currency = 'EUR' OR c.exchange_rate IS NULL OR c.exchange_rate = 0
                    THEN c.total_incl_tax - COALESCE(u.amount, 0)
                    ELSE ROUND((c.total_incl_tax - COALESCE(u.amount, 0)) / c.exchange_rate, 2) END
        FROM {credit_note} c LEFT JOIN used_by_note u ON u.note_id = c.id
        WHERE c.status = 'issued' AND c.settlement = 'balance' AND c.credit_date <= %(as_of)s
        UNION ALL
        SELECT r.customer_id, -r.amount FROM {payment} r
        WHERE r.purpose = 'refund' AND r.credit_note_id IS NULL AND r.payment_date <= %(as_of)s
    ) sources GROUP BY customer_id
)
"""


def _amount(value) -> Decimal:
    if value is None:
        return ZERO
    return money.amount(value if isinstance(value, Decimal) else str(value))  # SQLite answers REAL


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def receivables(
    *,
    as_of: date,
    customers=None,
    category: str = "",
    channel=None,
    country: str = "",
    sales_rep=None,
    overdue_only: bool = False,
) -> list[Receivable]:
    """Every open installment (invoices and deposit invoices) as of ``as_of``, oldest due date
    first, with what is left of it and its days late (0 until the day after its due date). One
    statement. ``customers``: ids or third parties; ``category``: a customer type (business
    includes resellers); ``channel``: the invoice's; ``country``: the customer's billing country;
    ``sales_rep``: the user who follows the customer."""
    conditions, params = _filters(customers=customers, category=category, channel=channel, country=country, sales_rep=sales_rep)
    if overdue_only:
        conditions.append("i.due_date < %(as_of)s")
    where = "".join(f" AND {condition}" for condition in conditions)
    tables = _tables()
    sql = (
        "WITH "
        + _OPEN_ITEMS.format(where=where.format(**tables), **tables)
        + """
        SELECT o.installment_id, o.invoice_id, o.number, o.kind, o.invoice_date, o.customer_id, o.customer_category, o.channel_id,
               o.due_date, o.currency, o.amount, o.amount_due, o.amount_due_eur,
               EXISTS (SELECT 1 FROM {dispute} d WHERE d.invoice_id = o.invoice_id AND d.resolved_on IS NULL),
               EXISTS (SELECT 1 FROM {credit_note} c WHERE c.invoice_id = o.invoice_id AND c.status = 'draft')
        FROM open_eur o
        ORDER BY o.due_date, o.invoice_id, o.installment_id""".format(**tables)
    )
    params.update(as_of=as_of, cutoff=_cutoff(as_of))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        due_date = _as_date(row[8])
        result.append(
            Receivable(
                installment_id=row[0],
                invoice_id=row[1],
                invoice_number=row[2],
                invoice_kind=row[3],
                invoice_date=_as_date(row[4]),
                customer_id=row[5],
                customer_category=row[6],
                channel_id=row[7],
                due_date=due_date,
                currency=row[9],
                amount=_amount(row[10]),
                amount_due=_amount(row[11]),
                amount_due_eur=_amount(row[12]),
                days_late=max((as_of - due_date).days, 0),
                disputed=bool(row[13]),
                pending_credit_note=bool(row[14]),
            )
        )
    return result


def customer_credits(*, as_of: date, customers) -> dict[int, Decimal]:
    """{customer id: credit as of ``as_of``} (unallocated settlements and credit notes on account,
    less refunds outside a credit note), for the given customers (None: every customer with a
    credit or a debt on account). One statement."""
    params = {"as_of": as_of, "cutoff": _cutoff(as_of)}
    sql = "WITH " + _CREDIT.format(**_tables()) + " SELECT customer_id, credit FROM credit"
    if customers is not None:
        ids = tuple(getattr(customer, "pk", customer) for customer in customers)
        if not ids:
            return {}
        sql += f" WHERE customer_id IN {_in('id', ids, params)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {customer_id: _amount(credit) for customer_id, credit in cursor.fetchall()}


def _aged_balance_sql(*, as_of: date, sort: str, with_totals: bool, **filters) -> tuple[str, dict]:
    """The aged balance's statement (without LIMIT); ``with_totals`` adds the count and the totals
    of the whole filtered report to each row (window aggregates, computed before any LIMIT)."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    conditions, params = _filters(**filters)
    where = "".join(f" AND {condition}" for condition in conditions)
    tables = _tables()
    totals = ""
    if with_totals:
        totals = ", COUNT(*) OVER ()" + "".join(
            f", SUM({column}) OVER ()"
            for column in (
                "pc.not_due",
                "pc.late_1_30",
                "pc.late_31_60",
                "pc.late_61_90",
                "pc.late_over_90",
                "pc.total",
                "COALESCE(cr.credit, 0)",
                "pc.total - COALESCE(cr.credit, 0)",
            )
        )
    sql = (
        "WITH "
        + _OPEN_ITEMS.format(where=where.format(**tables), **tables)
        + ", "
        + _CREDIT.format(**tables)
        + """,
        per_customer AS (
            SELECT customer_id,
                SUM(CASE WHEN due_date >= %(as_of)s THEN amount_due_eur ELSE 0 END) AS not_due,
                SUM(CASE WHEN due_date < %(as_of)s AND due_date >= %(d30)s THEN amount_due_eur ELSE 0 END) AS late_1_30,
                SUM(CASE WHEN due_date < %(d30)s AND due_date >= %(d60)s THEN amount_due_eur ELSE 0 END) AS late_31_60,
                SUM(CASE WHEN due_date < %(d60)s AND due_date >= %(d90)s THEN amount_due_eur ELSE 0 END) AS late_61_90,
                SUM(CASE WHEN due_date < %(d90)s THEN amount_due_eur ELSE 0 END) AS late_over_90,
                SUM(amount_due_eur) AS total,
                MIN(CASE WHEN due_date < %(as_of)s THEN due_date END) AS oldest_due_date
            FROM open_eur WHERE amount_due_eur > 0 GROUP BY customer_id
        )
        SELECT pc.customer_id, tp.name, tp.customer_category, pc.not_due, pc.late_1_30, pc.late_31_60, pc.late_61_90,
               pc.late_over_90, pc.total, COALESCE(cr.credit, 0) AS credit, pc.total - COALESCE(cr.credit, 0) AS balance,
               pc.oldest_due_date{totals}
        FROM per_customer pc
        JOIN {customer} tp ON tp.id = pc.customer_id
        LEFT JOIN credit cr ON cr.customer_id = pc.customer_id
        ORDER BY """.format(totals=totals, **tables)
        + SORTS[sort]
    )
    params.update(
        as_of=as_of,
        cutoff=_cutoff(as_of),
        d30=as_of - timedelta(days=30),
        d60=as_of - timedelta(days=60),
        d90=as_of - timedelta(days=90),
    )
    return sql, params


def _aged_rows(rows, as_of: date) -> list[AgedBalance]:
    result = []
    for row in rows:
        oldest = _as_date(row[11])
        result.append(
            AgedBalance(
                customer_id=row[0],
                name=row[1],
                customer_category=row[2],
                **{bucket: _amount(value) for bucket, value in zip(BUCKETS, row[3:8], strict=True)},
                total=_amount(row[8]),
                credit=_amount(row[9]),
                balance=_amount(row[10]),
                oldest_due_date=oldest,
                days_late=(as_of - oldest).days if oldest else 0,
            )
        )
    return result


@dataclass(frozen=True)
class OverdueSummary:
    """What is late as of a date, in euros, for the home dashboard: the total, per bucket of the
    aged balance, and how many customers and installments it concerns."""

    total: Decimal
    late_1_30: Decimal
    late_31_60: Decimal
    late_61_90: Decimal
    late_over_90: Decimal
    customers: int
    installments: int


def overdue_summary(*, as_of: date) -> OverdueSummary:
    """The overdue part of the aged balance as of ``as_of`` (the same open items as
    ``aged_balance``: installments due before ``as_of``, in euros, items worth nothing left
    out), summed over every customer. One statement whatever the number of customers."""
    tables = _tables()
    sql = (
        "WITH "
        + _OPEN_ITEMS.format(where="", **tables)
        + """
        SELECT COALESCE(SUM(amount_due_eur), 0),
               COALESCE(SUM(CASE WHEN due_date >= %(d30)s THEN amount_due_eur ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN due_date < %(d30)s AND due_date >= %(d60)s THEN amount_due_eur ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN due_date < %(d60)s AND due_date >= %(d90)s THEN amount_due_eur ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN due_date < %(d90)s THEN amount_due_eur ELSE 0 END), 0),
               COUNT(DISTINCT customer_id), COUNT(*)
        FROM open_eur WHERE amount_due_eur > 0 AND due_date < %(as_of)s"""
    )
    params = {
        "as_of": as_of,
        "cutoff": _cutoff(as_of),
        "d30": as_of - timedelta(days=30),
        "d60": as_of - timedelta(days=60),
        "d90": as_of - timedelta(days=90),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return OverdueSummary(
        total=_amount(row[0]),
        late_1_30=_amount(row[1]),
        late_31_60=_amount(row[2]),
        late_61_90=_amount(row[3]),
        late_over_90=_amount(row[4]),
        customers=row[5],
        installments=row[6],
    )


def aged_balance(
    *,
    as_of: date,
    customers=None,
    category: str = "",
    channel=None,
    country: str = "",
    sales_rep=None,
    sort: str = "days_late",
    limit: int | None = None,
    offset: int = 0,
) -> list[AgedBalance]:
    """The aged balance as of ``as_of``: per customer with open items, the euros not yet due,
    1–30, 31–60, 61–90 and over 90 days late, their credit and their balance; sorted by the days
    late of their oldest overdue item (``sort="days_late"``, the default), by balance or by name
    (``"-…"``: the reverse). An item worth nothing in euros (a remainder of a cent in a currency far
    below the euro, CUR-02) is left out: a customer with nothing else due has no row, and it never
    gives days late. One statement whatever the number of customers (filters as ``receivables``)."""
    sql, params = _aged_balance_sql(
        as_of=as_of,
        sort=sort,
        with_totals=False,
        customers=customers,
        category=category,
        channel=channel,
        country=country,
        sales_rep=sales_rep,
    )
    if limit is not None:
        sql += " LIMIT %(limit)s OFFSET %(offset)s"
        params.update(limit=limit, offset=offset)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _aged_rows(cursor.fetchall(), as_of)


def aged_balance_page(*, as_of: date, page_size: int, page: int = 1, sort: str = "days_late", **filters) -> AgedBalancePage:
    """One page of the aged balance (``page`` from 1; beyond the last, the last) with the count and
    the totals of the whole filtered report, in one statement (two when the page asked is beyond
    the last): the screen never reads every customer to show fifty."""
    sql, params = _aged_balance_sql(as_of=as_of, sort=sort, with_totals=True, **filters)
    sql += " LIMIT %(limit)s OFFSET %(offset)s"
    params["limit"] = page_size
    with connection.cursor() as cursor:
        params["offset"] = (max(page, 1) - 1) * page_size
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if not rows and params["offset"]:  # beyond the last page: find the count, show the last
            params.update(offset=0, limit=1)
            cursor.execute(sql, params)
            first = cursor.fetchall()
            if first:
                params.update(offset=(first[0][12] - 1) // page_size * page_size, limit=page_size)
                cursor.execute(sql, params)
                rows = cursor.fetchall()
    if not rows:
        return AgedBalancePage(rows=[], count=0, totals=dict.fromkeys(TOTALLED, ZERO))
    head = rows[0]
    return AgedBalancePage(
        rows=_aged_rows(rows, as_of),
        count=head[12],
        totals={name: _amount(value) for name, value in zip(TOTALLED, head[13:21], strict=True)},
    )
