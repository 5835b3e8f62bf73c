"""Stock ledger throughput and recompute time on PostgreSQL.

Prints JSON with:
- moves/s for 8 concurrent writers (processes, like 8 gunicorn workers) on one hot product, and
  on distinct products, each writer alternating a reception and a delivery through the services;
- beside them, the floor: the same statement (``stock.ledger_sql``) issued bare by 8 processes on
  the hot product, each move its own transaction, without Django;
- the seconds to recompute the levels from 1,000,000 moves (what ``check_stock_levels`` does),
  and, apart, the seconds to replay the weighted average cost over those moves.
Aim (issue "Stock and purchasing"): ≥ 500 moves/s on one hot product, recompute ≤ 10 s.

Run: ``.venv/bin/python bench/stock.py`` (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/lmb_bench, is dropped and recreated). ``BENCH_SKIP_LEDGER=1``
measures the writers only (the 1,000,000-move ledger takes minutes to fill).

Measured on 2026-12-06 13:33 UTC, quiet machine (load 0.5–3), ``BENCH_SKIP_LEDGER=1``, three runs:
one hot product 1,082 / 827 / 1,140 moves/s (the same statement bare: 1,831–1,865/s), distinct
products 1,018–1,371/s, 0 differences between moves and levels. The code before a single move
became its own transaction (b2294d2), on the same machine just after: 842 / 831 / 811 moves/s.
"""

import json
import multiprocessing
import os
import time

from harness import DATABASE_URL, recreate_database, setup

WRITERS = int(os.environ.get("BENCH_WRITERS", 8))
MOVES_PER_WRITER = int(os.environ.get("BENCH_MOVES_PER_WRITER", 400))
LEDGER_PRODUCTS, LEDGER_MOVES_PER_PRODUCT = 1000, 1000  # 1,000,000 moves
SKIP_LEDGER = os.environ.get("BENCH_SKIP_LEDGER") == "1"


def writer(product_ids, warehouse_id, start, results):
    """One worker process: alternate a reception and a delivery (the stock never runs out)."""
    import django

    django.setup()
    from catalog.models import Product
    from stock import services
    from stock.models import Warehouse

    warehouse = Warehouse.objects.get(pk=warehouse_id)
    products = list(Product.objects.filter(pk__in=product_ids))
    start.wait()
    began = time.perf_counter()
    for index in range(MOVES_PER_WRITER):
        product = products[index % len(products)]
        if index % 2 == 0:
            services.receive(product=product, warehouse=warehouse, quantity=2, unit_cost="5")
        else:
            services.deliver(product=product, warehouse=warehouse, quantity=1)
    results.put(time.perf_counter() - began)


def bare_sql_writer(product_ids, warehouse_id, start, results):
    """The floor of ``writer``: the ledger statement alone, prepared, each run its own transaction
    (what the services send for a move that is a whole transaction), from a raw connection."""
    import psycopg

    from stock.ledger_sql import WRITE_MOVE

    with psycopg.connect(DATABASE_URL, autocommit=True) as connection, connection.cursor() as cursor:
        start.wait()
        began = time.perf_counter()
        for index in range(MOVES_PER_WRITER):
            quantity = 2 if index % 2 == 0 else -1
            parameters = {
                "product": product_ids[index % len(product_ids)],
                "warehouse": warehouse_id,
                "location": None,
                "kind": "reception" if quantity > 0 else "delivery",
                "quantity": quantity,
                "unit_cost": 5 if quantity > 0 else None,
                "fallback_cost": 0,
                "release": 0,
                "allow_negative": False,
                **dict.fromkeys(("reason", "note", "reference", "source_type"), ""),
                **dict.fromkeys(("source_id", "transfer_pair", "user")),
            }
            cursor.execute(WRITE_MOVE, parameters, prepare=True)
            assert cursor.fetchone() is not None, "a bare move was refused"
        results.put(time.perf_counter() - began)


def concurrent_rate(product_groups, warehouse_id, target=writer):
    from django.db import connections

    connections.close_all()  # children open their own connections
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(WRITERS + 1), context.Queue()
    processes = [context.Process(target=target, args=(group, warehouse_id, start, results)) for group in product_groups]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - began
    assert all(process.exitcode == 0 for process in processes), "a writer failed"
    return round(WRITERS * MOVES_PER_WRITER / elapsed, 1)


