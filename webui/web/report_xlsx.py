"""The regional summary as an XLSX workbook (openpyxl): a title row with the region and
the date on every sheet, Russian headers, numbers as numbers, shares as percentages,
dates as dates, column widths set."""
from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from engine.io import cells
from engine.practices.categories import category_title

TITLE_FONT = Font(bold=True, size=13)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
TOTAL_FONT = Font(bold=True)
HEADER_ROW = 3  # row 1: the title, row 2: empty

KIND_TITLES = {"school": "Школы", "kindergarten": "Детские сады", "college": "Колледжи (СПО)",
               "other": "Другие организации"}
STATUS_TITLES = {"published": "опубликована", "withdrawn": "снята с публикации"}
FIGURE_HEADERS = ["Запущено проектов", "В работе", "Завершено", "Отменено",
                  "Завершённых, достигших целей", "Доля завершённых, достигших целей",
                  "Сэкономлено часов в год (факт)", "Экономический эффект, руб. (факт)"]
FIGURE_KEYS = ["launched", "in_progress", "closed", "cancelled", "reached", "reached_share",
               "hours_saved", "roubles_saved"]
FORMATS = {"reached_share": "0.0%", "hours_saved": "#,##0.##", "roubles_saved": "#,##0.00"}


def _sheet(wb: Workbook, name: str, title: str, headers: list[str], rows: list[list[Any]],
           widths: list[int], formats: dict[int, str] | None = None, total: bool = False) -> Any:
    """Every value through engine.io.cells.put: text is never a formula, dates are dates."""
    ws = wb.create_sheet(cells.sheet_name(name, set(wb.sheetnames)))
    cells.put(ws.cell(row=1, column=1), title, font=TITLE_FONT)
    for col, text in enumerate(headers, start=1):
        cells.put(ws.cell(row=HEADER_ROW, column=col), text, font=HEADER_FONT, fill=HEADER_FILL,
                  alignment=Alignment(wrap_text=True, vertical="top"))
    for r, row in enumerate(rows, start=HEADER_ROW + 1):
        for col, value in enumerate(row, start=1):
            cell = cells.put(ws.cell(row=r, column=col), value)
            if col in (formats or {}) and not isinstance(value, date):
                cell.number_format = formats[col]  # type: ignore[index]
            if total and r == HEADER_ROW + len(rows):
                cell.font = TOTAL_FONT
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=2)
    return ws


def _figures(entry: dict[str, Any]) -> list[Any]:
    return [entry[k] for k in FIGURE_KEYS]


def _figure_formats(first_column: int) -> dict[int, str]:
    return {first_column + FIGURE_KEYS.index(k): f for k, f in FORMATS.items()}


def region_summary_workbook(region: Any, summary: dict[str, Any]) -> bytes:
    """``summary``: engine.reporting.reports.regional_summary of the region."""
    wb = Workbook()
    wb.remove(wb.active)
    as_of = summary["as_of"].strftime("%d.%m.%Y")
    title = f"Сводный отчёт по ПСР-проектам: {region.name}, на {as_of}"
    total, practices = summary["total"], summary["practices"]

    rows: list[list[Any]] = [[header, total[key]] for header, key in zip(FIGURE_HEADERS, FIGURE_KEYS, strict=True)]
    rows += [["Практик опубликовано", practices["published"]],
             ["Практик снято с публикации", practices["withdrawn"]],
             ["Практик тиражировано (хотя бы один раз)", practices["replicated"]],
             ["Тиражирований (проектов по практикам региона)", practices["replicas"]]]
    ws = _sheet(wb, "Сводка", title, ["Показатель", "Значение"], rows, [52, 20])
    for r, key in enumerate(FIGURE_KEYS, start=HEADER_ROW + 1):
        if key in FORMATS:
            ws.cell(row=r, column=2).number_format = FORMATS[key]

    kinds = [[KIND_TITLES.get(k, k), *_figures(v)] for k, v in summary["by_kind"].items()]
    _sheet(wb, "По типам организаций", title, ["Тип организации", *FIGURE_HEADERS],
           kinds + [["Итого", *_figures(total)]], [30, *[14] * len(FIGURE_HEADERS)],
           _figure_formats(2), total=True)

    muns = [[m["name"], *_figures(m)] for m in summary["by_municipality"]]
    _sheet(wb, "По муниципалитетам", title, ["Муниципальное образование", *FIGURE_HEADERS],
           muns + [["Итого", *_figures(total)]], [34, *[14] * len(FIGURE_HEADERS)],
           _figure_formats(2), total=True)

    items = [[x["title"], x["org_name"], x["municipality_name"], category_title(x["category"]).ru,
              x["published_at"], STATUS_TITLES.get(x["status"], x["status"]), x["replicas"]]
             for x in practices["items"]]
    _sheet(wb, "Практики", title, ["Практика", "Организация", "Муниципальное образование", "Категория",
                                   "Опубликована", "Статус", "Тиражирований"],
           items, [60, 44, 30, 26, 14, 20, 14])
    training = summary.get("training")
    if training is not None:
        rows = [["Всего", "", training.total]]
        rows += [["Поток", f"{course}, {dates}", n] for course, dates, n in training.by_stream]
        rows += [["Тип организации", KIND_TITLES.get(k, k), n] for k, n in training.by_kind.items()]
        rows += [["Муниципальное образование", m, n] for m, n in training.by_municipality]
        _sheet(wb, "Обучение", title, ["Разрез", "Значение", "Обучено человек"], rows, [28, 70, 16])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
