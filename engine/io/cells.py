"""The cells of every CSV and XLSX export: text is written as text, never as a formula.

Whatever people typed (a project title ``=HYPERLINK(...)``, an organisation name with a
control character) goes through here on its way into a spreadsheet, so that opening an
export can never run anything and a stored value can never make the export fail:

* text loses the characters XML 1.0 forbids (0x00-0x08, 0x0B, 0x0C, 0x0E-0x1F, U+FFFE,
  U+FFFF); tab, newline and carriage return stay;
* text that a spreadsheet would read as a formula (OWASP, "CSV injection": it begins with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return; also after spaces, and the
  full-width forms) is written as text: in CSV with a leading ``'`` (and every text
  quoted, numbers not), in XLSX as a string cell whose style says "text"
  (``quotePrefix``: what Excel itself stores for a typed ``'=1+2``, so that even editing
  the cell does not turn it into a formula);
* every XLSX text cell is a string cell (openpyxl would otherwise make ``=…`` a formula
  and ``#N/A`` an error value), at most 32,767 characters (Excel's limit);
* numbers stay numbers; a stored infinity or NaN becomes an empty cell, a finite number
  beyond Excel's range is written as its text; dates stay dates (without a time zone,
  which Excel cannot hold);
* sheet names follow Excel's rules, links between sheets are hyperlinks, not formulas.

Use ``csv_writer`` for a CSV and ``xlsx_cell`` / ``put`` / ``link_to_sheet`` /
``sheet_name`` for a workbook (write-only or not); never write a raw value yourself.
"""
from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

# XML 1.0 forbids these: openpyxl raises IllegalCharacterError on the C0 part of it
# (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE), an XML parser rejects the rest.
ILLEGAL_CHARACTERS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and a tab or CR first
EXCEL_MAX_TEXT = 32_767
EXCEL_MAX_NUMBER = 9.99999999999999e307
EXCEL_MAX_SHEET_NAME = 31
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\'\"\x00-\x1f\x7f-\x9f\ufffe\uffff]")
_RESERVED_SHEET_NAMES = {"history"}  # Excel keeps this one for itself


def clean_text(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids (tab, newline and CR stay)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _finite(value: int | float | Decimal) -> bool:
    if isinstance(value, int):
        return True  # math.isfinite(10**400) would overflow
    return value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)


_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)


def looks_like_formula(text: str) -> bool:
    """A spreadsheet would read ``text`` (already cleaned) as a formula: OWASP's list, and
    the same after leading spaces (some spreadsheets skip them)."""
    if not text or not (text[0] in _FORMULA_FIRST or text[0].isspace()):
        return False  # most texts: one look at the first character
    return text.startswith(("\t", "\r")) or text.lstrip().startswith(FORMULA_PREFIXES)


# --- CSV ----------------------------------------------------------------------------------------

def csv_value(value: Any) -> str | int | float | Decimal:
    """What a CSV cell holds: numbers as numbers, dates as ISO dates, yes/no in Russian,
    text cleaned and, when it would be a formula, with a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        return value if _finite(value) else ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = clean_text(str(value))
    return "'" + text if looks_like_formula(text) else text


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through ``csv_value``; text is quoted (numbers
    are not), so that a delimiter inside a title cannot start a new cell."""

    def __init__(self, out: Any, delimiter: str = ";"):
        self._writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_value(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: Any, delimiter: str = ";") -> SafeCsvWriter:
    """The writer of every CSV export (``;``: what a Russian Excel expects)."""
    return SafeCsvWriter(out, delimiter)


# --- XLSX ---------------------------------------------------------------------------------------

def xlsx_value(value: Any) -> Any:
    """``value`` as openpyxl may store it: see the module's docstring."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        if not _finite(value):
            return None
        return value if -EXCEL_MAX_NUMBER <= value <= EXCEL_MAX_NUMBER else str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return value
    return xlsx_text(str(value))


def xlsx_text(value: str) -> str:
    """Text as an XLSX cell may hold it: cleaned, at most Excel's 32,767 characters."""
    return _cut(clean_text(value), EXCEL_MAX_TEXT)


