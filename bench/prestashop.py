"""Importing PrestaShop orders from the stand-in webservice (tests/connectors/prestashop_standin.py).

Prints JSON with:
- orders/s importing N orders (default 10,000, derived from the fixture orders with new ids) by
  ``connectors.prestashop.services.sync_channel``: list pages of 100 read as JSON over HTTP,
  customers and addresses read once and bound, each order built by the sales services, its
  totals checked against the shop's, and each page's new orders written together, confirmed,
  with their payments booked as deposits (the deposit invoices issued) —
  ``importer.import_page`` — with W worker processes each syncing its share of the pages, as W
  Celery workers would (``--workers``, default 1);
- orders/s re-importing them unchanged (one pass, nothing written);
- the SQL statements per order of the fresh import (savepoints included);
- the checks: one LMB order per shop order, none in the error queue;
- both for a shop whose buyers LMB knows (``known_customers``: the fixtures' two customers, bound
  by the first two orders) and for a first sync (``new_customers``: a shop connected for the first
  time, each order's customer and address unknown to LMB, every tenth order a repeat buyer's, known
  after its first order — ``prestashop_standin.with_new_buyers``), each on a fresh database, and
  the new-customer rate over the known-customer one (aim: at least 0.5). ``--case`` runs one.
Aim (issue #7): ≥ 100 orders/s fresh. While the tables fill, ANALYZE runs every 15 s
(``harness.autoanalyze``), as autovacuum would: the bench machine's PostgreSQL runs without it.

First sync (issue #18), measured on 2026-12-05, 1 worker. Before, an order of a new customer went
alone through ``import_order`` (its customer and address read one call each, some fifty
statements): 2,000 orders, 9.7 orders/s and 49.1 statements per order beside 298.8 orders/s (0.8)
for known customers, a rate of 0.03 (load average 0.9; 9.7 beside 205.7 at load 3.7 — the new
case is bound by its two calls to the shop per order, about 40 ms each on the stand-in). Now a
page's new customers are read in one call per resource and created with its orders: 2,000 orders,
194.5 and 194.7 orders/s (0.8 statements per order) beside 323.8 and 309.7, rates of 0.60 and
0.63 (load average 1.1); 10,000 orders, 187.2 beside 296.8, 0.63 (load average 1.0).
With combinations bound (issue #18 item 1: each row reads its product binding, an unknown
product is created from the shop, its order alone), 2,000 orders: 149.3 and 149.1 orders/s beside
about 202 and 206.6 known, rates of 0.74 and 0.72, 2.4 statements per order (load average 0.9).

Measured on 2026-11-23 (1 worker), each page's new orders written together: 109.5 orders/s for
10,000 orders, 0.7 statements per order, 2,755 orders/s re-importing (108.6 for 2,000 orders).
Before, each order in its own transaction through create_order, confirm_order and
receive_deposit: 32.6 orders/s for 10,000 orders, 30.5 statements per order, 3,688 orders/s
re-importing; without the planner statistics, 19.2 orders/s
(34.5 for 1,000 orders: the plans made for empty tables read more and more rows).

Earlier (1,000 orders, 2 cores shared with PostgreSQL and other work, load average 3.6-5):
before the ps3 work 9.9 orders/s with 1 worker, 9.3 with 2, 68 statements per order (counted on
150 orders of one worker); after it 16.1 and 13.6 orders/s, 36.6 statements per order (earlier,
on a lighter load: 12.4 before, 20.9 after, 1 worker). A second worker does not help: each order
takes the order, invoice and chain numbers (gapless sequences locked until commit) from its
confirmation on, so two workers queue for most of each order's transaction; on two cores they
also share the CPU with PostgreSQL.

Run: ``.venv/bin/python bench/prestashop.py [--orders 10000] [--workers 1] [--case known|new|both]`` (BENCH_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/lmb_bench, is dropped and recreated, and dropped at the end).
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import time

# The stand-in listens on 127.0.0.1, which the client refuses by default (see the README).
os.environ.setdefault("PRESTASHOP_ALLOW_PRIVATE_ADDRESSES", "1")

from harness import (  # noqa: E402 (after the environment it reads)
    DATABASE_URL,
    autoanalyze,
    drop_database,
    forget_inherited_connections,
    recreate_database,
    save_bench_company,
    setup,
)


@contextlib.contextmanager
def counted_statements(counter: dict):
    """Count the SQL statements this process sends (SAVEPOINTs included) into counter["statements"]."""
    from django.db import connection

    def count(execute, sql, params, many, context):
        counter["statements"] = counter.get("statements", 0) + 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield counter


def prepare(base_url, api_key):
    from connectors.prestashop import services
    from stock import services as stock_services

    save_bench_company(oss_registered=True)  # the shop charges its Spanish buyers Spain's VAT (OSS)
    warehouse = stock_services.create_warehouse(code="WEB", name="Web", is_default=True)
    channel, _secret = services.add_channel(name="bench", base_url=base_url, api_key=api_key, warehouse=warehouse)
    return channel


def _import_share(channel_id, share, workers, results):
    """A worker process: import every page whose number ≡ share (mod workers)."""
    from django.db import connections

    from connectors.prestashop import importer, services
    from connectors.prestashop.models import ShopChannel

    try:
        forget_inherited_connections()
        channel = ShopChannel.objects.get(pk=channel_id)
        client = services.client_for(channel)
        counts, memo = {"created": 0, "unchanged": 0, "updated": 0, "failed": 0}, {}
        page, size = share, 100
        with counted_statements(counts):
            while True:
                records = list(client.list("orders", start=page * size, page_size=size, sort="[id_ASC]", max_pages=1))
                for outcome in importer.import_page(channel=channel, client=client, payloads=records, memo=memo):
                    counts[outcome.status] += 1
                if len(records) < size:
                    break
                page += workers
        results.put(counts)
    except Exception as exc:
        results.put({"error": repr(exc)})
    finally:
        connections.close_all()


def timed_parallel(channel_id, workers):
    from django.db import connections

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    connections.close_all()
    processes = [context.Process(target=_import_share, args=(channel_id, k, workers, results)) for k in range(workers)]
    started = time.perf_counter()
    for process in processes:
        process.start()
    collected = [results.get(timeout=3600) for _ in processes]
    for process in processes:
        process.join()
    return time.perf_counter() - started, collected


CASES = ("known", "new")


def shop_records(case: str, count: int) -> dict:
    """The stand-in's records for ``count`` orders: of the fixtures' two customers ("known": bound
    by the first two orders, known for every other), or each of a buyer new to LMB ("new": a shop
    connected for the first time, every tenth order a repeat buyer's)."""
    from tests.connectors.prestashop_standin import generated_orders, seed_records, with_new_buyers

    records = seed_records()
    records["orders"] = generated_orders(count)
    if case == "new":
        records["orders"] = with_new_buyers(records["orders"], records)
    return records


def run_case(case: str, count: int, workers: int) -> dict:
    """Import ``count`` orders of the case into a fresh bench database, then re-import them: the figures."""
    recreate_database()
    setup()
    from connectors.prestashop import services
    from connectors.prestashop.models import Binding, ImportIssue
    from crm.models import ThirdParty
    from sales.models import Order
    from tests.connectors.prestashop_standin import API_KEY, StandinShop

    shop = StandinShop(records=shop_records(case, count)).start()
    try:
        channel = prepare(shop.base_url, API_KEY)
        with autoanalyze():  # the tables fill from empty: their statistics kept as autovacuum would
            if workers == 1:
                started = time.perf_counter()
                with counted_statements({}) as counter:
                    fresh = services.sync_channel(channel, trigger="bench")
                fresh_seconds = time.perf_counter() - started
                fresh_counts = {"created": fresh.created, "unchanged": fresh.unchanged, "failed": fresh.failed}
                statements = counter["statements"]
            else:
                fresh_seconds, fresh_counts = timed_parallel(channel.pk, workers)
                statements = sum(counts.pop("statements", 0) for counts in fresh_counts)
            started = time.perf_counter()
            again = services.sync_channel(channel, trigger="bench", full=True)
            again_seconds = time.perf_counter() - started
        return {
            "fresh_seconds": round(fresh_seconds, 2),
            "fresh_orders_per_second": round(count / fresh_seconds, 1),
            "fresh_counts": fresh_counts,
            "fresh_statements_per_order": round(statements / count, 1),
            "reimport_seconds": round(again_seconds, 2),
            "reimport_orders_per_second": round(count / again_seconds, 1),
            "reimport_counts": {"read": again.read, "created": again.created, "unchanged": again.unchanged},
            "lmb_orders": Order.objects.count(),
            "lmb_customers": ThirdParty.objects.filter(is_customer=True).count(),
            "bindings": Binding.objects.filter(kind="order").count(),
            "error_queue": ImportIssue.objects.count(),
        }
    finally:
        shop.stop()
        drop_database()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--case", choices=(*CASES, "both"), default="both")
    options = parser.parse_args()
    cases = CASES if options.case == "both" else (options.case,)
    results = {case: run_case(case, options.orders, options.workers) for case in cases}
    figures = {
        "bench": "prestashop_import",
        "database": DATABASE_URL.rsplit("/", 1)[-1],
        "orders": options.orders,
        "workers": options.workers,
        "load_average": [round(load, 2) for load in os.getloadavg()],
        **{f"{case}_customers": figures for case, figures in results.items()},
        "aim_fresh_orders_per_second": 100,
    }
    if len(results) == 2:
        known, new = (results[case]["fresh_orders_per_second"] for case in CASES)
        figures["new_to_known_rate"] = round(new / known, 2)
        figures["aim_new_to_known_rate"] = 0.5
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
