"""FEC export of 1,000,000 entry lines, against PostgreSQL's bare COPY of the same rows.

Prints JSON with:
- the seconds and the peak RSS (MB) of ``accounting.fec.export`` writing the FEC of a fiscal year
  of 1,000,000 lines (250,000 sales entries of 4 lines, over 1,000 customers), in a process of
  its own, and that process's RSS before the export;
- in the same run, the seconds of ``COPY (SELECT the same rows, same joins and order) TO STDOUT``
  written to a file, and the ratio export / COPY;
- the format check of the file (accounting.fec_check) and its seconds;
- with ``--iterator``, the seconds and peak RSS of the generic writer (any database).
Aim (issue #6): ratio ≤ 4, peak RSS ≤ 200 MB.

The lines are inserted by SQL (generate_series), not through the services, triggers off.
Run: ``BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/lmb_acc_bench .venv/bin/python bench/fec.py``
(the database is dropped and recreated, and dropped at the end).
"""

import argparse
import json
import multiprocessing
import os
import resource
import tempfile
import time

from harness import BENCH_COMPANY, drop_database, recreate_database, save_bench_company, setup

ENTRIES = 250_000
CUSTOMERS = 1_000
SIREN = BENCH_COMPANY["siren"]  # the FEC file is named after the seller


def seed(entries: int):
    from django.db import connection

    from accounting import services
    from crm.models import ThirdParty

    save_bench_company(iban="FR7630006000011234567890189", early_payment_terms="Pas d'escompte pour paiement anticipé.")
    ThirdParty.objects.bulk_create(
        [ThirdParty(code=f"C{n:06d}", name=f"Client n° {n} l'Étoile", kind="company") for n in range(1, CUSTOMERS + 1)]
    )
    from datetime import date

    year = services.create_fiscal_year(start=date(2025, 1, 1), end=date(2025, 12, 31))
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # bulk load: the per-row triggers off
        cursor.execute(
            """
            INSERT INTO accounting_journalentry (id, journal_id, number, fiscal_year_id, period_id, date, piece_ref, piece_date,
                                                 label, source_type, source_id, posted_at)
            SELECT n, (SELECT id FROM accounting_journal WHERE code = 'VT'), n, %(year)s, p.id, d,
                   'FA2025-' || lpad(n::text, 6, '0'), d, 'Facture FA2025-' || lpad(n::text, 6, '0'), 'invoice', n,
                   d + time '18:00'
              FROM generate_series(1, %(entries)s) AS n
              CROSS JOIN LATERAL (SELECT date '2025-01-01' + ((n - 1) * 365 / %(entries)s) AS d) AS day
              JOIN accounting_period p ON p.start <= day.d AND p."end" >= day.d
            """,
            {"year": year.pk, "entries": entries},
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
                   e.label, l.debit, l.credit, NULL, '', CASE WHEN l.position = 1 AND e.id %% 3 = 0 THEN 'A' ELSE '' END,
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
        cursor.execute("SELECT setval(pg_get_serial_sequence('accounting_journalentry', 'id'), %s)", [entries])
        cursor.execute("ANALYZE accounting_journalentry")
        cursor.execute("ANALYZE accounting_journalline")
        cursor.execute("SELECT count(*) FROM accounting_journalline")
        return year.pk, cursor.fetchone()[0]


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _export_in_a_process(year_id, directory, stream, results):
    """A fresh process, so its peak RSS is the export's (plus Django's own)."""
    from django.db import connections

    for conn in connections.all():
        conn.connection = None  # the parent's socket stays the parent's
    from accounting import fec
    from accounting.models import FiscalYear

    year = FiscalYear.objects.get(pk=year_id)
    before = _rss_mb()
    started = time.perf_counter()
    path = fec.export(year, directory, siren=SIREN, stream=stream)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put({"seconds": round(seconds, 2), "peak_rss_mb": round(peak, 1), "rss_before_mb": round(before, 1), "path": path})
    connections.close_all()


def export(year_id, directory, stream):
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    worker = context.Process(target=_export_in_a_process, args=(year_id, directory, stream, results))
    worker.start()
    result = results.get(timeout=3600)
    worker.join()
    return result


def bare_copy(year_id, path) -> float:
    """COPY of the same rows (same joins, order and columns, unformatted) into a file."""
    from django.db import connection

    sql = """COPY (
        SELECT j.code, j.label, e.number, e.date, a.number, a.label, l.auxiliary_number, l.auxiliary_label, e.piece_ref,
               e.piece_date, l.label, l.debit, l.credit, l.lettering_code, l.lettering_date, e.posted_at, l.currency_amount,
               l.currency
          FROM accounting_journalline l
          JOIN accounting_journalentry e ON e.id = l.entry_id
          JOIN accounting_journal j ON j.id = e.journal_id
          JOIN accounting_account a ON a.id = l.account_id
         WHERE e.fiscal_year_id = %s
         ORDER BY j.kind <> 'opening', e.posted_at, j.code, e.number, l.position, l.id) TO STDOUT"""
    started = time.perf_counter()
    with connection.cursor() as cursor, open(path, "wb") as out, cursor.cursor.copy(sql, [year_id]) as copy:
        for chunk in copy:
            out.write(chunk)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=ENTRIES, help="entries of 4 lines each")
    parser.add_argument("--iterator", action="store_true", help="also time the generic (any database) writer")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    recreate_database()
    setup()
    try:
        started = time.perf_counter()
        year_id, lines = seed(args.entries)
        seed_seconds = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as directory:
            copy_seconds = bare_copy(year_id, os.path.join(directory, "copy.txt"))
            result = export(year_id, directory, "copy")
            copy_again = bare_copy(year_id, os.path.join(directory, "copy2.txt"))  # the cache warm for both
            copy_seconds = min(copy_seconds, copy_again)
            from accounting import fec_check

            started = time.perf_counter()
            report = fec_check.check(result["path"], siren=SIREN)
            check_seconds = time.perf_counter() - started
            figures = {
                "lines": lines,
                "seed_seconds": round(seed_seconds, 1),
                "export_seconds": result["seconds"],
                "export_peak_rss_mb": result["peak_rss_mb"],
                "export_rss_before_mb": result["rss_before_mb"],
                "file_mb": round(os.path.getsize(result["path"]) / 1e6, 1),
                "copy_seconds": round(copy_seconds, 2),
                "ratio_to_copy": round(result["seconds"] / copy_seconds, 2),
                "check_ok": report.ok,
                "check_problems": report.problems[:5],
                "check_seconds": round(check_seconds, 1),
                "aim": {"ratio_to_copy": 4, "peak_rss_mb": 200},
            }
            if args.iterator:
                generic = export(year_id, directory, "iterator")
                figures["iterator_seconds"] = generic["seconds"]
                figures["iterator_peak_rss_mb"] = generic["peak_rss_mb"]
        print(json.dumps(figures, indent=2))
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
