"""An evaluation edition as an XLSX workbook (engine/io/xlsx.py; every value through
engine.io.cells): a sheet of the edition's indicators, and the comparison of two."""
from __future__ import annotations

from typing import Any

from engine.io.xlsx import Book
from engine.text import Text

GROUP_TITLES = {"main": Text("Показатели", "Indicators"), "stage": Text("Проекты по этапам", "Projects by stage"),
                "readiness": Text("Готовность по разделам (средний балл)", "Readiness by section (mean score)")}
STATUS = {"draft": Text("черновик", "draft"), "signed": Text("подписан", "signed")}
KIND = {"interim": Text("промежуточный анализ", "interim analysis"),
        "final": Text("итоговая оценка", "final evaluation")}


def _title(row: dict[str, Any], locale: str) -> str:
    return str(row["title_en"] if locale.startswith("en") else row["title_ru"])


def _label(texts: dict[str, Text], value: str, locale: str) -> str:
    return texts[value].get(locale) if value in texts else value


def edition_xlsx(edition: dict[str, Any], locale: str = "ru") -> bytes:
    """The edition (``service.edition_detail``'s dict): a sheet «Показатели» with each
    indicator (section, key, title, unit, value) and a sheet «Срез» with its title, kind,
    date and signature."""
    t = Text.get
    book = Book()
    book.sheet(t(Text("Показатели", "Indicators"), locale),
               [t(Text("Раздел", "Section"), locale), t(Text("Код", "Key"), locale),
                t(Text("Показатель", "Indicator"), locale), t(Text("Ед.", "Unit"), locale),
                t(Text("Значение", "Value"), locale)],
               [[t(GROUP_TITLES[r["group"]], locale), r["key"], _title(r, locale), r["unit"], r["value"]]
                for r in edition["rows"]], widths=[30, 26, 56, 8, 16])
    book.sheet(t(Text("Срез", "Edition"), locale),
               [t(Text("Поле", "Field"), locale), t(Text("Значение", "Value"), locale)],
               [[t(Text("Наименование", "Title"), locale), edition["title"]],
                [t(Text("Вид", "Kind"), locale), _label(KIND, edition["kind"], locale)],
                [t(Text("На дату", "As of"), locale), edition["as_of"]],
                [t(Text("Статус", "Status"), locale), _label(STATUS, edition["status"], locale)],
                [t(Text("Подписан", "Signed at"), locale), edition["signed_at"] or ""],
                [t(Text("Подписал", "Signed by"), locale), edition.get("signed_by_name") or ""]],
               widths=[24, 60])
    return book.to_bytes()


def compare_xlsx(comparison: dict[str, Any], locale: str = "ru") -> bytes:
    """Two editions side by side (``service.compare_editions``'s dict)."""
    t = Text.get
    a, b = comparison["a"], comparison["b"]
    book = Book()
    rows = [[_title(r, locale), r["unit"], r["a"], r["b"], r["change"], r["change_pct"]] for r in comparison["rows"]]
    book.sheet(t(Text("Сравнение", "Comparison"), locale),
               [t(Text("Показатель", "Indicator"), locale), t(Text("Ед.", "Unit"), locale),
                f"{a['title']} ({a['as_of']})", f"{b['title']} ({b['as_of']})",
                t(Text("Изменение", "Change"), locale), t(Text("Изменение, %", "Change, %"), locale)],
               rows, widths=[56, 8, 24, 24, 14, 14])
    return book.to_bytes()
