"""The FEC (Fichier des écritures comptables, LPF A47 A-1, fr-rules §4) of a fiscal year.

One line per entry line, 18 tab-separated columns, a header line, ISO 8859-15, dates AAAAMMJJ,
amounts with a decimal comma (Montantdevise signed: negative on a credit line, FEC-07).

Order: the file starts with the opening entries (à-nouveaux, the journals of kind "opening", AN
in the seeded chart; FEC-01), whenever they were validated — last year is usually closed in
spring, months after this year's first sales were posted. Then, and within the opening entries,
the chronological order of validation (FEC-06): by the instant each entry was posted (posted_at,
whose day is ValidDate), then journal and number. Sorting journal by journal would break that
order as soon as two journals are posted on different days.

Why no entry date in the sort: a journal's numbers are one continuous series per fiscal year, each
taken under the lock of the journal's sequence row just before posted_at is stamped, so within a
journal numbers and posted_at rise together, and the checker wants each journal's numbers rising
down the file. Where two entries share a posted_at (a frozen clock, a bulk load), the number breaks
the tie; the entry date would not (an entry dated earlier may be numbered later: a late document)
and would put a journal's numbers out of order.

Streamed in constant memory: on PostgreSQL the database formats the rows and sends them through
``COPY … TO STDOUT`` in chunks written as they come; elsewhere a server-side iterator formats
them in Python. Both give the same bytes (a test compares them).
"""

import codecs
import os
import re
import unicodedata
from datetime import date

from django.db import connection
from django.db.models import Case, Value, When
from django.utils import timezone

from lmb.services import get_company

from .models import FiscalYear, Journal, JournalLine

HEADER = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
]
ENCODING = "iso-8859-15"
CHUNK = 1 << 16
# A separator ("|", a tab), a line break or any other control character (C0, DEL, C1: text stored
# before the input rules refused them) inside a label would break the columns or the line (FEC-03):
# it becomes a space. The COPY path applies the same class in SQL (_TEXT; PostgreSQL text holds no NUL).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f|]")
_UNSAFE_SQL = r"[\x01-\x1f\x7f-\x9f|]"
# What ISO 8859-15 (FEC-04) cannot write, on both paths: the typographic quotes and dashes French
# text is full of as their plain form, then the compatibility form without accents ISO 8859-15
# lacks (NFKD: "ő" → "o", "…" → "...", a narrow no-break space → " "), anything else as "?". The
# euro sign, "œ", "Š", "Ž", "Ÿ" are in ISO 8859-15 and stay as they are.
_PLAIN = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
          "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"}  # fmt: skip
UNENCODABLE = "lmb-fec-iso-8859-15"


def _nearest_latin9(error: UnicodeEncodeError) -> tuple[str, int]:
    """Codec error handler: the nearest ISO 8859-15 text for each character it cannot encode."""
    written = []
    for char in error.object[error.start : error.end]:
        plain = _PLAIN.get(char) or unicodedata.normalize("NFKD", char)
        kept = "".join(c for c in plain if c.encode(ENCODING, errors="ignore"))
        written.append(_UNSAFE.sub(" ", kept) or "?")  # NFKD of a full-width "｜" is "|"
    return "".join(written), error.end


codecs.register_error(UNENCODABLE, _nearest_latin9)
# No CSV-injection escaping here (unlike every CSV we write, lmb.csv_export), on purpose: the FEC
# is a legal flat file (LPF A47 A-1) read by the tax administration's tools (Test Compta Demat,
# Alto2), not a spreadsheet file. Its content must be the books as validated: an apostrophe put
# before a label starting with "=" or "-" would make EcritureLib differ from the entry, and the
# amounts must stay as FEC-05/FEC-07 write them (Montantdevise "-12,50" on a credit line). Its
# ".txt" opens in a spreadsheet only through the text import wizard, at the user's choice.


def file_name(siren: str, closing: date) -> str:
    return f"{siren}FEC{closing:%Y%m%d}.txt"


def fiscal_year_of(year: int) -> FiscalYear:
    """The fiscal year that ends in ``year`` (the FEC is named by its closing date)."""
    fiscal_year = FiscalYear.objects.filter(end__year=year).order_by("-end").first()
    if fiscal_year is None:
        raise FiscalYear.DoesNotExist(f"Aucun exercice ne se termine en {year}.")
    return fiscal_year


def opening_journal_codes() -> list[str]:
    """The codes of the opening-entry journals (à-nouveaux), whose entries open the file (FEC-01)."""
    return list(Journal.objects.filter(kind=Journal.Kind.OPENING).values_list("code", flat=True))


