"""POST /projects/<id>/comments, GET /projects/<id>/events, GET /regions/<id>/tower."""
from __future__ import annotations

import re

import pytest

from tests.api.conftest import add_diagnosis, error_of, fields_of

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

# --- comments --------------------------------------------------------------------------------


def test_comment_by_everyone_who_sees_the_project(frozen_clock, api, project, member_of_school, head_of_school,
                                                  curator_orel):
    for who in (member_of_school, head_of_school, curator_orel):
        c = api.ok("POST", f"/projects/{project.id}/comments", who, {"text": "Когда замеры?"})
        assert c == {"id": c["id"], "author_id": who.id, "at": "2026-09-01T09:00:00Z", "text": "Когда замеры?"}
    events = api.ok("GET", f"/projects/{project.id}/events", curator_orel)["items"]
    assert [e["kind"] for e in events] == ["created", "commented", "commented", "commented"]
    assert events[-1]["actor_id"] == curator_orel.id and events[-1]["payload"]["text"] == "Когда замеры?"


def test_admin_reads_but_does_not_comment(api, project, admin):
    error_of(api.post(f"/projects/{project.id}/comments", admin, json={"text": "Привет"}), 403, "forbidden")
    assert api.ok("GET", f"/projects/{project.id}/events", admin)["items"][0]["kind"] == "created"


def test_comment_out_of_scope_is_404(api, project, member_of_other_school, curator_kursk, member_of_school):
    for who in (member_of_other_school, curator_kursk):
        error_of(api.post(f"/projects/{project.id}/comments", who, json={"text": "x"}), 404, "not_found")
    error_of(api.post("/projects/999999/comments", member_of_school, json={"text": "x"}), 404, "not_found")


@pytest.mark.parametrize("payload", [{}, {"text": ""}, {"text": "   "}, {"text": 12}, {"text": "я" * 10_001}])
def test_comment_validation(api, project, member_of_school, payload):
    assert "text" in fields_of(api.post(f"/projects/{project.id}/comments", member_of_school, json=payload))


# --- events --------------------------------------------------------------------------------------

def test_events_shape(frozen_clock, api, project, member_of_school, head_of_school):
    add_diagnosis(api, project.id, member_of_school)
    frozen_clock.advance(hours=1)
    api.move(project.id, head_of_school, "to_target")
    frozen_clock.advance(hours=1)
    api.ok("POST", f"/projects/{project.id}/comments", head_of_school, {"text": "Молодцы"})
    body = api.ok("GET", f"/projects/{project.id}/events", member_of_school)
    items = body["items"]
    assert [e["kind"] for e in items] == ["created", "artefact_added", "problem_added", "metric_added",
                                          "transition_requested", "state_changed", "commented"]
    ids = [e["id"] for e in items]
    ats = [e["at"] for e in items]
    assert ids == sorted(ids) and ats == sorted(ats)  # oldest first
    for e in items:
        assert set(e) >= {"id", "at", "actor_id", "kind", "from_state", "to_state", "payload"}
        assert ISO_Z.match(e["at"]) and isinstance(e["payload"], dict)
        if e["kind"] == "state_changed":
            assert (e["from_state"], e["to_state"]) == ("diagnose", "target")
        else:
            assert e["from_state"] is None and e["to_state"] is None
    assert items[4]["payload"]["trigger"] == "to_target" and items[4]["payload"]["dest"] == "target"
    assert items[0]["actor_id"] == member_of_school.id and items[5]["actor_id"] == head_of_school.id


def test_events_out_of_scope_is_404(api, project, member_of_other_school, curator_kursk, member_of_school):
    for who in (member_of_other_school, curator_kursk):
        error_of(api.get(f"/projects/{project.id}/events", as_=who), 404, "not_found")
    error_of(api.get("/projects/999999/events", as_=member_of_school), 404, "not_found")


# --- the control tower ---------------------------------------------------------------------------

