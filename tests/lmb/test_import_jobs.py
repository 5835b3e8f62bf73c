"""Large imports: rows checked and written in batches (one database look-up per batch, so no
``IN`` list beyond the database's limits), kept one per ``ImportRow``, and a large file checked
then written by background jobs whose progress the import page shows. The batch size and the
threshold of "large" are lowered here so that a few rows exercise every path."""

import socket
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.importers import ProductImporter
from catalog.models import Product
from crm.models import ThirdParty
from lmb import imports, spreadsheets
from lmb.jobs import sweep_jobs
from lmb.models import ImportJob, ImportRow, Job
from lmb.tasks import check_import, write_import
from tests.factories import ProductFactory, ThirdPartyFactory, valid_siren
from tests.helpers import a_dead_process_id, page_text

pytestmark = pytest.mark.django_db

HEADER = "Référence;Désignation;TVA;Prix de vente;EAN-13\n"


def products_csv(rows: list[str]) -> SimpleUploadedFile:
    return SimpleUploadedFile("catalogue.csv", (HEADER + "".join(f"{row}\n" for row in rows)).encode())


def ten_products(taken_ean: str) -> list[str]:
    rows = [f"P-{n:02d};Produit {n};20;{n},50;" for n in range(2, 12)]  # file rows 2 to 11
    rows[7] = "P-02;Doublon de la ligne 2;20;5;"  # row 9, in the third batch of 3
    rows[4] = f"P-06;Produit 6;20;6,50;{taken_ean}"  # row 6: the EAN of a product in the catalogue
    return rows


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 3)


@pytest.fixture
def large_from(monkeypatch, settings, tmp_path):
    """Files of more than 4 rows are large: checked and written by background jobs."""
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(imports, "SYNC_MAX_ROWS", 4)


def test_rows_are_checked_in_batches_with_one_look_up_each_and_the_whole_file_in_view(small_batches, admin_user):
    taken = ProductFactory(reference="AUTRE", ean13="3760123456784")
    with CaptureQueriesContext(connection) as captured:
        job = imports.preview_import(kind="products", uploaded_file=products_csv(ten_products(taken.ean13)), user=admin_user)
    statements = [query["sql"] for query in captured]
    by_reference = [sql for sql in statements if 'FROM "catalog_product"' in sql and "UPPER" in sql and " IN (" in sql]
    assert len(by_reference) == 4  # 10 rows in batches of 3: one look-up per batch, never one list of every reference
    assert {(e["row"], e["column"]) for e in job.errors} == {(6, "EAN-13"), (9, "Référence")}
    assert "ligne 2" in next(e["message"] for e in job.errors if e["row"] == 9)  # found across batches
    assert (job.row_count, job.valid_count, job.rejected_count) == (10, 8, 2)
    assert ImportRow.objects.filter(import_job=job).count() == 10 and not Product.objects.exclude(pk=taken.pk).exists()

    job = imports.confirm_import(job, user=admin_user)
    assert (job.status, job.created_count, job.rejected_count) == (ImportJob.Status.DONE, 8, 2)
    assert Product.objects.get(reference="P-02").designation == "Produit 2"
    assert set(job.rows.values_list("state", flat=True)) == {ImportRow.State.IMPORTED, ImportRow.State.REJECTED}


def test_third_parties_are_checked_in_batches_and_a_siret_twice_is_found_across_them(small_batches, admin_user):
    siren, known = valid_siren(31), ThirdPartyFactory(name="Déjà là")
    known.siret = siret_of(valid_siren(32))
    known.save()
    rows = [f"Société;Client {n};;" for n in range(2, 9)]
    rows[0] = f"Société;Cave;{siren};{siret_of(siren)}"  # row 2
    rows[5] = f"Société;Cave bis;{siren};{siret_of(siren)}"  # row 7: same establishment, another batch
    rows[3] = f"Société;Autre;;{known.siret}"  # row 5: a third party we have
    text = "Type;Nom;SIREN;SIRET\n" + "".join(f"{row}\n" for row in rows)
    upload = SimpleUploadedFile("tiers.csv", text.encode())
    job = imports.preview_import(kind="third-parties", uploaded_file=upload, user=admin_user)
    assert {(e["row"], e["column"]) for e in job.errors} == {(5, "SIRET"), (7, "SIRET")}
    imports.confirm_import(job, user=admin_user)
    assert ThirdParty.objects.filter(name__startswith="Client").count() == 4 and ThirdParty.objects.filter(name="Cave").exists()


def siret_of(siren: str) -> str:
    """A valid SIRET of the SIREN (Luhn over the 14 digits)."""
    for nic in range(10000, 99999):
        candidate = f"{siren}{nic}"
        digits = [int(d) * (2 if i % 2 == 0 else 1) for i, d in enumerate(candidate)]
        if sum(d - 9 if d > 9 else d for d in digits) % 10 == 0:
            return candidate
    raise AssertionError


