"""The reports' pages: the project passport and the analytic report (who may open them,
what they show, the print stylesheet) and the regional summary XLSX of the tower."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from engine import services as svc
from engine.practices import publish
from tests.web.conftest import add_diagnosis, assert_redirects_to_login, dom, fire, project_row


@pytest.fixture
def history(make, store, world, member_of_school, head_of_school, frozen_clock):
    """A lyceum project with a plan (diagnose by 10 September, target by 1 October), a team,
    a metric measured once, a critical risk; moved to target on 6 September (4 days early)."""
    who = member_of_school.actor
    p = make.project(world.school, who, title="Оптимизация подготовки контрольной работы",
                     leader_id=member_of_school.id, process_start="Получение задания",
                     process_end="Контрольная работа у учеников",
                     planned_hours_saved=120.0, actual_hours_saved=90.0,
                     milestones={"diagnose": "2026-09-10", "target": "2026-10-01"})
    make.call(svc.add_team_member, who, p.id, {"user_id": member_of_school.id, "role_text": "аналитик"})
    risk = make.call(svc.log_risk, who, p.id, {"title": "Сопротивление педагогов", "probability": 4,
                                               "impact": 4, "owner_id": member_of_school.id,
                                               "due_on": "2026-10-01"})
    metric = add_diagnosis(make, p.id, member_of_school)  # baseline 67
    make.call(svc.update_metric, who, metric.id, {"target": 29.0})
    make.call(svc.record_measurement, who, metric.id, {"value": 40.0, "measured_on": "2026-08-30"})
    frozen_clock.set(datetime(2026, 9, 6, 10, tzinfo=UTC))
    fire(make, store, p.id, head_of_school, "to_target")
    return {"project": p, "metric": metric, "risk": risk}


# --- the passport ---------------------------------------------------------------------------

def test_passport_shows_the_card_chart_stages_and_risks(web, member_of_school, history):
    p = history["project"]
    r = web(member_of_school).get(f"/projects/{p.id}/passport")
    assert r.status_code == 200
    page = dom(r)
    doc = page.one("article", cls="passport")
    assert doc.one("h1", cls="doc-title").text == p.title
    assert doc.one("strong", cls="reg-number").text == p.reg_number
    assert doc.one("dd", cls="leader").text == "Иванова Анна"
    assert "аналитик" in doc.one("dd", cls="team").text
    assert "МБОУ «Лицей №1 им. М.В. Ломоносова»" in doc.one("dd", cls="org").text
    assert doc.one("dd", cls="municipality").text == "г. Орёл"
    assert doc.one("dd", cls="goal").text == "Сократить время ожидания"
    # the metric's chart: the line, the baseline and the target
    chart = doc.one("figure", cls="metric-chart", data_metric_id=str(history["metric"].id)).one("svg", cls="mchart")
    assert chart.find("polyline", cls="values") and chart.find("line", cls="baseline")
    assert chart.find("line", cls="target")
    # stages: diagnose planned 10 September, done on 6 September: 4 days early
    diagnose = doc.one("tr", data_stage="diagnose")
    assert diagnose["data-status"] == "done"
    assert diagnose.one("td", cls="deviation").text == "−4"
    assert doc.one("tr", data_stage="target")["data-status"] == "current"
    assert len(doc.one("table", id="stages").find("tbody").find_all("tr")) == 5
    # risks: score, owner, due date
    risk = doc.one("tr", data_risk_id=str(history["risk"].id))
    assert "Сопротивление педагогов" in risk.text and "16" in risk.text and "Иванова Анна" in risk.text
    # printable: a print button (no inline script), a way back
    assert page.one("button", data_print=True)
    assert page.find("a", href=f"/projects/{p.id}") is not None
    assert not any(s.children for s in page.find_all("script")), "no inline script"


@pytest.mark.parametrize("who", ["head_of_school", "curator_orel", "admin"])
def test_passport_and_report_for_head_curator_and_admin(web, history, who, request):
    b = web(request.getfixturevalue(who))
    pid = history["project"].id
    for path in (f"/projects/{pid}/passport", f"/projects/{pid}/report"):
        r = b.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert dom(r).one("h1", cls="doc-title").text == history["project"].title


@pytest.mark.parametrize("who", ["member_of_other_school", "head_of_other_school", "curator_kursk"])
def test_outsiders_get_404(web, history, who, request):
    b = web(request.getfixturevalue(who))
    pid = history["project"].id
    for path in (f"/projects/{pid}/passport", f"/projects/{pid}/report"):
        assert b.get(path).status_code == 404
    assert b.get("/projects/999999/passport").status_code == 404


def test_anonymous_is_sent_to_login(web, history):
    assert_redirects_to_login(web().get(f"/projects/{history['project'].id}/passport"))
    assert_redirects_to_login(web().get(f"/projects/{history['project'].id}/report"))


def test_project_page_links_to_the_passport_and_the_report(web, member_of_school, history):
    pid = history["project"].id
    page = dom(web(member_of_school).get(f"/projects/{pid}"))
    assert page.one("a", data_report="passport")["href"] == f"/projects/{pid}/passport"
    assert page.one("a", data_report="analytic")["href"] == f"/projects/{pid}/report"


def test_the_project_page_and_the_reports_draw_the_same_metric_chart(web, member_of_school, history):
    """One renderer (webui/web/charts.py): the same metric gives the same SVG on all three pages."""
    pid, mid = history["project"].id, str(history["metric"].id)
    b = web(member_of_school)
    pages = {path: b.get(path) for path in (f"/projects/{pid}", f"/projects/{pid}/passport", f"/projects/{pid}/report")}
    charts = {path: re.findall(r'<svg class="mchart".*?</svg>', r.get_data(as_text=True), re.S)
              for path, r in pages.items()}
    assert all(len(c) == 1 for c in charts.values()), {p: len(c) for p, c in charts.items()}
    assert len({c[0] for c in charts.values()}) == 1
    chart = dom(pages[f"/projects/{pid}"]).one("div", cls="metric", data_metric_id=mid).one("svg", cls="mchart")
    assert chart.find("polyline", cls="values") and chart.one("circle", cls="point")
    assert chart.one("line", cls="baseline") and chart.one("line", cls="target")
    assert len(chart.find_all("line", cls="axis")) == 2


# --- the analytic report -----------------------------------------------------------------------

def test_report_shows_plan_against_fact_kpi_and_effect(web, curator_orel, history):
    pid = history["project"].id
    r = web(curator_orel).get(f"/projects/{pid}/report")
    assert r.status_code == 200
    doc = dom(r).one("article", cls="analytic-report")
    assert doc.one("tr", data_stage="diagnose").one("td", cls="deviation").text == "−4"
    kpi = doc.one("tr", data_metric_id=str(history["metric"].id))
    # 67 -> 40: (40 - 67) / 67 = -40.3 %; planned (29 - 67) / 67 = -56.7 %; 40 > 29: not reached
    assert kpi.one("td", cls="baseline").text == "67"
    assert kpi.one("td", cls="target").text == "29"
    assert kpi.one("td", cls="result").text.startswith("40")
    assert kpi.one("td", cls="change").text == "-40,3%"
    assert kpi.one("td", cls="planned-change").text == "-56,7%"
    assert kpi.one("td", cls="reached")["data-reached"] == "no"
    assert doc.one("p", cls="doc-summary")["data-targets-reached"] == "no"
    hours = doc.one("tr", data_effect="hours").find_all("td")
    assert [td.text for td in hours[1:]] == ["120", "90", "-30"]


def test_print_stylesheet_has_a4_pages_and_hides_the_navigation(client):
    css = client.get("/static/app.css").get_data(as_text=True)
    compact = css.replace(" ", "")
    assert "@page{size:A4;" in compact
    media = compact[compact.rindex("@mediaprint{"):]
    assert ".top," in media and ".print-bar" in media and "display:none!important" in media
    assert "page-break-inside:avoid" in media and "thead{display:table-header-group;}" in media
    js = client.get("/static/app.js").get_data(as_text=True)
    assert "[data-print]" in js and "window.print()" in js


# --- the regional summary XLSX ------------------------------------------------------------------

def close_project(make, store, project_id, member, head):
    """Through every gate to closed, the targets reached (67 -> 29)."""
    who = member.actor
    metric = add_diagnosis(make, project_id, member)
    fire(make, store, project_id, head, "to_target")
    make.call(svc.add_artefact, who, project_id, {"kind": "target_state_map", "title": "Карта ЦС"})
    make.call(svc.update_metric, who, metric.id, {"target": 29.0})
    action = make.call(svc.add_action, who, project_id, {"title": "Шаблоны", "due_on": "2026-09-30"})
    fire(make, store, project_id, head, "to_implement")
    make.call(svc.update_action, who, action.id, {"status": "done"})
    make.call(svc.record_measurement, who, metric.id, {"value": 29.0, "measured_on": "2026-09-01"})
    fire(make, store, project_id, head, "to_standardise")
    make.call(svc.add_artefact, who, project_id, {"kind": "standard", "title": "Стандарт"})
    fire(make, store, project_id, head, "to_sustain")
    make.call(svc.add_artefact, who, project_id, {"kind": "report", "title": "Отчёт"})
    fire(make, store, project_id, head, "close")
    assert project_row(store, project_id).state == "closed"


@pytest.fixture
def summary_region(make, store, world, member_of_school, head_of_school, member_of_other_school,
                   head_of_other_school, curator_orel, frozen_clock):
    """Orel: a closed lyceum project (reached, 100 h, published), a cancelled one of school
    no. 3, an active kindergarten project in another municipality; a Kursk project."""
    closed = make.project(world.school, member_of_school.actor, title="Оптимизация подготовки контрольной",
                          actual_hours_saved=100.0, actual_roubles=42000.0)  # a closed card is read-only
    close_project(make, store, closed.id, member_of_school, head_of_school)
    cancelled = make.project(world.other_school, member_of_other_school.actor, title="Оптимизация справок")
    fire(make, store, cancelled.id, head_of_other_school, "cancel", comment="Не нужен")
    livny = make.municipality(world.region, "Ливенский район")
    kg = make.org(livny, "МБДОУ «Детский сад №1»", kind="kindergarten")
    make.project(kg, make.person("member", org=kg).actor, title="Оптимизация адаптации")
    make.project(world.other_region_school, make.person("member", org=world.other_region_school).actor)
    with store.uow() as uow:
        publish(uow, curator_orel.actor, closed.id, {"category": "meals", "summary": "Шаблоны"})
    return {"closed": closed, "livny": livny}


def rows_of(ws):
    return list(ws.iter_rows(values_only=True))


def test_curator_downloads_the_regional_summary(web, curator_orel, world, summary_region):
    r = web(curator_orel).get("/tower/summary.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["Сводка", "По типам организаций", "По муниципалитетам", "Практики", "Обучение"]
    for ws in wb.worksheets:  # a title row with the region and the date, headers on row 3
        assert ws["A1"].value == "Сводный отчёт по ПСР-проектам: Орловская область, на 01.09.2026"

    summary = {row[0]: row[1] for row in rows_of(wb["Сводка"])[3:]}
    assert summary["Запущено проектов"] == 3 and summary["В работе"] == 1
    assert summary["Завершено"] == 1 and summary["Отменено"] == 1
    assert summary["Доля завершённых, достигших целей"] == 1.0
    assert summary["Сэкономлено часов в год (факт)"] == 100
    assert summary["Экономический эффект, руб. (факт)"] == 42000
    assert summary["Практик опубликовано"] == 1 and summary["Тиражирований (проектов по практикам региона)"] == 0
    share_cell = next(row[1] for row in wb["Сводка"].iter_rows(min_row=4) if row[0].value.startswith("Доля"))
    assert share_cell.number_format == "0.0%"

    kinds = rows_of(wb["По типам организаций"])
    assert kinds[2][:6] == ("Тип организации", "Запущено проектов", "В работе", "Завершено", "Отменено",
                            "Завершённых, достигших целей")
    by_kind = {row[0]: row[1:] for row in kinds[3:]}
    # launched, in progress, closed, cancelled, reached, share, hours, roubles
    assert by_kind["Школы"] == (2, 0, 1, 1, 1, 1.0, 100, 42000)
    assert by_kind["Детские сады"] == (1, 1, 0, 0, 0, None, 0, 0)
    assert by_kind["Итого"] == (3, 1, 1, 1, 1, 1.0, 100, 42000)
    assert wb["По типам организаций"]["G4"].number_format == "0.0%"

    muns = {row[0]: row[1:] for row in rows_of(wb["По муниципалитетам"])[3:]}
    assert muns["г. Орёл"][:4] == (2, 0, 1, 1) and muns["Ливенский район"][:4] == (1, 1, 0, 0)
    assert wb["По муниципалитетам"].column_dimensions["A"].width == 34

    practices = rows_of(wb["Практики"])
    assert practices[3][0] == "Оптимизация подготовки контрольной" and practices[3][-1] == 0
    assert practices[3][4].date().isoformat() == "2026-09-01"  # a real date cell


def test_admin_picks_the_region_and_others_may_not_download(web, admin, member_of_school, head_of_school,
                                                           curator_kursk, world, summary_region):
    r = web(admin).get(f"/tower/summary.xlsx?region_id={world.other_region.id}")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    assert "Курская область" in wb["Сводка"]["A1"].value
    assert {row[0]: row[1] for row in rows_of(wb["Сводка"])[3:]}["Запущено проектов"] == 1
    assert web(member_of_school).get("/tower/summary.xlsx").status_code == 403
    assert web(head_of_school).get("/tower/summary.xlsx").status_code == 403
    assert web(curator_kursk).get(f"/tower/summary.xlsx?region_id={world.region.id}").status_code == 404
    assert_redirects_to_login(web().get("/tower/summary.xlsx"))


def test_tower_links_to_the_summary(web, curator_orel, world, summary_region):
    page = dom(web(curator_orel).get("/tower"))
    assert page.one("a", data_report="region-summary")["href"] == f"/tower/summary.xlsx?region_id={world.region.id}"
