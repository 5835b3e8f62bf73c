"""The home dashboard in a browser at 1366 px: an administrator logs in and sees the day's sales,
the panels of the day, and the charts drawn by Chart.js from the page's data, in French."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lmb import roles
from sales import services
from stats.dashboard import one_year_before
from tests.dunning.conftest import on
from tests.sales.conftest import shop  # noqa: F401 (the shop fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sell(shop, day: date, net: str):  # noqa: F811
    with on(day):
        draft = services.create_direct_invoice(
            customer=shop.bakery,
            channel=shop.b2b,
            lines=[{"description": "Prestation", "unit_price": Decimal(net), "quantity": 1, "vat_rate": Decimal("20")}],
        )
        return services.issue_invoice(draft, issue_date=day)


def test_an_administrator_sees_the_tiles_and_the_charts_drawn(page, login, make_user, shop):  # noqa: F811
    today = timezone.localdate()
    sell(shop, one_year_before(today), "80.00")
    sell(shop, today, "1234.56")
    make_user(roles.ADMINISTRATOR, username="claire")
    page.set_viewport_size({"width": 1366, "height": 768})
    login("claire")
    tile = page.locator("#tile-sales-today")
    expect(tile).to_be_visible()
    expect(tile.locator('[data-figure="net"]')).to_have_text("1\u202f234,56\u00a0€")
    expect(tile.locator('[data-figure="gross"]')).to_have_text("1\u202f481,47\u00a0€")
    for panel in ("#tile-orders", "#tile-web-orders", "#tile-stock", "#tile-money-in", "#tile-receivables", "#tile-best-sellers"):
        expect(page.locator(panel)).to_be_visible()
    bars = page.locator('canvas[data-chart="chart-sales-months"]')
    expect(bars).to_have_attribute("data-chart-drawn", "true")
    drawn = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.querySelector('canvas[data-chart="chart-sales-months"]'));
            return {type: chart.config.type, labels: chart.data.labels, current: chart.data.datasets[0].data,
                    before: chart.data.datasets[1].data};
        }"""
    )
    assert drawn["type"] == "bar"
    assert len(drawn["labels"]) == 12 and drawn["current"][-1] == 1234.56
    assert drawn["before"][-1] == 80
    box = bars.bounding_box()
    assert box["width"] > 200 and box["height"] > 100  # drawn at a readable size, not collapsed
    expect(page.locator('canvas[data-chart="chart-sales-days"]')).to_have_attribute("data-chart-drawn", "true")
    # French formats of the tooltips and axes
    assert page.evaluate("LMB.charts.formatMoney('1234.56')") == "1\u202f234,56\u00a0€"
    assert page.evaluate("LMB.charts.formatDate('2026-11-22')") == "22/11/2026"
    assert page.evaluate("LMB.charts.formatNumber('1234.5')") == "1\u202f234,5"
    # on the canvas, thousands kept apart by a no-break space (canvas fonts lack U+202F)
    tick = "LMB.charts.config({type: 'bar', format: 'money', labels: [], datasets: []}).options.scales.y.ticks.callback(16000)"
    assert page.evaluate(tick) == "16\u00a0000\u00a0€"
    # no horizontal scroll at 1366 px
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
