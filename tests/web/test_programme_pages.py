"""The programme's pages (issue #13 item 8): the programme tower for curators (a
municipal curator's shows their municipality only; a school's people get 403), the
organisations behind each funnel number, and a participant's page."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import clock
from engine.programme import service as P
from tests.web.conftest import dom


def day(offset: int) -> str:
    return (clock.today() + timedelta(days=offset)).isoformat()


@pytest.fixture
def programme(make: Any, world: Any, curator_orel: Any) -> dict[str, Any]:
    prog = make.call(P.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": "Бережливая школа 2026", "starts_on": day(-60), "ends_on": day(700),
        "stages": [{"title": "Подготовительный", "starts_on": day(-60), "ends_on": day(60)},
                   {"title": "Апробация", "starts_on": day(61), "ends_on": day(700)}]})
    elsewhere = make.org(make.municipality(world.region, "Мценский район"), "МБОУ Мценская СОШ")
    parts = {o.id: make.call(P.add_participant, curator_orel.actor, prog.id, {"org_id": o.id, "joined_on": day(-30)})
             for o in (world.school, elsewhere)}
    make.person("coordinator", org=world.school)
    return {"prog": prog, "elsewhere": elsewhere, "parts": parts}


def test_the_programme_tower_page(web, world, programme, curator_orel):
    prog = programme["prog"]
    b = web(curator_orel)
    page = dom(b.get(f"/programmes/{prog.id}"))
    assert page.find("h1").text == "Бережливая школа 2026"
    overall = page.one(**{"data-municipality": "all"})
    assert overall.one(**{"data-step": "coordinator"}).text.strip() == "1"
    assert page.find(**{"data-municipality": str(world.municipality.id)}) is not None
    assert page.find(**{"data-timeline": True}).find(**{"aria-current": "step"}).text.startswith("Подготовительный")
    link = overall.one(**{"data-step": "coordinator"}).one("a")["href"]
    orgs = dom(b.get(link))
    assert [n["data-org-id"] for n in orgs.find_all("tr", **{"data-org-id": True})] == [str(world.school.id)]
    behind = dom(b.get(f"/programmes/{prog.id}/organisations?step=coordinator&reached=0"))
    behind_ids = [n["data-org-id"] for n in behind.find_all("tr", **{"data-org-id": True})]
    assert behind_ids == [str(programme["elsewhere"].id)]
    assert b.get("/programmes").status_code == 200
    assert f'href="/programmes/{prog.id}"' in b.get("/programmes").get_data(as_text=True)


def test_a_municipal_curators_programme_page(web, world, programme, curator_of_municipality, head_of_school):
    prog = programme["prog"]
    b = web(curator_of_municipality)
    page = dom(b.get(f"/programmes/{prog.id}"))
    rows = {n["data-municipality"] for n in page.find_all("tr", **{"data-municipality": True})}
    assert rows == {"all", str(world.municipality.id)}
    assert "Мценск" not in page.text
    assert b.get(f"/participants/{programme['parts'][programme['elsewhere'].id].id}").status_code == 404
    assert web(head_of_school).get(f"/programmes/{prog.id}").status_code == 403


def test_the_participant_page(web, world, programme, head_of_school):
    part = programme["parts"][world.school.id]
    page = dom(web(head_of_school).get(f"/participants/{part.id}"))
    assert page.find("h1").text == world.school.name
    assert page.one(**{"data-step": "coordinator"}).text.startswith("✓")


def test_the_participants_export_holds_the_funnel_and_readiness_in_words(web, world, programme, curator_orel,
                                                                       curator_of_municipality, make):
    """#13 item 10: the participants with their funnel and readiness as XLSX, through the one
    export helper; a municipal curator's holds their municipality only."""
    import io

    from openpyxl import load_workbook

    from engine.programme import questionnaire as questionnaires
    prog = programme["prog"]
    coordinator = make.person("coordinator", org=world.school, email="coord2@lyceum1.ru")
    with make.store.uow() as uow:
        (rnd,) = P.rounds_of(uow, prog.id)
    q = questionnaires.get("readiness")
    first = q.sections[0]
    scores = {i.id: 4 for s in q.sections for i in s.items}
    scores[first.items[0].id] = 2
    make.call(P.save_answer, coordinator.actor, rnd.id, {"org_id": world.school.id, "scores": scores, "submit": True})
    r = web(curator_orel).get(f"/programmes/{prog.id}/participants.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.data))["Участники"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("Организация", "Муниципалитет", "Поток", "Вступила", "Статус")
    by_org = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_org) == {world.school.name, "МБОУ Мценская СОШ"}
    school = by_org[world.school.name]
    assert school["Статус"] == "участвует"
    assert {v for k, v in school.items() if k not in header[:5] and not str(k).startswith("Готовность")
            and k != "Раунд анализа"} <= {"да", "нет"}
    expected = round((2 + 4 * (len(first.items) - 1)) / len(first.items), 2)
    assert school[f"Готовность: {first.title.ru}"] == expected
    assert by_org["МБОУ Мценская СОШ"][f"Готовность: {first.title.ru}"] is None
    mine = load_workbook(io.BytesIO(web(curator_of_municipality).get(
        f"/programmes/{prog.id}/participants.xlsx").data))["Участники"]
    assert [row[0] for row in mine.iter_rows(min_row=2, values_only=True)] == [world.school.name]
