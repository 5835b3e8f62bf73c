"""The accounting CSV export of entries escapes labels a spreadsheet would run as formulas and
keeps amounts as numbers; the FEC, a legal flat file, keeps the books exactly as they are
(accounting/fec.py says why)."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from accounting import fec, services
from lmb import roles

ATTACK = "=cmd|' /C calc'!A0"


@pytest.fixture
def entry(shop):
    return services.post_manual_entry(
        journal="OD",
        day=date(2025, 3, 4),
        piece_ref="-OD-1",
        label=ATTACK,
        lines=[{"account": "627800", "debit": "4.20"}, {"account": "512100", "credit": "4.20"}],
    )


@pytest.mark.django_db
def test_the_csv_of_entries_writes_formulas_as_text_and_amounts_as_numbers(entry, role_client):
    client = role_client(roles.ACCOUNTANT)
    period = {"start": "2025-01-01", "end": "2025-12-31", "report": "csv"}
    content = b"".join(client.get(reverse("accounting:period_export"), period).streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content), delimiter=";"))
    assert [row["Libelle"] for row in rows] == ["'" + ATTACK] * 2
    assert [row["Piece"] for row in rows] == ["'-OD-1"] * 2
    assert [(row["Debit"], row["Credit"]) for row in rows] == [("4,20", "0,00"), ("0,00", "4,20")]


@pytest.mark.django_db
def test_the_fec_keeps_the_entries_as_they_are(entry, tmp_path):
    path = fec.export(fec.fiscal_year_of(2025), str(tmp_path), siren="902114305")
    lines = Path(path).read_bytes().decode("iso-8859-15").split("\r\n")[1:3]
    assert all(line.split("\t")[10] == ATTACK.replace("|", " ") for line in lines)  # "|" is a FEC separator (FEC-03)
    assert [line.split("\t")[8] for line in lines] == ["-OD-1"] * 2
