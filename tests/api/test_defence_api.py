"""Defence sessions over the API (/api/v1/defence-sessions, #14 item 5, additive)."""
from __future__ import annotations

import pytest

from engine.defence import service as defence
from tests.api.conftest import error_of, fields_of
from tests.defence_world import waiting_for_curator
from webui.api import ROUTES


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


# --- every body route of /defence-sessions: 400, and 404 / 403 before it -------------------------

DEFENCE_WITH_BODY = [r for r in ROUTES if r.body is not None and r.path.startswith("/defence-sessions")]
BAD_BODIES = [("{broken", "application/json"), ("[1, 2]", "application/json"), ("42", "application/json"),
              ("null", "application/json"), ("title=x", "application/x-www-form-urlencoded")]


@pytest.fixture
def defence_ids(make, world, member_of_school, head_of_school, curator_orel):
    p = waiting_for_curator(make, world.school, member_of_school, head_of_school, "Проект")
    sess = make.call(defence.schedule_session, curator_orel.actor, {
        "region_id": world.region.id, "title": "Защита", "held_on": "2026-12-10"})
    item = make.call(defence.add_project, curator_orel.actor, sess.id, {"project_id": p.id})
    return {"session_id": sess.id, "item_id": item.id}


def test_the_defence_routes_are_the_checked_ones():
    assert {r.endpoint for r in DEFENCE_WITH_BODY} == {
        "post_defence_session", "post_defence_project", "post_defence_decision", "post_defence_close"}


@pytest.mark.parametrize("spec", DEFENCE_WITH_BODY, ids=lambda r: f"{r.method} {r.path}")
def test_every_defence_body_that_is_not_a_json_object_is_400(api, defence_ids, curator_orel, spec):
    for raw, ctype in BAD_BODIES:
        r = api.request(spec.method, spec.path.format(**defence_ids), curator_orel, data=raw.encode(),
                        headers={"Content-Type": ctype})
        error_of(r, 400, "bad_request")


@pytest.mark.parametrize("spec", [r for r in DEFENCE_WITH_BODY if "{" in r.path],
                         ids=lambda r: f"{r.method} {r.path}")
def test_404_out_of_scope_and_403_in_scope_come_before_400(api, defence_ids, curator_kursk, head_of_school, spec):
    path = spec.path.format(**defence_ids)
    error_of(api.request(spec.method, path, curator_kursk, data=b"{broken",
                         headers={"Content-Type": "application/json"}), 404, "not_found")
    error_of(api.request(spec.method, path, head_of_school, data=b"{broken",
                         headers={"Content-Type": "application/json"}), 403, "forbidden")


def test_defence_answers_fit_their_schemas(api, defence_ids, curator_orel):
    from tests.api.test_outputs import _answer_name, _errors
    spec = api.ok("GET", "/openapi.json", None)
    sid = defence_ids["session_id"]
    for method, template, status, body in (
            ("GET", "/defence-sessions", 200, None), ("GET", "/defence-sessions/{session_id}", 200, None),
            ("POST", "/defence-sessions/{session_id}/items/{item_id}/decision", 200, {"decision": "accepted"})):
        r = api.request(method, template.format(**defence_ids), curator_orel,
                        **({"json": body} if body is not None else {}))
        assert r.status_code == status, (template, r.get_json())
        name = _answer_name(spec, method, template, status)
        assert _errors(spec, name, r.get_json()) == [], (template, _errors(spec, name, r.get_json())[:3])
        assert _errors(spec, name, {**r.get_json(), "undeclared": 1})
    assert api.ok("GET", f"/defence-sessions/{sid}", curator_orel)["items"][0]["decision"] == "accepted"
