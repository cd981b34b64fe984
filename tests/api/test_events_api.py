"""The events' API (issue #14 item 3, additive to API.md): GET/POST /events, GET/PATCH
/events/<id>; 422 naming the field, 403 for a member, 404 for another region, 409 on a
stale version, and the programme tower's new fields."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import clock
from tests.api.conftest import error_of, fields_of


def day(offset: int) -> str:
    return (clock.today() + timedelta(days=offset)).isoformat()


@pytest.fixture
def foresight(api: Any, world: Any, curator_orel: Any) -> dict[str, Any]:
    return api.ok("POST", "/events", curator_orel, json={
        "region_id": world.region.id, "title": "Форсайт-сессия «Школа 2030»", "kind": "foresight",
        "held_on": day(-5), "place": "Орёл, ОИРО", "attendance": 40, "org_ids": [world.school.id]})


def test_record_read_list_and_edit_an_event(api, world, curator_orel, member_of_school, foresight):
    assert foresight["kind"] == "foresight" and foresight["version"] == 1 and foresight["link"] is None
    assert [o["id"] for o in foresight["organisations"]] == [world.school.id] and foresight["practices"] == []
    assert api.ok("GET", f"/events/{foresight['id']}", member_of_school) == foresight
    listed = api.ok("GET", "/events?kind=foresight", member_of_school)
    assert listed["total"] == 1 and listed["items"][0]["id"] == foresight["id"]
    assert api.ok("GET", "/events?kind=webinar", member_of_school)["total"] == 0
    fields_of(api.get("/events?kind=party", member_of_school))
    fields_of(api.get("/events?kind=", member_of_school))  # given empty: not a kind either (the schema's enum)
    edited = api.ok("PATCH", f"/events/{foresight['id']}", curator_orel,
                    json={"version": 1, "attendance": 45, "link": "https://orel-edu.ru/f"})
    assert (edited["version"], edited["attendance"], edited["link"]) == (2, 45, "https://orel-edu.ru/f")
    error_of(api.patch(f"/events/{foresight['id']}", curator_orel, json={"version": 1, "attendance": 1}),
             409, "conflict")


def test_errors_name_the_field_and_scope_is_kept(api, world, curator_orel, member_of_school, curator_kursk,
                                                 foresight):
    bad = api.post("/events", curator_orel, json={"region_id": world.region.id, "title": "Вебинар",
                                                  "kind": "webinar", "held_on": day(0), "link": "ftp://x"})
    assert "http" in fields_of(bad)["link"]
    assert "attendance" in fields_of(api.post("/events", curator_orel, json={
        "region_id": world.region.id, "title": "В", "kind": "webinar", "held_on": day(0), "attendance": -3}))
    error_of(api.post("/events", member_of_school, json={"region_id": world.region.id, "title": "В",
                                                         "kind": "webinar", "held_on": day(0)}), 403, "forbidden")
    error_of(api.patch(f"/events/{foresight['id']}", member_of_school, json={"version": 1, "title": "X"}),
             403, "forbidden")
    error_of(api.get(f"/events/{foresight['id']}", curator_kursk), 404, "not_found")
    error_of(api.patch(f"/events/{foresight['id']}", curator_kursk, json={"version": 1, "title": "X"}),
             404, "not_found")


def test_the_programme_tower_answers_events_and_replications(api, world, curator_orel, foresight):
    prog = api.ok("POST", "/programmes", curator_orel, json={
        "region_id": world.region.id, "title": "РИП", "starts_on": day(-60), "ends_on": day(600)})
    tower = api.ok("GET", f"/programmes/{prog['id']}/tower", curator_orel)
    assert tower["events"]["by_kind"]["foresight"] == 1 and tower["events"]["total"] == 1
    assert tower["replications_after_events"] == 0


def test_the_order_of_errors_404_403_then_400(api, world, curator_orel, member_of_school, curator_kursk,
                                              foresight):
    broken = {"data": b"{broken", "headers": {"Content-Type": "application/json"}}
    path = f"/events/{foresight['id']}"
    error_of(api.request("PATCH", path, curator_kursk, **broken), 404, "not_found")
    error_of(api.request("PATCH", path, member_of_school, **broken), 403, "forbidden")
    error_of(api.request("PATCH", path, curator_orel, **broken), 400, "bad_request")
    error_of(api.request("POST", "/events", member_of_school, **broken), 403, "forbidden")
    error_of(api.request("POST", "/events", curator_orel, **broken), 400, "bad_request")
    error_of(api.post("/events", curator_kursk, json={"region_id": world.region.id, "title": "В"}), 404, "not_found")
