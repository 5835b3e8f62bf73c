import io
import zipfile
from decimal import Decimal
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from odf.opendocument import load as load_ods
from odf.table import Table, TableCell, TableRow
from openpyxl import load_workbook

from lmb.spreadsheets import Column, UnreadableFile, export_response, read_table

ROWS = [{"ref": "A-1", "price": Decimal("12.50"), "name": "Bol « breton » & co"}, {"ref": "A-2", "price": None, "name": "Été"}]
COLUMNS = [Column("Référence", "ref"), Column("Prix", "price"), Column("Nom", lambda row: row.name)]


class Row:
    def __init__(self, data):
        self.__dict__.update(data)


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_xlsx_export_keeps_numbers_as_numbers():
    response = export_response("xlsx", "produits", COLUMNS[:2], map(Row, ROWS), sheet_name="Produits")
    assert response["Content-Disposition"].startswith('attachment; filename="produits-')
    sheet = load_workbook(io.BytesIO(_body(response))).active
    assert [cell.value for cell in sheet[1]] == ["Référence", "Prix"]
    assert sheet["B2"].value == 12.5 and sheet["B3"].value is None


def test_ods_export_is_a_valid_opendocument_spreadsheet():
    response = export_response("ods", "produits", COLUMNS, map(Row, ROWS), sheet_name="Produits")
    assert response.streaming
    document = load_ods(io.BytesIO(_body(response)))
    rows = document.spreadsheet.getElementsByType(Table)[0].getElementsByType(TableRow)
    cells = [[str(cell) for cell in row.getElementsByType(TableCell)] for row in rows]
    assert cells[0] == ["Référence", "Prix", "Nom"]
    assert cells[1] == ["A-1", "12.50", "Bol « breton » & co"]
    first_price = rows[1].getElementsByType(TableCell)[1]
    assert first_price.getAttribute("valuetype") == "float"


def test_csv_from_french_excel_is_read():
    data = "Référence;Désignation\nA-1;Bol été\n\n".encode("cp1252")
    header, rows = read_table(SimpleUploadedFile("export.csv", data))
    assert header == ["Référence", "Désignation"]
    assert rows[0] == ["A-1", "Bol été"]


def test_unknown_or_damaged_files_are_refused_with_a_reason():
    with pytest.raises(UnreadableFile, match=".xlsx ou .csv"):
        read_table(SimpleUploadedFile("catalogue.pdf", b"%PDF"))
    with pytest.raises(UnreadableFile, match="illisible"):
        read_table(SimpleUploadedFile("catalogue.xlsx", b"not a zip"))
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(UnreadableFile):
        read_table(SimpleUploadedFile("vide.xlsx", empty.getvalue()))


def test_xlsx_export_streams_text_as_text_and_dates_as_dates():
    import datetime

    rows = [Row({"ref": '=HYPERLINK("http://evil")', "price": D("1.5"), "name": "x\x01y", "day": datetime.date(2026, 11, 22)})]
    columns = [*COLUMNS, Column("Jour", "day")]
    response = export_response("xlsx", "produits", columns, rows, sheet_name="Produits")
    assert response.streaming
    workbook = load_workbook(io.BytesIO(_body(response)))
    sheet = workbook.active
    assert sheet["A2"].value == '=HYPERLINK("http://evil")' and sheet["A2"].data_type == "s"  # never a formula
    assert sheet["B2"].value == 1.5 and sheet["C2"].value == "xy"
    assert sheet["D2"].value == datetime.datetime(2026, 11, 22) and sheet["D2"].number_format == "dd/mm/yyyy"
    assert sheet["A1"].font.b