def fill_ledger(warehouse_id):
    """1,000,000 consistent moves written by SQL (alternately +2 and −1 at cost 5), and the
    caches that match them."""
    from django.db import connection

    from catalog.models import Product, VatRate

    rate = VatRate.objects.get(code="FR-20")
    products = [Product(reference=f"L{i:05d}", designation=f"Ledger {i}", vat_rate=rate) for i in range(LEDGER_PRODUCTS)]
    Product.objects.bulk_create(products, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO stock_stockmove (product_id, warehouse_id, kind, quantity, unit_cost, value, product_quantity_after,
                                         average_cost_after, reason, note, reference, source_type, created_at)
            SELECT product_id, %s, CASE WHEN n %% 2 = 1 THEN 'reception' ELSE 'delivery' END, quantity, 5, quantity * 5,
                   SUM(quantity) OVER (PARTITION BY product_id ORDER BY n), 5, '', '', '', '', now()
            FROM (
                SELECT p.id AS product_id, n, CASE WHEN n %% 2 = 1 THEN 2 ELSE -1 END AS quantity
                FROM catalog_product p CROSS JOIN generate_series(1, %s) AS n
                WHERE p.reference LIKE 'L%%'
                ORDER BY p.id, n
            ) AS moves
            """,
            [warehouse_id, LEDGER_MOVES_PER_PRODUCT],
        )
        cursor.execute(
            """
            INSERT INTO stock_stocklevel (product_id, warehouse_id, on_hand, reserved)
            SELECT product_id, warehouse_id, SUM(quantity), 0 FROM stock_stockmove
            WHERE product_id IN (SELECT id FROM catalog_product WHERE reference LIKE 'L%%')
            GROUP BY product_id, warehouse_id
            """
        )
        cursor.execute(
            """
            INSERT INTO stock_productvaluation (product_id, quantity, average_cost)
            SELECT product_id, SUM(quantity), 5 FROM stock_stockmove
            WHERE product_id IN (SELECT id FROM catalog_product WHERE reference LIKE 'L%%')
            GROUP BY product_id
            """
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT COUNT(*) FROM stock_stockmove")
        return cursor.fetchone()[0]


def main():
    recreate_database()
    setup()
    from catalog.models import Product, VatRate
    from stock import queries
    from stock.services import create_warehouse

    warehouse = create_warehouse(code="BENCH", name="Bench", is_default=True)
    rate = VatRate.objects.get(code="FR-20")
    products = Product.objects.bulk_create(
        [Product(reference=f"B{i:03d}", designation=f"Bench {i}", vat_rate=rate) for i in range(WRITERS)]
    )
    hot = concurrent_rate([[products[0].pk]] * WRITERS, warehouse.pk)
    bare_hot = concurrent_rate([[products[0].pk]] * WRITERS, warehouse.pk, target=bare_sql_writer)
    spread = concurrent_rate([[product.pk] for product in products], warehouse.pk)

    figures = {
        "writers": WRITERS,
        "moves_per_writer": MOVES_PER_WRITER,
        "moves_per_second_one_hot_product": hot,
        "moves_per_second_one_hot_product_bare_sql": bare_hot,
        "moves_per_second_distinct_products": spread,
    }
    if not SKIP_LEDGER:
        figures["ledger_moves"] = fill_ledger(warehouse.pk)
    began = time.perf_counter()
    level_differences = queries.level_differences()
    recompute_levels = time.perf_counter() - began
    began = time.perf_counter()
    valuation_differences, bad_moves = queries.valuation_differences()
    replay_valuation = time.perf_counter() - began
    if not SKIP_LEDGER:
        figures["recompute_levels_seconds"] = round(recompute_levels, 2)
        figures["replay_average_cost_seconds"] = round(replay_valuation, 2)
    # Also the check that the concurrent writers left levels and costs that match their moves.
    figures["differences_found"] = len(level_differences) + len(valuation_differences) + len(bad_moves)
    figures["aim"] = {"moves_per_second_one_hot_product": 500, "recompute_levels_seconds": 10}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
