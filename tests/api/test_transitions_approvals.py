"""POST /projects/<id>/transitions, GET /approvals, POST /approvals/<id>/approve|reject."""
from __future__ import annotations

import pytest

from tests.api.conftest import add_diagnosis, error_of, fields_of

REQUEST_KEYS = {"id", "project_id", "trigger", "dest", "status", "requested_by", "requested_at", "comment",
                "decided_by", "decided_at", "decision_comment",
                "steps", "step"}  # steps, step: multi-step approvals (#14 item 4), additive


def _fire(api, pid, who, trigger, version, comment=None):
    body = {"trigger": trigger, "version": version}
    if comment is not None:
        body["comment"] = comment
    return api.post(f"/projects/{pid}/transitions", who, json=body)


@pytest.fixture
def ready(api, project, member_of_school):
    """The school's project with its diagnosis done (to_target holds)."""
    add_diagnosis(api, project.id, member_of_school)
    return project.id


@pytest.fixture
def in_target(api, ready, head_of_school):
    r = _fire(api, ready, head_of_school, "to_target", 1)
    assert r.status_code == 200, r.get_json()
    return ready


# --- firing -------------------------------------------------------------------------------------

def test_member_request_waits_for_the_head(frozen_clock, api, ready, member_of_school, head_of_school):
    r = _fire(api, ready, member_of_school, "to_target", 1, comment="Диагностика завершена")
    assert r.status_code == 202, r.get_json()
    req = r.get_json()["request"]
    assert set(req) == REQUEST_KEYS
    assert req == {"id": req["id"], "project_id": ready, "trigger": "to_target", "dest": "target",
                   "status": "pending", "requested_by": member_of_school.id, "requested_at": "2026-09-01T09:00:00Z",
                   "comment": "Диагностика завершена", "decided_by": None, "decided_at": None,
                   "decision_comment": None, "steps": ["head"], "step": 0}
    p = api.project(ready, member_of_school)
    assert p["state"] == "diagnose" and p["version"] == 1 and p["pending_request"] == req
    # a second request while one is pending
    error_of(_fire(api, ready, member_of_school, "cancel", 1, comment="Передумали"), 409, "conflict")
    error_of(_fire(api, ready, head_of_school, "to_target", 1), 409, "conflict")


def test_head_moves_at_once(api, ready, head_of_school, member_of_school):
    r = _fire(api, ready, head_of_school, "to_target", 1)
    assert r.status_code == 200 and set(r.get_json()) == {"project"}
    p = r.get_json()["project"]
    assert p["state"] == "target" and p["version"] == 2 and p["pending_request"] is None and p["days_in_state"] == 0
    assert {t["trigger"] for t in p["available_transitions"]} == {"to_implement", "back_to_diagnose", "cancel"}
    assert {t["trigger"] for t in api.project(ready, member_of_school)["available_transitions"]} == \
        {"to_implement", "cancel"}
    kinds = [e["kind"] for e in api.ok("GET", f"/projects/{ready}/events", head_of_school)["items"]]
    assert kinds[-2:] == ["transition_requested", "state_changed"]


def test_gate_failure_names_the_unmet_checks(api, project, member_of_school, head_of_school):
    for who in (member_of_school, head_of_school):
        details = error_of(_fire(api, project.id, who, "to_target", 1), 422, "gate_failed")
        assert [u["check"] for u in details["unmet"]] == ["current_state_mapped", "problems_listed",
                                                          "baselines_recorded"]
        assert all(set(u) == {"check", "message"} and u["message"] for u in details["unmet"])
    api.ok("POST", f"/projects/{project.id}/metrics", member_of_school, {"name": "ВПП", "direction": "decrease"})
    details = error_of(_fire(api, project.id, member_of_school, "to_target", 1), 422, "gate_failed")
    assert [u["check"] for u in details["unmet"]] == ["current_state_mapped", "problems_listed", "baselines_recorded"]
    p = api.project(project.id, member_of_school)
    assert p["state"] == "diagnose" and p["pending_request"] is None  # nothing written


