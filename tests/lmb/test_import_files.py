"""Any file sent to an import gets an answer naming the problem — never a 500, never a worker
killed: binary garbage named .csv, a huge cell, a NUL byte, a truncated or damaged workbook, a
workbook with no sheet, and files beyond what we accept (size, columns, rows)."""

import io
import os
import re
import zipfile
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from catalog.models import Product
from lmb import imports, spreadsheets
from lmb.errors import InvalidInput
from lmb.models import ImportJob, ImportRow
from lmb.spreadsheets import UnreadableFile, read_table
from tests.helpers import page_text

HEADER = ["Référence", "Désignation", "TVA", "Prix de vente"]


def said(text: str) -> str:
    """A message with its French number spaces (narrow no-break) as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewritten(data: bytes, change) -> bytes:
    """The xlsx with each part passed through ``change(name, bytes)``."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info)))
    return out.getvalue()


GOOD_ROWS = [[f"REF-{n:03d}", f"Produit {n}", "20", "12,50"] for n in range(300)]
GOOD = xlsx_bytes(GOOD_ROWS)

# name, content, what the message must say
BAD_FILES = [
    ("catalogue.csv", os.urandom(4096), "n'est pas un fichier texte CSV"),
    ("catalogue.csv", bytes(range(1, 32)) * 40 + b"\x81\x8d" * 100, "données binaires"),  # no NUL, still binary
    ("catalogue.csv", b"R\xc3\xa9f\xc3\xa9rence;D\xc3\xa9signation\nA-1;Bol\x00bleu\n", "octet nul (ligne 2)"),
    (
        "catalogue.csv",
        "Référence;Désignation;TVA;Prix de vente\nA-1;".encode() + b"x" * 2_000_000 + b";20;5\n",
        "Ligne 2, colonne « Désignation » : la cellule a 2 000 000 caractères ; 32 767 au plus.",
    ),
    (
        "catalogue.xlsx",
        rewritten(xlsx_bytes([["A-1", "LONG", "20", "5"]]), lambda name, data: data.replace(b"LONG", b"y" * 40_000)),
        "Ligne 2, colonne « Désignation » : la cellule a 40 000 caractères",
    ),
    ("catalogue.xlsx", GOOD[: len(GOOD) // 2], "illisible"),  # cut short: no zip directory
    (
        "catalogue.xlsx",
        rewritten(GOOD, lambda name, data: data[: len(data) // 2] if name == "xl/worksheets/sheet1.xml" else data),
        "abîmé (incomplet ?) : sa lecture s'arrête après la ligne",
    ),
    (
        "catalogue.xlsx",
        rewritten(GOOD, lambda name, data: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", data) if "/workbook." in name else data),
        "aucune feuille",
    ),
    ("catalogue.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "Excel 97-2003 (.xls)"),
    ("catalogue.pdf", b"%PDF-1.7", ".xlsx ou .csv"),
    ("catalogue.csv", b"", "vide"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES, ids=[f"{n}-{m[:20]}" for n, _c, m in BAD_FILES])
def test_every_unreadable_file_is_refused_with_its_reason(name, content, message):
    with pytest.raises(UnreadableFile) as refused:
        read_table(SimpleUploadedFile(name, content))
    assert message in said(str(refused.value))


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES, ids=[f"{n}-{m[:20]}" for n, _c, m in BAD_FILES])
def test_the_import_screen_answers_every_bad_file_and_keeps_nothing(
    name, content, message, admin_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    start = reverse("import_start", args=["products"])
    with django_capture_on_commit_callbacks(execute=True):  # a heavy file is read by a job: its page then tells
        response = admin_client.post(start, {"file": SimpleUploadedFile(name, content)})
    if response.status_code == 302:
        response = admin_client.get(response["Location"])
    assert response.status_code == 200
    assert message in said(page_text(response))
    assert not ImportRow.objects.exists() and not Product.objects.exists()
    assert set(ImportJob.objects.values_list("status", flat=True)) <= {ImportJob.Status.FAILED}


@pytest.fixture
def low_limits(monkeypatch):
    limits = replace(
        spreadsheets.LIMITS, file_bytes=20_000, columns=6, rows=50, unpacked_bytes=400_000, shared_strings_bytes=200_000
    )
    monkeypatch.setattr(spreadsheets, "LIMITS", limits)
    return limits


@pytest.mark.django_db
def test_what_we_accept_is_bounded_and_the_message_says_by_what(low_limits, admin_user):
    def refused(name, content):
        with pytest.raises(InvalidInput) as error:
            imports.preview_import(kind="products", uploaded_file=SimpleUploadedFile(name, content), user=admin_user)
        return said(error.value.message)

    too_large = "Le fichier fait 20,0 Ko : 19,5 Ko au plus. Découpez-le en plusieurs fichiers."
    assert refused("gros.csv", b"x" * 20_000 + b"y" * 480) == too_large
    wide = ";".join(HEADER) + "\nA;B;20;5;;;;;;;z\n"
    assert refused("large.csv", wide.encode()) == "Ligne 2 : 11 colonnes ; 6 au plus."
    long = ";".join(HEADER) + "\n" + "".join(f"R{n};P;20;5\n" for n in range(51))
    assert refused("long.csv", long.encode()) == "Le fichier a plus de 50 lignes : découpez-le en plusieurs fichiers."
    bomb = xlsx_bytes([[f"A{n}", f"{n}" + "x" * 1000, "20", "5"] for n in range(500)])  # a few KB zipped
    assert len(bomb) < 20_000 and "une fois décompressé" in refused("bombe.xlsx", bomb)
    many_texts = io.BytesIO(xlsx_bytes([["A", "B", "20", "5"]]))
    with zipfile.ZipFile(many_texts, "a") as archive:  # the table of texts is read whole: bounded apart
        texts = b"<sst>" + b"<si><t>x</t></si>" * 15_000 + b"</sst>"
        archive.writestr("xl/sharedStrings.xml", texts, compress_type=zipfile.ZIP_DEFLATED)
    assert "Les textes du classeur font" in refused("textes.xlsx", many_texts.getvalue())
    assert not ImportJob.objects.exists()


def test_a_sheet_announcing_a_huge_dimension_is_read_by_its_real_cells():
    data = rewritten(
        xlsx_bytes([["A-1", "Bol", "20", "5"]]),
        lambda name, part: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', part),
    )
    header, rows = read_table(SimpleUploadedFile("grand.xlsx", data))
    assert header == HEADER and rows == [["A-1", "Bol", "20", "5"]]


def test_text_files_in_their_usual_encodings_and_separators_are_read():
    utf16 = "Référence\tDésignation\nA-1\tBol été\n".encode("utf-16")  # Excel's « Texte Unicode »
    assert read_table(SimpleUploadedFile("export.txt", utf16)) == (["Référence", "Désignation"], [["A-1", "Bol été"]])
    commas = 'Référence,Désignation\r\nA-1,"Bol, grand"\r'.encode()
    assert read_table(SimpleUploadedFile("export.csv", commas))[1] == [["A-1", "Bol, grand"]]
    renamed = SimpleUploadedFile("catalogue.csv", xlsx_bytes([["A-1", "Bol", "20", "5"]]))  # a workbook named .csv
    assert read_table(renamed)[1] == [["A-1", "Bol", "20", "5"]]


@pytest.mark.django_db
def test_a_file_too_large_is_refused_before_it_is_read(low_limits, admin_user):
    class Huge(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("a file beyond the limit must not be read")

    with pytest.raises(InvalidInput, match="Ko au plus"):
        imports.preview_import(kind="products", uploaded_file=Huge("enorme.csv", b"x" * 30_000), user=admin_user)


def test_rows_keep_the_number_the_user_sees_across_empty_rows():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet["A2"], sheet["B2"] = "A-1", "Bol"
    sheet["A5"], sheet["B5"] = "A-2", "Tasse"  # rows 3 and 4 left empty
    buffer = io.BytesIO()
    workbook.save(buffer)
    with spreadsheets.open_table(SimpleUploadedFile("trous.xlsx", buffer.getvalue())) as table:
        assert [(number, cells[0]) for number, cells in table.rows] == [(2, "A-1"), (5, "A-2")]
