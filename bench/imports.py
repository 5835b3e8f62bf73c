"""Spreadsheet imports of 100,000 rows on PostgreSQL: the preview (read, check, store the rows)
and the confirmation (write) of 100,000 products, then of 100,000 third parties, through the
services the import screen calls (the background jobs run in-process, as eager Celery tasks).

Prints JSON with, for each kind: the file's size, the seconds and rows/s of the preview and of
the confirmation, the rows created and rejected, and the process's peak memory.
Aim (issue #17, item 7): the preview of 100,000 rows finishes (no database parameter limit, no
web-worker timeout: it runs in a job), in memory that does not grow with the file.

Measured on 2026-12-05, 2 cores shared with six other engineers' test runs (load average 6–8),
each kind in its own run: products preview 856 s (117 rows/s), confirm 1,064 s (94 rows/s),
peak RSS 235 MB; third parties preview 1,738 s (58 rows/s), confirm 1,955 s (51 rows/s), peak
RSS 281 MB. Most of the time is Django's form validation of each row (the forms of the screens,
so an import refuses what a screen refuses), then, for third parties, one ``create_third_party``
per row.

Third parties created per batch (``crm.services.create_third_parties``: one take of the
sequence, one uniqueness query, one ``bulk_create`` each for third parties and addresses),
measured on 2026-12-05, 10,000 rows, ``BENCH_IMPORT_KINDS=third_parties``, 2 cores shared:
confirm 116.0 s (86 rows/s) before, 42.6 s (235 rows/s) after; peak RSS 221 MB both. What is
left per row: the form re-check of the confirmation and Django's query for the role constraint.

Run: ``.venv/bin/python bench/imports.py`` (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/lmb_bench, is dropped and recreated; BENCH_IMPORT_ROWS
changes the number of rows, BENCH_IMPORT_KINDS=products or third_parties runs one kind).
"""

import json
import os
import resource
import sys
import tempfile
import time

from harness import autoanalyze, recreate_database, setup

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 100_000))
KINDS = os.environ.get("BENCH_IMPORT_KINDS", "products,third_parties").split(",")


def products_csv(rows: int) -> bytes:
    lines = ["Référence;Désignation;Catégorie;TVA;Prix de vente;Prix TTC;Poids (kg);Description"]
    categories = ["Maison > Cuisine", "Maison > Salon", "Épicerie > Thés", "Épicerie > Biscuits", "Jardin"]
    for n in range(rows):
        lines.append(
            f"REF-{n:06d};Article n° {n};{categories[n % len(categories)]};{'20' if n % 3 else '5,5'};"
            f"{n % 500 + 1},{n % 100:02d};{'oui' if n % 2 else 'non'};0,{n % 1000:03d};Un article de démonstration"
        )
    lines.append("REF-000001;Doublon;;20;5;non;;")  # one row rejected, found across batches
    return ("\n".join(lines) + "\n").encode("utf-8")


def third_parties_csv(rows: int) -> bytes:
    lines = ["Type;Nom;Prénom;Nom de famille;E-mail;Téléphone;Adresse;Code postal;Ville;Pays"]
    for n in range(rows):
        if n % 4:
            phone = f"02 99 00 {n % 100:02d} {n % 97:02d}"
            lines.append(f"Société;Société {n};;;contact{n}@example.fr;{phone};{n} rue du Port;35000;Rennes;FR")
        else:
            lines.append(f"Particulier;;Anne;Le Gall {n};anne{n}@example.fr;;{n} place des Lices;29000;Quimper;FR")
    lines.append("Particulier;;;;;;;;;")  # one row rejected: a person without a name
    return ("\n".join(lines) + "\n").encode("utf-8")


def measure(kind: str, content: bytes, user) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lmb import imports
    from lmb.models import ImportJob

    upload = SimpleUploadedFile(f"{kind}.csv", content)
    began = time.perf_counter()
    job = imports.preview_import(kind=kind, uploaded_file=upload, user=user)
    job.refresh_from_db()
    preview = time.perf_counter() - began
    assert job.status == ImportJob.Status.PREVIEW, (job.status, job.message)
    began = time.perf_counter()
    imports.confirm_import(job, user=user)
    job.refresh_from_db()
    confirm = time.perf_counter() - began
    assert job.status == ImportJob.Status.DONE, (job.status, job.message)
    return {
        "rows": job.row_count,
        "file_megabytes": round(len(content) / 2**20, 1),
        "preview_seconds": round(preview, 1),
        "preview_rows_per_second": round(job.row_count / preview),
        "confirm_seconds": round(confirm, 1),
        "confirm_rows_per_second": round(job.row_count / confirm),
        "created": job.created_count,
        "rejected": job.rejected_count,
        "peak_memory_megabytes": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main():
    recreate_database()
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-imports-")
    setup()
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("bench", "bench@example.fr", "bench")
    figures = {"rows": ROWS}
    with autoanalyze():
        for name, kind, make in (("products", "products", products_csv), ("third_parties", "third-parties", third_parties_csv)):
            if name in KINDS:
                figures[name] = measure(kind, make(ROWS), user)
                print(json.dumps({name: figures[name]}), file=sys.stderr, flush=True)  # a long run shows each as it ends
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