def test_stale_version_is_409(api, ready, member_of_school, head_of_school):
    api.ok("PATCH", f"/projects/{ready}", member_of_school, {"version": 1, "goal": "Другая цель"})
    details = error_of(_fire(api, ready, head_of_school, "to_target", 1), 409, "conflict")
    assert details == {"current_version": 2}
    assert _fire(api, ready, head_of_school, "to_target", 2).status_code == 200


def test_unknown_or_unavailable_trigger_is_409(api, project, head_of_school):
    details = error_of(_fire(api, project.id, head_of_school, "teleport", 1), 409, "conflict")
    assert details == {"trigger": "teleport"}
    details = error_of(_fire(api, project.id, head_of_school, "close", 1), 409, "conflict")
    assert details == {"trigger": "close", "state": "diagnose"}


def test_back_moves(api, in_target, member_of_school, head_of_school, curator_orel, curator_kursk):
    # members may not send back; the head and the region's curator may, with a reason, at once
    error_of(_fire(api, in_target, member_of_school, "back_to_diagnose", 2, comment="Нет"), 403, "forbidden")
    assert fields_of(_fire(api, in_target, curator_orel, "back_to_diagnose", 2)) == {
        "comment": "Укажите комментарий (причину)"}
    assert "comment" in fields_of(_fire(api, in_target, head_of_school, "back_to_diagnose", 2, comment="   "))
    error_of(_fire(api, in_target, curator_kursk, "back_to_diagnose", 2, comment="Нет"), 404, "not_found")
    r = _fire(api, in_target, curator_orel, "back_to_diagnose", 2, comment="Карта без замеров ВПП")
    assert r.status_code == 200 and r.get_json()["project"]["state"] == "diagnose"
    # the curator may not move forward
    error_of(_fire(api, in_target, curator_orel, "to_target", 3), 403, "forbidden")


def test_cancel(api, project, member_of_school, head_of_school):
    assert "comment" in fields_of(_fire(api, project.id, member_of_school, "cancel", 1))
    r = _fire(api, project.id, member_of_school, "cancel", 1, comment="Процесс изменился")
    assert r.status_code == 202 and r.get_json()["request"]["dest"] == "cancelled"
    rid = r.get_json()["request"]["id"]
    p = api.ok("POST", f"/approvals/{rid}/approve", head_of_school, {}, status=200)["project"]
    assert p["state"] == "cancelled" and p["available_transitions"] == [] and p["stalled"] is False


def test_admin_may_not_fire(api, project, admin):
    error_of(_fire(api, project.id, admin, "to_target", 1), 403, "forbidden")
    error_of(_fire(api, project.id, admin, "nonsense", "x"), 403, "forbidden")  # 403 before 422


def test_fire_out_of_scope_or_unknown_is_404(api, project, member_of_other_school, curator_kursk, member_of_school):
    for who in (member_of_other_school, curator_kursk):
        error_of(_fire(api, project.id, who, "to_target", 1), 404, "not_found")
    error_of(_fire(api, 999999, member_of_school, "to_target", 1), 404, "not_found")


@pytest.mark.parametrize("payload,field", [({"version": 1}, "trigger"), ({"trigger": "to_target"}, "version"),
                                           ({"trigger": "to_target", "version": "1a"}, "version"),
                                           ({"trigger": "", "version": 1}, "trigger"),
                                           ({"trigger": "to_target", "version": 1, "at": "now"}, "at")])
def test_transition_validation(api, project, member_of_school, payload, field):
    assert field in fields_of(api.post(f"/projects/{project.id}/transitions", member_of_school, json=payload))


def test_transition_precedence(api, project, in_target, member_of_school, head_of_school):
    # 422 validation_failed (missing reason) comes before 409 (stale version)
    assert "comment" in fields_of(_fire(api, in_target, head_of_school, "back_to_diagnose", 1))
    # 409 (stale version) comes before 422 gate_failed (nothing for to_implement is there)
    error_of(_fire(api, in_target, head_of_school, "to_implement", 1), 409, "conflict")
    assert error_of(_fire(api, in_target, head_of_school, "to_implement", 2), 422, "gate_failed")["unmet"]
    # 409 (a request pending) comes before 422 gate_failed
    r = _fire(api, in_target, member_of_school, "cancel", 2, comment="Нет ресурсов")
    assert r.status_code == 202
    error_of(_fire(api, in_target, member_of_school, "to_implement", 2), 409, "conflict")
    # 403 (member may not send back) comes before 422 (no reason) and 409 (stale)
    error_of(_fire(api, in_target, member_of_school, "back_to_diagnose", 1), 403, "forbidden")


