"""Barcode label sheets: the PDF decodes back to the EAN-13 codes, label by label, on the cells of
the sheet; bad requests are refused naming the field; the screens and the job around it."""

import re
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from PIL import Image

from lmb import roles
from lmb.celery import app
from lmb.errors import InvalidInput
from lmb.jobs import create_job
from lmb.models import Job
from stock import labels
from stock.tasks import render_labels
from tests.factories import ProductFactory
from tests.helpers import page_text

pytestmark = pytest.mark.django_db  # the PDF checks need Debian's poppler-utils (pdftoppm) and zbar-tools (zbarimg)

DPI = 300


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _eager_tasks():
    """Tasks run in-process here, whatever the environment says (the worker test sends them)."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "task_eager_propagates")}
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(saved)


# --- Reading the PDF back ---------------------------------------------------------------------------


def rasterise(pdf: bytes, folder) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labels.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(folder / "labels.pdf"), str(folder / "page")], check=True)
    pages = [path for path in folder.glob("page-*.png") if path.stem.split("-", 1)[1].isdigit()]
    return sorted(pages, key=lambda path: int(path.stem.split("-", 1)[1]))


def decode(png) -> list[str]:
    """Every barcode zbar finds in the image (exit status 4: none)."""
    run = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True)
    assert run.returncode in (0, 4), run.stderr
    return run.stdout.split()


def decode_cells(png, layout: labels.LabelLayout) -> list[list[str]]:
    """The codes read in each cell of the sheet, row by row: a label printed off its cell is cut
    by the crop and does not decode."""
    scale = DPI / 25.4
    inset = 0.5  # mm, so a crop never catches the neighbour's edge
    page = Image.open(png)
    found = []
    for row in range(layout.rows):
        for column in range(layout.columns):
            left = layout.margin_left + column * (layout.label_width + layout.column_gap) + inset
            top = layout.margin_top + row * (layout.label_height + layout.row_gap) + inset
            box = [
                round(v * scale)
                for v in (left, top, left + layout.label_width - 2 * inset, top + layout.label_height - 2 * inset)
            ]
            cell = png.with_name(f"{png.stem}-cell-{row}-{column}.png")
            page.crop(box).save(cell)
            found.append(decode(cell))
    return found


def pdf_text(pdf: bytes, folder) -> str:
    path = folder / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def products():
    return [
        ProductFactory(
            reference="THE-01",
            designation="Théière en fonte émaillée bleu nuit, 1,2 litre, filtre inox",
            sale_price=Decimal("49.90"),
            price_includes_tax=True,
        ),  # noqa: E501
        ProductFactory(reference="BOL-02", designation="Bol breton prénom", sale_price=Decimal("12.90"), price_includes_tax=True),
        ProductFactory(reference="TAS-03", designation="Tasse expresso", sale_price=Decimal("1234.50"), price_includes_tax=True),
    ]


# --- The PDF ----------------------------------------------------------------------------------------


def test_a4_sheet_decodes_to_the_expected_codes_label_by_label(products, tmp_path):
    layout = labels.LAYOUTS["a4-3x7-63x38"]
    quantities = [10, 7, 6]  # 23 labels: a full sheet of 21, then 2
    steps = []
    sheets = labels.render_label_sheets(
        list(zip(products, quantities, strict=True)), layout, progress=lambda percent, message="": steps.append(percent)
    )

    assert sheets.label_count == 23 and sheets.page_count == 2 and not sheets.skipped
    expected = [product.ean13 for product, quantity in zip(products, quantities, strict=True) for _ in range(quantity)]
    pages = rasterise(sheets.pdf, tmp_path / "a4")
    assert len(pages) == 2
    cells = decode_cells(pages[0], layout) + decode_cells(pages[1], layout)
    assert cells == [[code] for code in expected] + [[]] * 19  # one code per label, in order, on its cell; the rest blank
    # On a whole page zbar reports each distinct code once (hence the cell by cell count above).
    assert [sorted(decode(page)) for page in pages] == [sorted(set(expected[:21])), sorted(set(expected[21:]))]
    assert steps == sorted(steps) and steps[-1] == 100

    text = pdf_text(sheets.pdf, tmp_path)
    assert "49,90 €" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert "1 234,50 €" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert "THE-01" in text and "Bol breton prénom" in text


def test_a4_sheet_can_start_on_a_used_sheet(products, tmp_path):
    layout = labels.LAYOUTS["a4-4x10-48x25"]
    sheets = labels.render_label_sheets([(products[1], 3)], layout, first_position=39)
    pages = rasterise(sheets.pdf, tmp_path)
    cells = decode_cells(pages[0], layout) + decode_cells(pages[1], layout)
    assert sheets.page_count == 2 and cells == [[]] * 38 + [[products[1].ean13]] * 3 + [[]] * 39


def test_single_label_printer_gives_one_page_per_label(products, tmp_path):
    layout = labels.LAYOUTS["roll-57x32"]
    sheets = labels.render_label_sheets([(products[0], 2), (products[2], 1)], layout)

    pages = rasterise(sheets.pdf, tmp_path)
    assert sheets.page_count == 3 and [decode(page) for page in pages] == [[products[0].ean13]] * 2 + [[products[2].ean13]]
    width, height = Image.open(pages[0]).size
    assert (round(width * 25.4 / DPI), round(height * 25.4 / DPI)) == (57, 32)


@pytest.mark.parametrize("code", list(labels.LAYOUTS))
def test_every_layout_prints_scannable_codes_on_its_cells(code, products, tmp_path):
    layout = labels.LAYOUTS[code]
    assert layout.module_width >= labels.MIN_MODULE_WIDTH
    sheets = labels.render_label_sheets([(products[0], 1), (products[2], 1)], layout)
    pages = rasterise(sheets.pdf, tmp_path)
    if layout.is_single:
        assert [decode(page) for page in pages] == [[products[0].ean13], [products[2].ean13]]
    else:
        assert decode_cells(pages[0], layout)[:3] == [[products[0].ean13], [products[2].ean13], []]


def test_products_without_ean_are_left_out_and_named(products, tmp_path):
    plain = ProductFactory(reference="SANS-EAN", designation="Sachet vrac", ean13=None)
    sheets = labels.render_label_sheets([(plain, 3), (products[1], 2)], labels.LAYOUTS["a4-3x8-70x37"])

    assert sheets.label_count == 2 and sheets.skipped == [plain]
    assert "SANS-EAN (Sachet vrac)" in sheets.warning and "EAN-13" in sheets.warning
    pages = rasterise(sheets.pdf, tmp_path)
    assert decode_cells(pages[0], labels.LAYOUTS["a4-3x8-70x37"])[:3] == [[products[1].ean13]] * 2 + [[]]

    job = labels.start_label_job(items=[(plain, 3), (products[1], 2)], layout="a4-3x8-70x37", user=None)
    assert "SANS-EAN" in job.parameters["notice"]
    assert job.parameters["items"] == [{"product": plain.pk, "quantity": 3}, {"product": products[1].pk, "quantity": 2}]
    with pytest.raises(InvalidInput) as refused:
        labels.start_label_job(items=[(plain, 3)], layout="a4-3x8-70x37", user=None)
    assert "SANS-EAN" in refused.value.errors["items"][0]


def test_designation_is_cut_after_a_whole_word():
    assert labels.truncate("Théière en fonte émaillée", 15) == "Théière en…"
    assert labels.truncate("  Bol   breton ", 15) == "Bol breton"
    assert labels.truncate("Anticonstitutionnellement", 10) == "Anticonst…"
    assert len(labels.truncate("mot " * 50, 40)) <= 40


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"layout": "a5-inconnu"}, "layout"),
        ({"items": []}, "items"),
        ({"quantity": 0}, "items"),
        ({"quantity": 1001}, "items"),
        ({"quantity": "trois"}, "items"),
        ({"first_position": 22}, "first_position"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(arguments, field, products, admin_user):
    items = arguments.get("items", [(products[0], arguments.get("quantity", 1))])
    with pytest.raises(InvalidInput) as refused:
        labels.start_label_job(
            items=items,
            layout=arguments.get("layout", "a4-3x7-63x38"),
            user=admin_user,
            first_position=arguments.get("first_position", 1),
        )
    assert list(refused.value.errors) == [field]
    assert Job.objects.count() == 0


def test_quantities_of_a_product_given_twice_add_up_and_are_capped(products, admin_user):
    with pytest.raises(InvalidInput) as refused:
        labels.start_label_job(items=[(products[0], 600), (products[0], 401)], layout="a4-3x7-63x38", user=admin_user)
    assert "THE-01" in refused.value.errors["items"][0] and "1\u202f001" in refused.value.errors["items"][0]


# --- The task ----------------------------------------------------------------------------------------


def test_the_task_makes_a_done_job_with_the_pdf(products, admin_user, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = labels.start_label_job(
            items=[(products[0], 2), (products[1], 1)], layout="a4-2x7-99x38", user=admin_user, title="Réception R-12"
        )
    assert len(callbacks) == 1

    job.refresh_from_db()
    assert (job.kind, job.status, job.progress, job.title) == ("labels", Job.Status.DONE, 100, "Réception R-12")
    assert job.finished_at and job.result.name.endswith(".pdf")
    pdf = job.result.read()
    assert pdf.startswith(b"%PDF")
    assert decode_cells(rasterise(pdf, tmp_path)[0], labels.LAYOUTS["a4-2x7-99x38"])[:4] == [
        [products[0].ean13],
        [products[0].ean13],
        [products[1].ean13],
        [],
    ]

    name = job.result.name
    render_labels.delay(job.pk)  # a redelivered message does not redo a finished job
    assert render_labels.acks_late and render_labels.reject_on_worker_lost and not render_labels.retry_on_worker_lost
    job.refresh_from_db()
    assert job.result.name == name


def test_a_job_whose_product_disappeared_fails_with_its_reason(products, admin_user):
    job = create_job(
        kind="labels",
        title="Étiquettes",
        user=admin_user,
        parameters={"layout": "a4-3x7-63x38", "items": [{"product": 987654, "quantity": 1}]},
    )  # noqa: E501
    render_labels.delay(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "987654" in job.message and not job.result


def test_a_job_that_cannot_be_queued_waits_saying_so(products, admin_user, broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = labels.start_label_job(items=[(products[0], 1)], layout="roll-57x32", user=admin_user)
    job.refresh_from_db()
    # Pending, not failed: the sweeper sends it again once the broker is back (tests/lmb/test_jobs.py).
    assert (job.status, job.task) == (Job.Status.PENDING, "stock.tasks.render_labels")
    assert "ne répond pas" in job.message and job.queued_at is not None


# --- The screens ---------------------------------------------------------------------------------------


def test_label_page_needs_the_stock_permission(client, make_user, role_client):
    client.force_login(make_user())
    assert client.get(reverse("stock:label_create")).status_code == 403
    page = role_client(roles.WAREHOUSE).get(reverse("stock:label_create"))
    assert page.status_code == 200
    assert 'href="/stock/labels/"' in page_text(page) and "Étiquettes" in page_text(page)  # the menu entry


def test_a_bad_code_is_shown_beside_the_field_with_its_line(products, role_client):
    client = role_client(roles.WAREHOUSE)
    response = client.post(
        reverse("stock:label_create"),
        {
            "items": f"{products[0].ean13}\nINCONNU-42\n{products[1].reference};zéro",
            "layout": "a4-3x7-63x38",
            "first_position": 1,
        },
    )
    assert response.status_code == 422
    html = page_text(response)
    errors = re.findall(r'data-error-for="items">([^<]*)<', html)
    assert errors == [
        "Ligne 2 : aucun produit n'a le code ou la référence « INCONNU-42 ».",
        "Ligne 3 : la quantité « zéro » n'est pas un nombre entier.",
    ]
    assert Job.objects.count() == 0


def test_quantity_above_the_limit_is_shown_beside_the_field(products, role_client):
    response = role_client(roles.WAREHOUSE).post(
        reverse("stock:label_create"), {"items": f"{products[0].reference};1500", "layout": "a4-3x7-63x38", "first_position": 1}
    )
    assert response.status_code == 422
    assert re.search(r'data-error-for="items">THE-01 : la quantité doit être comprise entre 1 et 1\u202f000', page_text(response))


def test_scanning_then_submitting_opens_the_job_page_and_the_file(products, role_client, django_capture_on_commit_callbacks):
    client = role_client(roles.WAREHOUSE)
    scanned = "\n".join([products[0].ean13, products[0].ean13, products[1].reference.lower(), f"{products[2].ean13};3", ""])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("stock:label_create"), {"items": scanned, "layout": "roll-62x29", "first_position": 7})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.parameters["items"] == [
        {"product": products[0].pk, "quantity": 2},
        {"product": products[1].pk, "quantity": 1},
        {"product": products[2].pk, "quantity": 3},
    ]

    page = page_text(client.get(response["Location"]))
    assert job.title in page and "Terminé" in page and reverse("jobs:result", args=[job.pk]) in page
    partial = page_text(client.get(reverse("jobs:progress", args=[job.pk])))
    assert "100 %" in partial and "hx-trigger" not in partial  # finished: the polling stops
    download = client.get(reverse("jobs:result", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_progress_block_polls_every_second_while_the_job_runs(admin_user, admin_client):
    job = create_job(kind="labels", title="Étiquettes en cours", user=admin_user)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress=40, message="Codes-barres : 2 / 5 produits")

    page = page_text(admin_client.get(reverse("jobs:detail", args=[job.pk])))
    assert "Étiquettes en cours" in page and 'aria-valuenow="40"' in page
    partial = page_text(admin_client.get(reverse("jobs:progress", args=[job.pk]), HTTP_HX_REQUEST="true"))
    assert f'hx-get="{reverse("jobs:progress", args=[job.pk])}"' in partial and 'hx-trigger="every 1s"' in partial
    assert "Codes-barres : 2 / 5 produits" in partial and "<html" not in partial
    assert admin_client.get(reverse("jobs:result", args=[job.pk])).status_code == 404  # no file yet


def test_only_the_creator_or_a_superuser_sees_a_job(products, make_user, client, django_capture_on_commit_callbacks):
    owner = make_user(roles.WAREHOUSE)
    with django_capture_on_commit_callbacks(execute=True):
        job = labels.start_label_job(items=[(products[0], 1)], layout="roll-57x32", user=owner)
    client.force_login(make_user(roles.WAREHOUSE))
    for name in ("jobs:detail", "jobs:progress", "jobs:result"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    client.force_login(make_user(is_superuser=True))
    assert client.get(reverse("jobs:result", args=[job.pk])).status_code == 200
    client.force_login(owner)
    assert client.get(reverse("jobs:result", args=[job.pk])).status_code == 200


def test_failed_job_shows_its_reason(admin_user, admin_client):
    job = create_job(kind="labels", title="Étiquettes", user=admin_user)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, message="Produit(s) supprimé(s) depuis la demande : n° 7.")
    partial = page_text(admin_client.get(reverse("jobs:progress", args=[job.pk])))
    assert "Échec" in partial and "n° 7" in partial and "hx-trigger" not in partial and "jobs/" not in partial.split("Échec")[1]


def test_a_reception_can_link_to_the_page_with_its_lines(products, role_client):
    plain = ProductFactory(reference="SANS-EAN", ean13=None)
    url = reverse("stock:label_create") + f"?items={products[0].pk}:3,{plain.pk}:1,999999:2,abc&title=Réception R-7"
    page = role_client(roles.WAREHOUSE).get(url)
    form = page.context["form"]
    assert form["items"].value() == f"{products[0].ean13};3\nSANS-EAN;1" and form["title"].value() == "Réception R-7"
    assert "999999:2, abc" in page_text(page)


def test_the_preview_shows_what_each_scan_gives(products, role_client):
    ProductFactory(reference="SANS-EAN", designation="Sachet vrac", ean13=None)
    response = role_client(roles.WAREHOUSE).post(
        reverse("stock:label_preview"),
        {"items": f"{products[1].ean13}\n{products[1].ean13}\nSANS-EAN\nFAUX", "layout": "a4-3x7-63x38", "first_position": "21"},
    )
    html = page_text(response)
    assert response.status_code == 200 and "<html" not in html
    assert "Bol breton prénom" in html and "12,90" in html
    assert "2 étiquettes · 2 pages" in html  # the last cell of a used sheet, then a new sheet
    assert "Ligne 4 : aucun produit n'a le code ou la référence « FAUX »." in html
    assert "SANS-EAN (Sachet vrac)" in html and "non imprimé" in html
