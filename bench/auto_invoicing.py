"""The month-end invoicing run against the same invoices made one by one (issue #22).

A month of business sales: C business customers (default 5,000) on the B2B channel (monthly
policy), N delivery notes (default 40,000) spread evenly over them, shipped last month, each of
one order with L goods lines (default 2, at 20 % and 5.5 %). Then, on two identical copies of that
data (the second made with ``CREATE DATABASE … TEMPLATE`` of the first):

(a) ``sales.invoicing.services.run_grouped_invoicing(on=<last month's last day>)``: what Celery beat
    runs on the evening of a month's last day — each customer's notes found, grouped, locked and
    invoiced in a transaction of its own;
(b) in the same process, on the copy, the same invoices made one by one as a person would: for each
    customer, in one transaction, their shipped notes read, ``create_invoice`` then
    ``issue_invoice`` (periodic, as the run makes them).

Prints JSON: customers, notes, invoices, seconds, invoices/s and SQL statements per invoice of each,
the ratio run / one by one in seconds (aim ≤ 1.2), and the checks of each: one invoice per
customer, no note left to invoice, the invoice numbers gapless and without duplicate, the hash
chain verified, and the two sets' totals equal.

The fixture is built fast but real: the customers by ``crm.services.create_third_parties``, the
orders by ``sales.services.bulk_orders`` (``prepare_order``, ``save_confirmed_orders``: numbered,
confirmed, their goods reserved), then the delivery notes written in bulk as ``ship_delivery_note``
leaves them — numbered in the delivery-note series, shipped on a day of last month, each goods
line delivered in full, the orders delivered. What it leaves out, as invoicing never reads it:
the stock moves of the shipments (the reservations stay) and the orders' « expédié » history.

The two ways take turns on blocks of customers (``--blocks``, default 10; in the order run, one by
one, then one by one, run…), each on its own copy of the data, so that the machine's load, which
moves a lot here, weighs on both alike; the run's share of a block is
``run_grouped_invoicing(on=<month end>, customer_ids=<block>)``, the same work per customer as the
whole run (``--blocks 1``: the whole month-end run, then the one-by-one).

Measured on 2026-12-05, 2 cores shared with other engineers' test runs (load average 4-11), 5,000
customers, 40,000 notes of 2 lines (80,000 invoice lines), 10 blocks: the run 856.5 s (5.8
invoices/s, 94 statements per invoice), one by one 877.6 s (5.7 invoices/s, 81 statements):
ratio 0.98 in wall time, 1.11 in this process's CPU seconds (310.6 against 278.8); both sets
gapless, 5,000 invoices chained and verified, the same 4,136,671.20 EUR. The run's 13 more
statements per invoice are its own: the customer's notes due (the policy read through the
customer and the channel), the orders locked, the notes still to invoice read under the locks,
the grouped invoice's history and one « invoiced » entry per order (8 inserts), the hold cleared.
What dominates both is ``create_invoice``: per delivery line, a read of its eco-participation
lines and an insert of the invoice line (24 reads of sales_orderline and 16 inserts, ~45 ms of
~170 ms per invoice at that load). 100 customers and 800 notes on the same day: ratios 0.84, 1.06
and 1.19 (1.09-1.18 in CPU seconds): small runs are noisy.

Run: ``.venv/bin/python bench/auto_invoicing.py [--customers 5000] [--notes 40000] [--lines 2]``
(BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/lmb_bench, is dropped and
recreated, and so is its copy ``<name>_copy``; both dropped at the end unless ``--keep``).
"""

import argparse
import contextlib
import copy
import json
import os
import time
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

from harness import DATABASE_URL, _admin_execute, drop_database, recreate_database, save_bench_company, setup

PAGE = 500  # orders written together, as a page of web orders


# --- The month of business sales (not timed) -----------------------------------------------------


