"""The FEC of a year of documents passes every rule of the format; the checker catches files that
break them; the command writes the file under its legal name."""

import io
import os
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from accounting import fec, fec_check, services
from accounting.models import JournalLine
from tests.accounting.conftest import PARIS, on

SIREN = "902114305"


@pytest.mark.django_db
def test_fec_of_a_year_of_documents_passes_every_rule(year, tmp_path):
    out = tmp_path / "command"
    out.mkdir()
    call_command("export_fec", year=2025, output=str(out))
    path = out / f"{SIREN}FEC20251231.txt"
    report = fec_check.check(str(path), siren=SIREN, start=date(2025, 1, 1), closing=date(2025, 12, 31))
    assert report.problems == []
    lines_2025 = JournalLine.objects.filter(entry__fiscal_year__start=date(2025, 1, 1)).count()
    assert report.lines == lines_2025 > 40
    raw = path.read_bytes()
    text = raw.decode("iso-8859-15")
    assert text.startswith("JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\t")
    assert "Bäckerei Müller".encode("iso-8859-15") in raw  # ISO 8859-15, not UTF-8
    rows = [row.split("\t") for row in text.split("\r\n")[1:] if row]
    chf = [row for row in rows if row[17] == "CHF"]
    assert chf and all(row[16] for row in chf)
    assert all(row[16].startswith("-") == (row[12] != "0,00") for row in chf)  # signed: negative on credit lines
    lettered = [row for row in rows if row[13]]
    assert lettered and all(len(row[14]) == 8 for row in lettered)
    assert {row[0] for row in rows} >= {"VT", "AC", "BQ1", "BQ2", "CA", "OD"}
    # The generic writer (any database) gives the same bytes as PostgreSQL's COPY.
    other = tmp_path / "iterator"
    other.mkdir()
    same = fec.export(fec.fiscal_year_of(2025), str(other), siren=SIREN, stream="iterator")
    assert Path(same).read_bytes() == raw
    # The 2026 file holds the final invoice that deducts the December deposit.
    call_command("export_fec", year=2026, output=str(out))
    assert fec_check.check(str(out / f"{SIREN}FEC20261231.txt"), siren=SIREN).problems == []


def _broken(directory, source, transform, name=None):
    directory.mkdir()
    target = directory / (name or os.path.basename(source))
    lines = Path(source).read_bytes().decode("iso-8859-15").split("\r\n")
    target.write_bytes("\r\n".join(transform(lines)).encode("iso-8859-15"))
    return str(target)


def _swap(line, index, value):
    cells = line.split("\t")
    cells[index] = value
    return "\t".join(cells)


@pytest.mark.django_db
def test_the_checker_catches_what_breaks_the_format(shop, tmp_path):
    services.post_manual_entry(
        journal="OD",
        day=date(2025, 3, 3),
        piece_ref="OD-1",
        label="Apport",
        lines=[{"account": "512100", "debit": "100.00"}, {"account": "101000", "credit": "100.00"}],
    )
    services.post_manual_entry(
        journal="OD",
        day=date(2025, 3, 4),
        piece_ref="OD-2",
        label="Frais",
        lines=[{"account": "627800", "debit": "4.20"}, {"account": "512100", "credit": "4.20"}],
    )
    good = fec.export(fec.fiscal_year_of(2025), str(tmp_path), siren=SIREN)
    assert fec_check.check(good, siren=SIREN).problems == []
    cases = {
        "nom de fichier": lambda lines: lines,
        "en-tête": lambda lines: [lines[0].replace("Debit", "Débit")] + lines[1:],
        "colonnes": lambda lines: [lines[0], lines[1] + "\tx"] + lines[2:],
        "virgule décimale": lambda lines: [lines[0], _swap(lines[1], 11, "100.00")] + lines[2:],
        "pas équilibrée": lambda lines: [lines[0], _swap(lines[1], 11, "99,00")] + lines[2:],
        "trou dans la numérotation": lambda lines: lines[:3] + [_swap(line, 2, "3") for line in lines[3:5]] + lines[5:],
        "contiguës": lambda lines: [lines[0], lines[1], lines[3], lines[2], lines[4]] + lines[5:],
        "AAAAMMJJ": lambda lines: [lines[0], _swap(lines[1], 3, "2025-03-03")] + lines[2:],
        "CompAuxNum et CompAuxLib": lambda lines: [lines[0], _swap(lines[1], 6, "C001")] + lines[2:],
        "EcritureLet et DateLet": lambda lines: [lines[0], _swap(lines[1], 13, "A")] + lines[2:],
        "Montantdevise et Idevise": lambda lines: [lines[0], _swap(lines[1], 17, "CHF")] + lines[2:],
        "3 chiffres": lambda lines: [lines[0], _swap(lines[1], 4, "CAISSE")] + lines[2:],
        "hors de l'exercice": lambda lines: [lines[0], _swap(_swap(lines[1], 3, "20240303"), 3, "20240303")] + lines[2:],
    }
    for index, (expected, transform) in enumerate(cases.items()):
        name = "FEC.txt" if expected == "nom de fichier" else None
        path = _broken(tmp_path / f"case{index}", good, transform, name)
        problems = fec_check.check(path, siren=SIREN, start=date(2025, 1, 1), closing=date(2025, 12, 31)).problems
        assert any(expected in problem for problem in problems), (expected, problems)


