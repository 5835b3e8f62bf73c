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
- the checks: one LMB order per shop order, none in the error queue.
Aim (issue #7): ≥ 100 orders/s fresh. While the tables fill, ANALYZE runs every 15 s
(``harness.autoanalyze``), as autovacuum would: the bench machine's PostgreSQL runs without it.

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

Run: ``.venv/bin/python bench/prestashop.py [--orders 10000] [--workers 1]`` (BENCH_DATABASE_URL,
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
    ROOT,
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    options = parser.parse_args()
    recreate_database()
    setup()
    import sys

    sys.path.insert(0, str(ROOT))
    from connectors.prestashop import services
    from connectors.prestashop.models import Binding, ImportIssue
    from sales.models import Order
    from tests.connectors.prestashop_standin import API_KEY, StandinShop, generated_orders, seed_records

    records = seed_records()
    records["orders"] = generated_orders(options.orders)
    shop = StandinShop(records=records).start()
    try:
        channel = prepare(shop.base_url, API_KEY)
        with autoanalyze():  # the tables fill from empty: their statistics kept as autovacuum would
            if options.workers == 1:
                started = time.perf_counter()
                with counted_statements({}) as counter:
                    fresh = services.sync_channel(channel, trigger="bench")
                fresh_seconds = time.perf_counter() - started
                fresh_counts = {"created": fresh.created, "unchanged": fresh.unchanged, "failed": fresh.failed}
                statements = counter["statements"]
            else:
                fresh_seconds, fresh_counts = timed_parallel(channel.pk, options.workers)
                statements = sum(counts.pop("statements", 0) for counts in fresh_counts)
            started = time.perf_counter()
            again = services.sync_channel(channel, trigger="bench", full=True)
            again_seconds = time.perf_counter() - started
        figures = {
            "bench": "prestashop_import",
            "database": DATABASE_URL.rsplit("/", 1)[-1],
            "orders": options.orders,
            "workers": options.workers,
            "fresh_seconds": round(fresh_seconds, 2),
            "fresh_orders_per_second": round(options.orders / fresh_seconds, 1),
            "fresh_counts": fresh_counts,
            "fresh_statements_per_order": round(statements / options.orders, 1),
            "reimport_seconds": round(again_seconds, 2),
            "reimport_orders_per_second": round(options.orders / again_seconds, 1),
            "reimport_counts": {"read": again.read, "created": again.created, "unchanged": again.unchanged},
            "lmb_orders": Order.objects.count(),
            "bindings": Binding.objects.filter(kind="order").count(),
            "error_queue": ImportIssue.objects.count(),
            "aim_fresh_orders_per_second": 100,
        }
        print(json.dumps(figures, indent=2))
    finally:
        shop.stop()
        drop_database()


if __name__ == "__main__":
    main()
