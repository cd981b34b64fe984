"""The people loop over HTTP (API.md "People-loop additions"): a pending request withdrawn
by the requester or the head (200 with status ``withdrawn``), by nobody else (403 / 404),
never decided afterwards (409); and the bell: ``GET /notifications`` and
``POST /notifications/read``."""
from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import add_diagnosis, error_of, fields_of


@pytest.fixture
def asked(api: Any, project: Any, member_of_school: Any, head_of_school: Any) -> dict[str, Any]:
    """The member's pending request to move the school's project to the target state."""
    add_diagnosis(api, project.id, member_of_school)
    r = api.move(project.id, member_of_school, "to_target", comment="Карта готова")
    assert r.status_code == 202, r.get_json()
    return r.get_json()["request"]


def test_the_requester_withdraws_and_then_nobody_decides_it(api, asked, project, member_of_school,
                                                            head_of_school):
    r = api.post(f"/approvals/{asked['id']}/withdraw", member_of_school, json={"comment": "Передумали"})
    assert r.status_code == 200, r.get_json()
    req = r.get_json()["request"]
    assert req["status"] == "withdrawn" and req["decided_by"] == member_of_school.id
    assert req["decision_comment"] == "Передумали"
    events = api.ok("GET", f"/projects/{project.id}/events", member_of_school)["items"]
    assert events[-1]["kind"] == "transition_withdrawn"
    assert api.project(project.id, member_of_school)["pending_request"] is None
    error_of(api.post(f"/approvals/{asked['id']}/approve", head_of_school, json={}), 409, "conflict")
    error_of(api.post(f"/approvals/{asked['id']}/reject", head_of_school, json={"comment": "Нет"}), 409, "conflict")
    error_of(api.post(f"/approvals/{asked['id']}/withdraw", member_of_school, json={}), 409, "conflict")
    listed = api.ok("GET", "/approvals", member_of_school, query={"status": "withdrawn"})
    assert [x["id"] for x in listed["items"]] == [asked["id"]]


def test_the_head_withdraws_with_an_empty_body(api, asked, head_of_school):
    r = api.post(f"/approvals/{asked['id']}/withdraw", head_of_school)
    assert r.status_code == 200 and r.get_json()["request"]["status"] == "withdrawn"


def test_nobody_else_withdraws(api, make, world, asked, curator_orel, member_of_other_school,
                               head_of_other_school, admin, member_of_school):
    colleague = make.person("member", org=world.school)
    for who in (colleague, curator_orel, admin):
        error_of(api.post(f"/approvals/{asked['id']}/withdraw", who, json={}), 403, "forbidden")
    for who in (member_of_other_school, head_of_other_school):
        error_of(api.post(f"/approvals/{asked['id']}/withdraw", who, json={}), 404, "not_found")
    error_of(api.post("/approvals/999999/withdraw", member_of_school, json={}), 404, "not_found")
    assert api.ok("GET", "/approvals", member_of_school)["items"][0]["status"] == "pending"


def test_withdraw_checks_its_body(api, asked, member_of_school):
    assert "comment" in fields_of(api.post(f"/approvals/{asked['id']}/withdraw", member_of_school,
                                           json={"comment": "x" * 5001}))
    error_of(api.post(f"/approvals/{asked['id']}/withdraw", member_of_school, data=b"[1]",
                      headers={"Content-Type": "application/json"}), 400, "bad_request")


def test_the_bell_lists_ones_own_newest_first_and_marks_them_read(api, asked, project, member_of_school,
                                                                  head_of_school):
    body = api.ok("GET", "/notifications", head_of_school)
    assert body["total"] == body["unread"] == 1
    (n,) = body["items"]
    assert set(n) == {"id", "at", "kind", "project_id", "text", "read"}
    assert n["kind"] == "transition_requested" and n["project_id"] == project.id and n["read"] is False
    assert "просит перевести проект" in n["text"]
    assert api.ok("GET", "/notifications", member_of_school) == {"items": [], "total": 0, "unread": 0}

    r = api.post(f"/approvals/{asked['id']}/reject", head_of_school, json={"comment": "Нет замеров"})
    assert r.status_code == 200
    mine = api.ok("GET", "/notifications", member_of_school)
    assert [x["kind"] for x in mine["items"]] == ["transition_rejected"]
    assert "Причина: Нет замеров" in mine["items"][0]["text"]

    r = api.post("/notifications/read", head_of_school, json={"ids": [mine["items"][0]["id"]]})
    assert r.status_code == 200 and r.get_json() == {"marked": 0, "unread": 1}  # not one's own: untouched
    r = api.post("/notifications/read", head_of_school, json={"ids": [n["id"]]})
    assert r.get_json() == {"marked": 1, "unread": 0}
    assert api.ok("GET", "/notifications", head_of_school)["items"][0]["read"] is True
    r = api.post("/notifications/read", member_of_school, json={})
    assert r.get_json() == {"marked": 1, "unread": 0}


def test_the_bell_speaks_the_users_language(api, make, asked, head_of_school):
    from engine.services.accounts import set_locale
    make.call(set_locale, head_of_school.actor, "en")
    (n,) = api.ok("GET", "/notifications", head_of_school)["items"]
    assert "asks to move the project to “Target state”" in n["text"]


@pytest.mark.parametrize("body", [{"ids": ["1"]}, {"ids": "all"}, {"ids": [0]}, {"ids": [True]},
                                  {"what": 1}])
def test_read_refuses_a_bad_body(api, member_of_school, body):
    assert fields_of(api.post("/notifications/read", member_of_school, json=body))
