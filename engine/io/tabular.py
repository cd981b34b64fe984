"""Reading a table from a CSV or XLSX file, as the person who made it in Excel sees it:
the header is row 1, every cell is text, empty rows are skipped but keep their numbers.

CSV: UTF-8 with or without a BOM (Excel's «CSV UTF-8»); Windows-1251 (Excel's plain «CSV»
on a Russian Windows) is accepted as a fallback. The delimiter is whichever of ``;``
(Russian Excel), ``,`` or a tab the header row holds most of.
XLSX: the first sheet.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.errors import DomainError
from engine.text import Text

CSV_SUFFIXES = (".csv",)
XLSX_SUFFIXES = (".xlsx", ".xlsm")
MAX_ROWS = 100_000  # far beyond a region; stops a runaway sheet from eating the memory


class BadFile(DomainError):
    """The file cannot be read as a table at all (not a row's problem)."""
    code = "bad_file"


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number in Excel, cells)


def read_table(path: str | Path) -> Table:
    """The table in ``path``; BadFile with a one-line reason when it cannot be read."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        raise BadFile(Text(f"{p.name}: неизвестный формат файла; нужен .csv или .xlsx",
                           f"{p.name}: unknown file format; expected .csv or .xlsx"))
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise BadFile(Text(f"{p}: файл не найден", f"{p}: no such file")) from None
    except IsADirectoryError:
        raise BadFile(Text(f"{p}: это папка, а не файл", f"{p}: is a folder, not a file")) from None
    except OSError as exc:
        raise BadFile(Text(f"{p}: не удалось прочитать файл ({exc.strerror})",
                           f"{p}: cannot read the file ({exc.strerror})")) from None
    cells = _read_xlsx(p.name, data) if suffix in XLSX_SUFFIXES else _read_csv(p.name, data)
    return _table(p.name, cells)


def _table(name: str, records: list[list[str]]) -> Table:
    if not records or not any(c.strip() for c in records[0]):
        raise BadFile(Text(f"{name}: в первой строке должны быть названия столбцов",
                           f"{name}: the first row must hold the column names"))
    headers = [c.strip() for c in records[0]]
    while headers and not headers[-1]:
        headers.pop()
    table = Table(headers)
    for number, cells in enumerate(records[1:], start=2):
        cells = [c.strip() for c in cells]
        if any(cells):
            table.rows.append((number, cells + [""] * (len(headers) - len(cells))))
    return table


def _read_csv(name: str, data: bytes) -> list[list[str]]:
    not_csv = BadFile(Text(f"{name}: это не текстовый файл CSV", f"{name}: not a text CSV file"))
    if b"\x00" in data[:65536] or data.startswith(b"PK\x03\x04"):
        raise not_csv  # a binary file, or an XLSX saved under the name .csv
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            raise not_csv from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";,\t", key=first.count)
    try:
        records = []
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            records.append(row)
            if len(records) > MAX_ROWS:
                raise BadFile(Text(f"{name}: больше {MAX_ROWS} строк", f"{name}: more than {MAX_ROWS} rows"))
    except csv.Error as exc:
        raise BadFile(Text(f"{name}: строка {len(records) + 1}: ошибка CSV ({exc})",
                           f"{name}: row {len(records) + 1}: CSV error ({exc})")) from None
    return records


def _read_xlsx(name: str, data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not XLSX
        raise BadFile(Text(f"{name}: не удалось открыть как таблицу Excel (.xlsx)",
                           f"{name}: cannot be opened as an Excel workbook (.xlsx)")) from None
    try:
        sheet = book.worksheets[0]
        records = []
        for row in sheet.iter_rows(values_only=True):
            records.append([_cell(v) for v in row])
            if len(records) > MAX_ROWS:
                raise BadFile(Text(f"{name}: больше {MAX_ROWS} строк", f"{name}: more than {MAX_ROWS} rows"))
    except (zipfile.BadZipFile, KeyError, ValueError, IndexError):
        raise BadFile(Text(f"{name}: таблица Excel повреждена", f"{name}: the Excel workbook is damaged")) from None
    finally:
        book.close()
    return records


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ИНН typed as a number comes back as 5701000000.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