@pytest.fixture
def busy_region(frozen_clock, api, make, world, member_of_school, member_of_other_school, head_of_school):
    """School: one stalled (day 0), one with a critical risk and a pending request, one fresh.
    Other school: one stalled later (fewer days over)."""
    stalled_old = make.project(world.school, member_of_school.actor, title="Давно стоит")
    frozen_clock.advance(days=5)
    stalled_new = make.project(world.other_school, member_of_other_school.actor, title="Стоит поменьше")
    frozen_clock.advance(days=5)
    risky = make.project(world.school, member_of_school.actor, title="С рисками")
    frozen_clock.advance(days=8)
    add_diagnosis(api, risky.id, member_of_school)
    crit = api.ok("POST", f"/projects/{risky.id}/risks", member_of_school,
                  {"title": "Срыв поставки", "probability": 5, "impact": 4})
    high = api.ok("POST", f"/projects/{risky.id}/risks", member_of_school,
                  {"title": "Болезнь", "probability": 2, "impact": 5})
    req = api.move(risky.id, member_of_school, "to_target").get_json()["request"]
    frozen_clock.advance(days=4)
    fresh = make.project(world.school, member_of_school.actor, title="Свежий")
    api.move(fresh.id, head_of_school, "cancel", comment="Дубль")
    return {"stalled_old": stalled_old.id, "stalled_new": stalled_new.id, "risky": risky.id, "fresh": fresh.id,
            "crit": crit["id"], "high": high["id"], "request": req["id"]}


def test_tower(api, world, busy_region, curator_orel, admin):
    b = busy_region
    t = api.ok("GET", f"/regions/{world.region.id}/tower", curator_orel)
    assert set(t) >= {"region_id", "by_state", "stalled", "unresolved_risks", "pending_approvals", "by_municipality"}
    assert t["region_id"] == world.region.id
    assert t["by_state"] == {"diagnose": 3, "cancelled": 1}
    assert [s["project_id"] for s in t["stalled"]] == [b["stalled_old"], b["stalled_new"]]  # worst first
    first = t["stalled"][0]
    assert first == {"project_id": b["stalled_old"], "title": "Давно стоит", "org_id": world.school.id,
                     "state": "diagnose", "days_in_state": 22, "sla_days": 45,
                     "reasons": [{"kind": "idle", "days": 22, "limit": 14}]}
    assert [(r["risk_id"], r["score"], r["status"], r["age_days"]) for r in t["unresolved_risks"]] == [
        (b["crit"], 20, "open", 4), (b["high"], 10, "open", 4)]
    assert t["unresolved_risks"][0]["project_id"] == b["risky"] and t["unresolved_risks"][0]["title"] == "Срыв поставки"
    assert [(a["request_id"], a["project_id"], a["trigger"], a["waiting_days"]) for a in t["pending_approvals"]] == [
        (b["request"], b["risky"], "to_target", 4)]
    assert t["by_municipality"] == [{"municipality_id": world.municipality.id, "name": "г. Орёл",
                                     "by_state": {"diagnose": 3, "cancelled": 1}, "stalled": 2}]
    assert api.ok("GET", f"/regions/{world.region.id}/tower", admin) == t
    # the other region is empty
    other = api.ok("GET", f"/regions/{world.other_region.id}/tower", admin)
    assert other["by_state"] == {} and other["stalled"] == [] and other["pending_approvals"] == []


def test_tower_lists_cut_to_the_worst_n_with_limit(api, world, busy_region, curator_orel):
    b = busy_region
    full = api.ok("GET", f"/regions/{world.region.id}/tower", curator_orel)
    one = api.ok("GET", f"/regions/{world.region.id}/tower?limit=1", curator_orel)
    assert [s["project_id"] for s in one["stalled"]] == [b["stalled_old"]]  # the worst one
    assert [r["risk_id"] for r in one["unresolved_risks"]] == [b["crit"]]
    assert one["pending_approvals"] == full["pending_approvals"]  # one waits: nothing to cut
    assert (one["by_state"], one["by_municipality"]) == (full["by_state"], full["by_municipality"])  # never cut
    assert api.ok("GET", f"/regions/{world.region.id}/tower?limit=500", curator_orel) == full
    for bad in ("0", "-1", "x", "", "10001"):
        err = error_of(api.get(f"/regions/{world.region.id}/tower?limit={bad}", as_=curator_orel),
                       422, "validation_failed")
        assert "limit" in err["fields"], bad


def test_tower_is_for_curators_and_admins(api, world, member_of_school, head_of_school):
    for who in (member_of_school, head_of_school):
        error_of(api.get(f"/regions/{world.region.id}/tower", as_=who), 403, "forbidden")


def test_tower_of_another_region_is_404(api, world, curator_kursk, member_of_school, admin):
    error_of(api.get(f"/regions/{world.region.id}/tower", as_=curator_kursk), 404, "not_found")
    error_of(api.get(f"/regions/{world.other_region.id}/tower", as_=member_of_school), 404, "not_found")
    error_of(api.get("/regions/999999/tower", as_=admin), 404, "not_found")