def last_month() -> tuple[date, date]:
    from django.utils import timezone

    end = timezone.localdate().replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def build(customers: int, notes: int, lines_per_note: int) -> dict:
    from catalog.models import VatRate
    from catalog.services import create_product
    from crm.models import Address, ThirdParty
    from crm.services import create_third_parties
    from lmb.models import InvoicingPolicy
    from sales.models import Channel
    from stock import services as stock_services

    save_bench_company()
    warehouse = stock_services.create_warehouse(code="BENCH", name="Bench", is_default=True)
    rates = {rate.code: rate for rate in VatRate.objects.filter(code__in=["FR-20", "FR-5.5"])}
    products = []
    for index in range(max(lines_per_note, 2) * 2):
        product = create_product(
            reference=f"B{index:03d}",
            designation=f"Article de banc {index}",
            vat_rate=rates["FR-20" if index % 2 == 0 else "FR-5.5"],
            sale_price=Decimal("10.00") + index,
            purchase_price=Decimal("4.00"),
        )
        stock_services.receive(product=product, warehouse=warehouse, quantity=10_000_000, unit_cost="4")
        products.append(product)
    channel = Channel.objects.get(kind=Channel.Kind.B2B)
    assert channel.invoicing_policy == InvoicingPolicy.MONTHLY, channel.invoicing_policy

    began = time.perf_counter()
    batch = 1000
    for start in range(0, customers, batch):
        create_third_parties(
            [
                {
                    "kind": ThirdParty.Kind.COMPANY,
                    "name": f"Client professionnel {index:05d}",
                    "customer_category": "business",
                    "email": f"compta{index}@client.example",
                    "addresses": [
                        {"kind": Address.Kind.BILLING, "line1": f"{index} rue du Port", "postal_code": "35000", "city": "Rennes"}
                    ],
                }
                for index in range(start, min(start + batch, customers))
            ]
        )
    timings = {"customers_seconds": round(time.perf_counter() - began, 1)}
    began = time.perf_counter()
    buyers = list(ThirdParty.objects.filter(name__startswith="Client professionnel").order_by("pk"))
    _orders(buyers, channel, products, notes, lines_per_note)
    timings["orders_seconds"] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    _ship_all()
    timings["notes_seconds"] = round(time.perf_counter() - began, 1)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # a database in use has its statistics kept by autovacuum
    return timings