@pytest.mark.smoke  # the embedded SQLite setup runs the same jobs (eagerly)
def test_a_large_file_is_checked_then_written_by_jobs_the_import_page_follows(
    small_batches, large_from, admin_user, admin_client, django_capture_on_commit_callbacks
):
    taken = ProductFactory(reference="AUTRE", ean13="3760123456784")
    start = reverse("import_start", args=["products"])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = admin_client.post(start, {"file": products_csv(ten_products(taken.ean13))})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("import_preview", args=[job.pk]) and job.status == ImportJob.Status.CHECKING
    assert job.file and job.job.kind == imports.PREVIEW_JOB and not job.rows.exists()
    page = page_text(admin_client.get(response["Location"]))
    assert "Vérification en cours" in page and f'hx-get="{reverse("jobs:progress", args=[job.job.pk])}"' in page

    for callback in queued:  # the worker takes the job
        callback()
    job.refresh_from_db()
    assert (job.status, job.row_count, job.rejected_count) == (ImportJob.Status.PREVIEW, 10, 2)
    assert job.job.status == Job.Status.DONE and not job.file  # the rows are kept, the file is not
    progress = admin_client.get(reverse("jobs:progress", args=[job.job.pk]), HTTP_HX_REQUEST="true")
    assert progress["HX-Redirect"] == reverse("import_preview", args=[job.pk])  # the page reloads on its preview
    page = page_text(admin_client.get(reverse("import_preview", args=[job.pk])))
    assert "Importer les 8 lignes valides" in page and "Doublon" not in page and "ligne 2" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.created_count, job.rejected_count) == (ImportJob.Status.DONE, 8, 2)
    assert job.job.kind == imports.CONFIRM_JOB and job.job.status == Job.Status.DONE
    assert Product.objects.filter(reference__startswith="P-").count() == 8


class WorkerKilled(BaseException):
    """What the OOM killer does to a worker: nothing is caught, nothing is cleaned up."""


