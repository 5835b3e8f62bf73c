"""A streaming xlsx writer: the rows go out as they are read, in constant memory.

An xlsx file is a zip of XML parts; the sheet is one part written row by row (inline strings, so
no shared-string table to hold in memory) and zipped on the fly by stream-zip. Text is always
written as text: a customer named "=HYPERLINK(…)" stays a name, never becomes a formula.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from stream_zip import ZIP_32, stream_zip

from .text import xml_text

_EXCEL_EPOCH = datetime(1899, 12, 30)

# How a number is shown, told by its value: amounts are stored with 2 decimals, unit prices up to
# 6 and quantities 3 (DESIGN §4), so a Decimal of at most 2 places shows 2 (« 1 234,50 »), one of
# more shows at least 2 and as many as it has (« 15,416667 », « 2,50 »), an integer none.
# Format codes are written the English way; Excel and LibreOffice show them in the user's
# locale (« # ##0,00 » in French).
NUMBER_FORMATS = {"amount": "#,##0.00", "precise": "#,##0.00####", "integer": "0"}


def number_kind(value) -> str:
    """``amount``, ``precise`` or ``integer``: the format a number is shown with."""
    if isinstance(value, Decimal) and value.is_finite():
        return "amount" if value.as_tuple().exponent >= -2 else "precise"
    return "integer" if isinstance(value, int) else "amount"


_HEADER, _DATE, _DATETIME = 1, 2, 3  # indexes of cellXfs in the styles part
_NUMBER_STYLES = {"amount": 4, "precise": 5, "integer": 6}

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="4"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
    '<numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm"/>'
    f'<numFmt numFmtId="166" formatCode="{NUMBER_FORMATS["amount"]}"/>'
    f'<numFmt numFmtId="167" formatCode="{NUMBER_FORMATS["precise"]}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _text(value: str, style: int = 0) -> str:
    style_attribute = f' s="{style}"' if style else ""
    return f'<c t="inlineStr"{style_attribute}><is><t xml:space="preserve">{escape(xml_text(value))}</t></is></c>'


def _serial(moment) -> str:
    """Excel's date number: days since 1899-12-30, the time as a fraction of a day."""
    if isinstance(moment, datetime):
        delta = moment.replace(tzinfo=None) - _EXCEL_EPOCH
        return repr(delta.days + delta.seconds / 86400)
    return str((moment - _EXCEL_EPOCH.date()).days)


def _cell(value) -> str:
    if value is None or value == "":
        return "<c/>"
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | Decimal):
        return f'<c s="{_NUMBER_STYLES[number_kind(value)]}"><v>{value}</v></c>'
    if isinstance(value, datetime):
        return f'<c s="{_DATETIME}"><v>{_serial(value)}</v></c>'
    if isinstance(value, date):
        return f'<c s="{_DATE}"><v>{_serial(value)}</v></c>'
    return _text(str(value))


@dataclass(frozen=True)
class Row:
    """A row with an outline level (0: not grouped; 1 to 7: nested under the row above it that has
    a lower level), for reports with subtotals the reader folds and unfolds. ``lmb.ods`` too."""

    cells: tuple
    level: int = 0


def _sheet(headers: list[str], rows: Iterable[Iterable], preamble: list[tuple] = (), outline_levels: int = 0):
    yield '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    yield '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    if outline_levels:
        yield '<sheetPr><outlinePr summaryBelow="0"/></sheetPr>'  # a subtotal stands above its details
    first = len(preamble) + 2
    yield (
        f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{first - 1}" topLeftCell="A{first}" '
        'activePane="bottomLeft" state="frozen"/>'
    )
    yield "</sheetView></sheetViews>"
    if outline_levels:
        yield f'<sheetFormatPr defaultRowHeight="15" outlineLevelRow="{min(outline_levels, 7)}"/>'
    yield "<sheetData>"
    for cells in preamble:  # what the rows are (a report's filters, its period), above the header
        yield "<row>" + "".join(_text(value, _HEADER) if isinstance(value, str) else _cell(value) for value in cells) + "</row>"
    yield "<row>" + "".join(_text(header, _HEADER) for header in headers) + "</row>"
    for row in rows:
        if isinstance(row, Row):
            level = f' outlineLevel="{min(row.level, 7)}"' if row.level else ""
            yield f"<row{level}>" + "".join(_cell(value) for value in row.cells) + "</row>"
        else:
            yield "<row>" + "".join(_cell(value) for value in row) + "</row>"
    yield "</sheetData></worksheet>"


def encoded(parts):
    """UTF-8 bytes of the XML parts as they are produced (a zip member streamed; ods.py too)."""
    for part in parts:
        yield part.encode()


def stream_xlsx(
    sheet_name: str, headers: list[str], rows: Iterable[Iterable], *, preamble: list[tuple] = (), outline_levels: int = 0
):
    """The bytes of an xlsx file with one sheet, produced as the rows are consumed: ``preamble``
    rows above the header, rows given as ``Row`` grouped by their outline level."""
    now = datetime.now()
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name={quoteattr(xml_text(sheet_name[:31]))} sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    files = [
        ("[Content_Types].xml", _CONTENT_TYPES),
        ("_rels/.rels", _ROOT_RELS),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ("xl/styles.xml", _STYLES),
    ]
    members = [(name, now, 0o600, ZIP_32, (content.encode(),)) for name, content in files]
    members.append(("xl/worksheets/sheet1.xml", now, 0o600, ZIP_32, encoded(_sheet(headers, rows, preamble, outline_levels))))
    yield from stream_zip(members, chunk_size=65536)