def _entry(journal, day, piece, amount):
    return services.post_manual_entry(
        journal=journal,
        day=day,
        piece_ref=piece,
        label=piece,
        lines=[{"account": "627800", "debit": amount}, {"account": "512100", "credit": amount}],
    )


def _rows(path):
    text = Path(path).read_bytes().decode("iso-8859-15")
    return [row.split("\t") for row in text.split("\r\n")[1:] if row]


@pytest.mark.django_db
@pytest.mark.parametrize("stream", ["auto", "iterator"])
def test_entries_of_several_journals_come_in_the_order_they_were_validated(shop, tmp_path, stream):
    """FEC-06: entries of two journals posted interleaved over days are listed by validation date
    (ValidDate), not journal by journal; an entry dated earlier but validated later comes after."""
    posted = [
        ("OD", date(2025, 3, 3), date(2025, 3, 3), "OD-A"),
        ("BQ1", date(2025, 3, 4), date(2025, 3, 4), "BQ-A"),
        ("OD", date(2025, 3, 5), date(2025, 3, 5), "OD-B"),
        ("BQ1", date(2025, 3, 6), date(2025, 3, 6), "BQ-B"),
        ("OD", date(2025, 3, 7), date(2025, 3, 1), "OD-C"),  # validated on the 7th, dated the 1st
    ]
    for journal, validated, day, piece in posted:
        with on(validated):
            _entry(journal, day, piece, "10.00")
    path = fec.export(fec.fiscal_year_of(2025), str(tmp_path), siren=SIREN, stream=stream)

    rows = _rows(path)
    pieces = list(dict.fromkeys(row[8] for row in rows))
    assert pieces == ["OD-A", "BQ-A", "OD-B", "BQ-B", "OD-C"]
    valid_dates = [row[15] for row in rows]
    assert valid_dates == sorted(valid_dates) and valid_dates[-1] == "20250307"
    assert fec_check.check(path, siren=SIREN, start=date(2025, 1, 1), closing=date(2025, 12, 31)).problems == []


@pytest.mark.django_db
def test_the_checker_wants_the_order_of_validation_and_numbers_following_it(shop, tmp_path):
    for journal, validated, piece in (
        ("OD", date(2025, 3, 3), "OD-A"),
        ("BQ1", date(2025, 3, 4), "BQ-A"),
        ("OD", date(2025, 3, 5), "OD-B"),
    ):
        with on(validated):
            _entry(journal, validated, piece, "10.00")
    good = fec.export(fec.fiscal_year_of(2025), str(tmp_path), siren=SIREN)
    assert fec_check.check(good, siren=SIREN).problems == []
    header, od_a, od_a2, bq_a, bq_a2, od_b, od_b2 = Path(good).read_bytes().decode("iso-8859-15").split("\r\n")[:7]

    # Journal by journal (what the export wrote before FEC-06 was followed): out of validation order.
    by_journal = _broken(tmp_path / "journal", good, lambda lines: [header, bq_a, bq_a2, od_a, od_a2, od_b, od_b2, ""])
    problems = fec_check.check(by_journal, siren=SIREN).problems
    assert any("ordre chronologique de validation" in problem for problem in problems), problems

    # OD 2 validated before OD 1: the numbering does not follow the validation.
    renumbered = [_swap(od_a, 2, "2"), _swap(od_a2, 2, "2"), bq_a, bq_a2, _swap(od_b, 2, "1"), _swap(od_b2, 2, "1")]
    swapped = _broken(tmp_path / "numbers", good, lambda lines: [header, *renumbered, ""])
    problems = fec_check.check(swapped, siren=SIREN).problems
    assert any("ordre de validation" in problem and "OD" in problem for problem in problems), problems


