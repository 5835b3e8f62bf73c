"""Issuing invoices under concurrency on PostgreSQL, against the cost of the bare numbering.

Prints JSON with:
- invoices/s issued by 4 concurrent workers (processes, like 4 gunicorn workers), each issuing
  drafts of 5 goods lines made from shipped orders, through ``sales.services.issue_invoice``
  (drafts prepared beforehand, then the planner statistics gathered, as autovacuum keeps them
  on a database in use, and each worker's drafts read in one query — not timed: what is timed
  is ``issue_invoice`` alone, which locks and reads the draft again. Until 2026-11-23 each
  issue was preceded by an ``Invoice.objects.get``, about a tenth of the time per issue);
- in the same run, the rate of the bare SQL transaction every issue contains — take the next
  number under a row lock, insert one row, commit — by 4 concurrent workers too, and the ratio;
- the checks: no gap and no duplicate in the issued numbers, the hash chain verified;
- the SQL queries one issue runs (the profile to read when the ratio falls short).
Aim (issue #5): ratio ≥ 0.2, 0 gaps.

Run: ``.venv/bin/python bench/issue_invoices.py [--invoices 200]`` (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/lmb_bench, is dropped and recreated, and dropped at the end).
"""

import argparse
import json
import multiprocessing
import time
from collections import Counter
from decimal import Decimal

from harness import DATABASE_URL, drop_database, forget_inherited_connections, recreate_database, save_bench_company, setup

WORKERS = 4
LINES_PER_INVOICE = 5
PRODUCTS = 20
CUSTOMER = "Boulangerie Le Goff"


# --- Drafts to issue (not timed) -----------------------------------------------------------------


def shop():
    """The company, a warehouse with stock, a business customer and products."""
    from catalog.models import VatRate
    from catalog.services import create_product
    from crm.models import Address, ThirdParty
    from crm.services import create_third_party
    from stock import services as stock_services

    save_bench_company()
    warehouse = stock_services.create_warehouse(code="BENCH", name="Bench", is_default=True)
    create_third_party(
        kind=ThirdParty.Kind.COMPANY,
        name=CUSTOMER,
        siren="732829320",
        vat_number="FR44732829320",
        addresses=[{"kind": Address.Kind.BILLING, "line1": "1 rue du Port", "postal_code": "35000", "city": "Rennes"}],
    )
    rates = list(VatRate.objects.filter(code__in=["FR-20", "FR-5.5", "FR-10"]))
    for index in range(PRODUCTS):
        product = create_product(
            reference=f"B{index:03d}",
            designation=f"Article de banc {index}",
            vat_rate=rates[index % len(rates)],
            sale_price=Decimal("10.00") + index,
            purchase_price=Decimal("4.00"),
        )
        stock_services.receive(product=product, warehouse=warehouse, quantity=100_000, unit_cost="4")


def _prepare(count, start, failures):
    """A worker process: ``count`` draft invoices, each of 5 goods lines from an order confirmed
    and shipped (in parallel: it is only the setup)."""
    from django.db import connections

    from catalog.models import Product
    from crm.models import ThirdParty
    from sales import services
    from sales.models import Channel

    try:
        forget_inherited_connections()
        customer = ThirdParty.objects.get(name=CUSTOMER)
        channel = Channel.objects.get(kind=Channel.Kind.B2B)
        products = list(Product.objects.filter(reference__startswith="B").order_by("reference"))
        start.wait(timeout=120)
        for index in range(count):
            lines = [{"product": products[(index + k) % PRODUCTS], "quantity": k + 1} for k in range(LINES_PER_INVOICE)]
            order = services.confirm_order(services.create_order(customer=customer, channel=channel, lines=lines))
            services.ship_delivery_note(services.create_delivery_note(order))
            services.invoice_order(order)
    except Exception as exc:
        failures.put(repr(exc))
    finally:
        connections.close_all()


def prepare_drafts(count: int) -> list[int]:
    from django.db import connection

    from sales.models import Invoice

    shop()
    run_concurrently(_prepare, _shares(count))
    with connection.cursor() as cursor:
        # A database in use has its planner statistics kept by autovacuum; this one was filled a
        # moment ago, and without them PostgreSQL plans the issuing statements for empty tables.
        cursor.execute("ANALYZE")
    return list(Invoice.objects.filter(status=Invoice.Status.DRAFT).order_by("pk").values_list("pk", flat=True))


# --- Concurrent workers --------------------------------------------------------------------------


def _issue(invoice_ids, start, failures):
    """A worker process: its own connection and its drafts read (one query, before the start:
    ``issue_invoice`` locks and reads each draft again itself, the instance only names it), then
    issue them one after the other."""
    from django.db import connections

    from sales import services
    from sales.models import Invoice

    try:
        forget_inherited_connections()
        drafts = list(Invoice.objects.filter(pk__in=invoice_ids).order_by("pk"))
        start.wait(timeout=120)
        for draft in drafts:
            services.issue_invoice(draft)
    except Exception as exc:  # reported to the parent, which fails the run
        failures.put(repr(exc))
    finally:
        connections.close_all()


