"""Checks of an FEC file against the published format (fr-rules §4, FEC-02 to FEC-09): file name,
header, columns, character set, dates, amounts with a decimal comma, balance per entry and in
total, entries contiguous, the opening entries (à-nouveaux) first (FEC-01), then and among them
the chronological order of their validation (ValidDate, FEC-06), each journal numbered in that
order without gap, account numbers, auxiliary accounts, lettering
and currency pairs.

``check(path)`` returns the problems found (an empty list: the file passes), each with its line
number; it never raises on a bad file (wrong encoding, short or blank lines, text where a number or
a date goes, no header, an empty or unreadable file): each is a problem. It reads the file line
by line (ended by CR, LF or CR LF), keeping only the keys of the entries seen (for contiguity and
gaps). Used by the tests and by ``manage.py export_fec``; the DGFiP's "Test Compta Demat" remains the official judge.
"""

import io
import itertools
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from lmb.formats import decimal_fr

from .fec import ENCODING, HEADER, opening_journal_codes

NAME = re.compile(r"^(?P<siren>\d{9})FEC(?P<closing>\d{8})\.txt$")
# ASCII digits only: "²" is a digit to str.isdigit() and \d would take other scripts' digits.
AMOUNT = re.compile(r"^[0-9]+,[0-9]{2}$")
SIGNED_AMOUNT = re.compile(r"^-?[0-9]+,[0-9]{2}$")
ENTRY_NUMBER = re.compile(r"^[0-9]{1,18}$")
DAY = re.compile(r"^[0-9]{8}$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
BOM = b"\xef\xbb\xbf"
ACCOUNT = re.compile(r"^\d{3}[0-9A-Za-z]*$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_PROBLEMS = 100
COLUMN = {name: index for index, name in enumerate(HEADER)}
# The opening journal of the seeded chart; the export command passes the codes of its database
# (fec.opening_journal_codes()), since a journal's code can be edited.
OPENING_JOURNALS = ("AN",)
REQUIRED = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "PieceRef", "PieceDate",
            "EcritureLib", "Debit", "Credit", "ValidDate")  # fmt: skip


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)  # the first MAX_PROBLEMS
    found: int = 0  # every problem found, listed or not
    lines: int = 0
    entries: int = 0
    total_debit: Decimal = Decimal("0.00")
    total_credit: Decimal = Decimal("0.00")

    def add(self, message: str):
        self.found += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)

    @property
    def ok(self) -> bool:
        return not self.problems


