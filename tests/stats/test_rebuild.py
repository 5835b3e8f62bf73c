"""The bulk SQL rebuild of the sales facts writes exactly the rows the Python builders write:
every column, every line, to the cent — a year of every kind of document, a document discount
spread over lines of two VAT rates, a foreign currency, eco-participation, credit notes."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from stats import rebuild_sql
from stats import services as stats_services
from stats.models import SaleFact
from tests.stats.conftest import sell

COLUMNS = [f.attname for f in SaleFact._meta.concrete_fields if f.attname != "id"]


def _rows():
    return sorted(SaleFact.objects.values_list(*COLUMNS), key=lambda row: (row[0], row[1]))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk SQL rebuild is PostgreSQL's")
def test_sql_rebuild_equals_the_python_facts(facts, shop):
    with_discount = sell(
        shop,
        shop.bakery,
        shop.b2b,
        [{"product": shop.mug, "quantity": 7}, {"product": shop.jam, "quantity": 3}, {"product": shop.lamp, "quantity": 1}],
        date(2026, 2, 2),
        discount_percent=Decimal("7.5"),
    )
    assert with_discount.allowance_total > 0
    stats_services.refresh_facts()
    python = _rows()
    assert len(python) > 20
    SaleFact.objects.all().delete()
    written = rebuild_sql.insert_sale_facts()
    assert written == len(python)
    assert _rows() == python
    assert rebuild_sql.insert_sale_facts() == 0  # again: nothing doubles


def test_the_rebuild_command_uses_it(facts):
    before = _rows()
    report = stats_services.rebuild_facts()
    assert report.sales == len(before) and _rows() == before
