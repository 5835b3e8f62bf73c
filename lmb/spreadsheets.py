"""Spreadsheet files in and out.

Exports stream in constant memory: rows come from a queryset iterator and are zipped on the fly
(``lmb.ods``, ``lmb.xlsx``), numbers and dates with a number format; CSV cells go through
``lmb.csv_export``. Imports read xlsx (openpyxl, read-only) or csv (UTF-8, UTF-16 or
Windows-1252; ``;``, ``,`` or tab) as they are consumed, within ``ReadLimits``.
"""

import codecs
import csv
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .csv_export import csv_writer, read_back
from .formats import decimal_fr
from .ods import stream_ods
from .xlsx import stream_xlsx

logger = logging.getLogger(__name__)

XLSX = "xlsx"
ODS = "ods"
CSV = "csv"
EXPORT_FORMATS = {XLSX: "Excel (.xlsx)", ODS: "OpenDocument (.ods)"}
CONTENT_TYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ODS: "application/vnd.oasis.opendocument.spreadsheet",
    CSV: "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class Column:
    """One exported column: its header and how to read the cell from an object (an attribute path
    such as ``"category.name"``, or a callable)."""

    header: str
    value: str | Callable

    def read(self, obj):
        if callable(self.value):
            return self.value(obj)
        for name in self.value.split("."):
            obj = getattr(obj, name, None)
            if obj is None:
                return None
        return obj


def _cell(value):
    """A value spreadsheet writers accept: numbers stay numbers, dates stay dates, the rest is text."""
    if value is None or isinstance(value, bool | int | Decimal | date | str):
        if isinstance(value, datetime):
            return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        return value
    return str(value)


def _rows(columns: list[Column], objects: Iterable):
    for obj in objects:
        yield tuple(_cell(column.read(obj)) for column in columns)


def export_response(fmt: str, filename: str, columns: list[Column], objects: Iterable, *, sheet_name: str):
    """An HTTP response streaming ``objects`` as an xlsx, ods or csv file, in constant memory."""
    headers = [str(column.header) for column in columns]
    full_name = f"{filename}-{timezone.localdate():%Y%m%d}.{fmt}"
    rows = _rows(columns, objects)
    if fmt == ODS:
        chunks = stream_ods(str(sheet_name), headers, rows)
    elif fmt == XLSX:
        chunks = stream_xlsx(str(sheet_name), headers, rows)
    elif fmt == CSV:
        chunks = _stream_csv(headers, rows)
    else:
        raise ValueError(_("Format d'export inconnu : %(fmt)s") % {"fmt": fmt})
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{full_name}"'
    return response


class _Echo:
    def write(self, value):
        return value


def _stream_csv(headers: list[str], rows: Iterable[Iterable]):
    """UTF-8 with its mark (so Excel reads the accents), ``;``-separated, cells in French and made
    safe (``lmb.csv_export``)."""
    writer = csv_writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield ("\ufeff" + writer.writerow(headers)).encode()
    for row in rows:
        yield writer.writerow(row).encode()


# --- Reading an uploaded table ------------------------------------------------------------------


@dataclass(frozen=True)
class ReadLimits:
    """What an uploaded table may hold. Beyond it the file is refused with the reason, before it
    can take a worker's memory or time: no file gets a 500 or kills a worker."""

    file_bytes: int = 30 * 1024 * 1024
    unpacked_bytes: int = 250 * 1024 * 1024  # an xlsx is a zip: what its parts weigh once unpacked
    shared_strings_bytes: int = 64 * 1024 * 1024  # the texts of an xlsx, all held in memory while it is read
    columns: int = 200
    cell_chars: int = 32_767  # what a cell of Excel can hold
    rows: int = 200_000  # data rows


LIMITS = ReadLimits()

# A cell may be as large as the file (within ReadLimits.file_bytes): the csv module's own limit
# (128 KiB) would stop at a large cell with an error naming neither its row nor its column; ours
# does. Raising a ceiling that is process-wide harms no other reader.
csv.field_size_limit(2**31 - 1)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls) and other OLE files
_ZIP_MAGIC = b"PK\x03\x04"
# Characters no text file holds, beyond a stray one a person could have typed.
_NON_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


class UnreadableFile(ValueError):
    """The uploaded file is not a spreadsheet we can read; the message says why, in French."""


