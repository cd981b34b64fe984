"""The control tower as an XLSX workbook (engine/io/xlsx.py: a region's hundreds of
organisation sheets in well under a second): Russian headers, dates as dates, column
widths set, a bold header row frozen on every sheet."""
from __future__ import annotations

import re
from typing import Any

from engine import clock
from engine.io import cells
from engine.io.xlsx import Book, SheetLink


def tower_workbook(region: Any, t: dict[str, Any], wf: Any, orgs: list[Any],
                   counts: dict[tuple[int, str], int], org_projects: dict[int, list[dict[str, Any]]]) -> bytes:
    """Сводка, Остановленные, Риски, Согласования, По организациям (with a link to each
    organisation's sheet), then one sheet per organisation with projects: its projects."""
    wb = Book()
    today = clock.today()
    titles = {s.id: s.title.ru for s in wf.states}
    h = t["headline"]
    summary = [["Регион", region.name], ["Дата", today]]
    summary += [[f"Активные проекты: {titles.get(k, k)}", v] for k, v in h["active_by_stage"].items()]
    summary += [
        ["Зависшие проекты", h["stalled"]],
        ["Нерешённые критические риски", h["critical_risks"]],
        ["Согласования ждут больше 3 дней", h["approvals_waiting_over_3_days"]],
        ["Завершено в этом году", h["closed_this_year"]],
        ["Доля завершённых, достигших целей, %", _percent(h["closed_reaching_targets_share"])],
        ["Сэкономлено часов в год (факт)", h["hours_saved"]],
        ["Экономический эффект, руб. (факт)", h["roubles_saved"]],
    ]
    wb.sheet("Сводка", ["Показатель", "Значение"], summary, [48, 22])
    projects, org_names = t["projects"], t["orgs"]
    wb.sheet("Зависшие", ["Номер", "Проект", "Организация", "Этап", "Дней на этапе", "Срок этапа, дн.",
                                 "Причины"],
           [[projects[x["project_id"]].reg_number if x["project_id"] in projects else "", x["title"],
             org_names.get(x["org_id"], ""), titles.get(x["state"], x["state"]), x["days_in_state"],
             x["sla_days"], "; ".join(_reason(r) for r in x["reasons"])] for x in t["stalled"]],
           [14, 60, 40, 24, 12, 12, 50])
    risk_status = _risk_statuses()
    wb.sheet("Риски", ["Риск", "Проект", "Оценка", "Статус", "Дней открыт"],
           [[x["title"], projects[x["project_id"]].title if x["project_id"] in projects else x["project_id"],
             x["score"], risk_status.get(x["status"], x["status"]), x["age_days"]] for x in t["unresolved_risks"]],
           [50, 60, 10, 14, 12])
    wb.sheet("Согласования", ["Организация", "Проект", "Переход", "Ждёт дней"],
           [[org_names.get(x["org_id"], ""), projects[x["project_id"]].title if x["project_id"] in projects else "",
             _move_title(wf, x), x["waiting_days"]] for x in t["pending_approvals"]],
           [40, 60, 20, 12])
    states = [s for s in wf.states]
    names = cells.SheetNames([*wb.sheetnames, "По организациям"])
    sheet_of = {o.id: _sheet_name(o.name, names) for o in orgs if org_projects.get(o.id)}
    wb.sheet("По организациям", ["Организация", "Муниципалитет", *[s.title.ru for s in states], "Всего", "Лист"],
           [[o.name, t["municipality_names"].get(o.municipality_id, ""),
             *[counts.get((o.id, s.id), 0) for s in states],
             sum(counts.get((o.id, s.id), 0) for s in states),
             SheetLink(sheet_of[o.id]) if o.id in sheet_of else None] for o in orgs],
           [50, 30, *[14] * len(states), 10, 34])
    for org in orgs:
        if org.id not in sheet_of:
            continue
        wb.sheet(sheet_of[org.id], ["Номер", "Проект", "Этап", "На этапе с", "Дней на этапе", "Зависший",
                                      "Руководитель проекта", "Нерешённых рисков", "Ждёт согласования", "Создан"],
               [[p["reg_number"], p["title"], titles.get(p["state"], p["state"]), p["state_entered_on"],
                 p["days_in_state"], "да" if p["stalled"] else "нет", p["leader"], p["risks"],
                 "да" if p["pending"] else "нет", p["created_on"]] for p in org_projects[org.id]],
               [14, 60, 24, 12, 12, 12, 32, 12, 14, 12])
    return wb.to_bytes()