def test_a_write_cut_short_resumes_where_it_stopped_and_writes_no_row_twice(
    small_batches, large_from, admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.preview_import(kind="products", uploaded_file=products_csv(ten_products("")), user=admin_user)
    write, calls = ProductImporter.write, []

    def dies_at_the_second_batch(self, valid_rows, *, user):
        calls.append(len(valid_rows))
        if len(calls) == 2:
            raise WorkerKilled
        return write(self, valid_rows, user=user)

    monkeypatch.setattr(ProductImporter, "write", dies_at_the_second_batch)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = imports.confirm_import(job, user=admin_user)
    assert job.status == ImportJob.Status.IMPORTING
    with pytest.raises(WorkerKilled):
        queued[0]()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.IMPORTING and job.created_count == 3 and Product.objects.count() == 3
    assert job.job.status == Job.Status.RUNNING  # left running, as a killed worker leaves it
    # The run's process is gone (lmb.jobs: a run on this host whose process died is taken over).
    Job.objects.filter(pk=job.job.pk).update(worker=f"{socket.gethostname()}:{a_dead_process_id()}")

    write_import.delay(job.job.pk)  # the message is delivered again
    job.refresh_from_db()
    assert (job.status, job.created_count, job.updated_count) == (ImportJob.Status.DONE, 9, 0)
    assert Product.objects.count() == 9  # 10 rows, one a duplicate: each written once
    write_import.delay(job.job.pk)  # and once more: nothing to do
    assert Product.objects.count() == 9


def test_a_large_file_damaged_further_down_fails_with_its_reason_and_keeps_no_row(
    large_from, admin_user, admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(spreadsheets, "LIMITS", replace(spreadsheets.LIMITS, cell_chars=100))
    rows = [f"P-{n};Produit {n};20;5;" for n in range(2, 9)] + ["P-9;" + "x" * 101 + ";20;5;"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("import_start", args=["products"]), {"file": products_csv(rows)})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and not job.rows.exists() and not job.file
    assert job.message.startswith("Ligne 9, colonne « Désignation » : la cellule a 101 caractères")
    page = page_text(admin_client.get(response["Location"]))
    assert "Ligne 9, colonne « Désignation »" in page and "Envoyer un autre fichier" in page
    assert not Product.objects.exists()


def test_the_preview_lists_the_first_rejected_rows_and_the_file_has_them_all(admin_user, admin_client, monkeypatch):
    monkeypatch.setattr("lmb.views.PREVIEW_ERROR_ROWS", 2)
    rows = [f"P-{n};;20;5;" for n in range(2, 7)]  # 5 rows without designation
    job = imports.preview_import(kind="products", uploaded_file=products_csv(rows), user=admin_user)
    page = page_text(admin_client.get(reverse("import_preview", args=[job.pk])))
    assert page.count("Désignation</td>") == 2 and "… et 3 autres lignes rejetées" in page
    download = admin_client.get(reverse("import_rejected", args=[job.pk, "csv"]))
    lines = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 6 and lines[1].startswith("2;P-2;")


def test_a_run_declared_dead_whose_job_was_taken_over_stops_and_leaves_the_import_to_its_successor(
    small_batches, large_from, admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    check, calls = ProductImporter.check, []

    def taken_over_after_the_first_batch(self, rows, state=None):
        calls.append(len(rows))
        if len(calls) == 1:  # another run takes the job over (lmb.jobs._claim) while this one checks
            Job.objects.filter(status=Job.Status.RUNNING).update(attempts=F("attempts") + 1, worker="another-host:4242")
        return check(self, rows, state=state)

    monkeypatch.setattr(ProductImporter, "check", taken_over_after_the_first_batch)
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.preview_import(kind="products", uploaded_file=products_csv(ten_products("")), user=admin_user)
    job.refresh_from_db()
    # The import is its successor's: not failed, its rows kept, nothing stored after the take-over.
    assert (job.status, job.message) == (ImportJob.Status.CHECKING, "") and job.file
    assert list(job.rows.values_list("number", flat=True)) == [2, 3, 4] and calls == [3]
    assert (job.job.status, job.job.attempts) == (Job.Status.RUNNING, 2)

    monkeypatch.setattr(ProductImporter, "check", check)
    Job.objects.filter(pk=job.job.pk).update(worker=f"{socket.gethostname()}:{a_dead_process_id()}")
    check_import.delay(job.job.pk)  # the successor dies in turn; the message comes back
    job.refresh_from_db()
    assert (job.status, job.row_count, job.rejected_count) == (ImportJob.Status.PREVIEW, 10, 1)


def given_up_by_the_sweeper(job: Job, settings):
    """The job's last allowed run died long ago: the sweeper gives it up (lmb.jobs._give_up)."""
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        attempts=settings.JOB_MAX_ATTEMPTS,
        heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS + 1),
        worker="another-host:4242",
    )
    assert sweep_jobs() == {"requeued": 0, "failed": 1, "resent": 0}


def test_an_import_whose_check_is_given_up_fails_with_the_reason_and_its_page_stops_waiting(
    small_batches, large_from, admin_user, admin_client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the worker dies on it, every time
        job = imports.preview_import(kind="products", uploaded_file=products_csv(ten_products("")), user=admin_user)
    ImportRow.objects.create(import_job=job, number=2, values={})  # what a dead run had stored
    given_up_by_the_sweeper(job.job, settings)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.job.status == Job.Status.FAILED
    assert job.message == job.job.message and job.message.startswith("Le traitement a été interrompu 3 fois")
    assert not job.rows.exists() and not job.file
    page = page_text(admin_client.get(reverse("import_preview", args=[job.pk])))
    assert "Le traitement a été interrompu 3 fois" in page and "Vérification en cours" not in page


def test_an_import_whose_write_is_given_up_or_fails_keeps_its_rows_and_fails_with_the_reason(
    small_batches, large_from, admin_user, settings, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.preview_import(kind="products", uploaded_file=products_csv(ten_products("")), user=admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.confirm_import(job, user=admin_user)
    given_up_by_the_sweeper(job.job, settings)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.message.startswith("Le traitement a été interrompu 3 fois")
    assert job.rows.filter(state=ImportRow.State.VALID).count() == 9  # kept: each says it was not imported

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.PREVIEW)  # the user tries again
    monkeypatch.setattr(ProductImporter, "write", broken_write)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        imports.confirm_import(job, user=admin_user)
    job.refresh_from_db()
    assert (job.status, job.job.status) == (ImportJob.Status.FAILED, Job.Status.FAILED)
    assert job.message == "Erreur interne : l'équipe technique est prévenue."  # the details stay on the job
    assert job.job.message.startswith(job.message + "\nTraceback")


def broken_write(self, valid_rows, *, user):
    raise RuntimeError("a bug")


@pytest.mark.parametrize("status", [ImportJob.Status.PREVIEW, ImportJob.Status.DONE])
def test_the_import_page_shows_its_counts_and_row_numbers_in_the_french_format(admin_user, admin_client, status):
    job = ImportJob.objects.create(
        kind="products",
        filename="catalogue.csv",
        created_by=admin_user,
        status=status,
        row_count=12345,
        rejected_count=1201,
        created_count=10000 if status == ImportJob.Status.DONE else 0,
        updated_count=1144 if status == ImportJob.Status.DONE else 0,
    )
    ImportRow.objects.create(
        import_job=job, number=10002, state=ImportRow.State.REJECTED, errors=[{"column": "Désignation", "message": "?"}]
    )
    page = page_text(admin_client.get(reverse("import_preview", args=[job.pk]))).replace("\u202f", " ")
    assert "Lignes lues : <strong>12 345</strong>" in page and '<strong id="rejected-count">1 201</strong>' in page
    assert "<td>10 002</td>" in page and "… et 1 200 autres lignes rejetées" in page
    if status == ImportJob.Status.DONE:
        assert "Créées : <strong>10 000</strong>" in page and "Mises à jour : <strong>1 144</strong>" in page
    else:
        assert '<strong id="valid-count">11 144</strong>' in page and "Importer les 11 144 lignes valides" in page