# --- approvals -------------------------------------------------------------------------------------

@pytest.fixture
def pending(frozen_clock, api, make, world, member_of_school, member_of_other_school):
    """Three requests in the school (a day apart; one cancel) and one in the other school."""
    ids = []
    for day in range(3):
        p = make.project(world.school, member_of_school.actor, title=f"Проект {day}")
        add_diagnosis(api, p.id, member_of_school)
        r = _fire(api, p.id, member_of_school, "to_target" if day < 2 else "cancel", 1,
                  comment=None if day < 2 else "Отмена")
        assert r.status_code == 202
        ids.append(r.get_json()["request"]["id"])
        frozen_clock.advance(days=1)
    other = make.project(world.other_school, member_of_other_school.actor)
    r = _fire(api, other.id, member_of_other_school, "cancel", 1, comment="Отмена")
    return {"school": ids, "other": r.get_json()["request"]["id"]}


def _req_ids(page):
    return [r["id"] for r in page["items"]]


def test_approvals_inbox_by_scope(api, pending, member_of_school, head_of_school, head_of_other_school,
                                  curator_orel, curator_kursk, admin):
    assert _req_ids(api.ok("GET", "/approvals", head_of_school)) == pending["school"]  # oldest first
    assert _req_ids(api.ok("GET", "/approvals", member_of_school, query={"status": "pending"})) == pending["school"]
    assert _req_ids(api.ok("GET", "/approvals", head_of_other_school)) == [pending["other"]]
    assert _req_ids(api.ok("GET", "/approvals", curator_orel)) == pending["school"] + [pending["other"]]
    assert api.ok("GET", "/approvals", curator_kursk) == {"items": [], "total": 0}
    page = api.ok("GET", "/approvals", admin, query={"limit": 2, "offset": 1})
    assert page["total"] == 4 and _req_ids(page) == pending["school"][1:3]
    assert set(page["items"][0]) == REQUEST_KEYS


def test_approvals_status_filter(api, pending, head_of_school):
    api.ok("POST", f"/approvals/{pending['school'][0]}/approve", head_of_school, {"comment": "Да"}, status=200)
    api.ok("POST", f"/approvals/{pending['school'][1]}/reject", head_of_school, {"comment": "Нет"}, status=200)
    assert _req_ids(api.ok("GET", "/approvals", head_of_school)) == pending["school"][2:]
    assert _req_ids(api.ok("GET", "/approvals", head_of_school, query={"status": "approved"})) == [pending["school"][0]]
    assert _req_ids(api.ok("GET", "/approvals", head_of_school, query={"status": "rejected"})) == [pending["school"][1]]
    assert _req_ids(api.ok("GET", "/approvals", head_of_school, query={"status": "all"})) == pending["school"]


@pytest.mark.parametrize("query,field", [({"status": "done"}, "status"), ({"status": ""}, "status"),
                                         ({"limit": 501}, "limit"),
                                         ({"offset": "x"}, "offset")])
def test_approvals_bad_query(api, head_of_school, query, field):
    assert field in fields_of(api.get("/approvals", head_of_school, query=query))


def test_approve(frozen_clock, api, pending, head_of_school, member_of_school):
    rid = pending["school"][0]
    body = api.ok("POST", f"/approvals/{rid}/approve", head_of_school, {"comment": "Согласовано"}, status=200)
    assert set(body) == {"project"}
    p = body["project"]
    assert p["state"] == "target" and p["version"] == 2 and p["pending_request"] is None
    req = api.ok("GET", "/approvals", member_of_school, query={"status": "approved"})["items"][0]
    assert (req["status"], req["decided_by"], req["decision_comment"]) == ("approved", head_of_school.id, "Согласовано")
    assert req["decided_at"] == "2026-09-04T09:00:00Z"
    events = api.ok("GET", f"/projects/{p['id']}/events", member_of_school)["items"]
    assert [e["kind"] for e in events][-3:] == ["transition_requested", "transition_approved", "state_changed"]
    # decided already
    error_of(api.post(f"/approvals/{rid}/approve", head_of_school, json={}), 409, "conflict")
    error_of(api.post(f"/approvals/{rid}/reject", head_of_school, json={"comment": "Поздно"}), 409, "conflict")