# Official long names as people shorten them (the order matters: longer phrases first)
ABBREVIATIONS = [
    (r"муниципальное\s+бюджетное\s+дошкольное\s+образовательное\s+учреждение", "МБДОУ"),
    (r"муниципальное\s+бюджетное\s+общеобразовательное\s+учреждение", "МБОУ"),
    (r"бюджетное\s+профессиональное\s+образовательное\s+учреждение", "БПОУ"),
    (r"средняя\s+общеобразовательная\s+школа", "СОШ"),
    (r"основная\s+общеобразовательная\s+школа", "ООШ"),
    (r"детский\s+сад", "ДС"),
    (r"имени", "им."),
]
_NUMBER = re.compile(r"№\s*\d+")


def readable_short_name(name: str, limit: int = cells.EXCEL_MAX_SHEET_NAME) -> str:
    """An organisation's name short enough for a sheet tab and still telling schools apart:
    the usual abbreviations (МБОУ, СОШ, ДС, им.), no quotes, and the number (№ 5) kept
    when the name must be cut."""
    short = name.replace("«", "").replace("»", "").replace('"', "")
    for pattern, abbreviation in ABBREVIATIONS:
        short = re.sub(pattern, abbreviation, short, flags=re.IGNORECASE)
    short = " ".join(short.split())
    if len(short) <= limit:
        return short
    number = _NUMBER.search(short)
    if number is None or number.end() <= limit:
        return _cut_at_word(short, limit)
    tail = " " + number.group(0)
    return _cut_at_word(short[:number.start()], limit - len(tail)) + tail


def _cut_at_word(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending at a whole word when that keeps most of it
    (else cut with «…»)."""
    if len(text) <= limit:
        return text.rstrip(" ,-")
    cut = text[:limit + 1].rsplit(" ", 1)[0].rstrip(" ,-")
    return cut if len(cut) >= limit - 12 else text[:limit - 1].rstrip() + "…"


def _sheet_name(org_name: str, taken: set[str]) -> str:
    """A readable short name by Excel's rules (engine.io.cells.sheet_name), unique among
    ``taken``; «Организация» for a name with nothing left."""
    return cells.sheet_name(readable_short_name(org_name), taken, fallback="Организация")


def _risk_statuses() -> dict[str, str]:
    """The risk statuses as the pages name them in Russian (webui/web/labels.py, the ru
    catalog), translated once a workbook."""
    from flask_babel import force_locale

    from webui.web.labels import RISK_STATUS
    with force_locale("ru"):
        return {k: str(v) for k, v in RISK_STATUS.items()}


def _move_title(wf: Any, request: dict[str, Any]) -> str:
    """What a waiting request asks for, in words: the transition's title (or the stage it
    leads to), never the trigger's code."""
    t = next((t for t in wf.transitions if t.trigger == request["trigger"]), None)
    return t.title_or_dest(wf).ru if t is not None else request["trigger"]


def _reason(r: dict[str, Any]) -> str:
    if r["kind"] == "sla":
        return f"срок этапа превышен: {r['days']} из {r['limit']} дн."
    return f"нет активности {r['days']} дн. (порог {r['limit']})"


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def participants_workbook(sheet: Any, step_titles: dict[str, str]) -> bytes:
    """«Участники»: a programme's organisations with every funnel step (да / нет) and their
    readiness per section in the latest round they submitted (engine.programme.export)."""
    wb = Book()
    sections = [title.ru for _, title in sheet.sections]
    status = {"active": "участвует", "withdrawn": "выбыла"}
    wb.sheet("Участники",
           ["Организация", "Муниципалитет", "Поток", "Вступила", "Статус",
            *[step_titles[s] for s in sheet.steps], *[f"Готовность: {t}" for t in sections], "Раунд анализа"],
           [[r["org_name"], r["municipality"], r["wave"], r["joined_on"], status.get(r["status"], r["status"]),
             *["да" if r["steps"][s] else "нет" for s in sheet.steps],
             *[r["readiness"][sid] for sid, _ in sheet.sections], r["round"]] for r in sheet.rows],
           [50, 28, 8, 12, 12, *[14] * len(sheet.steps), *[16] * len(sections), 30])
    return wb.to_bytes()