def _orders(customers, channel, products, count: int, lines_per_note: int) -> None:
    """``count`` confirmed orders, dealt round the customers, dated on days of last month. Each
    customer's first order is built by ``prepare_order``; their next ones are copies of it (same
    lines, another day), which the same checks would pass: building each afresh (its prices and
    addresses read per line, ~15 ms) would take most of the fixture's time at 40,000 orders."""
    from django.db import transaction

    from sales.services import bulk_orders

    first, last = last_month()
    days = (last - first).days + 1
    rounds = -(-count // len(customers))
    prepared = {}
    page = []
    for index in range(count):
        who = customers[index % len(customers)]
        day = first + timedelta(days=(index // len(customers)) * days // max(1, rounds))
        if who.pk not in prepared:
            lines = [
                {"product": products[(index + k) % len(products)], "quantity": 1 + (index + k) % 7} for k in range(lines_per_note)
            ]
            prepared[who.pk] = bulk_orders.prepare_order(customer=who, channel=channel, lines=lines, order_date=day)
            page.append(prepared[who.pk])
        else:
            page.append(_copy(prepared[who.pk], day))
        if len(page) == PAGE or index == count - 1:
            with transaction.atomic():
                bulk_orders.save_confirmed_orders(page)
            page = []


def _copy(new, day: date):
    """Another order with the lines of ``new`` (prepared, maybe saved since), dated ``day``."""
    from django.db.models.base import ModelState

    from sales.services.bulk_orders import NewOrder

    def fresh(instance, **fields):
        twin = copy.copy(instance)
        twin._state = ModelState()
        twin.pk = None
        for name, value in fields.items():
            setattr(twin, name, value)
        return twin

    order = fresh(new.order, number=None, order_date=day, status=new.order.Status.DRAFT)
    return NewOrder(order, [fresh(line, document=order) for line in new.lines])


def _ship_all() -> None:
    """One delivery note per order, shipped on the order's day at 15:00, every goods line
    delivered in full: the rows ``create_delivery_note`` and ``ship_delivery_note`` leave."""
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from lmb.services import reference, take_values
    from sales.models import DeliveryNote, DeliveryNoteLine, Order, OrderLine

    orders = list(Order.objects.filter(status=Order.Status.CONFIRMED).order_by("order_date", "pk"))
    year_of = {}
    for order in orders:
        year_of.setdefault(str(order.order_date.year), []).append(order)
    with transaction.atomic():
        built = []
        for year, of_year in year_of.items():
            (numbers,) = take_values(("delivery_note", year, len(of_year)))
            for order, value in zip(of_year, numbers, strict=True):
                shipped_at = timezone.make_aware(datetime.combine(order.order_date, datetime.min.time())) + timedelta(hours=15)
                built.append(
                    DeliveryNote(
                        number=reference("BL", value, period=year),
                        order=order,
                        warehouse_id=order.warehouse_id,
                        status=DeliveryNote.Status.SHIPPED,
                        delivery_address=order.delivery_address,
                        carrier=order.carrier,
                        shipped_at=shipped_at,
                    )
                )
        DeliveryNote.objects.bulk_create(built, batch_size=5000)
        note_of = {note.order_id: note.pk for note in built}
        goods = OrderLine.objects.filter(document__in=orders, kind=OrderLine.Kind.PRODUCT, parent__isnull=True)
        DeliveryNoteLine.objects.bulk_create(
            [
                DeliveryNoteLine(delivery_note_id=note_of[line.document_id], order_line_id=line.pk, quantity=line.quantity)
                for line in goods.only("pk", "document_id", "quantity").iterator(chunk_size=5000)
            ],
            batch_size=5000,
        )
        goods.update(delivered_quantity=F("quantity"))
        Order.objects.filter(pk__in=[order.pk for order in orders]).update(status=Order.Status.DELIVERED)


# --- The two ways ---------------------------------------------------------------------------------


class Meter:
    """What one way took: wall and CPU seconds (this process), the SQL statements it sent and the
    time spent in them, per kind ("SELECT sales_deliverynote", "INSERT sales_documentevent"…)."""

    def __init__(self):
        self.seconds = self.cpu_seconds = 0.0
        self.invoices = self.statements = 0
        self.sql_seconds = Counter()
        self.sql_count = Counter()

    def wrapper(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = _kind_of(sql)
            self.sql_seconds[kind] += time.perf_counter() - began
            self.sql_count[kind] += 1
            self.statements += 1

    @contextlib.contextmanager
    def measuring(self, connection):
        with connection.execute_wrapper(self.wrapper):
            began, cpu = time.perf_counter(), time.process_time()
            try:
                yield
            finally:
                self.seconds += time.perf_counter() - began
                self.cpu_seconds += time.process_time() - cpu

    def figures(self, checked: dict) -> dict:
        per_invoice = max(self.invoices, 1)
        return {
            "invoices": self.invoices,
            "seconds": round(self.seconds, 2),
            "invoices_per_second": round(self.invoices / self.seconds, 1),
            "cpu_seconds_this_process": round(self.cpu_seconds, 2),
            "sql_seconds": round(sum(self.sql_seconds.values()), 2),
            "statements_per_invoice": round(self.statements / per_invoice, 1),
            "sql_ms_per_invoice_by_kind": {
                kind: f"{seconds * 1000 / per_invoice:.2f} ms in {self.sql_count[kind] / per_invoice:.1f}"
                for kind, seconds in self.sql_seconds.most_common(10)
            },
            "checks": checked,
        }


def _kind_of(sql: str) -> str:
    """ "SELECT sales_invoice FOR UPDATE", "UPDATE sales_orderline"…: the verb and its first table."""
    words = sql.split()
    verb = words[0].upper() if words else ""
    keyword = {"SELECT": "FROM", "INSERT": "INTO", "DELETE": "FROM"}.get(verb)
    table = words[1] if verb == "UPDATE" else next((words[i + 1] for i, word in enumerate(words[:-1]) if word == keyword), "")
    lock = "FOR UPDATE" if "FOR UPDATE" in sql else ""
    return " ".join(part for part in (verb, table.strip('"'), lock) if part)


def the_run(on: date, customer_ids: list[int] | None, meter: Meter) -> None:
    """The month-end run (``customer_ids`` None), or its share for a block of customers."""
    from django.db import connection

    from sales.invoicing import services as invoicing

    with meter.measuring(connection):
        result = invoicing.run_grouped_invoicing(on=on, customer_ids=customer_ids)
    assert not result.held, list(result.held.items())[:3]
    meter.invoices += len(result.invoices)


def one_by_one(customer_ids: list[int], meter: Meter) -> None:
    """For each customer, in one transaction: their shipped notes, ``create_invoice`` (periodic)
    and ``issue_invoice`` — as staff would, selecting a customer's notes and pressing « Facturer »
    then « Émettre »."""
    from django.db import connection, transaction

    from sales.models import DeliveryNote
    from sales.services import invoices

    with meter.measuring(connection):
        for customer_id in customer_ids:
            with transaction.atomic():
                notes = list(
                    DeliveryNote.objects.filter(order__customer_id=customer_id, status=DeliveryNote.Status.SHIPPED)
                    .select_related("order__customer", "order__channel")
                    .order_by("shipped_at", "pk")
                )
                draft = invoices.create_invoice(delivery_notes=notes)
                draft.periodic = True
                draft.save(update_fields=["periodic"])
                invoices.issue_invoice(draft)
                meter.invoices += 1


def checks(customers: int) -> dict:
    """One invoice per customer, nothing left to invoice, the numbers gapless, the chain whole."""
    from django.db.models import Count, Sum

    from sales import chain
    from sales.invoicing import queries
    from sales.models import Invoice

    issued = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED)
    serials = {}
    for number in issued.values_list("number", flat=True):
        year, serial = number[2:].split("-")
        serials.setdefault(year, []).append(int(serial))
    gaps = sum(max(values) - len(set(values)) for values in serials.values())
    duplicates = sum(len(values) - len(set(values)) for values in serials.values())
    per_customer = issued.values("customer_id").annotate(n=Count("pk")).filter(n__gt=1).count()
    checked, broken = chain.verify()
    return {
        "invoices": issued.count(),
        "one_per_customer": issued.count() == customers and per_customer == 0,
        "notes_left_to_invoice": queries.notes_to_invoice().count(),
        "gaps": gaps,
        "duplicates": duplicates,
        "chain_ok": broken is None and checked == issued.count(),
        "total_incl_tax": str(issued.aggregate(total=Sum("total_incl_tax"))["total"]),
        "invoice_lines": issued.aggregate(lines=Count("lines"))["lines"],
    }


class Databases:
    """Two open connections, one per copy of the data, each in turn Django's ``default``: the two
    ways take turns block by block without reconnecting."""

    def __init__(self, original: str, copy_name: str):
        from django.db import connections

        connections.close_all()
        self.connections = {}
        for way, name in (("run", original), ("one_by_one", copy_name)):
            wrapper = connections.create_connection("default")
            wrapper.settings_dict = {**wrapper.settings_dict, "NAME": name}
            self.connections[way] = wrapper

    def use(self, way: str):
        from django.db import connections

        connections["default"] = self.connections[way]
        return self.connections[way]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--notes", type=int, default=40_000, help="shipped delivery notes, dealt round the customers")
    parser.add_argument("--lines", type=int, default=2, help="goods lines per note")
    parser.add_argument(
        "--blocks",
        type=int,
        default=10,
        help="the customers in blocks, the two ways taking turns on each (1: the whole month-end run, then one by one)",
    )
    parser.add_argument("--keep", action="store_true", help="keep both databases at the end")
    arguments = parser.parse_args()
    if arguments.notes < arguments.customers:
        parser.error("--notes must be at least --customers (every customer has notes)")
    name = DATABASE_URL.rsplit("/", 1)[1]
    copy_name = f"{name}_copy"
    recreate_database()
    _admin_execute(f'DROP DATABASE IF EXISTS "{copy_name}"')
    databases = None
    try:
        setup()
        from django.db import connections

        from crm.models import ThirdParty

        began = time.perf_counter()
        fixture = build(arguments.customers, arguments.notes, arguments.lines)
        customer_ids = list(
            ThirdParty.objects.filter(name__startswith="Client professionnel").order_by("pk").values_list("pk", flat=True)
        )
        connections.close_all()  # no session on the template while it is copied
        _admin_execute(f'CREATE DATABASE "{copy_name}" TEMPLATE "{name}"')
        fixture["fixture_seconds"] = round(time.perf_counter() - began, 1)

        _first, month_end = last_month()
        databases = Databases(name, copy_name)
        meters = {"run": Meter(), "one_by_one": Meter()}
        size = -(-len(customer_ids) // arguments.blocks)
        blocks = [customer_ids[start : start + size] for start in range(0, len(customer_ids), size)]
        for index, block in enumerate(blocks):
            ways = ["run", "one_by_one"] if index % 2 == 0 else ["one_by_one", "run"]  # ABBA: drift in load cancels
            for way in ways:
                databases.use(way)
                if way == "run":
                    the_run(month_end, None if len(blocks) == 1 else block, meters["run"])
                else:
                    one_by_one(block, meters["one_by_one"])
        checked = {}
        for way in meters:
            databases.use(way)
            checked[way] = checks(len(customer_ids))
        run, single = meters["run"], meters["one_by_one"]
        print(
            json.dumps(
                {
                    "customers": len(customer_ids),
                    "notes": arguments.notes,
                    "lines_per_note": arguments.lines,
                    "month_end": month_end.isoformat(),
                    "blocks": len(blocks),
                    "run": run.figures(checked["run"]),
                    "one_by_one": single.figures(checked["one_by_one"]),
                    "ratio_run_to_one_by_one": round(run.seconds / single.seconds, 3),
                    "ratio_in_cpu_seconds": round(run.cpu_seconds / single.cpu_seconds, 3),
                    "load_average": [round(load, 1) for load in os.getloadavg()],
                    "same_invoices": checked["run"]["total_incl_tax"] == checked["one_by_one"]["total_incl_tax"]
                    and checked["run"]["invoice_lines"] == checked["one_by_one"]["invoice_lines"],
                    "fixture": fixture,
                    "aim": {"ratio": 1.2, "gaps": 0},
                },
                indent=2,
            )
        )
    finally:
        if not arguments.keep:
            for wrapper in databases.connections.values() if databases else ():
                wrapper.close()
            drop_database()
            _admin_execute(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
