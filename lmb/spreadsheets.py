"""Spreadsheet files in and out.

Exports stream in constant memory: rows come from a queryset iterator and are zipped on the fly
(ODS by stream-write-ods, xlsx by ``lmb.xlsx``). Imports read xlsx (openpyxl, read-only) or csv
(UTF-8 or Windows-1252, ``;`` or ``,``).
"""

import csv
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from stream_write_ods import stream_write_ods

from .text import xml_text
from .xlsx import stream_xlsx

logger = logging.getLogger(__name__)

XLSX = "xlsx"
ODS = "ods"
EXPORT_FORMATS = {XLSX: "Excel (.xlsx)", ODS: "OpenDocument (.ods)"}
CONTENT_TYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ODS: "application/vnd.oasis.opendocument.spreadsheet",
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


_ODS_ENCODERS = (
    (bool, ("boolean", "office:boolean-value", None, lambda v: str(v).lower())),
    (date, ("date", "office:date-value", "date", lambda v: v.isoformat())),
    (datetime, ("date", "office:date-value", None, lambda v: v.isoformat())),
    (int, ("float", "office:value", None, str)),
    (Decimal, ("float", "office:value", None, str)),
    (str, ("string", None, None, xml_text)),  # a control character stored before LMB refused them: dropped
    (type(None), (None, None, None, lambda _: None)),
)


def export_response(fmt: str, filename: str, columns: list[Column], objects: Iterable, *, sheet_name: str):
    """An HTTP response streaming ``objects`` as an xlsx or ods file, in constant memory."""
    headers = [str(column.header) for column in columns]
    full_name = f"{filename}-{timezone.localdate():%Y%m%d}.{fmt}"
    rows = _rows(columns, objects)
    if fmt == ODS:
        chunks = stream_write_ods([(str(sheet_name)[:31], headers, rows)], encoders=_ODS_ENCODERS)
    elif fmt == XLSX:
        chunks = stream_xlsx(str(sheet_name), headers, rows)
    else:
        raise ValueError(_("Format d'export inconnu : %(fmt)s") % {"fmt": fmt})
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{full_name}"'
    return response


class UnreadableFile(ValueError):
    """The uploaded file is not a spreadsheet we can read; the message says why, in French."""


def read_table(uploaded_file) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of the first sheet of an xlsx or csv file, as text cells.

    Empty rows are skipped; every other row keeps its spreadsheet row number via its position
    (callers number rows from 2, the header being row 1), so errors can name the row the user sees.
    """
    name = (getattr(uploaded_file, "name", "") or "").lower()
    data = uploaded_file.read()
    if name.endswith(".xlsx"):
        table = _read_xlsx(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        table = _read_csv(data)
    else:
        raise UnreadableFile(_("Format non pris en charge : envoyez un fichier .xlsx ou .csv."))
    if not table:
        raise UnreadableFile(_("Le fichier est vide."))
    header = [(cell or "").strip() for cell in table[0]]
    return header, table[1:]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _read_xlsx(data: bytes) -> list[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged file
        logger.info("Unreadable xlsx upload: %r", exc)
        raise UnreadableFile(_("Le fichier Excel est illisible : est-ce bien un classeur .xlsx ?")) from exc
    sheet = workbook.worksheets[0]
    return [[_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # what French Excel writes by default
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def table_response(fmt: str, filename: str, headers: list[str], rows: Iterable[Iterable]):
    """An xlsx or ods file from plain rows (used for rejected import rows)."""
    columns = [Column(header, (lambda index: lambda row: row[index])(i)) for i, header in enumerate(headers)]
    return export_response(fmt, filename, columns, rows, sheet_name=filename)
