"""The stock-move list and the entry-line list at ten years of a busy shop, on PostgreSQL.

Fills 1,000,000 stock moves (100,000 products, 2 warehouses) and 200,000 journal entries of 4
lines (800,000 lines, five fiscal years, 5,000 customers) by SQL (``INSERT … SELECT
generate_series``, triggers off), then times the list screens with Django's test client: page 1,
page 500, searches, each offered sort and each filter. Prints JSON: p50/p95 (ms), the number of
queries and the slowest query's own time, per URL. Aim (issue #21): every p95 ≤ 150 ms.

Run: ``BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/lmb_bench_ledger .venv/bin/python
bench/ledger_lists.py`` (the database is dropped and recreated; ``--keep`` keeps it, ``--reuse``
times an existing one without filling it again).
"""

import argparse
import json
import os
import statistics
import time
from datetime import date

from harness import drop_database, recreate_database, save_bench_company, setup

PRODUCTS = 100_000
MOVES = int(os.environ.get("BENCH_MOVES", 1_000_000))
ENTRIES = int(os.environ.get("BENCH_ENTRIES", 200_000))
CUSTOMERS = 5_000
YEARS = range(2021, 2026)
REPEAT = int(os.environ.get("BENCH_REPEAT", 20))

MOVE_SCENARIOS = {
    "moves_page_1": "/stock/moves/",
    "moves_page_500": "/stock/moves/?page=500",
    "moves_sort_date_asc": "/stock/moves/?sort=date",
    "moves_sort_product": "/stock/moves/?sort=product",
    "moves_sort_product_desc": "/stock/moves/?sort=-product",
    "moves_sort_product_page_500": "/stock/moves/?sort=product&page=500",
    "moves_search_reference": "/stock/moves/?q=P0012345",
    "moves_search_designation": "/stock/moves/?q=théière+bleu",
    "moves_search_piece": "/stock/moves/?q=BL2024-012345",
    "moves_search_rare_word_sort_product": "/stock/moves/?q=P009999&sort=product",
    "moves_filter_kind_exit": "/stock/moves/?kind=exit",
    "moves_filter_warehouse": "/stock/moves/?warehouse={warehouse}",
    "moves_filter_dates": "/stock/moves/?since=2024-03-01&until=2024-03-31",
    "moves_filter_kind_dates_page_20": "/stock/moves/?kind=exit&since=2023-01-01&until=2023-12-31&page=20",
    "moves_filter_warehouse_sort_product": "/stock/moves/?warehouse={warehouse}&sort=product",
}
LINE_SCENARIOS = {
    "lines_page_1": "/accounting/entries/",
    "lines_page_500": "/accounting/entries/?page=500",
    "lines_sort_date_asc": "/accounting/entries/?sort=date",
    "lines_sort_journal": "/accounting/entries/?sort=journal",
    "lines_sort_journal_desc": "/accounting/entries/?sort=-journal",
    "lines_sort_account": "/accounting/entries/?sort=account",
    "lines_sort_account_desc": "/accounting/entries/?sort=-account",
    "lines_sort_debit_desc": "/accounting/entries/?sort=-debit",
    "lines_sort_credit": "/accounting/entries/?sort=credit",
    "lines_sort_debit_page_500": "/accounting/entries/?sort=-debit&page=500",
    "lines_search_piece": "/accounting/entries/?q=FA2024-012345",
    "lines_search_customer": "/accounting/entries/?q=étoile+1234",
    "lines_filter_journal": "/accounting/entries/?journal={journal}",
    "lines_filter_period": "/accounting/entries/?period={period}",
    "lines_filter_account": "/accounting/entries/?account=411",
    "lines_filter_account_unlettered": "/accounting/entries/?account=411&lettered=false&sort=account",
    "lines_filter_period_journal_sort_date": "/accounting/entries/?period={period}&journal={journal}&sort=date",
}


