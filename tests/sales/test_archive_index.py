"""The archive's index.csv (export_documents and the archive job) writes a customer name that a
spreadsheet would run as a formula as text."""

import csv
from datetime import date

import pytest
from django.core.management import call_command

from tests.sales.test_facturx import _invoice

ATTACK = "=cmd|' /C calc'!A0"


@pytest.mark.django_db
def test_the_index_writes_a_formula_like_customer_name_as_text(shop, tmp_path):
    shop.bakery.name = ATTACK
    shop.bakery.save()
    invoice = _invoice(shop, shop.bakery, [{"product": shop.mug, "quantity": 1}])
    assert invoice.customer_name == ATTACK
    today = str(date.today())
    call_command("export_documents", "--kind", "invoice", "--from", today, "--to", today, "--output", str(tmp_path))
    with open(tmp_path / "index.csv", encoding="utf-8-sig") as index:
        rows = list(csv.DictReader(index, delimiter=";"))
    assert rows[0]["client"] == "'" + ATTACK
    assert rows[0]["total_ttc"] == f"{invoice.total_incl_tax:f}".replace(".", ",")  # amounts stay numbers
