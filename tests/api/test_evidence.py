"""A project's evidence: metrics, measurements, problems, actions, artefacts, risks.
Each endpoint: success (with its event), validation naming the field, 403, 404."""
from __future__ import annotations

import pytest

from tests.api.conftest import error_of, fields_of

# endpoint -> (path template, a valid body); {pid} is the project, {mid}/{aid}/{rid} the objects
CREATE = {
    "metric": ("/projects/{pid}/metrics", {"name": "ВПП", "unit": "мин", "direction": "decrease", "baseline": 67}),
    "problem": ("/projects/{pid}/problems", {"description": "Поиск бланков", "waste": "motion"}),
    "action": ("/projects/{pid}/actions", {"title": "Шаблоны в общей папке", "due_on": "2026-10-01"}),
    "artefact": ("/projects/{pid}/artefacts", {"kind": "current_state_map", "title": "КТС"}),
    "risk": ("/projects/{pid}/risks", {"title": "Нет принтера", "probability": 3, "impact": 4}),
}


@pytest.fixture
def objects(api, project, member_of_school):
    """One metric, action and risk on the school's project."""
    p = f"/projects/{project.id}"
    return {"pid": project.id,
            "mid": api.ok("POST", f"{p}/metrics", member_of_school, CREATE["metric"][1])["id"],
            "aid": api.ok("POST", f"{p}/actions", member_of_school, CREATE["action"][1])["id"],
            "rid": api.ok("POST", f"{p}/risks", member_of_school, CREATE["risk"][1])["id"]}


# every write on evidence: (method, path, valid body)
WRITES = [("POST", path, body) for path, body in CREATE.values()] + [
    ("PATCH", "/metrics/{mid}", {"target": 30}),
    ("POST", "/metrics/{mid}/measurements", {"value": 41.5, "measured_on": "2026-01-10"}),
    ("PATCH", "/actions/{aid}", {"status": "done"}),
    ("PATCH", "/risks/{rid}", {"status": "mitigating"}),
]
WRITE_IDS = [f"{m} {p}" for m, p, _ in WRITES]


@pytest.mark.parametrize("method,path,body", WRITES, ids=WRITE_IDS)
def test_member_and_head_may_write_evidence(api, objects, member_of_school, head_of_school, method, path, body):
    for who in (member_of_school, head_of_school):
        r = api.request(method, path.format(**objects), who, json=body)
        assert r.status_code == (201 if method == "POST" else 200), r.get_json()
        assert isinstance(r.get_json()["id"], int)


@pytest.mark.parametrize("method,path,body", WRITES, ids=WRITE_IDS)
def test_curator_and_admin_may_not_write_evidence(api, objects, curator_orel, admin, member_of_school,
                                                  method, path, body):
    before = api.ok("GET", f"/projects/{objects['pid']}/events", member_of_school)["total"]
    for who in (curator_orel, admin):
        error_of(api.request(method, path.format(**objects), who, json=body), 403, "forbidden")
        error_of(api.request(method, path.format(**objects), who, json={"bad": "body"}), 403, "forbidden")
    assert api.ok("GET", f"/projects/{objects['pid']}/events", member_of_school)["total"] == before


@pytest.mark.parametrize("method,path,body", WRITES, ids=WRITE_IDS)
def test_evidence_out_of_scope_is_404(api, objects, member_of_other_school, head_of_other_school, curator_kursk,
                                      method, path, body):
    for who in (member_of_other_school, head_of_other_school, curator_kursk):
        error_of(api.request(method, path.format(**objects), who, json=body), 404, "not_found")
        error_of(api.request(method, path.format(**objects), who, json={"bad": "body"}), 404, "not_found")


@pytest.mark.parametrize("method,path,body", WRITES, ids=WRITE_IDS)
def test_evidence_on_unknown_objects_is_404(api, objects, member_of_school, method, path, body):
    unknown = {k: 999999 for k in objects}
    error_of(api.request(method, path.format(**unknown), member_of_school, json=body), 404, "not_found")


