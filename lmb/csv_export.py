"""Every CSV file LMB writes goes through ``csv_writer``: the archive's ``index.csv``, the accounting
export of entries, the list exports and the rejected rows of an import (``lmb.spreadsheets``).

A cell is written as French Excel reads it (``csv_text``): a Decimal with a decimal comma
(``-1234,50``, no grouping, so it stays a number), dates as JJ/MM/AAAA, booleans as oui/non.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(and a leading tab or carriage return can hide such a start): a customer named
``=cmd|' /C calc'!A0`` would run a command on the accountant's computer (CSV injection). As OWASP
recommends, such a text cell is written with a leading apostrophe, which the spreadsheet shows as
text. Numbers are left as they are — an amount of ``-12,50`` stays a number in the accountant's
tool, and a number cannot be a formula.

Not for the FEC (``accounting.fec``): a legal tab-separated format, not a spreadsheet file; its
rules and the reason are written there.
"""

import csv
import re
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number, as our exports write amounts ("-12,50", "1250.00", "-3"): never a formula.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def csv_safe(value) -> str | int | Decimal:
    """The cell as written: a number as it is, text that a spreadsheet would run as a formula
    behind an apostrophe, anything else as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(value):
    """A cell as French Excel reads it: decimal comma, JJ/MM/AAAA, oui/non; anything else as is."""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")  # "f": never an exponent (Decimal("1E+3"))
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


class _SafeWriter:
    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row):
        # Returns what the stream's write returned: a streaming response writes to an echo.
        return self._writer.writerow([csv_safe(csv_text(value)) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **options) -> _SafeWriter:
    """A ``csv.writer`` (same options) whose cells go through ``csv_text``, then ``csv_safe``."""
    return _SafeWriter(stream, **options)


def read_back(text: str) -> str:
    """A cell of a CSV file we are reading, as the user meant it: the apostrophe ``csv_safe`` put
    before a formula start is taken off again (what a spreadsheet does with a typed ``'=``), so
    rejected import rows downloaded as CSV, corrected and sent back read as they were."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text