def _bare_transactions(count, start, failures):
    """A worker process: the bare numbering transaction, ``count`` times, on its own connection."""
    import psycopg

    try:
        forget_inherited_connections()
        with psycopg.connect(DATABASE_URL) as connection:
            start.wait(timeout=120)
            for _ in range(count):
                with connection.transaction():
                    value = connection.execute("SELECT value FROM bench_counter WHERE id = 1 FOR UPDATE").fetchone()[0]
                    connection.execute("UPDATE bench_counter SET value = %s WHERE id = 1", [value + 1])
                    connection.execute("INSERT INTO bench_row (number, note) VALUES (%s, %s)", [value + 1, "bench"])
    except Exception as exc:
        failures.put(repr(exc))


def run_concurrently(target, shares) -> float:
    """Start one process per share at the same moment; returns the seconds until the last ends."""
    from django.db import connections

    connections.close_all()  # the children must not share the parent's connection
    context = multiprocessing.get_context("fork")
    start, failures = context.Barrier(len(shares) + 1), context.Queue()
    processes = [context.Process(target=target, args=(share, start, failures)) for share in shares]
    for process in processes:
        process.start()
    start.wait(timeout=120)
    began = time.perf_counter()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - began
    errors = [failures.get() for _ in range(failures.qsize())] if not failures.empty() else []
    if errors or any(process.exitcode != 0 for process in processes):
        raise SystemExit(f"a worker failed: {errors}")
    return elapsed


def _shares(count: int) -> list[int]:
    return [count // WORKERS + (1 if index < count % WORKERS else 0) for index in range(WORKERS)]


def bare_rate(count: int) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_counter (id integer PRIMARY KEY, value bigint NOT NULL)")
        cursor.execute("INSERT INTO bench_counter VALUES (1, 0)")
        cursor.execute("CREATE TABLE bench_row (id bigserial PRIMARY KEY, number bigint NOT NULL UNIQUE, note text NOT NULL)")
    return count / run_concurrently(_bare_transactions, _shares(count))


# --- Checks and profile --------------------------------------------------------------------------


def number_checks() -> dict:
    """Gaps and duplicates in each yearly series of issued invoice numbers (FA2026-000123)."""
    from sales.models import Invoice

    numbers = Invoice.objects.filter(status=Invoice.Status.ISSUED).values_list("number", flat=True)
    by_year = {}
    for number in numbers:
        year, serial = number[2:].split("-")
        by_year.setdefault(year, []).append(int(serial))
    gaps = duplicates = 0
    for serials in by_year.values():
        distinct = set(serials)
        duplicates += len(serials) - len(distinct)
        gaps += max(distinct) - len(distinct)  # a series starts at 1
    return {"issued": len(numbers), "gaps": gaps, "duplicates": duplicates}


def profile_one_issue(draft_id: int) -> dict:
    """The queries one issue runs, grouped by their first words (what dominates)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sales import services
    from sales.models import Invoice

    draft = Invoice.objects.get(pk=draft_id)
    with CaptureQueriesContext(connection) as captured:
        services.issue_invoice(draft)
    kinds = Counter(_kind_of(query["sql"]) for query in captured.captured_queries)
    return {"queries": len(captured.captured_queries), "by_kind": dict(kinds.most_common(12))}


def _kind_of(sql: str) -> str:
    """ "SELECT sales_invoice FOR UPDATE", "UPDATE sales_orderline"…: the verb and its first table."""
    words = sql.split()
    verb = words[0].upper()
    keyword = {"SELECT": "FROM", "INSERT": "INTO", "DELETE": "FROM"}.get(verb)
    table = words[1] if verb == "UPDATE" else next((words[i + 1] for i, word in enumerate(words[:-1]) if word == keyword), "")
    lock = "FOR UPDATE" if "FOR UPDATE" in sql else ""
    return " ".join(part for part in (verb, table.strip('"'), lock) if part)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=200, help="invoices issued by the 4 workers (and bare transactions)")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    arguments = parser.parse_args()
    count = arguments.invoices
    recreate_database()
    try:
        setup()
        from sales import chain

        began = time.perf_counter()
        drafts = prepare_drafts(count + 1)  # the last one is issued alone, to count its queries
        preparation = time.perf_counter() - began
        elapsed = run_concurrently(_issue, [drafts[:count][index::WORKERS] for index in range(WORKERS)])
        profile = profile_one_issue(drafts[-1])
        checks = number_checks()
        checked, broken = chain.verify()
        baseline = bare_rate(count)
        rate = count / elapsed
        print(
            json.dumps(
                {
                    "invoices": count,
                    "workers": WORKERS,
                    "lines_per_invoice": LINES_PER_INVOICE,
                    "seconds": round(elapsed, 2),
                    "invoices_per_second": round(rate, 1),
                    "baseline_per_second": round(baseline, 1),
                    "ratio": round(rate / baseline, 3),
                    "gaps": checks["gaps"],
                    "duplicates": checks["duplicates"],
                    "chain_ok": broken is None and checked == checks["issued"],
                    "queries_per_issue": profile["queries"],
                    "queries_by_kind": profile["by_kind"],
                    "drafts_preparation_seconds": round(preparation, 1),
                    "aim": {"ratio": 0.2, "gaps": 0},
                },
                indent=2,
            )
        )
    finally:
        if not arguments.keep:
            drop_database()


if __name__ == "__main__":
    main()
