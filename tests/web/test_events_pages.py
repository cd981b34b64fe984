"""The events' pages (issue #14 item 3): the list by date with its filter by kind and
«Добавить мероприятие» for curators, the form (organisations and practices chosen without
JS, errors next to their fields, nothing written), the event's page, the practice's
«Где представлена» and the programme page's counts; members see but do not edit."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import clock
from engine import practices as P
from engine.events import service as E
from engine.programme import service as PG
from tests.web.conftest import db_snapshot, dom, field_error
from tests.web.test_practices_pages import PUBLISH, close_project


def day(offset: int) -> str:
    return (clock.today() + timedelta(days=offset)).isoformat()


@pytest.fixture
def practice(make, world, member_of_school, head_of_school, curator_orel):
    p = make.project(world.school, member_of_school.actor, title="Оптимизация процесса питания")
    close_project(make, p.id, member_of_school, head_of_school)
    return make.call(P.publish, curator_orel.actor, p.id, PUBLISH)


@pytest.fixture
def webinar(make, world, curator_orel) -> Any:
    return make.call(E.create_event, curator_orel.actor, {
        "region_id": world.region.id, "title": "Вебинар «Бережливая столовая»", "kind": "webinar",
        "held_on": day(-10), "link": "https://orel-edu.ru/webinar/12", "attendance": 64})


def test_a_curator_adds_an_event_with_organisations_and_practices(web, store, world, curator_orel, practice):
    b = web(curator_orel)
    page = dom(b.get("/events"))
    assert page.find("a", href="/events/new") is not None
    assert page.find("a", href="/events") is not None  # the menu item
    form = dom(b.get("/events/new"))
    assert form.find("option", value=str(world.school.id)) is not None
    assert form.find("input", value=str(practice.id)) is not None
    r = b.post("/events", {"region_id": world.region.id, "title": "Ярмарка инноваций 2026", "kind": "fair",
                           "held_on": day(-3), "place": "Орёл, ОИРО", "attendance": "120", "link": "",
                           "programme_id": "", "org_ids": [world.school.id, world.other_school.id],
                           "practice_ids": [practice.id]})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    ev = dom(b.get(r.headers["Location"]))
    assert ev.find("h1").text == "Ярмарка инноваций 2026"
    assert ev.one(data_field="kind").text == "Ярмарка инноваций"
    assert {n["data-org-id"] for n in ev.find_all("li", data_org_id=True)} == {str(world.school.id),
                                                                               str(world.other_school.id)}
    item = ev.one("li", data_practice_id=str(practice.id))
    assert item.find("a", href=f"/practices/{practice.id}") is not None
    listed = dom(b.get("/events"))
    assert listed.find("tr", data_kind="fair") is not None
    assert dom(b.get("/events?kind=webinar")).find("tr", data_kind="fair") is None
    # «Где представлена» on the practice's page, with date and kind
    shown = dom(b.get(f"/practices/{practice.id}")).one("section", id="presented")
    assert "Ярмарка инноваций" in shown.text and clock.today().strftime("%Y") in shown.text


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_written(web, store, world, curator_orel):
    b = web(curator_orel)
    before = db_snapshot(store)
    r = b.post("/events", {"region_id": world.region.id, "title": "Вебинар", "kind": "webinar", "held_on": day(0),
                           "link": "ftp://orel-edu.ru/x", "org_ids": [world.other_region_school.id]})
    assert r.status_code == 422
    page = dom(r)
    assert "http" in field_error(page, "link").text
    assert db_snapshot(store) == before
    r = b.post("/events", {"region_id": world.region.id, "title": "Вебинар", "kind": "webinar", "held_on": day(0),
                           "org_ids": [world.other_region_school.id]})
    assert r.status_code == 422 and "организаций" in field_error(dom(r), "org_ids").text
    assert db_snapshot(store) == before


def test_editing_an_event_and_a_stale_form(web, store, world, curator_orel, webinar):
    b = web(curator_orel)
    page = dom(b.get(f"/events/{webinar.id}/edit"))
    assert page.find("input", name="version", value="1") is not None
    data = {"version": "1", "title": "Вебинар для кураторов", "kind": "webinar", "held_on": day(-10),
            "place": "", "link": "", "attendance": "", "programme_id": "", "description": ""}
    r = b.post(f"/events/{webinar.id}/edit", data)
    assert r.status_code == 302
    ev = dom(b.get(f"/events/{webinar.id}"))
    assert ev.find("h1").text == "Вебинар для кураторов" and ev.find(data_field="link") is None
    before = db_snapshot(store)
    assert b.post(f"/events/{webinar.id}/edit", data).status_code == 409  # version 1 is stale now
    assert db_snapshot(store) == before


def test_members_see_events_but_not_the_forms_and_other_regions_get_404(web, world, member_of_school,
                                                                       curator_kursk, webinar):
    b = web(member_of_school)
    assert dom(b.get("/events")).find("tr", data_event_id=str(webinar.id)) is not None
    page = dom(b.get(f"/events/{webinar.id}"))
    assert page.find("a", data_action="edit") is None and page.find("a", href="/events/new") is None
    assert b.get(f"/events/{webinar.id}/edit").status_code == 403
    assert b.get("/events/new").status_code == 403
    k = web(curator_kursk)
    assert k.get(f"/events/{webinar.id}").status_code == 404
    assert dom(k.get("/events")).find("tr", data_event_id=str(webinar.id)) is None


def test_the_programme_page_counts_events_by_kind(web, make, world, curator_orel, webinar):
    prog = make.call(PG.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": "Бережливая школа", "starts_on": day(-60), "ends_on": day(600)})
    page = dom(web(curator_orel).get(f"/programmes/{prog.id}"))
    assert page.one(data_event_kind="webinar").text == "1"
    assert page.one(data_event_kind="fair").text == "0"
    assert page.one(data_events_total=True).text == "1"
    assert page.one(data_replications_after_events=True).text == "0"