def _lines_entry(journal, day, piece, lines):
    return services.post_manual_entry(journal=journal, day=day, piece_ref=piece, label=piece, lines=lines)


@pytest.mark.django_db
@pytest.mark.parametrize("stream", ["auto", "iterator"])
def test_the_opening_entries_come_first_even_when_validated_after_the_sales(shop, tmp_path, stream):
    """FEC-01: the file starts with the à-nouveaux. Last year is closed in spring, so the AN entry
    is validated after January's sales; it still opens the file, and the file passes the checker."""
    for validated, piece in ((date(2025, 1, 10), "VT-A"), (date(2025, 2, 10), "VT-B")):
        with on(validated):
            _lines_entry(
                "VT", validated, piece, [{"account": "411000", "debit": "12.00"}, {"account": "707100", "credit": "12.00"}]
            )
    with on(date(2025, 4, 15)):
        _lines_entry(
            "AN",
            date(2025, 1, 1),
            "AN-2025",
            [{"account": "512100", "debit": "500.00"}, {"account": "110000", "credit": "500.00"}],
        )
    with on(date(2025, 4, 16)):
        _entry("OD", date(2025, 4, 16), "OD-A", "3.00")
    path = fec.export(fec.fiscal_year_of(2025), str(tmp_path), siren=SIREN, stream=stream)

    assert list(dict.fromkeys(row[8] for row in _rows(path))) == ["AN-2025", "VT-A", "VT-B", "OD-A"]
    assert fec_check.check(path, siren=SIREN, start=date(2025, 1, 1), closing=date(2025, 12, 31)).problems == []
    # Both writers agree.
    other = tmp_path / "other"
    other.mkdir()
    again = fec.export(fec.fiscal_year_of(2025), str(other), siren=SIREN, stream="iterator" if stream == "auto" else "copy")
    assert Path(again).read_bytes() == Path(path).read_bytes()


@pytest.mark.django_db
def test_the_checker_wants_the_opening_entries_first(shop, tmp_path):
    with on(date(2025, 1, 10)):
        _lines_entry(
            "VT", date(2025, 1, 10), "VT-A", [{"account": "411000", "debit": "12.00"}, {"account": "707100", "credit": "12.00"}]
        )
    with on(date(2025, 4, 15)):
        _lines_entry(
            "AN",
            date(2025, 1, 1),
            "AN-2025",
            [{"account": "512100", "debit": "500.00"}, {"account": "110000", "credit": "500.00"}],
        )
    good = fec.export(fec.fiscal_year_of(2025), str(tmp_path), siren=SIREN)
    header, an, an2, vt, vt2 = Path(good).read_bytes().decode("iso-8859-15").split("\r\n")[:5]
    assert an.startswith("AN\t") and vt.startswith("VT\t")

    # In the order of validation alone (what the export wrote before): the AN entry in the middle.
    by_validation = _broken(tmp_path / "late", good, lambda lines: [header, vt, vt2, an, an2, ""])
    problems = fec_check.check(by_validation, siren=SIREN).problems
    assert any("commence par les à-nouveaux" in problem and "AN 1" in problem for problem in problems), problems
    # The journal of the à-nouveaux is the one given (its code can be edited).
    assert fec_check.check(by_validation, siren=SIREN, opening_journals=["RAN"]).problems == []
    assert not any("à-nouveaux" in p for p in fec_check.check(good, siren=SIREN, opening_journals=["AN"]).problems)


@pytest.mark.django_db
@pytest.mark.parametrize("stream", ["auto", "iterator"])
def test_labels_with_control_characters_and_signs_outside_iso_8859_15(shop, tmp_path, stream):
    """Labels stored before the input rules: every control character (here BEL, tab, NEL) becomes a
    space on both paths (FEC-03); "€" is ISO 8859-15 and stays; a curly apostrophe becomes "'", a
    full-width bar a space (never a separator), a letter ISO 8859-15 lacks "?" (FEC-04)."""
    from accounting.posting import EntryDraft, LineDraft

    label = "Caf\x07é\tà 5 € – l’été\x85 Łódź ｜ fin"
    with on(date(2025, 3, 3)):
        services.post_entry(
            EntryDraft("OD", date(2025, 3, 3), "P|1\x07", date(2025, 3, 3), label, "", None, [
                LineDraft(account="627800", debit=Decimal("5.00"), label=label),
                LineDraft(account="512100", credit=Decimal("5.00"), label="ok"),
            ])
        )  # fmt: skip
    path = fec.export(fec.fiscal_year_of(2025), str(tmp_path), siren=SIREN, stream=stream)

    raw = Path(path).read_bytes()
    assert "Caf é à 5 € - l'été  ?ódz   fin".encode("iso-8859-15") in raw  # "ź" less its accent: "z"
    assert b"\xa4" in raw  # the euro sign of ISO 8859-15
    rows = _rows(path)
    assert len(rows) == 2 and all(len(row) == 18 for row in rows)
    assert rows[0][8] == "P 1 " and rows[0][10].startswith("Caf é")
    assert fec_check.check(path, siren=SIREN, start=date(2025, 1, 1), closing=date(2025, 12, 31)).problems == []
    other = tmp_path / "other"
    other.mkdir()
    again = fec.export(fec.fiscal_year_of(2025), str(other), siren=SIREN, stream="iterator" if stream == "auto" else "copy")
    assert Path(again).read_bytes() == raw