# --- metrics and measurements ----------------------------------------------------------------

def test_metric_lifecycle(frozen_clock, api, project, member_of_school):
    m = api.ok("POST", f"/projects/{project.id}/metrics", member_of_school,
               {"name": "Доля довольных родителей", "unit": "%", "direction": "increase"})
    assert m == {"id": m["id"], "project_id": project.id, "name": "Доля довольных родителей", "unit": "%",
                 "direction": "increase", "baseline": None, "target": None}
    m = api.ok("PATCH", f"/metrics/{m['id']}", member_of_school, {"baseline": 71.5, "target": 98.6})
    assert (m["baseline"], m["target"], m["name"]) == (71.5, 98.6, "Доля довольных родителей")
    meas = api.ok("POST", f"/metrics/{m['id']}/measurements", member_of_school, {"value": 98.6,
                                                                                  "measured_on": "2026-09-01"})
    assert meas["metric_id"] == m["id"] and meas["value"] == 98.6 and meas["measured_on"] == "2026-09-01"
    kinds = [e["kind"] for e in api.ok("GET", f"/projects/{project.id}/events", member_of_school)["items"]]
    assert kinds == ["created", "metric_added", "metric_updated", "measurement_recorded"]


@pytest.mark.parametrize("payload,field", [({"unit": "мин", "direction": "decrease"}, "name"),
                                           ({"name": "ВПП"}, "direction"),
                                           ({"name": "ВПП", "direction": "down"}, "direction"),
                                           ({"name": "ВПП", "direction": "decrease", "baseline": "много"}, "baseline"),
                                           ({"name": "", "direction": "decrease"}, "name")])
def test_metric_validation(api, project, member_of_school, payload, field):
    assert field in fields_of(api.post(f"/projects/{project.id}/metrics", member_of_school, json=payload))


@pytest.mark.parametrize("payload,field", [({"name": None}, "name"), ({"direction": "sideways"}, "direction"),
                                           ({"target": "x"}, "target"), ({"project_id": 5}, "project_id")])
def test_metric_patch_validation(api, objects, member_of_school, payload, field):
    assert field in fields_of(api.patch(f"/metrics/{objects['mid']}", member_of_school, json=payload))


@pytest.mark.parametrize("payload,field", [({"measured_on": "2026-01-01"}, "value"), ({"value": 5}, "measured_on"),
                                           ({"value": 5, "measured_on": "01.09.2026"}, "measured_on"),
                                           ({"value": 5, "measured_on": "2026-09-02"}, "measured_on"),
                                           ({"value": "пять", "measured_on": "2026-01-01"}, "value")])
def test_measurement_validation(frozen_clock, api, objects, member_of_school, payload, field):
    assert field in fields_of(api.post(f"/metrics/{objects['mid']}/measurements", member_of_school, json=payload))


# --- problems, actions, artefacts ----------------------------------------------------------------

@pytest.mark.parametrize("waste", ["transport", "inventory", "motion", "waiting", "overproduction",
                                   "overprocessing", "defects", "talent"])
def test_problem_with_each_waste(api, project, member_of_school, waste):
    p = api.ok("POST", f"/projects/{project.id}/problems", member_of_school, {"description": "Потери", "waste": waste})
    assert p["waste"] == waste and p["project_id"] == project.id and p["description"] == "Потери"


@pytest.mark.parametrize("payload,field", [({"waste": "motion"}, "description"), ({"description": "x"}, "waste"),
                                           ({"description": "x", "waste": "laziness"}, "waste")])
def test_problem_validation(api, project, member_of_school, payload, field):
    assert field in fields_of(api.post(f"/projects/{project.id}/problems", member_of_school, json=payload))


