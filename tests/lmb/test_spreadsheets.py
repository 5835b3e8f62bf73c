import datetime as dt
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


NUMBERS = [
    Row({"amount": D("-1234.50"), "price": D("15.416667"), "quantity": D("2.000"), "count": 12, "day": None}),
]
NUMBER_COLUMNS = [
    Column("Montant", "amount"),
    Column("Prix unitaire", "price"),
    Column("Quantité", "quantity"),
    Column("Colis", "count"),
    Column("Jour", lambda row: dt.date(2026, 11, 22)),
    Column("Le", lambda row: dt.datetime(2026, 11, 22, 9, 30)),
]


def test_xlsx_numbers_carry_a_number_format_amounts_with_two_decimals():
    response = export_response("xlsx", "montants", NUMBER_COLUMNS, NUMBERS, sheet_name="Montants")
    sheet = load_workbook(io.BytesIO(_body(response))).active
    formats = [cell.number_format for cell in sheet[2]]
    assert formats == ["#,##0.00", "#,##0.00####", "#,##0.00####", "0", "dd/mm/yyyy", "dd/mm/yyyy hh:mm"]
    assert sheet["A2"].value == -1234.5 and sheet["B2"].value == 15.416667


def _ods_styles(document):
    """{cell style name: (its data style's element, its attributes)} of the automatic styles."""
    from odf.namespaces import NUMBERNS, STYLENS

    data_styles = {}
    for element in document.automaticstyles.childNodes:
        if element.qname[0] == NUMBERNS:
            parts = [(child.qname[1], dict(child.attributes)) for child in element.childNodes]
            data_styles[element.getAttrNS(STYLENS, "name")] = (element.qname[1], parts)
    return {
        element.getAttrNS(STYLENS, "name"): data_styles.get(element.getAttrNS(STYLENS, "data-style-name"))
        for element in document.automaticstyles.childNodes
        if element.qname == (STYLENS, "style")
    }


def test_ods_numbers_and_dates_carry_their_styles():
    from odf.namespaces import NUMBERNS, TABLENS

    response = export_response("ods", "montants", NUMBER_COLUMNS, NUMBERS, sheet_name="Montants")
    document = load_ods(io.BytesIO(_body(response)))
    styles = _ods_styles(document)
    cells = document.spreadsheet.getElementsByType(Table)[0].getElementsByType(TableRow)[1].getElementsByType(TableCell)
    kinds = [styles[cell.getAttrNS(TABLENS, "style-name")] for cell in cells]
    amount, precise, _quantity, integer, day, moment = kinds
    assert amount[0] == "number-style"
    number = dict(amount[1])["number"]
    assert number[(NUMBERNS, "decimal-places")] == "2" and number[(NUMBERNS, "grouping")] == "true"
    assert dict(precise[1])["number"][(NUMBERNS, "decimal-places")] == "6"
    assert dict(integer[1])["number"][(NUMBERNS, "decimal-places")] == "0"
    assert day[0] == "date-style" and [name for name, _attrs in day[1]] == ["day", "text", "month", "text", "year"]
    assert "hours" in [name for name, _attrs in moment[1]]
    assert cells[0].getAttribute("value") == "-1234.50" and cells[0].getAttribute("valuetype") == "float"
    assert cells[4].getAttribute("datevalue") == "2026-11-22"


@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_a_character_xml_cannot_carry_is_dropped_by_every_spreadsheet_the_same_way(kind):
    """Stored before LMB refused it at the input: a BEL, a non-character, a lone surrogate (lmb.text.xml_text)."""
    rows = [Row({"ref": "A\x07-\ufffe1\ud800", "price": None, "name": "x"})]
    body = _body(export_response(kind, "produits", COLUMNS, rows, sheet_name="Produits\x01"))
    if kind == "xlsx":
        workbook = load_workbook(io.BytesIO(body))
        assert workbook.sheetnames == ["Produits"] and workbook.active["A2"].value == "A-1"
    else:
        table = load_ods(io.BytesIO(body)).spreadsheet.getElementsByType(Table)[0]
        assert table.getAttribute("name") == "Produits"
        assert str(table.getElementsByType(TableRow)[1].getElementsByType(TableCell)[0]) == "A-1"