def _fec_line(**cells):
    """One entry line of a made-up FEC, OD 1 on 3 March 2025 unless told otherwise."""
    line = dict.fromkeys(fec.HEADER, "")
    line.update(JournalCode="OD", JournalLib="Opérations diverses", EcritureNum="1", EcritureDate="20250303",
                CompteNum="512100", CompteLib="Banque", PieceRef="P1", PieceDate="20250303", EcritureLib="Apport",
                Debit="10,00", Credit="0,00", ValidDate="20250303")  # fmt: skip
    line.update(cells)
    return "\t".join(line[name] for name in fec.HEADER)


def _latin9(*lines: str) -> bytes:
    return "".join(line + "\r\n" for line in lines).encode("iso-8859-15")


_HEADER = "\t".join(fec.HEADER)
_CREDIT = {"CompteNum": "101000", "CompteLib": "Capital", "Debit": "0,00", "Credit": "10,00"}
MALFORMED = {
    "empty file": (b"", ["fichier vide"]),
    "header only": (_latin9(_HEADER), ["aucune écriture"]),
    "header missing": (_latin9(_fec_line(), _fec_line(**_CREDIT)), ["ligne 1 : l'en-tête manque"]),
    "UTF-8": ((_HEADER + "\r\n" + _fec_line(EcritureLib="Café") + "\r\n").encode("utf-8"), ["ligne 2 : texte encodé en UTF-8"]),
    "UTF-8 BOM": (b"\xef\xbb\xbf" + _latin9(_HEADER), ["ligne 1 : le fichier commence par la marque UTF-8"]),
    "short line": (_latin9(_HEADER, "OD\t1"), ["ligne 2 : 2 colonnes au lieu de 18"]),
    "blank line": (_latin9(_HEADER, ""), ["ligne 2 : ligne vide"]),
    "not a number": (_latin9(_HEADER, _fec_line(Debit="dix")), ["ligne 2 : montants « dix »"]),
    "bad dates": (
        _latin9(_HEADER, _fec_line(EcritureNum="5"), _fec_line(ValidDate="2025xx04", PieceDate="20251340", **_CREDIT)),
        ["ligne 3 : ValidDate « 2025xx04 »", "ligne 3 : PieceDate « 20251340 »", "ligne 3 : journal OD, l'écriture 1"],
    ),
    "superscript number": (_latin9(_HEADER, _fec_line(EcritureNum="²")), ["ligne 2 : EcritureNum « ² » n'est pas un numéro"]),
    "stray huge number": (
        _latin9(_HEADER, _fec_line(EcritureNum="99999999999", Debit="0,00"), _fec_line(Debit="0,00")),
        ["numéro(s) manquant(s) 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 …"],
    ),
    "binary": (bytes(range(256)) * 4, ["ligne 1 : caractère de contrôle", "ligne 1 : l'en-tête n'est pas"]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(MALFORMED))
def test_the_checker_reports_a_malformed_file_line_by_line_and_never_raises(tmp_path, case):
    content, expected = MALFORMED[case]
    path = tmp_path / f"{SIREN}FEC20251231.txt"
    path.write_bytes(content)
    problems = fec_check.check(str(path), siren=SIREN).problems
    for text in expected:
        assert any(text in problem for problem in problems), (text, problems)


@pytest.mark.django_db
def test_the_checker_reads_lines_ended_by_cr_alone_and_reports_a_missing_file(tmp_path):
    path = tmp_path / f"{SIREN}FEC20251231.txt"
    path.write_bytes(_latin9(_HEADER, _fec_line(), _fec_line(**_CREDIT)).replace(b"\r\n", b"\r"))
    assert fec_check.check(str(path), siren=SIREN).problems == []  # FEC-03: CR and/or LF
    problems = fec_check.check(str(tmp_path / f"{SIREN}FEC20241231.txt"), siren=SIREN).problems
    assert any("fichier illisible" in problem for problem in problems), problems


def _at(day: date, hour: int, minute: int = 0):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS), tick=False)


