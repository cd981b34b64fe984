"""The scaling proposal over HTTP (#15 item 6): given with the closing transition, it is on
the project and, once published, on the practice (additive fields); too long is a 422
naming the field, with nothing written."""
from __future__ import annotations

import pytest

from tests.portfolio_helpers import PROPOSAL, to_sustain
from tests.web.conftest import db_snapshot


@pytest.fixture
def sustained(make, world, member_of_school, head_of_school):
    project = make.project(world.school, member_of_school.actor, title="Обеды без очередей")
    to_sustain(make, project.id, member_of_school, head_of_school)
    return project


def _close(api, pid, who, proposal):
    version = api.project(pid, who)["version"]
    return api.post(f"/projects/{pid}/transitions", who,
                    json={"trigger": "close", "version": version, "scaling_proposal": proposal})


def test_given_on_closing_it_is_on_the_project_and_the_practice(api, sustained, head_of_school, curator_orel,
                                                                member_of_other_school):
    r = _close(api, sustained.id, head_of_school, PROPOSAL)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["project"]["scaling_proposal"] == PROPOSAL
    assert api.project(sustained.id, head_of_school)["scaling_proposal"] == PROPOSAL
    practice = api.ok("POST", f"/projects/{sustained.id}/publish", curator_orel,
                      json={"category": "meals", "summary": "Обеды без очередей"})
    assert practice["scaling_proposal"] == PROPOSAL
    seen = api.ok("GET", f"/practices/{practice['id']}", member_of_other_school)
    assert seen["scaling_proposal"] == PROPOSAL
    listed = api.ok("GET", "/practices", member_of_other_school)["items"]
    assert [p["scaling_proposal"] for p in listed] == [PROPOSAL]


def test_a_member_gives_it_with_the_request_and_the_head_approves(api, sustained, member_of_school,
                                                                  head_of_school):
    r = _close(api, sustained.id, member_of_school, PROPOSAL)
    assert r.status_code == 202, r.get_json()
    request_id = r.get_json()["request"]["id"]
    assert api.project(sustained.id, member_of_school)["scaling_proposal"] == ""
    api.ok("POST", f"/approvals/{request_id}/approve", head_of_school, json={}, status=200)
    assert api.project(sustained.id, member_of_school)["scaling_proposal"] == PROPOSAL


def test_too_long_is_a_field_error_and_nothing_is_written(api, store, sustained, head_of_school):
    api.project(sustained.id, head_of_school)  # the token is made before the snapshot
    before = db_snapshot(store)
    r = _close(api, sustained.id, head_of_school, "я" * 2001)
    assert r.status_code == 422
    body = r.get_json()["error"]
    assert body["code"] == "validation_failed" and set(body["details"]["fields"]) == {"scaling_proposal"}
    assert db_snapshot(store) == before


def test_the_fields_are_documented(api):
    spec = api.ok("GET", "/openapi.json", None)
    schemas = spec["components"]["schemas"]
    assert "scaling_proposal" in schemas["Project"]["properties"]
    assert "scaling_proposal" in schemas["Practice"]["properties"]