def test_action_lifecycle(api, project, member_of_school, head_of_school):
    a = api.ok("POST", f"/projects/{project.id}/actions", member_of_school,
               {"title": "Шаблоны", "due_on": "2026-10-01", "owner_id": head_of_school.id})
    assert (a["status"], a["due_on"], a["owner_id"]) == ("open", "2026-10-01", head_of_school.id)
    for status in ("done", "dropped", "open"):
        assert api.ok("PATCH", f"/actions/{a['id']}", head_of_school, {"status": status})["status"] == status
    without_date = api.ok("POST", f"/projects/{project.id}/actions", member_of_school, {"title": "Без срока"})
    assert without_date["due_on"] is None and without_date["owner_id"] is None


@pytest.mark.parametrize("payload,field", [({"due_on": "2026-10-01"}, "title"),
                                           ({"title": "x", "due_on": "завтра"}, "due_on"),
                                           ({"title": "x", "owner_id": 999999}, "owner_id")])
def test_action_validation(api, project, member_of_school, payload, field):
    assert field in fields_of(api.post(f"/projects/{project.id}/actions", member_of_school, json=payload))


@pytest.mark.parametrize("payload,field", [({"status": "finished"}, "status"), ({"status": None}, "status"),
                                           ({"title": ""}, "title"), ({"owner_id": 999999}, "owner_id")])
def test_action_patch_validation(api, objects, member_of_school, payload, field):
    assert field in fields_of(api.patch(f"/actions/{objects['aid']}", member_of_school, json=payload))


@pytest.mark.parametrize("kind", ["current_state_map", "target_state_map", "standard", "report", "other"])
def test_artefact_kinds(api, project, member_of_school, kind):
    a = api.ok("POST", f"/projects/{project.id}/artefacts", member_of_school,
               {"kind": kind, "title": "Документ", "url": "https://disk.example/1", "text": "Текст"})
    assert (a["kind"], a["url"], a["text"]) == (kind, "https://disk.example/1", "Текст")


@pytest.mark.parametrize("payload,field", [({"title": "x"}, "kind"), ({"kind": "photo", "title": "x"}, "kind"),
                                           ({"kind": "report"}, "title"),
                                           ({"kind": "report", "title": "x", "url": "u" * 1001}, "url")])
def test_artefact_validation(api, project, member_of_school, payload, field):
    assert field in fields_of(api.post(f"/projects/{project.id}/artefacts", member_of_school, json=payload))


# --- risks --------------------------------------------------------------------------------------

def test_risk_lifecycle(api, project, member_of_school, head_of_school):
    r = api.ok("POST", f"/projects/{project.id}/risks", member_of_school,
               {"title": "Сопротивление педагогов", "probability": 4, "impact": 4, "mitigation": "Обучение",
                "owner_id": head_of_school.id, "due_on": "2026-12-01"})
    assert (r["score"], r["status"], r["mitigation"], r["due_on"]) == (16, "open", "Обучение", "2026-12-01")
    assert api.project(project.id, member_of_school)["open_risks"] == 1
    for status in ("mitigating", "resolved", "accepted", "open"):  # any status from any other
        assert api.ok("PATCH", f"/risks/{r['id']}", head_of_school, {"status": status})["status"] == status
    r = api.ok("PATCH", f"/risks/{r['id']}", member_of_school, {"impact": 2})
    assert r["score"] == 8
    api.ok("PATCH", f"/risks/{r['id']}", member_of_school, {"status": "resolved"})
    assert api.project(project.id, member_of_school)["open_risks"] == 0
    events = api.ok("GET", f"/projects/{project.id}/events", member_of_school)["items"]
    assert [e["kind"] for e in events].count("risk_updated") == 6


@pytest.mark.parametrize("payload,field", [({"probability": 1, "impact": 1}, "title"),
                                           ({"title": "x", "impact": 1}, "probability"),
                                           ({"title": "x", "probability": 0, "impact": 1}, "probability"),
                                           ({"title": "x", "probability": 6, "impact": 1}, "probability"),
                                           ({"title": "x", "probability": 1, "impact": 2.5}, "impact"),
                                           ({"title": "x", "probability": 1, "impact": 1, "due_on": "x"}, "due_on"),
                                           ({"title": "x", "probability": 1, "impact": 1, "owner_id": 999999},
                                            "owner_id")])
