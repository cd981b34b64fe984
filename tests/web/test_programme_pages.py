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
