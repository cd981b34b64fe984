"""Defence sessions over the API (/api/v1/defence-sessions, #14 item 5, additive)."""
from __future__ import annotations

from tests.api.conftest import error_of, fields_of
from tests.defence_world import waiting_for_curator


def test_schedule_add_decide_close_over_http(frozen_clock, api, make, world, member_of_school, head_of_school,
                                             curator_orel, curator_kursk):
    ready = waiting_for_curator(make, world.school, member_of_school, head_of_school, "Проект А")
    weak = waiting_for_curator(make, world.school, member_of_school, head_of_school, "Проект Б")
    assert fields_of(api.post("/defence-sessions", curator_orel, json={"region_id": world.region.id})).keys() >= {
        "title", "held_on"}
    error_of(api.post("/defence-sessions", head_of_school, json={
        "region_id": world.region.id, "title": "Защита", "held_on": "2026-12-10"}), 403, "forbidden")
    sess = api.ok("POST", "/defence-sessions", curator_orel, {
        "region_id": world.region.id, "title": "Защита", "held_on": "2026-12-10", "place": "ИРО"})
    assert (sess["status"], sess["total"], [m["id"] for m in sess["commission"]]) == ("planned", 0, [curator_orel.id])
    sid = sess["id"]
    error_of(api.get(f"/defence-sessions/{sid}", curator_kursk), 404, "not_found")
    for p in (ready, weak):
        sess = api.ok("POST", f"/defence-sessions/{sid}/projects", curator_orel, {"project_id": p.id})
    error_of(api.post(f"/defence-sessions/{sid}/projects", curator_orel, json={"project_id": ready.id}),
             409, "conflict")
    items = {i["project_id"]: i["id"] for i in sess["items"]}
    assert "remarks" in fields_of(api.post(f"/defence-sessions/{sid}/items/{items[weak.id]}/decision", curator_orel,
                                           json={"decision": "to_revise"}))
    api.ok("POST", f"/defence-sessions/{sid}/items/{items[ready.id]}/decision", curator_orel,
           {"decision": "accepted"}, status=200)
    done = api.ok("POST", f"/defence-sessions/{sid}/items/{items[weak.id]}/decision", curator_orel,
                  {"decision": "to_revise", "remarks": "Уточнить цель"}, status=200)
    assert (done["decided"], done["total"], done["status"]) == (2, 2, "held")
    assert api.project(ready.id, member_of_school)["state"] == "implement"
    assert api.project(weak.id, member_of_school)["state"] == "target"
    listed = api.ok("GET", "/defence-sessions", curator_orel)
    assert [s["id"] for s in listed["items"]] == [sid]
    closed = api.ok("POST", f"/defence-sessions/{sid}/close", curator_orel, {"version": done["version"]}, status=200)
    assert closed["status"] == "closed"