def test_risk_validation(api, project, member_of_school, payload, field):
    assert field in fields_of(api.post(f"/projects/{project.id}/risks", member_of_school, json=payload))


@pytest.mark.parametrize("payload,field", [({"status": "closed"}, "status"), ({"status": None}, "status"),
                                           ({"impact": 9}, "impact"), ({"probability": None}, "probability")])
def test_risk_patch_validation(api, objects, member_of_school, payload, field):
    assert field in fields_of(api.patch(f"/risks/{objects['rid']}", member_of_school, json=payload))


def test_nothing_is_written_on_error(api, project, member_of_school):
    before = api.ok("GET", f"/projects/{project.id}/events", member_of_school)["items"]
    api.post(f"/projects/{project.id}/risks", member_of_school, json={"title": "x", "probability": 9, "impact": 1})
    api.post(f"/projects/{project.id}/metrics", member_of_school, json={"name": "x"})
    assert api.ok("GET", f"/projects/{project.id}/events", member_of_school)["items"] == before
    assert api.project(project.id, member_of_school)["open_risks"] == 0


# --- null clears optional text; booleans are not numbers ---------------------------------------

@pytest.mark.parametrize("path,field", [("/projects/{pid}", "sponsor"), ("/projects/{pid}", "process_owner"),
                                        ("/projects/{pid}", "process_start"), ("/projects/{pid}", "process_end"),
                                        ("/metrics/{mid}", "unit")])
def test_null_for_a_not_null_text_field_is_not_a_500(api, objects, member_of_school, path, field):
    body = {field: None, **({"version": 1} if path.startswith("/projects") else {})}
    r = api.patch(path.format(**objects), member_of_school, json=body)
    assert r.status_code in (200, 422), r.status_code


@pytest.mark.parametrize("path,body,field", [
    ("/projects/{pid}/risks", {"title": "Риск", "probability": True, "impact": 2}, "probability"),
    ("/metrics/{mid}/measurements", {"value": True, "measured_on": "2026-01-01"}, "value"),
    ("/projects/{pid}", {"version": True, "title": "Новое"}, "version")])
def test_booleans_are_not_numbers(api, objects, member_of_school, path, body, field):
    method = "PATCH" if path == "/projects/{pid}" else "POST"
    r = api.request(method, path.format(**objects), member_of_school, json=body)
    assert r.status_code == 422 and field in r.get_json()["error"]["details"]["fields"], r.status_code


def test_owners_work_in_the_projects_organisation_or_are_on_its_team(api, make, project, objects, member_of_school,
                                                                      member_of_other_school, curator_orel):
    """Someone from another school (or a curator) may not own a step or a risk; a curator of
    the region put on the project's team first may (another school's member may not join
    the team: tests/security/test_scope.py)."""
    for outsider in (member_of_other_school, curator_orel):
        for method, path, body in [
                ("post", f"/projects/{project.id}/actions", {"title": "Шаг", "owner_id": outsider.id}),
                ("post", f"/projects/{project.id}/risks",
                 {"title": "Риск", "probability": 2, "impact": 2, "owner_id": outsider.id}),
                ("patch", f"/actions/{objects['aid']}", {"owner_id": outsider.id})]:
            r = getattr(api, method)(path, member_of_school, json=body)
            assert r.status_code == 422 and "owner_id" in fields_of(r), (path, r.get_json())
    from engine.services.items import add_team_member
    make.call(add_team_member, member_of_school.actor, project.id,
              {"user_id": curator_orel.id, "role_text": "методист"})
    a = api.ok("POST", f"/projects/{project.id}/actions", member_of_school,
               {"title": "Шаг", "owner_id": curator_orel.id})
    assert a["owner_id"] == curator_orel.id
