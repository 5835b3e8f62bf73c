"""The analysis screen in a browser (issue #19), as a salesperson: month × category over two
months, the chart of the months drawn with the page's figures, drill into a month, then into a
category of January (its subcategories), export what is shown as xlsx and open it. (The home
dashboard's tiles and chart are the dashboard's own test.)"""

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from lmb import roles
from tests.stats.conftest import shop  # noqa: F401 (the shop fixture)
from tests.stats.test_queries import known  # noqa: F401 (the documents)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_month_by_category_drilled_and_exported(page, login, make_user, known):  # noqa: F811
    make_user(roles.SALES, username="yann")
    login("yann")
    page.goto("/stats/")
    page.select_option("#id_level1", "month")
    page.select_option("#id_level2", "category")
    page.fill("#id_start", "2025-01-01")
    page.fill("#id_end", "2025-02-28")
    page.uncheck("input[name=measures][value=quantity]")  # the net sales first: the chart's measure
    page.click("#run-analysis")
    table = page.locator("#analysis-table")
    expect(table).to_contain_text("janvier 2025")
    expect(table).to_contain_text("février 2025")
    expect(page.locator("#analysis-total")).to_contain_text("134,25")
    # The chart of the first level: the months in order, the net sales of each, French labels.
    expect(page.locator("#analysis-chart")).to_have_attribute("data-chart-drawn", "true")
    drawn = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById('analysis-chart'));
            return {type: chart.config.type, labels: chart.data.labels, values: chart.data.datasets[0].data,
                    tick: chart.options.scales.y.ticks.callback(1000)};
        }"""
    )
    assert drawn["type"] == "bar" and drawn["values"] == [82.5, 51.75]
    assert drawn["labels"] == ["janv. 2025", "févr. 2025"]
    assert drawn["tick"] == "1\u00a0000\u00a0€"
    # Drill into January: the categories of January only.
    page.locator("#analysis-table a.drill", has_text="janvier 2025").click()
    expect(table).not_to_contain_text("février 2025")
    expect(page.locator("#analysis-total")).to_contain_text("82,50")
    # Drill into the category Maison: its subcategories, January's figures.
    page.locator("#analysis-table a.drill", has_text="Maison").click()
    expect(table).to_contain_text("Maison > Cuisine")
    expect(page.locator("#analysis-filters")).to_contain_text("Catégorie : Maison")
    expect(page.locator("#analysis-total")).to_contain_text("82,50")
    with page.expect_download() as download_info:
        page.click("#export-xlsx")
    content = open(download_info.value.path(), "rb").read()  # noqa: SIM115
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert any(row and row[0] == "Maison > Cuisine" for row in values)
    header = next(row for row in values if row and row[0] == "Catégorie")
    net = header.index("CA HT")
    assert values[-1][0] == "Total général" and values[-1][net] == pytest.approx(82.5)