@pytest.mark.django_db
@pytest.mark.parametrize("stream", ["auto", "iterator"])
def test_within_a_day_entries_come_in_the_order_they_were_posted(shop, tmp_path, stream):
    """FEC-06 within one ValidDate: the instant of posting decides, not the entry date; entries
    posted at the same instant (a frozen clock) follow their journal's numbers, never their dates."""
    day = date(2025, 3, 10)
    with _at(day, 9):
        _entry("OD", date(2025, 3, 9), "OD-A", "1.00")  # OD 1, dated the 9th, posted at 9:00
    with _at(day, 11):
        _entry("BQ1", date(2025, 3, 2), "BQ-A", "2.00")  # dated earlier, posted later
    with _at(day, 14):
        _entry("OD", date(2025, 3, 10), "OD-B", "3.00")  # OD 2 and OD 3 at the same instant,
        _entry("OD", date(2025, 3, 1), "OD-C", "4.00")  # OD 3 dated before OD 2
    path = fec.export(fec.fiscal_year_of(2025), str(tmp_path), siren=SIREN, stream=stream)

    rows = _rows(path)
    assert list(dict.fromkeys((row[0], row[2], row[8]) for row in rows)) == [
        ("OD", "1", "OD-A"),
        ("BQ1", "1", "BQ-A"),
        ("OD", "2", "OD-B"),
        ("OD", "3", "OD-C"),
    ]
    assert {row[15] for row in rows} == {"20250310"}
    assert fec_check.check(path, siren=SIREN, start=date(2025, 1, 1), closing=date(2025, 12, 31)).problems == []

    # By entry date within the day (the order before): OD 3 before OD 2, which the checker refuses.
    header, *lines = Path(path).read_bytes().decode("iso-8859-15").split("\r\n")
    by_date = sorted(lines[:-1], key=lambda line: line.split("\t")[3])
    swapped = _broken(tmp_path / "by-date", path, lambda _: [header, *by_date, ""])
    problems = fec_check.check(swapped, siren=SIREN).problems
    assert any("l'écriture 2 vient après l'écriture 3" in problem for problem in problems), problems


@pytest.mark.django_db
def test_the_command_says_what_it_did_in_french_with_french_counts(year, tmp_path, monkeypatch):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_fec", year=2025, output=str(tmp_path), stdout=out, stderr=err)
    first, where, counts, verdict = out.getvalue().splitlines()
    assert re.fullmatch(r"Comptabilisation avant l'export : \d+ écriture\(s\) passée\(s\), \d+ lettrage\(s\)\.", first)
    assert where == f"FEC de l'exercice du 01/01/2025 au 31/12/2025 : {tmp_path / (SIREN + 'FEC20251231.txt')}"
    assert re.fullmatch(r"\d+ ligne\(s\), \d+ écriture\(s\)", counts) and verdict == "Contrôles du format : OK"
    assert err.getvalue() == ""

    # Large counts and a failed check: « 12 345 », never « 12345 »; each problem on its line.
    big = fec_check.Report(lines=12345, entries=1234)
    for _ in range(1500):
        big.add("ligne 2 : x")
    monkeypatch.setattr(fec_check, "check", lambda *args, **kwargs: big)
    monkeypatch.setattr(
        services, "post_pending", lambda: services.PostingReport(posted=1234, already=2, lettered=1001, errors=["FA1 : y"])
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="ne passe pas les contrôles \\(1\u202f500 problème\\(s\\)\\)"):
        call_command("export_fec", year=2025, output=str(tmp_path), stdout=out, stderr=err)
    assert out.getvalue().splitlines()[0] == (
        "Comptabilisation avant l'export : 1\u202f234 écriture(s) passée(s), 2 déjà passée(s) par un autre traitement, "
        "1\u202f001 lettrage(s) — 1 document(s) en erreur."
    )
    assert "12\u202f345 ligne(s), 1\u202f234 écriture(s)" in out.getvalue()
    assert err.getvalue().splitlines()[:2] == [
        "Documents non comptabilisés (absents du FEC tant qu'ils ne le sont pas) :",
        "  - FA1 : y",
    ]
    assert "Problèmes trouvés (100 premiers) :" in err.getvalue()
    assert err.getvalue().count("  - ligne 2 : x") == 100  # the report keeps the first hundred problems
