"""Every CSV we write escapes the cells a spreadsheet would run as a formula (OWASP's CSV
injection), and leaves numbers as numbers."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lmb import imports
from lmb.csv_export import csv_safe, csv_writer
from lmb.spreadsheets import read_table

ATTACK = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (ATTACK, "'" + ATTACK),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("-Remise exceptionnelle", "'-Remise exceptionnelle"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Boulangerie = pain", "Boulangerie = pain"),
        ("-12,50", "-12,50"),  # an amount for the accountant's tool: stays a number
        ("-3", "-3"),
        ("1250.00", "1250.00"),
        ("-1-1", "'-1-1"),
        ("", ""),
        (None, ""),
        (Decimal("-12.50"), Decimal("-12.50")),
        (-7, -7),
    ],
)
def test_cells_that_would_run_as_formulas_are_written_as_text(cell, written):
    assert csv_safe(cell) == written


def test_the_writer_escapes_every_cell_of_every_row():
    out = io.StringIO()
    csv_writer(out, delimiter=";").writerow(["VT", ATTACK, "-12,50", 3])
    assert out.getvalue() == "VT;'=cmd|' /C calc'!A0;-12,50;3\r\n"


def test_the_writer_puts_every_cell_the_french_way_decimals_with_a_comma():
    out = io.StringIO()
    moment = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)  # 9:30 in Paris
    row = [Decimal("-1234.50"), Decimal("1E+3"), Decimal("15.416667"), date(2026, 11, 22), moment, True, False, "-5"]
    csv_writer(out, delimiter=";").writerow(row)
    assert out.getvalue() == "-1234,50;1000;15,416667;22/11/2026;22/11/2026 09:30;oui;non;-5\r\n"


@pytest.mark.django_db
def test_rejected_rows_download_as_a_safe_csv_that_reads_back_as_sent(admin_user, admin_client):
    text = f"Référence;Désignation;TVA;Prix de vente\nA-1;{ATTACK};19,6;-5\n"
    job = imports.preview_import(kind="products", uploaded_file=SimpleUploadedFile("c.csv", text.encode()), user=admin_user)
    assert job.rejected_count == 1
    response = admin_client.get(reverse("import_rejected", args=[job.pk, "csv"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:3] == ["2", "A-1", "'" + ATTACK] and "-5" in rows[1]  # the price, a number
    _header, again = read_table(SimpleUploadedFile("corrige.csv", content))
    assert again[0][2] == ATTACK  # the apostrophe we added is taken off when the file comes back