def test_approve_rechecks_the_gate(api, pending, head_of_school, member_of_school):
    rid = pending["school"][0]
    pid = api.ok("GET", "/approvals", head_of_school)["items"][0]["project_id"]
    metric = api.ok("GET", f"/projects/{pid}/events", member_of_school)["items"]
    metric_id = next(e["payload"]["metric_id"] for e in metric if e["kind"] == "metric_added")
    api.ok("PATCH", f"/metrics/{metric_id}", member_of_school, {"baseline": None})
    details = error_of(api.post(f"/approvals/{rid}/approve", head_of_school, json={}), 422, "gate_failed")
    assert details["unmet"] == [{"check": "baselines_recorded", "message": details["unmet"][0]["message"]}]
    assert api.project(pid, head_of_school)["pending_request"]["status"] == "pending"


def test_only_the_approving_role_may_decide(api, pending, member_of_school, curator_orel, admin):
    rid = pending["school"][0]
    for who in (member_of_school, curator_orel):
        error_of(api.post(f"/approvals/{rid}/approve", who, json={}), 403, "forbidden")
        error_of(api.post(f"/approvals/{rid}/reject", who, json={"comment": "Нет"}), 403, "forbidden")
        error_of(api.post(f"/approvals/{rid}/reject", who, json={}), 403, "forbidden")  # 403 before 422
    error_of(api.post(f"/approvals/{rid}/approve", admin, json={}), 403, "forbidden")


def test_decisions_out_of_scope_are_404(api, pending, head_of_other_school, curator_kursk, head_of_school):
    rid = pending["school"][0]
    for who in (head_of_other_school, curator_kursk):
        error_of(api.post(f"/approvals/{rid}/approve", who, json={}), 404, "not_found")
        error_of(api.post(f"/approvals/{rid}/reject", who, json={"comment": "Нет"}), 404, "not_found")
    error_of(api.post("/approvals/999999/approve", head_of_school, json={}), 404, "not_found")
    error_of(api.post("/approvals/999999/reject", head_of_school, json={"comment": "x"}), 404, "not_found")


def test_reject(frozen_clock, api, pending, head_of_school, member_of_school):
    rid = pending["school"][2]
    assert fields_of(api.post(f"/approvals/{rid}/reject", head_of_school, json={})) == {"comment": "Обязательное поле"}
    assert "comment" in fields_of(api.post(f"/approvals/{rid}/reject", head_of_school, json={"comment": "  "}))
    body = api.ok("POST", f"/approvals/{rid}/reject", head_of_school, {"comment": "Доведите до конца"}, status=200)
    req = body["request"]
    assert set(body) == {"request"} and set(req) == REQUEST_KEYS
    assert (req["status"], req["decided_by"], req["decision_comment"]) == ("rejected", head_of_school.id,
                                                                           "Доведите до конца")
    p = api.project(req["project_id"], member_of_school)
    assert p["state"] == "diagnose" and p["pending_request"] is None and p["version"] == 1
    kinds = [e["kind"] for e in api.ok("GET", f"/projects/{p['id']}/events", member_of_school)["items"]]
    assert kinds[-1] == "transition_rejected" and "state_changed" not in kinds
    # after a rejection, a new request may be made
    assert _fire(api, p["id"], member_of_school, "to_target", 1).status_code == 202


@pytest.mark.parametrize("payload,field", [({"comment": 5}, "comment"), ({"comment": "ok", "extra": 1}, "extra")])
def test_approve_validation(api, pending, head_of_school, payload, field):
    assert field in fields_of(api.post(f"/approvals/{pending['school'][0]}/approve", head_of_school, json=payload))