def seed_moves():
    from django.db import connection

    from stock.models import Warehouse

    shop = Warehouse.objects.create(code="MAG", name="Magasin", is_default=True)
    depot = Warehouse.objects.create(code="DEP", name="Entrepôt")
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            """
            INSERT INTO catalog_product (reference, designation, description, kind, unit, purchase_price, price_includes_tax,
                                         sale_price, sale_price_excl_tax, sale_price_incl_tax, eco_participation, is_active,
                                         created_at, updated_at, vat_rate_id, variant_attributes)
            SELECT 'P' || lpad(n::text, 7, '0'),
                   (ARRAY['Bol', 'Tasse', 'Théière', 'Cocotte', 'Poêle', 'Couteau', 'Nappe', 'Lampe'])[1 + n %% 8] || ' '
                   || (ARRAY['bleu', 'rouge', 'vert', 'noir', 'blanc', 'lin', 'chêne', 'grès', 'inox'])[1 + n %% 9]
                   || ' modèle ' || n,
                   '', 'goods', 'pce', 5, false, 10, 10, 12, 0, true, now(), now(),
                   (SELECT id FROM catalog_vatrate WHERE code = 'FR-20'), ''
              FROM generate_series(0, %(products)s - 1) AS n
            """,
            {"products": PRODUCTS},
        )
        # Ten years of moves, oldest first (ids follow the dates); one in ten leaves the shop as an exit.
        cursor.execute(
            """
            INSERT INTO stock_stockmove (kind, quantity, unit_cost, value, product_quantity_after, average_cost_after, reason,
                                         note, reference, source_type, source_id, created_at, product_id, warehouse_id)
            SELECT k.kind, k.quantity, 5, 5 * k.quantity, 100, 5, CASE WHEN k.kind = 'exit' THEN 'breakage' ELSE '' END, '',
                   CASE k.kind WHEN 'delivery' THEN 'BL' WHEN 'reception' THEN 'BR' ELSE 'MV' END
                   || extract(year FROM t.at)::int || '-' || lpad((n %% 1000000)::text, 6, '0'),
                   '', NULL, t.at, p.first_id + (n::bigint * 7919) %% %(products)s,
                   CASE WHEN n %% 3 = 0 THEN %(depot)s ELSE %(shop)s END
              FROM generate_series(1, %(moves)s) AS n
              CROSS JOIN LATERAL (SELECT timestamptz '2016-01-01 08:00+01'
                                         + (n::float / %(moves)s) * (timestamptz '2025-12-31 18:00+01'
                                                                      - timestamptz '2016-01-01 08:00+01') AS at) AS t
              CROSS JOIN LATERAL (SELECT CASE WHEN n %% 10 = 0 THEN 'exit' WHEN n %% 4 = 0 THEN 'reception'
                                              ELSE 'delivery' END AS kind) AS k0
              CROSS JOIN LATERAL (SELECT k0.kind, CASE WHEN k0.kind = 'reception' THEN 12 ELSE -1 END AS quantity) AS k
              CROSS JOIN (SELECT min(id) AS first_id FROM catalog_product) AS p
            """,
            {"moves": MOVES, "products": PRODUCTS, "shop": shop.pk, "depot": depot.pk},
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    return shop


def seed_entries():
    from django.db import connection

    from accounting import services
    from crm.models import ThirdParty

    ThirdParty.objects.bulk_create(
        [ThirdParty(code=f"C{n:06d}", name=f"Client n° {n} l'Étoile", kind="company") for n in range(1, CUSTOMERS + 1)],
        batch_size=5000,
    )
    for year in YEARS:
        services.create_fiscal_year(start=date(year, 1, 1), end=date(year, 12, 31))
    per_year = ENTRIES // len(YEARS)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        # Half sales (VT), three in ten bank (BQ1), two in ten purchases (AC); numbered per journal and year.
        cursor.execute(
            """
            WITH raw AS (
                SELECT n, y.year, date (y.year || '-01-01') + ((n - 1) %% %(per_year)s) * 365 / %(per_year)s AS d,
                       CASE WHEN n %% 10 < 5 THEN 'VT' WHEN n %% 10 < 8 THEN 'BQ1' ELSE 'AC' END AS code
                  FROM generate_series(1, %(entries)s) AS n
                  CROSS JOIN LATERAL (SELECT 2021 + (n - 1) / %(per_year)s AS year) AS y)
            INSERT INTO accounting_journalentry (id, journal_id, number, fiscal_year_id, period_id, date, piece_ref, piece_date,
                                                 label, source_type, source_id, posted_at)
            SELECT r.n, j.id, row_number() OVER (PARTITION BY j.id, fy.id ORDER BY r.n), fy.id, p.id, r.d,
                   CASE r.code WHEN 'VT' THEN 'FA' WHEN 'AC' THEN 'FF' ELSE 'RG' END || r.year || '-' || lpad(r.n::text, 6, '0'),
                   r.d, CASE r.code WHEN 'VT' THEN 'Facture ' WHEN 'AC' THEN 'Facture fournisseur ' ELSE 'Règlement ' END
                        || r.n, 'bench', r.n, r.d + time '18:00'
              FROM raw r
              JOIN accounting_journal j ON j.code = r.code
              JOIN accounting_fiscalyear fy ON fy.start <= r.d AND fy."end" >= r.d
              JOIN accounting_period p ON p.start <= r.d AND p."end" >= r.d
            """,
            {"entries": ENTRIES, "per_year": per_year},
        )
        cursor.execute(
            """
            WITH accounts AS (SELECT number, id FROM accounting_account),
                 customers AS (SELECT row_number() OVER (ORDER BY id) AS k, id, code, name FROM crm_thirdparty)
            INSERT INTO accounting_journalline (entry_id, position, account_id, third_party_id, auxiliary_number,
                                                auxiliary_label, label, debit, credit, currency_amount, currency, lettering_code,
                                                lettering_date)
            SELECT e.id, l.position, a.id, CASE WHEN l.position = 1 THEN c.id END,
                   CASE WHEN l.position = 1 THEN c.code ELSE '' END, CASE WHEN l.position = 1 THEN c.name ELSE '' END,
                   e.label, l.debit * (1 + e.id %% 97), l.credit * (1 + e.id %% 97), NULL, '',
                   CASE WHEN l.position = 1 AND e.id %% 3 = 0 THEN 'A' ELSE '' END,
                   CASE WHEN l.position = 1 AND e.id %% 3 = 0 THEN e.date + 30 END
              FROM accounting_journalentry e
              JOIN customers c ON c.k = 1 + e.id %% %(customers)s
              CROSS JOIN (VALUES (1, '411000', 120.00, 0.00), (2, '707100', 0.00, 60.00),
                                 (3, '706100', 0.00, 40.00), (4, '445711', 0.00, 20.00)) AS l(position, account, debit, credit)
              JOIN accounts a ON a.number = l.account
            """,
            {"customers": CUSTOMERS},
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SELECT setval(pg_get_serial_sequence('accounting_journalentry', 'id'), %s)", [ENTRIES])


def seed():
    from django.contrib.auth.models import Group, User
    from django.db import connection

    save_bench_company()
    seed_moves()
    seed_entries()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    user = User.objects.create_user("bench", password="bench-password-1")
    user.groups.set(Group.objects.filter(name__in=["administrator", "accountant"]))
    return user


def measure(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, slowest = [], []
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        slowest.append(max(float(query["time"]) for query in captured.captured_queries) * 1000)
    timings.sort()
    return {
        "url": url,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "queries": len(captured),
        "slowest_query_ms": round(statistics.median(slowest), 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--reuse", action="store_true", help="time the database already filled (implies --keep)")
    parser.add_argument("--only", default="", help="scenarios whose name contains this text")
    parser.add_argument("--skip", default="", help="but not those whose name contains this text")
    args = parser.parse_args()
    seed_seconds = None
    if args.reuse:
        setup()
        from django.contrib.auth.models import User

        user = User.objects.get(username="bench")
    else:
        recreate_database()
        setup()
        started = time.perf_counter()
        user = seed()
        seed_seconds = round(time.perf_counter() - started, 1)
    try:
        from django.test import Client

        from accounting.models import Journal, Period
        from stock.models import Warehouse

        values = {
            "warehouse": Warehouse.objects.get(code="DEP").pk,
            "journal": Journal.objects.get(code="VT").pk,
            "period": Period.objects.get(start=date(2024, 3, 1)).pk,
        }
        browser = Client()
        browser.force_login(user)
        scenarios = {**MOVE_SCENARIOS, **LINE_SCENARIOS}
        results = {
            name: measure(browser, url.format(**values))
            for name, url in scenarios.items()
            if args.only in name and not (args.skip and args.skip in name)
        }
        print(
            json.dumps(
                {
                    "moves": MOVES,
                    "entries": ENTRIES,
                    "repeat": REPEAT,
                    "seed_seconds": seed_seconds,
                    "load": os.getloadavg(),
                    "results": results,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    finally:
        if not (args.keep or args.reuse):
            drop_database()


if __name__ == "__main__":
    main()
