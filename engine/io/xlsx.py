"""A small XLSX writer for the big exports (the control tower's workbook: a region of
10,000 projects is ~600 sheets and ~160,000 cells): the sheet XML is written directly,
text as inline strings, with the handful of styles the exports use. openpyxl's write-only
mode took 10 s for that workbook (one temporary file and one XML tree a sheet); this
takes a fraction of it. Every value still goes through engine.io.cells (text is cleaned
and cut, never a formula: a formula-looking text gets Excel's own "text" mark,
quotePrefix), so the files read back in openpyxl exactly as before.

    book = Book()
    book.sheet("Сводка", ["Показатель", "Значение"], rows, widths=[48, 22])
    book.sheet("По организациям", headers, [[..., SheetLink("Школа №1")]], widths)
    data = book.to_bytes()

Supported: numbers, booleans, text, dates and date-times (DD.MM.YYYY [HH:MM]), empty
cells, a bold filled header row frozen at the top, column widths, and hyperlinks to
another sheet of the book (``SheetLink``; a hyperlink, never a HYPERLINK formula).
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from engine.io import cells

# cellXfs, by index: what each exported cell may look like
DEFAULT, HEADER, DATE, DATETIME, TEXT_MARKED, LINK, HEADER_MARKED, LINK_MARKED = range(8)
MARKED = {DEFAULT: TEXT_MARKED, HEADER: HEADER_MARKED, LINK: LINK_MARKED}  # the same, marked as text
_MAX = 10 ** 15  # whole numbers below this are written as they are (cells.xlsx_value for the rest)
_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year bug, as every writer)


@dataclass(frozen=True)
class SheetLink:
    """A cell value: a link to another sheet of the workbook, showing its name."""
    sheet: str


def _column_letters(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_LETTERS = [_column_letters(i) for i in range(1, 16385)]


def _serial(value: date | datetime) -> str:
    if isinstance(value, datetime):
        delta = value - _EPOCH
        return repr(delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000)
    return str((value - _EPOCH.date()).days)


class Book:
    """Each sheet goes into the zip as soon as it is written (compressed, it is a tenth of
    its XML): a region's 600 sheets are never all held in memory at once."""

    def __init__(self) -> None:
        self._buf = io.BytesIO()
        self._zip = zipfile.ZipFile(self._buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheetnames: list[str] = []

    def sheet(self, title: str, headers: list[str], rows: list[list[Any]], widths: list[int]) -> None:
        """A sheet: the header row (bold, filled, frozen), then the rows; ``title`` must
        already follow Excel's rules (engine.io.cells.sheet_name)."""
        parts: list[str] = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews><cols>']
        parts += [f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1)]
        parts.append("</cols><sheetData>")
        links: list[str] = []
        for r, row in enumerate([headers, *rows], start=1):
            style = HEADER if r == 1 else DEFAULT
            parts.append(f'<row r="{r}">')
            for c, value in enumerate(row):
                ref = f"{_LETTERS[c]}{r}"
                if isinstance(value, SheetLink):
                    links.append(f'<hyperlink ref="{ref}" location={quoteattr(cells.sheet_location(value.sheet))} '
                                 f'display={quoteattr(value.sheet)}/>')
                    parts.append(self._cell(ref, value.sheet, LINK))
                else:
                    parts.append(self._cell(ref, value, style))
            parts.append("</row>")
        parts.append("</sheetData>")
        if links:
            parts += ["<hyperlinks>", *links, "</hyperlinks>"]
        parts.append("</worksheet>")
        self.sheetnames.append(title)
        self._zip.writestr(f"xl/worksheets/sheet{len(self.sheetnames)}.xml", "".join(parts).encode("utf-8"))

    @staticmethod
    def _cell(ref: str, value: Any, style: int) -> str:
        s = f' s="{style}"' if style else ""
        if type(value) is int and -_MAX < value < _MAX:  # the commonest cells first (a region's workbook has ~160,000)
            return f'<c r="{ref}"{s}><v>{value}</v></c>'
        v = cells.xlsx_text(value) if type(value) is str else cells.xlsx_value(value)
        if v is None:
            return f'<c r="{ref}"{s}/>' if style else ""
        if isinstance(v, bool):
            return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
        if isinstance(v, int | float | Decimal):
            return f'<c r="{ref}"{s}><v>{v!r}</v></c>' if isinstance(v, float) else f'<c r="{ref}"{s}><v>{v}</v></c>'
        if isinstance(v, datetime):
            return f'<c r="{ref}" s="{DATETIME}"><v>{_serial(v)}</v></c>'
        if isinstance(v, date):
            return f'<c r="{ref}" s="{DATE}"><v>{_serial(v)}</v></c>'
        if cells.looks_like_formula(v):
            s = f' s="{MARKED[style]}"'
        if "&" in v or "<" in v or ">" in v:
            v = escape(v)
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'

    def to_bytes(self) -> bytes:
        """The finished file (the book takes no more sheets after it)."""
        n = len(self.sheetnames)
        with self._zip as z:
            z.writestr("[Content_Types].xml", _content_types(n))
            z.writestr("_rels/.rels", _ROOT_RELS)
            z.writestr("xl/workbook.xml", _workbook(self.sheetnames))
            z.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(n))
            z.writestr("xl/styles.xml", _STYLES)
        return self._buf.getvalue()


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_ROOT_RELS = (_HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')

_STYLES = (_HEAD + f'<styleSheet xmlns="{_NS}">'
           '<numFmts count="2"><numFmt numFmtId="164" formatCode="DD.MM.YYYY"/>'
           '<numFmt numFmtId="165" formatCode="DD.MM.YYYY HH:MM"/></numFmts>'
           '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
           '<font><b val="1"/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
           '<font><u val="single"/><color rgb="000563C1"/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
           '</fonts>'
           '<fills count="3"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill>'
           '<fill><patternFill patternType="solid"><fgColor rgb="00DCE6F1"/><bgColor indexed="64"/></patternFill>'
           '</fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="8">'
           '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" '
           'applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
           '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
           '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
           '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" '
           'applyAlignment="1" quotePrefix="1"><alignment vertical="top" wrapText="1"/></xf>'
           '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" quotePrefix="1"/>'
           '</cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>')


def _content_types(n: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                     'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
    return (_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' + sheets + "</Types>")


def _workbook(names: list[str]) -> str:
    sheets = "".join(f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
                     for i, name in enumerate(names, start=1))
    return (_HEAD + f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets}</sheets></workbook>")


def _workbook_rels(n: int) -> str:
    rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, n + 1))
    rels += f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return _HEAD + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' \
        + rels + "</Relationships>"
