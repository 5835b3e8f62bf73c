"""The analysis in xlsx and ods: numbers as numbers with formats, outline levels, filters on top."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from odf import opendocument, table, text

from lmb import roles
from tests.stats.test_queries import known  # noqa: F401 - the fixture

PARAMS = {
    "levels": "month,product",
    "start": "2025-01-01",
    "end": "2025-02-28",
    "measures": "net,quantity,margin_rate",
    "compare": "last_year",
}


def download(client, fmt, **params):
    response = client.get(f"/stats/analysis/export.{fmt}", {**PARAMS, **params})
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def test_xlsx_has_numbers_outline_levels_and_the_filters_on_top(role_client, known, shop):  # noqa: F811
    content = download(role_client(roles.ACCOUNTANT), "xlsx", filter_category=str(known["home"].pk))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Analyse", "Ventes (factures et avoirs)")
    assert rows[1][1].date() == date(2025, 1, 1) and rows[1][2].date() == date(2025, 2, 28)
    assert ("Filtre", "Catégorie", "Maison") in [row[:3] for row in rows]
    header = rows.index(next(row for row in rows if row[0] == "Mois"))
    assert rows[header][:5] == ("Mois", "Article", "CA HT", "Quantité", "Taux de marge (%)")
    january = header + 2  # openpyxl rows are 1-based
    assert sheet.cell(january, 1).value == "janvier 2025"
    assert sheet.cell(january, 3).value == 82.5 and sheet.cell(january, 3).data_type == "n"
    assert sheet.cell(january, 3).number_format == "#,##0.00"
    assert sheet.row_dimensions[january].outline_level == 0
    assert sheet.cell(january + 1, 2).value.endswith("Mug triskell")
    assert sheet.row_dimensions[january + 1].outline_level == 1
    assert sheet.cell(january, 6).value == 33  # the same month last year
    total = rows[-1]
    assert total[0] == "Total général" and total[2] == pytest.approx(134.25)
    assert Decimal(str(total[4])) == Decimal("79.22")


def test_ods_has_numbers_and_row_groups(role_client, known):  # noqa: F811
    content = download(role_client(roles.SALES), "ods")
    document = opendocument.load(io.BytesIO(content))
    sheet = document.spreadsheet.getElementsByType(table.Table)[0]
    groups = sheet.getElementsByType(table.TableRowGroup)
    assert len(groups) == 2  # the products of January, those of February
    grouped = groups[0].getElementsByType(table.TableRow)[0].getElementsByType(table.TableCell)
    assert str(grouped[1]).endswith("Mug triskell")
    net = grouped[2]
    assert net.getAttribute("valuetype") == "float" and Decimal(net.getAttribute("value")) == Decimal("82.50")
    first_row = sheet.getElementsByType(table.TableRow)[0]
    assert "Analyse" in str(first_row.getElementsByType(text.P)[0])


def test_bad_parameters_answer_400_and_the_warehouse_is_refused(role_client, db):
    client = role_client(roles.SALES)
    response = client.get("/stats/analysis/export.xlsx", {**PARAMS, "levels": "month,product,customer,channel"})
    assert response.status_code == 400 and "levels" in response.content.decode()
    assert role_client(roles.WAREHOUSE).get("/stats/analysis/export.xlsx", PARAMS).status_code == 403