def put(cell: Any, value: Any, **style: Any) -> Any:
    """Give ``cell`` (of any worksheet) the value, text as a string cell; ``style``:
    cell attributes such as font, fill, alignment, number_format. Returns the cell."""
    v = xlsx_value(value)
    cell.value = v
    if isinstance(v, str):
        cell.data_type = "s"  # openpyxl made "=…" a formula and "#N/A" an error
        if looks_like_formula(v):
            cell.quotePrefix = True
    elif isinstance(v, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(v, date):
        cell.number_format = DATE_FORMAT
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def xlsx_cell(ws: Any, value: Any, **style: Any) -> Any:
    """What ``ws.append`` of a write-only sheet may take for ``value`` (and only through
    this may a value reach such a sheet: a bare "=…" string would become a formula): the
    value itself when openpyxl writes it as it is (most of them: half the time of making
    a cell each), else a cell made by ``put``."""
    from openpyxl.cell import WriteOnlyCell

    v = xlsx_value(value)
    if not style and _plain(v):
        return v
    return put(WriteOnlyCell(ws), value, **style)


_ERROR_CODES = frozenset(('#NULL!', '#DIV/0!', '#VALUE!', '#REF!', '#NAME?', '#NUM!', '#N/A'))  # openpyxl's


def _plain(v: Any) -> bool:
    """openpyxl would write ``v`` (an ``xlsx_value``) unchanged: a number, or a string that
    it would not make a formula or an error value and that needs no text mark."""
    if isinstance(v, str):
        return not (v.startswith("=") or v in _ERROR_CODES or looks_like_formula(v))
    return v is None or isinstance(v, bool | int | float | Decimal)


def xlsx_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    """A row for ``ws.append`` of a write-only sheet."""
    return [xlsx_cell(ws, v) for v in values]


def sheet_location(name: str, cell: str = "A1") -> str:
    """An in-workbook hyperlink location: ``'Name'!A1``."""
    return "'" + name.replace("'", "''") + "'!" + cell


def link_to_sheet(cell: Any, name: str, text: str | None = None, **style: Any) -> Any:
    """Make ``cell`` a hyperlink to the sheet ``name`` of the same workbook (a hyperlink,
    not a HYPERLINK formula), showing ``text`` (the sheet's name by default)."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    put(cell, name if text is None else text, **style)
    cell.hyperlink = Hyperlink(ref="", location=sheet_location(name))
    return cell


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` UTF-16 units, as Excel counts (an emoji is two); a pair is never split."""
    if 2 * len(text) <= limit:  # short enough whatever it holds (most texts: no encoding)
        return text
    return text[:limit].encode("utf-16-le")[:2 * limit].decode("utf-16-le", errors="ignore")


class SheetNames(set[str]):
    """The sheet names of a workbook, keeping their lower-case forms as they come, so that
    sheet_name checks a new one in constant time (the tower's workbook names thousands of
    organisation sheets: lowering every taken name for each new one took 7 of its 13 s)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(names)
        self.lowered = {x.lower() for x in self}

    def add(self, name: str) -> None:
        super().add(name)
        self.lowered.add(name.lower())


def sheet_name(wanted: str, taken: set[str], fallback: str = "Лист") -> str:
    """A sheet name for ``wanted`` by Excel's rules: at most 31 characters, none of
    ``[]:*?/\\`` (nor quotes or control characters), not "History", unique regardless of
    case among ``taken`` (which gets the new name)."""
    base = _cut(" ".join(_NOT_IN_SHEET_NAMES.sub(" ", wanted).split()), EXCEL_MAX_SHEET_NAME) or fallback
    lowered = taken.lowered if isinstance(taken, SheetNames) else {x.lower() for x in taken}
    name, n = base, 1
    while name.lower() in lowered or name.lower() in _RESERVED_SHEET_NAMES:
        n += 1
        suffix = f" ({n})"
        name = _cut(base, EXCEL_MAX_SHEET_NAME - len(suffix)).rstrip() + suffix
    taken.add(name)
    return name