def _date(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date() if DAY.match(text) else None
    except ValueError:
        return None


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


class _Entries:
    """Follows entries as lines go by: each one contiguous, balanced, with one date and piece; the
    opening entries before any other (FEC-01); among them, then among the others, the entries in
    the chronological order of their validation (FEC-06: ValidDate never goes back);
    in each journal, numbers that rise down the file (the export sorts by the instant of
    validation, and a journal's number is taken under a lock at that instant: an entry validated
    later has a higher number; the file shows only the day, so this is the check of that order
    within a day) and, once the file is read, no gap. Memory grows with the entries (the keys
    seen), not with the lines."""

    def __init__(self, report: Report, opening_journals=OPENING_JOURNALS):
        self.report = report
        self.opening_journals = frozenset(opening_journals)
        self.first_other = None  # (journal, number, line) of the first entry that is not an opening one
        self.current = None
        self.seen = set()
        self.last_valid = None  # (ValidDate, line) of the previous entry
        self.journals = {}  # journal → _JournalNumbers

    def line(self, number: int, row, debit: Decimal, credit: Decimal):
        key = (row[COLUMN["JournalCode"]], row[COLUMN["EcritureNum"]])
        if self.current is None or self.current["key"] != key:
            self.close()
            self._open(key, row, number)
        entry = self.current
        entry["debit"] += debit
        entry["credit"] += credit
        if row[COLUMN["EcritureDate"]] != entry["date"] or row[COLUMN["PieceRef"]] != entry["piece"]:
            self.report.add(f"ligne {number} : l'écriture {key[0]} {key[1]} change de date ou de pièce en cours de route")
        if row[COLUMN["ValidDate"]] != entry["valid"]:
            self.report.add(f"ligne {number} : l'écriture {key[0]} {key[1]} change de ValidDate en cours de route")

    def _open(self, key, row, number):
        journal, text = key
        self.report.entries += 1
        valid = _date(row[COLUMN["ValidDate"]])
        self._check_opening_first(key, number)
        self._check_validation_order(key, valid, number)
        if key in self.seen:
            self.report.add(f"ligne {number} : les lignes de l'écriture {journal} {text} ne sont pas contiguës")
        elif ENTRY_NUMBER.match(text):
            numbers = self.journals.setdefault(journal, _JournalNumbers())
            earlier = numbers.add(int(text))
            if earlier is not None:
                self.report.add(
                    f"ligne {number} : journal {journal}, l'écriture {text} vient après l'écriture {earlier}, validée "
                    "avant elle : la numérotation ne suit pas l'ordre de validation (FEC-06)"
                )
        else:
            self.report.add(f"ligne {number} : EcritureNum « {text} » n'est pas un numéro")
        self.seen.add(key)
        self.current = {"key": key, "debit": Decimal(0), "credit": Decimal(0), "date": row[COLUMN["EcritureDate"]],
                        "piece": row[COLUMN["PieceRef"]], "valid": row[COLUMN["ValidDate"]], "line": number}  # fmt: skip

    def _check_opening_first(self, key, number):
        journal, text = key
        if journal in self.opening_journals:
            if self.first_other is not None:
                other_journal, other_text, line = self.first_other
                self.report.add(
                    f"ligne {number} : l'écriture d'à-nouveaux {journal} {text} vient après l'écriture {other_journal} "
                    f"{other_text} (ligne {line}) : le FEC commence par les à-nouveaux (FEC-01)"
                )
        elif self.first_other is None:
            self.first_other = (journal, text, number)
            self.last_valid = None  # the order of validation starts again after the opening entries

    def _check_validation_order(self, key, valid, number):
        if valid is None:
            return  # reported by the date check of the row
        if self.last_valid is not None and valid < self.last_valid[0]:
            previous, line = self.last_valid
            self.report.add(
                f"ligne {number} : l'écriture {key[0]} {key[1]} validée le {valid:%Y%m%d} vient après une écriture "
                f"validée le {previous:%Y%m%d} (ligne {line}) : les écritures doivent suivre l'ordre chronologique "
                "de validation (FEC-06)"
            )
        else:
            self.last_valid = (valid, number)

    def close(self):
        entry = self.current
        if entry is not None and entry["debit"] != entry["credit"]:
            journal, text = entry["key"]
            self.report.add(
                f"ligne {entry['line']} : l'écriture {journal} {text} n'est pas équilibrée "
                f"(débit {decimal_fr(entry['debit'], 2)}, crédit {decimal_fr(entry['credit'], 2)})"
            )
        self.current = None

    def finish(self):
        """After the last line: each journal's numbers without gap (FEC-06)."""
        self.close()
        for journal, numbers in sorted(self.journals.items()):
            absent = numbers.highest - numbers.lowest + 1 - numbers.count
            if absent:
                present = {int(text) for code, text in self.seen if code == journal and ENTRY_NUMBER.match(text)}
                # The first ten missing numbers, found in at most len(present) + 10 steps (a stray
                # number such as 99999999999 must not make us walk the whole range).
                span = range(numbers.lowest, numbers.highest + 1)
                missing = itertools.islice((value for value in span if value not in present), 10)
                shown = ", ".join(str(value) for value in missing) + (" …" if absent > 10 else "")
                self.report.add(
                    f"journal {journal} : {decimal_fr(absent)} numéro(s) manquant(s) {shown} (trou dans la numérotation)"
                )


@dataclass
class _JournalNumbers:
    """One journal's numbers as entries go by, in O(1) memory: how many, the lowest and highest."""

    count: int = 0
    lowest: int = 0
    highest: int = 0

    def add(self, value: int) -> int | None:
        """Records ``value``; returns the higher number that came before it in the file, if any."""
        higher_before = self.highest if self.count and value < self.highest else None
        self.count += 1
        self.lowest = value if self.count == 1 else min(self.lowest, value)
        self.highest = value if self.count == 1 else max(self.highest, value)
        return higher_before


def check_name(path: str, report: Report, *, siren: str | None, closing: date | None):
    match = NAME.match(os.path.basename(path))
    if not match:
        report.add(f"nom de fichier « {os.path.basename(path)} » : attendu SIRENFECAAAAMMJJ.txt")
        return
    if siren and match["siren"] != siren:
        report.add(f"nom de fichier : SIREN {match['siren']}, attendu {siren}")
    if _date(match["closing"]) is None:
        report.add(f"nom de fichier : date de clôture {match['closing']} invalide")
    elif closing and _date(match["closing"]) != closing:
        report.add(f"nom de fichier : clôture {match['closing']}, attendu {closing:%Y%m%d}")


def check(
    path: str,
    *,
    siren: str | None = None,
    start: date | None = None,
    closing: date | None = None,
    opening_journals=OPENING_JOURNALS,
) -> Report:
    """Every problem of the FEC at ``path`` (see the module doc). ``start``/``closing`` bound the
    entry dates when given (the fiscal year); ``opening_journals`` are the codes of the
    à-nouveaux journals, whose entries come first."""
    report = Report()
    check_name(path, report, siren=siren, closing=closing)
    entries = _Entries(report, opening_journals)
    try:
        with open(path, "rb") as handle:
            _check_lines(handle, report, entries, start, closing)
    except OSError as exc:
        report.add(f"fichier illisible : {exc.strerror or exc}")
        return report
    entries.finish()
    if report.lines == 0:
        report.add("aucune écriture")
    if report.total_debit != report.total_credit:
        report.add(
            f"total des débits {decimal_fr(report.total_debit, 2)} ≠ total des crédits {decimal_fr(report.total_credit, 2)}"
        )
    return report


def _check_lines(handle, report, entries, start, closing):
    """Every line of the open file, by number. A file of any bytes gives problems, never an
    exception: ISO 8859-15 decodes every byte (so the text is the bytes, one character each), and
    lines end with CR, LF or CR LF (FEC-03)."""
    if handle.read(3) == BOM:
        report.add("ligne 1 : le fichier commence par la marque UTF-8 (BOM) : il doit être en ISO 8859-15 (FEC-04)")
    else:
        handle.seek(0)
    lines = io.TextIOWrapper(handle, encoding=ENCODING, newline=None)
    utf8_seen = False
    number = 0
    for number, text in enumerate(lines, start=1):
        text = text.rstrip("\n")
        if not utf8_seen and _looks_like_utf8(text):
            utf8_seen = True
            report.add(f"ligne {number} : texte encodé en UTF-8 (« é » lu « Ã© ») : le FEC est en ISO 8859-15 (FEC-04)")
        if CONTROL.search(text):
            report.add(f"ligne {number} : caractère de contrôle dans les données")
        row = text.split("\t")
        if number == 1 and _header(row, report):
            continue
        if not text:
            report.add(f"ligne {number} : ligne vide")
        elif len(row) != len(HEADER):
            report.add(f"ligne {number} : {len(row)} colonnes au lieu de {len(HEADER)}")
        else:
            report.lines += 1
            _check_row(number, row, report, entries, start, closing)
    if number == 0:
        report.add("fichier vide : ni l'en-tête ni les écritures")


def _header(row, report) -> bool:
    """Checks the first line; True when it is a header (right or wrong), False when it is an
    entry line (the header is missing: the line is checked as data)."""
    if row == HEADER:
        return True
    if len(row) == len(HEADER) and row[0] != HEADER[0]:
        report.add("ligne 1 : l'en-tête manque (la première ligne est une écriture) ; attendu : " + " ".join(HEADER))
        return False
    report.add("ligne 1 : l'en-tête n'est pas celui des 18 champs du format, dans l'ordre, séparés par tabulation")
    return True


def _looks_like_utf8(text: str) -> bool:
    """Text read as ISO 8859-15 that is valid UTF-8 with accented letters: a UTF-8 file."""
    raw = text.encode(ENCODING)
    if raw.isascii():
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_row(number, row, report, entries, start, closing):
    get = row.__getitem__
    for name in REQUIRED:
        if not get(COLUMN[name]).strip():
            report.add(f"ligne {number} : {name} est vide")
    for name in ("EcritureDate", "PieceDate", "ValidDate"):
        if get(COLUMN[name]) and _date(get(COLUMN[name])) is None:
            report.add(f"ligne {number} : {name} « {get(COLUMN[name])} » n'est pas une date AAAAMMJJ")
    day = _date(get(COLUMN["EcritureDate"]))
    if day and ((start and day < start) or (closing and day > closing)):
        report.add(f"ligne {number} : EcritureDate {day:%Y%m%d} hors de l'exercice")
    debit_text, credit_text = get(COLUMN["Debit"]), get(COLUMN["Credit"])
    if not (AMOUNT.match(debit_text) and AMOUNT.match(credit_text)):
        report.add(f"ligne {number} : montants « {debit_text} » / « {credit_text} » : virgule décimale, deux décimales, positifs")
        return
    debit, credit = _amount(debit_text), _amount(credit_text)
    if debit and credit:
        report.add(f"ligne {number} : débit et crédit remplis tous les deux")
    report.total_debit += debit
    report.total_credit += credit
    if not ACCOUNT.match(get(COLUMN["CompteNum"])):
        report.add(f"ligne {number} : CompteNum « {get(COLUMN['CompteNum'])} » ne commence pas par 3 chiffres")
    _pairs(number, row, report)
    entries.line(number, row, debit, credit)


def _pairs(number, row, report):
    get = row.__getitem__
    if bool(get(COLUMN["CompAuxNum"])) != bool(get(COLUMN["CompAuxLib"])):
        report.add(f"ligne {number} : CompAuxNum et CompAuxLib vont ensemble")
    if bool(get(COLUMN["EcritureLet"])) != bool(get(COLUMN["DateLet"])):
        report.add(f"ligne {number} : EcritureLet et DateLet vont ensemble")
    if get(COLUMN["DateLet"]) and _date(get(COLUMN["DateLet"])) is None:
        report.add(f"ligne {number} : DateLet « {get(COLUMN['DateLet'])} » n'est pas une date AAAAMMJJ")
    written, currency = get(COLUMN["Montantdevise"]), get(COLUMN["Idevise"])  # the amount as the file writes it
    if bool(written) != bool(currency):
        report.add(f"ligne {number} : Montantdevise et Idevise vont ensemble")
    if written and not SIGNED_AMOUNT.match(written):
        report.add(f"ligne {number} : Montantdevise « {written} » mal formé")
    if currency and not CURRENCY.match(currency):
        report.add(f"ligne {number} : Idevise « {currency} » n'est pas un code ISO 4217")


def check_export(path: str, fiscal_year, siren: str) -> Report:
    """Check a FEC just written by ``fec.export`` for ``fiscal_year``: its dates within the year,
    its name and its opening journals as they are in the books (the command and the screen)."""
    return check(
        path,
        siren=siren,
        start=fiscal_year.start,
        closing=fiscal_year.end,
        opening_journals=opening_journal_codes(),
    )