@dataclass
class Table:
    """The first sheet of an uploaded file, read as it is consumed: ``header`` (row 1, or the
    first non-empty row) and ``rows``, the following non-empty rows as ``(row number as the user
    sees it, cells as text)``. Reading ``rows`` may raise ``UnreadableFile`` (a damaged part of
    the file, a limit passed); ``estimated_rows`` is for progress only (0 when unknown)."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    estimated_rows: int = 0

    def close(self):
        self.rows.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def open_table(uploaded_file, limits: ReadLimits | None = None) -> Table:
    """Open an xlsx or csv file (what it is is told by its content first, then by its name)."""
    limits = limits or LIMITS
    name = (getattr(uploaded_file, "name", "") or "").lower()
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limits.file_bytes:
        raise UnreadableFile(_too_large(size, limits))
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(limits.file_bytes + 1)
    if len(data) > limits.file_bytes:
        raise UnreadableFile(_too_large(len(data), limits))
    if data.startswith(_ZIP_MAGIC):
        estimated, raw_rows = _xlsx_rows(data, limits)
    elif data.startswith(_OLE_MAGIC):
        raise UnreadableFile(_("Les classeurs Excel 97-2003 (.xls) ne sont pas lus : enregistrez-le au format .xlsx ou .csv."))
    elif name.endswith(".xlsx"):
        raise UnreadableFile(_unreadable_xlsx())
    elif name.endswith((".csv", ".txt")):
        estimated, raw_rows = _csv_rows(data)
    else:
        raise UnreadableFile(_("Format non pris en charge : envoyez un fichier .xlsx ou .csv."))
    rows = _text_rows(raw_rows, limits)
    for _number, header in rows:
        return Table(header=header, rows=rows, estimated_rows=max(estimated - 1, 0))
    raise UnreadableFile(_("Le fichier est vide."))


def read_table(uploaded_file, limits: ReadLimits | None = None) -> tuple[list[str], list[list[str]]]:
    """The header and the non-empty data rows of a small file, all in memory (tests, small tables)."""
    with open_table(uploaded_file, limits) as table:
        return table.header, [cells for _number, cells in table.rows]


def _size_fr(size: int) -> str:
    """« 45,2 Mo », « 19,5 Ko »."""
    if size >= 2**20:
        return f"{decimal_fr(Decimal(size) / 2**20, 1)} Mo"
    return f"{decimal_fr(Decimal(size) / 2**10, 1)} Ko"


def _too_large(size: int, limits: ReadLimits) -> str:
    return _("Le fichier fait %(size)s : %(max)s au plus. Découpez-le en plusieurs fichiers.") % {
        "size": _size_fr(size),
        "max": _size_fr(limits.file_bytes),
    }


def _unreadable_xlsx() -> str:
    return _("Le fichier Excel est illisible : est-ce bien un classeur .xlsx ?")


def _column_name(index: int, header: list[str] | None) -> str:
    title = header[index] if header and index < len(header) else ""
    return f"« {title} »" if title else get_column_letter(index + 1)


def _text_rows(raw_rows, limits: ReadLimits):
    """The non-empty rows as text, trailing empty cells dropped, checked against the limits."""
    header, data_rows = None, 0
    for number, values in raw_rows:
        cells = [_text(value) for value in values]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if len(cells) > limits.columns:
            raise UnreadableFile(
                _("Ligne %(row)s : %(count)s colonnes ; %(max)s au plus.")
                % {"row": number, "count": decimal_fr(len(cells)), "max": limits.columns}
            )
        for index, cell in enumerate(cells):
            if len(cell) > limits.cell_chars:
                raise UnreadableFile(
                    _("Ligne %(row)s, colonne %(column)s : la cellule a %(length)s caractères ; %(max)s au plus.")
                    % {
                        "row": number,
                        "column": _column_name(index, header),
                        "length": decimal_fr(len(cell)),
                        "max": decimal_fr(limits.cell_chars),
                    }
                )
        if header is None:
            header = cells
        else:
            data_rows += 1
            if data_rows > limits.rows:
                raise UnreadableFile(
                    _("Le fichier a plus de %(max)s lignes : découpez-le en plusieurs fichiers.")
                    % {"max": decimal_fr(limits.rows)}
                )
        yield number, cells


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _xlsx_rows(data: bytes, limits: ReadLimits):
    """(estimated rows, the rows of the first sheet as they are parsed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            texts = sum(info.file_size for info in archive.infolist() if info.filename.lower().endswith("sharedstrings.xml"))
            is_ods = "mimetype" in archive.namelist() and archive.read("mimetype").startswith(b"application/vnd.oasis")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        logger.info("Unreadable xlsx upload: %r", exc)
        raise UnreadableFile(_unreadable_xlsx()) from exc
    if is_ods:
        raise UnreadableFile(_("Les classeurs OpenDocument (.ods) ne sont pas lus : enregistrez-le au format .xlsx ou .csv."))
    if unpacked > limits.unpacked_bytes:
        raise UnreadableFile(
            _("Le classeur fait %(size)s une fois décompressé : %(max)s au plus. Découpez-le en plusieurs fichiers.")
            % {"size": _size_fr(unpacked), "max": _size_fr(limits.unpacked_bytes)}
        )
    if texts > limits.shared_strings_bytes:
        raise UnreadableFile(
            _("Les textes du classeur font %(size)s : %(max)s au plus. Découpez-le en plusieurs fichiers.")
            % {"size": _size_fr(texts), "max": _size_fr(limits.shared_strings_bytes)}
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged file
        logger.info("Unreadable xlsx upload: %r", exc)
        raise UnreadableFile(_unreadable_xlsx()) from exc
    if not workbook.worksheets:
        workbook.close()
        raise UnreadableFile(_("Le classeur ne contient aucune feuille de calcul."))
    sheet = workbook.worksheets[0]
    estimated = sheet.max_row or 0
    # The dimension a file announces may be wrong or huge (A1:XFD1048576): every row would be
    # padded to it. Without it each row is as long as its last cell.
    sheet.reset_dimensions()
    return estimated, _sheet_rows(workbook, sheet)


def _sheet_rows(workbook, sheet):
    number = 0
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):  # noqa: B007 — read after the loop
            yield number, values
    except Exception as exc:  # a part cut short or damaged shows only while it is parsed
        logger.info("Damaged xlsx upload after row %s: %r", number, exc)
        raise UnreadableFile(
            _(
                "Le classeur est abîmé (incomplet ?) : sa lecture s'arrête après la ligne %(row)s. "
                "Enregistrez-le de nouveau depuis votre tableur."
            )
            % {"row": number}
        ) from exc
    finally:
        workbook.close()


def _csv_rows(data: bytes):
    """(estimated rows, the records of a csv file: UTF-8, UTF-16 with its mark, or Windows-1252;
    separated by ``;``, ``,`` or tabs)."""
    text = _decode(data)
    _refuse_binary(text)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    return text.count("\n"), _csv_records(text, delimiter)


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's « Texte Unicode »
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(_("Le fichier texte Unicode (UTF-16) est abîmé.")) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # what French Excel writes by default


def _refuse_binary(text: str):
    """A file of another kind named .csv (a PDF, an image, random bytes) is said to be one."""
    nul = text.find("\x00")
    if nul >= 0:
        raise UnreadableFile(
            _(
                "Le fichier contient un octet nul (ligne %(row)s) : ce n'est pas un fichier texte CSV. "
                "Enregistrez-le depuis votre tableur au format CSV, ou envoyez le classeur .xlsx."
            )
            % {"row": text.count("\n", 0, nul) + 1}
        )
    sample = text[:65536]
    if len(_NON_TEXT.findall(sample)) > max(8, len(sample) // 100):
        raise UnreadableFile(
            _(
                "Ce fichier n'est pas un fichier texte CSV (il contient des données binaires). "
                "Enregistrez-le depuis votre tableur au format CSV, ou envoyez le classeur .xlsx."
            )
        )


def _csv_records(text: str, delimiter: str):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):  # noqa: B007 — read after the loop
            yield number, [read_back(cell) for cell in record]
    except csv.Error as exc:
        raise UnreadableFile(
            _("Ligne %(row)s : le fichier CSV est mal formé (%(reason)s).") % {"row": number + 1, "reason": exc}
        ) from exc


def table_response(fmt: str, filename: str, headers: list[str], rows: Iterable[Iterable]):
    """An xlsx or ods file from plain rows (used for rejected import rows)."""
    columns = [Column(header, (lambda index: lambda row: row[index])(i)) for i, header in enumerate(headers)]
    return export_response(fmt, filename, columns, rows, sheet_name=filename)
