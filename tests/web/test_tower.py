"""The control tower page and its exports: who may open it, what it shows, the XLSX."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from engine import services as svc
from tests.web.conftest import dom


@pytest.fixture
def region_with_a_stalled_project(make, world, member_of_school, head_of_school, frozen_clock):
    """Two projects of the school; one is left in diagnose past its SLA (45 days)."""
    stalled = make.project(world.school, member_of_school.actor, title="Оптимизация выдачи справок")
    fresh_at = frozen_clock.advance(days=50)
    fresh = make.project(world.school, member_of_school.actor, title="Оптимизация приёма документов")
    risk = make.call(svc.log_risk, member_of_school.actor, fresh.id,
                     {"title": "Сопротивление педагогов", "probability": 4, "impact": 4})
    return {"stalled": stalled, "fresh": fresh, "risk": risk, "now": fresh_at}


def test_curator_sees_stalled_projects_risks_and_municipalities(web, curator_orel, region_with_a_stalled_project):
    page = dom(web(curator_orel).get("/tower"))
    rows = page.find_all("tr", **{"data-stalled-project": str(region_with_a_stalled_project["stalled"].id)})
    assert len(rows) == 1
    link = rows[0].find_all("a")[0]
    assert link["href"] == f"/projects/{region_with_a_stalled_project['stalled'].id}"
    assert "Оптимизация выдачи справок" in link.text
    assert page.find("tr", **{"data-stalled-project": str(region_with_a_stalled_project["fresh"].id)}) is None
    risks = page.by_id("risks")
    assert "Сопротивление педагогов" in risks.text and "16" in risks.text
    assert "г. Орёл" in page.by_id("municipalities").text


@pytest.fixture
def three_stalled(make, world, member_of_school, frozen_clock):
    """Three projects stalled by different numbers of days (oldest first: the worst)."""
    projects = []
    for title in ("Б: выдача справок", "В: приём документов", "А: питание"):
        projects.append(make.project(world.school, member_of_school.actor, title=title))
        frozen_clock.advance(days=3)
    frozen_clock.advance(days=50)
    return projects


def stalled_titles(page) -> list[str]:
    return [row.find("a").text for row in page.by_id("stalled").find_all("tr", **{"data-stalled-project": True})]


def test_the_stalled_list_sorts_by_each_column_and_shows_all(web, curator_orel, three_stalled, monkeypatch):
    b = web(curator_orel)
    assert stalled_titles(dom(b.get("/tower"))) == ["Б: выдача справок", "В: приём документов", "А: питание"]
    by_title = dom(b.get("/tower?stalled_by=title"))
    assert stalled_titles(by_title) == ["А: питание", "Б: выдача справок", "В: приём документов"]
    assert by_title.by_id("stalled").find("th", **{"aria-sort": "ascending"}).text == "Проект"
    assert stalled_titles(dom(b.get("/tower?stalled_by=nonsense"))) == stalled_titles(dom(b.get("/tower")))

    import webui.web.tower as tower_view
    monkeypatch.setattr(tower_view, "LIST_LIMIT", 2)  # the page shows the worst 2 of each list
    cut = dom(b.get("/tower?stalled_by=title"))
    assert stalled_titles(cut) == ["Б: выдача справок", "В: приём документов"]  # the worst 2, by title
    show_all = cut.find("a", **{"data-show-all": "stalled"})
    assert show_all.text == "Показать все (3)"
    assert "all=1" in show_all["href"] and "stalled_by=title" in show_all["href"]
    everything = dom(b.get(show_all["href"].split("#")[0]))
    assert stalled_titles(everything) == ["А: питание", "Б: выдача справок", "В: приём документов"]
    assert everything.find("a", **{"data-show-all": "stalled"}) is None


def test_tower_is_for_curators_and_admins(web, member_of_school, head_of_school, curator_kursk, admin, world,
                                          region_with_a_stalled_project):
    assert web(member_of_school).get("/tower").status_code == 403
    assert web(head_of_school).get("/tower").status_code == 403
    # a curator of another region sees their own region, and not Orel's on request
    kursk = web(curator_kursk)
    assert kursk.get("/tower").status_code == 200
    assert kursk.get(f"/tower?region_id={world.region.id}").status_code == 404
    # an admin picks a region
    r = web(admin).get(f"/tower?region_id={world.region.id}")
    assert r.status_code == 200 and "Оптимизация выдачи справок" in r.get_data(as_text=True)


def test_xlsx_export_opens_and_holds_the_rows(web, curator_orel, world, region_with_a_stalled_project):
    r = web(curator_orel).get("/tower.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.data))
    # then one sheet per organisation with projects (the other school of the region has none)
    assert wb.sheetnames[:5] == ["Сводка", "Зависшие", "Риски", "Согласования", "По организациям"]
    school_sheet = wb.sheetnames[5]
    assert wb.sheetnames[5:] == [school_sheet] == ["МБОУ Лицей №1 им. М.В."]
    projects = list(wb[school_sheet].iter_rows(values_only=True))
    assert projects[0][:3] == ("Номер", "Проект", "Этап")
    by_title = {row[1]: row for row in projects[1:]}
    assert set(by_title) == {"Оптимизация выдачи справок", "Оптимизация приёма документов"}
    assert by_title["Оптимизация выдачи справок"][5] == "да" and by_title["Оптимизация приёма документов"][5] == "нет"
    assert by_title["Оптимизация выдачи справок"][4] == 50 and by_title["Оптимизация приёма документов"][7] == 1
    assert by_title["Оптимизация приёма документов"][3] == region_with_a_stalled_project["now"].replace(
        tzinfo=None, hour=0, minute=0, second=0, microsecond=0)  # a real date cell
    stalled = list(wb["Зависшие"].iter_rows(values_only=True))
    assert stalled[0][:2] == ("Номер", "Проект")
    assert [row[1] for row in stalled[1:]] == ["Оптимизация выдачи справок"]
    risks = list(wb["Риски"].iter_rows(values_only=True))
    assert risks[1][0] == "Сопротивление педагогов" and risks[1][2] == 16
    summary = {row[0]: row[1] for row in wb["Сводка"].iter_rows(min_row=2, values_only=True)}
    assert summary["Зависшие проекты"] == 1
    assert summary["Дата"].date() == region_with_a_stalled_project["now"].date()  # a real date cell
    per_org = list(wb["По организациям"].iter_rows(values_only=True))
    school_row = next(row for row in per_org if row[0] == world.school.name)
    # the last column opens the organisation's sheet: a hyperlink, not a formula
    assert school_row[-2] == 2 and school_row[-1] == school_sheet
    link = next(row[-1] for row in wb["По организациям"].iter_rows() if row[0].value == world.school.name)
    assert link.data_type == "s" and link.hyperlink.location == f"'{school_sheet}'!A1"
    assert wb["Зависшие"].column_dimensions["B"].width == 60
    # words, never codes: the risk's status and what a waiting request asks for
    assert risks[1][3] in ("открыт", "в работе")


@pytest.mark.parametrize(("name", "taken", "expected"), [
    ("МБОУ «Лицей № 1 имени М. В. Ломоносова» г. Орла", set(), "МБОУ Лицей № 1 им. М. В."),
    ("Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 27 "
     "с углублённым изучением отдельных предметов»", set(), "МБОУ СОШ № 27 с углублённым"),
    ("МБОУ «Средняя общеобразовательная школа с углублённым изучением английского языка № 35»", set(),
     "МБОУ СОШ с углублённым № 35"),
    ("МБДОУ «Детский сад № 3 общеразвивающего вида»", set(), "МБДОУ ДС № 3 общеразвивающего"),
    ("Школа [а/б]: что?*", set(), "Школа а б что"),
    ("Школа № 5", {"школа № 5"}, "Школа № 5 (2)"),
    ("", set(), "Организация"),
])
def test_sheet_names_follow_excels_rules(name, taken, expected):
    """Readable and distinct: the usual abbreviations, whole words, the school's number kept."""
    from webui.web.exports import _sheet_name
    got = _sheet_name(name, set(taken))
    assert got == expected and len(got) <= 31


def test_projects_csv_lists_what_the_person_may_see(web, member_of_other_school, curator_orel,
                                                   region_with_a_stalled_project):
    text = web(curator_orel).get("/projects.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Номер" and len(rows) == 3
    stalled_row = next(r for r in rows if r[1] == "Оптимизация выдачи справок")
    assert stalled_row[5] == "да" and stalled_row[3] == "Диагностика"
    other = web(member_of_other_school).get("/projects.csv").get_data(as_text=True)
    assert "Оптимизация выдачи справок" not in other


def test_nine_schools_with_one_long_name_get_nine_readable_sheets():
    """The region's «МБОУ «Средняя общеобразовательная школа №N»» are told apart by their
    number, not by (2)…(9) after a cut name."""
    from webui.web.exports import _sheet_name
    taken: set[str] = set()
    names = [_sheet_name(f"МБОУ «Средняя общеобразовательная школа №{n}» г. Орла", taken) for n in range(1, 10)]
    assert names == [f"МБОУ СОШ №{n} г. Орла" for n in range(1, 10)]
