"""Multi-step approvals over HTTP (#14 item 4): the workflow answer shows a sequence as a
list (a single step stays a string), a request carries ``steps`` and ``step``, and each
step is decided by its own role."""
from __future__ import annotations

from tests.api.conftest import add_diagnosis, add_target, error_of


def test_workflow_answer_keeps_single_steps_a_string_and_shows_a_sequence_as_a_list(api, member_of_school):
    psr = api.ok("GET", "/workflows/psr", member_of_school)
    assert {t["trigger"]: t["approval"] for t in psr["transitions"]}["to_implement"] == "head"
    defended = api.ok("GET", "/workflows/psr-defended", member_of_school)
    assert {t["trigger"]: t["approval"] for t in defended["transitions"]}["to_implement"] == ["head", "curator"]


def test_each_step_by_its_role_over_http(frozen_clock, api, make, world, member_of_school, head_of_school,
                                         curator_orel):
    pid = make.project(world.school, member_of_school.actor, workflow="psr-defended").id
    metric = add_diagnosis(api, pid, member_of_school)
    assert api.move(pid, head_of_school, "to_target").status_code == 200
    add_target(api, pid, member_of_school, metric["id"])
    available = {t["trigger"]: t for t in api.project(pid, member_of_school)["available_transitions"]}
    assert available["to_implement"]["approval"] == ["head", "curator"]

    r = api.move(pid, member_of_school, "to_implement")
    assert r.status_code == 202, r.get_json()
    req = r.get_json()["request"]
    assert (req["steps"], req["step"], req["status"]) == (["head", "curator"], 0, "pending")

    api.ok("POST", f"/approvals/{req['id']}/approve", head_of_school, {}, status=200)
    pending = api.project(pid, member_of_school)
    assert pending["state"] == "target" and pending["pending_request"]["step"] == 1
    error_of(api.post(f"/approvals/{req['id']}/approve", head_of_school, json={}), 403, "forbidden")
    assert [i["id"] for i in api.ok("GET", "/approvals", curator_orel)["items"]] == [req["id"]]

    moved = api.ok("POST", f"/approvals/{req['id']}/approve", curator_orel, {}, status=200)["project"]
    assert moved["state"] == "implement"
    error_of(api.post(f"/approvals/{req['id']}/approve", curator_orel, json={}), 409, "conflict")
