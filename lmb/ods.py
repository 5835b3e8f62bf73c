"""A streaming OpenDocument spreadsheet (.ods) writer: the rows go out as they are read, in constant
memory, zipped on the fly by stream-zip.

Numbers carry a number style as in ``lmb.xlsx`` (amounts with 2 decimals and a thousands
separator, unit prices and quantities with theirs, integers plain) and dates a date style
(JJ/MM/AAAA), so LibreOffice shows them in the user's locale; text is always text.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from stream_zip import NO_COMPRESSION_32, ZIP_32, stream_zip

from .text import xml_text
from .xlsx import Row, encoded, number_kind

_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_MANIFEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
    b'<manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
    b'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    b"</manifest:manifest>"
)
_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"'
)


def _number_style(name: str, places: int, min_places: int, grouping: bool) -> str:
    return (
        f'<number:number-style style:name="{name}"><number:number number:decimal-places="{places}" '
        f'number:min-decimal-places="{min_places}" number:min-integer-digits="1" '
        f'number:grouping="{str(grouping).lower()}"/></number:number-style>'
    )


_DAY_MONTH_YEAR = (
    '<number:day number:style="long"/><number:text>/</number:text>'
    '<number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/>'
)
_STYLES = (
    "<office:automatic-styles>"
    + _number_style("N-amount", 2, 2, True)
    + _number_style("N-precise", 6, 2, True)
    + _number_style("N-integer", 0, 0, False)
    + f'<number:date-style style:name="N-date">{_DAY_MONTH_YEAR}</number:date-style>'
    + f'<number:date-style style:name="N-datetime">{_DAY_MONTH_YEAR}<number:text> </number:text>'
    '<number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/>'
    "</number:date-style>"
    + "".join(
        f'<style:style style:name="{name}" style:family="table-cell" style:data-style-name="N-{name}"/>'
        for name in ("amount", "precise", "integer", "date", "datetime")
    )
    + '<style:style style:name="header" style:family="table-cell"><style:text-properties fo:font-weight="bold"/></style:style>'
    "</office:automatic-styles>"
)


def _text(value: str, style: str = "") -> str:
    style_attribute = f' table:style-name="{style}"' if style else ""
    text = escape(xml_text(value))  # a control character stored before LMB refused them: dropped
    return f'<table:table-cell office:value-type="string"{style_attribute}><text:p>{text}</text:p></table:table-cell>'


def _cell(value) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        shown = "VRAI" if value else "FAUX"
        return (
            f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}">'
            f"<text:p>{shown}</text:p></table:table-cell>"
        )
    if isinstance(value, int | Decimal):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}" '
            f'table:style-name="{number_kind(value)}"><text:p>{value}</text:p></table:table-cell>'
        )
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=None).isoformat(timespec="seconds")
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{moment}" table:style-name="datetime">'
            f"<text:p>{value:%d/%m/%Y %H:%M}</text:p></table:table-cell>"
        )
    if isinstance(value, date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}" table:style-name="date">'
            f"<text:p>{value:%d/%m/%Y}</text:p></table:table-cell>"
        )
    return _text(str(value))


def _content(sheet_name: str, headers: list[str], rows: Iterable[Iterable], preamble: list[tuple] = ()):
    yield f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NAMESPACES} office:version="1.3">'
    yield _STYLES
    yield f"<office:body><office:spreadsheet><table:table table:name={quoteattr(xml_text(sheet_name))}>"
    yield f'<table:table-column table:number-columns-repeated="{max(len(headers), 1)}"/>'
    for cells in preamble:
        yield (
            "<table:table-row>"
            + "".join(_text(value, "header") if isinstance(value, str) else _cell(value) for value in cells)
            + "</table:table-row>"
        )
    yield "<table:table-header-rows><table:table-row>"
    yield "".join(_text(header, "header") for header in headers)
    yield "</table:table-row></table:table-header-rows>"
    depth = 0  # row groups open: a Row of level n sits inside n nested groups
    for row in rows:
        level, cells = (row.level, row.cells) if isinstance(row, Row) else (0, row)
        while depth > level:
            yield "</table:table-row-group>"
            depth -= 1
        while depth < level:
            yield "<table:table-row-group>"
            depth += 1
        yield "<table:table-row>" + "".join(_cell(value) for value in cells) + "</table:table-row>"
    yield "</table:table-row-group>" * depth
    yield "</table:table></office:spreadsheet></office:body></office:document-content>"


def stream_ods(sheet_name: str, headers: list[str], rows: Iterable[Iterable], *, preamble: list[tuple] = ()):
    """The bytes of an .ods file with one sheet, produced as the rows are consumed: ``preamble``
    rows above the header, rows given as ``lmb.xlsx.Row`` in row groups by their outline level."""
    now = datetime.now()
    members = [
        ("mimetype", now, 0o600, NO_COMPRESSION_32, (_MIMETYPE,)),  # first and stored, as ODF requires
        ("META-INF/manifest.xml", now, 0o600, ZIP_32, (_MANIFEST,)),
        ("content.xml", now, 0o600, ZIP_32, encoded(_content(sheet_name[:31], headers, rows, preamble))),
    ]
    yield from stream_zip(members, chunk_size=65536, extended_timestamps=False)
