"""A ПСР-проект from diagnose to closed over HTTP only: the admin builds the org
structure, the member logs evidence and asks, the head approves (or rejects), the
curator sends it back once; gate failures, stale versions, and the event log at the end."""
from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

from tests.api.conftest import error_of

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def unmet_checks(r):
    return [u["check"] for u in error_of(r, 422, "gate_failed")["unmet"]]


def test_full_lifecycle_over_http(frozen_clock, api, make, admin):
    # --- the admin builds the region over the API; people and tokens come from the CLI's services
    rid = api.ok("POST", "/regions", admin, {"name": "Орловская область"})["id"]
    mid = api.ok("POST", "/municipalities", admin, {"region_id": rid, "name": "г. Ливны", "kind": "city"})["id"]
    org = api.ok("POST", "/organizations", admin, {"municipality_id": mid, "name": "МБОУ СОШ №4 г. Ливны",
                                                   "kind": "school"})
    member = make.person("member", org=SimpleNamespace(id=org["id"]), email="teacher@livny4.ru")
    head = make.person("head", org=SimpleNamespace(id=org["id"]), email="head@livny4.ru")
    curator = make.person("curator", region=SimpleNamespace(id=rid), email="curator@orel.ru")

    def fire(who, trigger, version, comment=None):
        body = {"trigger": trigger, "version": version, **({"comment": comment} if comment else {})}
        return api.post(f"/projects/{pid}/transitions", who, json=body)

    def ask_and_approve(trigger, dest):
        version = api.project(pid, member)["version"]
        r = fire(member, trigger, version)
        assert r.status_code == 202, r.get_json()
        req = r.get_json()["request"]
        assert (req["trigger"], req["dest"], req["status"]) == (trigger, dest, "pending")
        assert api.project(pid, head)["pending_request"]["id"] == req["id"]
        assert req["id"] in [x["id"] for x in api.ok("GET", "/approvals", head)["items"]]
        frozen_clock.advance(hours=3)
        r = api.post(f"/approvals/{req['id']}/approve", head, json={"comment": "Согласовано"})
        assert r.status_code == 200, r.get_json()
        project = r.get_json()["project"]
        assert project["state"] == dest and project["version"] == version + 1 and project["pending_request"] is None
        return project

    # --- diagnose
    p = api.ok("POST", "/projects", member, {
        "org_id": org["id"], "title": "Оптимизация процесса подготовки контрольных работ",
        "problem": "Учитель тратит 67 минут на подготовку одной контрольной",
        "goal": "Сократить время подготовки до 30 минут", "sponsor": "Директор",
        "process_start": "решение провести контрольную", "process_end": "работа роздана ученикам"})
    pid = p["id"]
    assert p["state"] == "diagnose" and p["version"] == 1
    assert unmet_checks(fire(member, "to_target", 1)) == ["current_state_mapped", "problems_listed",
                                                           "baselines_recorded"]
    api.ok("POST", f"/projects/{pid}/artefacts", member, {"kind": "current_state_map", "title": "КТС",
                                                          "url": "https://disk.example/kts.pdf"})
    api.ok("POST", f"/projects/{pid}/problems", member, {"description": "Поиск заданий по разным папкам",
                                                         "waste": "motion"})
    vpp = api.ok("POST", f"/projects/{pid}/metrics", member, {"name": "ВПП подготовки", "unit": "мин",
                                                              "direction": "decrease"})
    assert unmet_checks(fire(member, "to_target", 1)) == ["baselines_recorded"]
    api.ok("PATCH", f"/metrics/{vpp['id']}", member, {"baseline": 67})
    frozen_clock.advance(days=20)

    # a rejection first: the head wants more
    r = fire(member, "to_target", 1)
    assert r.status_code == 202
    rejected = api.ok("POST", f"/approvals/{r.get_json()['request']['id']}/reject", head,
                      {"comment": "Добавьте второй показатель"}, status=200)["request"]
    assert rejected["status"] == "rejected" and api.project(pid, member)["pending_request"] is None
    sat = api.ok("POST", f"/projects/{pid}/metrics", member, {"name": "Довольные родители", "unit": "%",
                                                              "direction": "increase", "baseline": 71})
    p = ask_and_approve("to_target", "target")

    # --- target: a stale card is refused
    error_of(api.patch(f"/projects/{pid}", member, json={"version": 1, "goal": "Устаревшая правка"}),
             409, "conflict")
    error_of(fire(member, "to_implement", 1), 409, "conflict")
    assert unmet_checks(fire(member, "to_implement", p["version"])) == ["target_state_mapped", "targets_set",
                                                                       "action_plan_ready"]
    api.ok("POST", f"/projects/{pid}/artefacts", member, {"kind": "target_state_map", "title": "КЦС"})
    api.ok("PATCH", f"/metrics/{vpp['id']}", member, {"target": 30})
    api.ok("PATCH", f"/metrics/{sat['id']}", member, {"target": 95})
    action = api.ok("POST", f"/projects/{pid}/actions", member, {"title": "Банк заданий в общей папке",
                                                                 "due_on": "2026-11-01", "owner_id": member.id})
    frozen_clock.advance(days=10)
    ask_and_approve("to_implement", "implement")

    # --- implement: the curator sends it back once, the head moves it forward again at once
    version = api.project(pid, curator)["version"]
    r = fire(curator, "back_to_target", version, comment="План без ответственных")
    assert r.status_code == 200 and r.get_json()["project"]["state"] == "target"
    r = fire(head, "to_implement", version + 1)
    assert r.status_code == 200 and r.get_json()["project"]["state"] == "implement"
    implement_day = frozen_clock.current.date()
    risk = api.ok("POST", f"/projects/{pid}/risks", member, {"title": "Сбой сервера", "probability": 3, "impact": 5})
    api.ok("POST", f"/metrics/{vpp['id']}/measurements", member,
           {"value": 50, "measured_on": (implement_day - timedelta(days=1)).isoformat()})  # before: not a result
    frozen_clock.advance(days=30)
    p = api.project(pid, member)
    assert unmet_checks(fire(member, "to_standardise", p["version"])) == ["actions_closed", "result_measured",
                                                                         "no_critical_risks"]
    api.ok("PATCH", f"/actions/{action['id']}", member, {"status": "done"})
    api.ok("POST", f"/metrics/{vpp['id']}/measurements", member,
           {"value": 31, "measured_on": frozen_clock.current.date().isoformat()})
    api.ok("POST", f"/metrics/{sat['id']}/measurements", member,
           {"value": 96.5, "measured_on": frozen_clock.current.date().isoformat()})
    api.ok("PATCH", f"/risks/{risk['id']}", member, {"status": "mitigating"})
    assert unmet_checks(fire(member, "to_standardise", p["version"])) == ["no_critical_risks"]
    api.ok("PATCH", f"/risks/{risk['id']}", member, {"status": "resolved"})
    ask_and_approve("to_standardise", "standardise")

    # --- standardise
    api.ok("POST", f"/projects/{pid}/artefacts", member, {"kind": "standard", "title": "Стандарт подготовки КР",
                                                          "text": "1. Открыть банк заданий ..."})
    ask_and_approve("to_sustain", "sustain")

    # --- sustain: targets must be reached by the latest measurement
    frozen_clock.advance(days=60)
    p = api.project(pid, member)
    assert unmet_checks(fire(member, "close", p["version"])) == ["targets_reached", "report_attached"]
    api.ok("POST", f"/metrics/{vpp['id']}/measurements", member,
           {"value": 29, "measured_on": frozen_clock.current.date().isoformat()})
    api.ok("POST", f"/projects/{pid}/artefacts", member, {"kind": "report", "title": "Итоговый отчёт"})
    p = ask_and_approve("close", "closed")
    assert p["available_transitions"] == [] and p["stalled"] is False and p["stall_reasons"] == []
    error_of(fire(head, "cancel", p["version"], comment="Поздно"), 409, "conflict")

    # --- the event log tells the whole story
    events = api.ok("GET", f"/projects/{pid}/events", curator)["items"]
    assert events[0]["kind"] == "created" and events[0]["actor_id"] == member.id
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    state = "diagnose"
    for i, e in enumerate(events):
        assert ISO_Z.match(e["at"]), e["at"]
        if e["kind"] == "state_changed":
            assert e["from_state"] == state
            state = e["to_state"]
            # it follows the request or the decision that caused it
            assert events[i - 1]["kind"] in ("transition_approved", "transition_requested")
            assert events[i - 1]["payload"]["request_id"] == e["payload"]["request_id"]
        else:
            assert e["from_state"] is None and e["to_state"] is None
    assert state == "closed"  # replaying the moves gives the state
    moves = [(e["from_state"], e["to_state"]) for e in events if e["kind"] == "state_changed"]
    assert moves == [("diagnose", "target"), ("target", "implement"), ("implement", "target"),
                     ("target", "implement"), ("implement", "standardise"), ("standardise", "sustain"),
                     ("sustain", "closed")]
    kinds = {e["kind"] for e in events}
    assert {"transition_rejected", "transition_approved", "risk_logged", "risk_updated", "metric_added",
            "measurement_recorded", "problem_added", "action_added", "action_updated", "artefact_added"} <= kinds

    # --- and the curator's tower counts it as closed, with nothing waiting
    tower = api.ok("GET", f"/regions/{rid}/tower", curator)
    assert tower["by_state"] == {"closed": 1} and tower["pending_approvals"] == [] and tower["stalled"] == []
