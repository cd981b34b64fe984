"""The portfolio edition as a Word document (python-docx), for a curator to send as is.

    edition_docx(edition, locale="ru") -> bytes

Layout: the title and the region, the contents (a list: category, kind of organisation,
practice), then one Heading 1 per category, Heading 2 per kind of organisation, Heading 3
per practice with its organisation, problem, solution, standard, the effect table
(metric, unit, baseline, result, change %), the replicas' effect and the scaling
proposal. Renders ``engine.practices.edition.Edition`` only: no database, no Flask.
"""
from __future__ import annotations

import io
import math
from typing import Any

from babel.numbers import format_decimal, format_scientific
from docx import Document
from docx.document import Document as DocumentObject
from docx.shared import Pt

from engine.practices.edition import Edition, EditionPractice
from engine.text import Text

L = {
    "contents": Text("Содержание", "Contents"),
    "region": Text("Регион", "Region"),
    "as_of": Text("По состоянию на", "As of"),
    "count": Text("Практик в портфеле", "Practices in the portfolio"),
    "organisation": Text("Организация", "Organisation"),
    "summary": Text("Кратко", "In brief"),
    "problem": Text("Проблема", "Problem"),
    "solution": Text("Решение", "Solution"),
    "standard": Text("Стандарт", "Standard"),
    "effect": Text("Измеренный эффект", "Measured effect"),
    "metric": Text("Показатель", "Metric"),
    "unit": Text("Ед. изм.", "Unit"),
    "baseline": Text("Базовое значение", "Baseline"),
    "result": Text("Результат", "Result"),
    "change": Text("Изменение, %", "Change, %"),
    "replicas": Text("Эффект тиражирования", "Effect of the replications"),
    "no_replicas": Text("Практику ещё не тиражировали.", "Nobody has replicated this practice yet."),
    "no_metrics": Text("Показатели не измерялись.", "No metrics."),
    "stage": Text("этап", "stage"),
    "scaling": Text("Где ещё это применимо и при каких условиях", "Where else it applies, and on what conditions"),
    "empty": Text("В регионе пока нет опубликованных практик.", "The region has no published practices yet."),
}


def number(value: Any, locale: str = "ru") -> str:
    """A figure as the pages write it («28,7»; a dash when there is none)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "—"
    if abs(value) >= 1e15:
        return str(format_scientific(value, "0.###E0", locale=locale))
    return str(format_decimal(value, "#,##0.##", locale=locale))


def signed(value: Any, locale: str = "ru") -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + number(value, locale)


def edition_docx(edition: Edition, locale: str = "ru") -> bytes:
    """The edition as DOCX bytes."""
    doc = Document()
    doc.styles["Normal"].font.name = "Times New Roman"
    doc.styles["Normal"].font.size = Pt(12)
    doc.core_properties.title = edition.title.get(locale)
    doc.core_properties.subject = edition.region_name
    doc.add_paragraph(edition.title.get(locale), style="Title")
    doc.add_paragraph(f"{L['region'].get(locale)}: {edition.region_name}")
    doc.add_paragraph(f"{L['as_of'].get(locale)}: {edition.as_of.strftime('%d.%m.%Y')}. "
                      f"{L['count'].get(locale)}: {edition.count}.")
    _contents(doc, edition, locale)
    if not edition.categories:
        doc.add_paragraph(L["empty"].get(locale))
    for category in edition.categories:
        doc.add_page_break()
        doc.add_heading(category.title.get(locale), level=1)
        for kind in category.kinds:
            doc.add_heading(kind.title.get(locale), level=2)
            for practice in kind.practices:
                _practice(doc, practice, locale)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _contents(doc: DocumentObject, edition: Edition, locale: str) -> None:
    title = doc.add_paragraph()
    title.add_run(L["contents"].get(locale)).bold = True
    for category in edition.categories:
        doc.add_paragraph(f"{category.title.get(locale)} ({category.count})", style="List Bullet")
        for kind in category.kinds:
            doc.add_paragraph(kind.title.get(locale), style="List Bullet 2")
            for practice in kind.practices:
                doc.add_paragraph(f"{practice.title} — {practice.org_name}", style="List Bullet 3")


def _labelled(doc: DocumentObject, label: str, text: str) -> None:
    if not text.strip():
        return
    head = doc.add_paragraph()
    head.add_run(label).bold = True
    for line in text.splitlines() or [text]:
        doc.add_paragraph(line)


def _practice(doc: DocumentObject, p: EditionPractice, locale: str) -> None:
    doc.add_heading(p.title, level=3)
    org = doc.add_paragraph()
    org.add_run(f"{L['organisation'].get(locale)}: ").bold = True
    org.add_run(f"{p.org_name}, {p.municipality_name}")
    _labelled(doc, L["summary"].get(locale), p.summary)
    _labelled(doc, L["problem"].get(locale), p.problem)
    _labelled(doc, L["solution"].get(locale), p.solution)
    _labelled(doc, L["standard"].get(locale), p.standard)
    head = doc.add_paragraph()
    head.add_run(L["effect"].get(locale)).bold = True
    _effect_table(doc, p.effect, locale)
    head = doc.add_paragraph()
    head.add_run(L["replicas"].get(locale)).bold = True
    if not p.replicas:
        doc.add_paragraph(L["no_replicas"].get(locale))
    for r in p.replicas:
        doc.add_paragraph(f"{r.org_name} ({L['stage'].get(locale)}: {r.state_title.get(locale)})")
        _effect_table(doc, r.effect, locale)
    _labelled(doc, L["scaling"].get(locale), p.scaling_proposal)


def _effect_table(doc: DocumentObject, effect: list[dict[str, Any]], locale: str) -> None:
    if not effect:
        doc.add_paragraph(L["no_metrics"].get(locale))
        return
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, key in zip(table.rows[0].cells, ("metric", "unit", "baseline", "result", "change"), strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(L[key].get(locale)).bold = True
    for e in effect:
        cells = table.add_row().cells
        values = (str(e.get("metric") or ""), str(e.get("unit") or ""), number(e.get("baseline"), locale),
                  number(e.get("result"), locale), signed(e.get("change_pct"), locale))
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