def export(fiscal_year: FiscalYear, directory: str, *, siren: str | None = None, stream: str = "auto") -> str:
    """Write the FEC of ``fiscal_year`` into ``directory``; returns the file's path. Call
    ``services.post_pending()`` first (the command and the screen do)."""
    siren = siren or get_company().siren
    path = os.path.join(directory, file_name(siren, fiscal_year.end))
    use_copy = stream == "copy" or (stream == "auto" and connection.vendor == "postgresql")
    with open(path, "wb") as out:
        out.write(("\t".join(HEADER) + "\r\n").encode(ENCODING))
        if use_copy:
            _copy_rows(fiscal_year, out)
        else:
            _iterate_rows(fiscal_year, out)
    return path


# --- PostgreSQL: the database formats, COPY streams -----------------------------------------------

_TEXT = "regexp_replace({}, '" + _UNSAFE_SQL + "', ' ', 'g')"
_COPY_SQL = f"""
COPY (
    SELECT j.code, {_TEXT.format("j.label")}, e.number, to_char(e.date, 'YYYYMMDD'),
           a.number, {_TEXT.format("a.label")}, {_TEXT.format("l.auxiliary_number")}, {_TEXT.format("l.auxiliary_label")},
           {_TEXT.format("e.piece_ref")}, to_char(e.piece_date, 'YYYYMMDD'), {_TEXT.format("l.label")},
           replace(l.debit::text, '.', ','), replace(l.credit::text, '.', ','),
           l.lettering_code, COALESCE(to_char(l.lettering_date, 'YYYYMMDD'), ''),
           to_char(e.posted_at AT TIME ZONE %(tz)s, 'YYYYMMDD'),
           COALESCE(replace((CASE WHEN l.credit > 0 THEN -l.currency_amount ELSE l.currency_amount END)::text, '.', ','), ''),
           l.currency
      FROM accounting_journalline l
      JOIN accounting_journalentry e ON e.id = l.entry_id
      JOIN accounting_journal j ON j.id = e.journal_id
      JOIN accounting_account a ON a.id = l.account_id
     WHERE e.fiscal_year_id = %(year)s
     ORDER BY j.kind <> %(opening)s, e.posted_at, j.code, e.number, l.position, l.id
) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\x01', NULL '')
"""


def _copy_rows(fiscal_year, out):
    """COPY in CSV form with a quote character that cannot occur (labels are cleaned of control
    characters, so nothing is ever quoted); UTF-8 chunks are re-encoded as they arrive."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with connection.cursor() as cursor:
        params = {"tz": timezone.get_current_timezone_name(), "year": fiscal_year.pk, "opening": Journal.Kind.OPENING}
        with cursor.cursor.copy(_COPY_SQL, params) as copy:
            for chunk in copy:
                text = decoder.decode(bytes(chunk)).replace("\x01", "")
                out.write(text.replace("\n", "\r\n").encode(ENCODING, errors=UNENCODABLE))
        out.write(decoder.decode(b"", final=True).encode(ENCODING, errors=UNENCODABLE))


# --- Any database: a server-side iterator ---------------------------------------------------------


def _clean(value) -> str:
    return _UNSAFE.sub(" ", value or "")


def _amount(value) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def _day(value) -> str:
    return value.strftime("%Y%m%d") if value else ""


def _iterate_rows(fiscal_year, out):
    lines = (
        JournalLine.objects.filter(entry__fiscal_year=fiscal_year)
        .annotate(after_opening=Case(When(entry__journal__kind=Journal.Kind.OPENING, then=Value(0)), default=Value(1)))
        .order_by("after_opening", "entry__posted_at", "entry__journal__code", "entry__number", "position", "pk")
        .values_list(
            "entry__journal__code",
            "entry__journal__label",
            "entry__number",
            "entry__date",
            "account__number",
            "account__label",
            "auxiliary_number",
            "auxiliary_label",
            "entry__piece_ref",
            "entry__piece_date",
            "label",
            "debit",
            "credit",
            "lettering_code",
            "lettering_date",
            "entry__posted_at",
            "currency_amount",
            "currency",
        )
    )
    buffer = []
    size = 0
    for row in lines.iterator(chunk_size=5000):
        (code, journal, number, day, account, account_label, aux, aux_label, piece, piece_day, label, debit, credit,
         letter, letter_day, posted_at, currency_amount, currency) = row  # fmt: skip
        text = "\t".join(
            [
                code,
                _clean(journal),
                str(number),
                _day(day),
                account,
                _clean(account_label),
                _clean(aux),
                _clean(aux_label),
                _clean(piece),
                _day(piece_day),
                _clean(label),
                _amount(debit),
                _amount(credit),
                letter,
                _day(letter_day),
                _day(timezone.localtime(posted_at).date()),
                _amount(-currency_amount if currency_amount is not None and credit else currency_amount),
                currency,
            ]
        )
        buffer.append(text)
        size += len(text)
        if size > CHUNK:
            out.write(("\r\n".join(buffer) + "\r\n").encode(ENCODING, errors=UNENCODABLE))
            buffer, size = [], 0
    if buffer:
        out.write(("\r\n".join(buffer) + "\r\n").encode(ENCODING, errors=UNENCODABLE))
