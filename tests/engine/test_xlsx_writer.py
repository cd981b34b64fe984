"""engine/io/xlsx.py, the direct writer of the big exports, read back by openpyxl: every
kind of value comes back as itself, with the header row bold, filled and frozen, the
widths set, dates as dates, links as hyperlinks and formula-looking text as marked text."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from engine.io.xlsx import Book, SheetLink


def test_values_styles_and_links_read_back_as_written():
    book = Book()
    book.sheet("Сводка", ["Показатель", "=не формула"], [
        ["текст «в кавычках» & <угловых>", 42],
        ["дробь", 7.25],
        ["десятичное", Decimal("3.5")],
        ["да/нет", True],
        ["дата", date(2026, 9, 1)],
        ["время", datetime(2026, 9, 1, 13, 45)],
        ["пусто", None],
        ["=1+2", float("nan")],
        ["огромное", 10 ** 400],
        ["строки\nи\tтабуляция", SheetLink("Школа №1 'Лицей'")],
    ], widths=[30, 12])
    book.sheet("Школа №1 'Лицей'", ["Проект"], [["Оптимизация"]], widths=[60])
    wb = load_workbook(io.BytesIO(book.to_bytes()))
    assert wb.sheetnames == ["Сводка", "Школа №1 'Лицей'"]
    ws = wb["Сводка"]
    values = [(row[0].value, row[1].value) for row in ws.iter_rows(min_row=2)]
    assert values == [
        ("текст «в кавычках» & <угловых>", 42), ("дробь", 7.25), ("десятичное", 3.5), ("да/нет", True),
        ("дата", datetime(2026, 9, 1)), ("время", datetime(2026, 9, 1, 13, 45)), ("пусто", None),
        ("=1+2", None), ("огромное", str(10 ** 400)), ("строки\nи\tтабуляция", "Школа №1 'Лицей'")]
    assert ws["B6"].number_format == "DD.MM.YYYY" and ws["B7"].number_format == "DD.MM.YYYY HH:MM"
    header = ws["A1"]
    assert header.font.b and header.fill.fgColor.rgb.endswith("DCE6F1") and header.alignment.wrap_text
    assert ws["B1"].data_type == "s" and ws["B1"].quotePrefix and ws["B1"].font.b
    assert ws["A9"].data_type == "s" and ws["A9"].quotePrefix and not ws["A2"].quotePrefix
    link = ws["B11"]
    assert link.hyperlink.location == "'Школа №1 ''Лицей'''!A1" and not link.hyperlink.target
    assert ws.freeze_panes == "A2" and ws.column_dimensions["A"].width == 30
    assert wb["Школа №1 'Лицей'"]["A2"].value == "Оптимизация"
