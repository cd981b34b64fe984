"""The portfolio over /api/v1 (API.md): POST /projects/<id>/publish, GET /practices (Russian
full-text search and filters), GET /practices/<id> (effect and replicas), PATCH and
withdraw, POST /practices/<id>/replicate."""
from __future__ import annotations

from typing import Any

import pytest

from engine import clock
from engine import services as svc
from engine.models import Measurement, Metric
from tests.api.conftest import error_of, fields_of
from tests.web.conftest import db_snapshot

PUBLISH = {"category": "meals", "summary": "Питание без очередей: предзаказ обедов накануне"}
LEAD_TIME = "ВПП выдачи обедов"


# --- a closed project, through the engine's services ------------------------------------------

class Closer:
    """Moves a project through every psr gate with real evidence (the head moves at once)."""

    def __init__(self, make: Any, member: Any, head: Any):
        self.make, self.member, self.head = make, member, head

    def log(self, fn: Any, *args: Any) -> Any:
        return self.make.call(fn, self.member.actor, *args)

    def fire(self, pid: int, trigger: str) -> None:
        version = self.make.call(svc.get_project, self.head.actor, pid).version
        result = self.make.call(svc.request_transition, self.head.actor, pid, {"trigger": trigger, "version": version})
        assert result.moved

    def close(self, pid: int, *, result: float = 29.0) -> None:
        today = clock.today().isoformat()
        self.log(svc.add_artefact, pid, {"kind": "current_state_map", "title": "Карта текущего состояния"})
        self.log(svc.add_problem, pid, {"description": "Очередь в столовой на 20 минут", "waste": "waiting"})
        metric = self.log(svc.add_metric, pid, {"name": LEAD_TIME, "unit": "мин", "direction": "decrease",
                                                "baseline": 67.0, "target": 29.0})
        self.fire(pid, "to_target")
        self.log(svc.add_artefact, pid, {"kind": "target_state_map", "title": "Карта целевого состояния"})
        action = self.log(svc.add_action, pid, {"title": "Предзаказ обедов в электронном журнале", "due_on": today})
        self.fire(pid, "to_implement")
        self.log(svc.update_action, action.id, {"status": "done"})
        self.log(svc.record_measurement, metric.id, {"value": result, "measured_on": today})
        self.fire(pid, "to_standardise")
        self.log(svc.add_artefact, pid, {"kind": "standard", "title": "Стандарт выдачи обедов",
                                         "text": "1. Классный руководитель подаёт заявку до 15:00."})
        self.fire(pid, "to_sustain")
        self.log(svc.add_artefact, pid, {"kind": "report", "title": "Итоговый отчёт"})
        self.fire(pid, "close")


@pytest.fixture
def closed(make, world, member_of_school, head_of_school):
    """The school's project about school meals, closed with 67 -> 29 min (target 29)."""
    p = make.project(world.school, member_of_school.actor, title="Оптимизация процесса питания",
                     process_start="заявка классного руководителя", process_end="обед получен")
    Closer(make, member_of_school, head_of_school).close(p.id)
    return p


@pytest.fixture
def practice(api, closed, curator_orel) -> dict[str, Any]:
    return api.ok("POST", f"/projects/{closed.id}/publish", curator_orel, PUBLISH)


# --- publish -------------------------------------------------------------------------------------

def test_the_curator_publishes_and_gets_the_practice_with_its_effect(api, closed, curator_orel, world):
    r = api.post(f"/projects/{closed.id}/publish", curator_orel, json=PUBLISH)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["project_id"], body["org_id"], body["region_id"]) == (closed.id, world.school.id, world.region.id)
    assert (body["status"], body["category"], body["summary"]) == ("published", "meals", PUBLISH["summary"])
    assert body["title"] == "Оптимизация процесса питания"
    assert (body["process_start"], body["process_end"]) == ("заявка классного руководителя", "обед получен")
    assert body["effect"] == [{"metric": LEAD_TIME, "unit": "мин", "direction": "decrease", "baseline": 67.0,
                               "result": 29.0, "change_pct": -56.7}]  # (29 - 67) / 67 = -56.716 %
    assert body["replicas"] == [] and body["replica_count"] == 0
    assert "Стандарт выдачи обедов" in body["standard"]
    assert api.ok("GET", f"/practices/{body['id']}", curator_orel) == body


def test_publish_is_refused_for_a_project_that_is_not_closed(api, project, curator_orel):
    details = error_of(api.post(f"/projects/{project.id}/publish", curator_orel, json=PUBLISH), 422,
                       "not_publishable")
    assert details == {"reason": "not_closed", "state": "diagnose"}


def test_publish_is_refused_when_the_targets_were_missed(api, make, closed, curator_orel, member_of_school):
    # a second metric that fell short of its target, already stored when the project was
    # closed (a closed project is read-only now: the services refuse to add it, 409)
    with make.store.uow() as uow:
        share = Metric(project_id=closed.id, name="Доля довольных родителей", unit="%", direction="increase",
                       baseline=80, target=95, created_at=clock.now(), latest_value=90, latest_on=clock.today())
        uow.session.add(share)
        uow.session.flush()
        uow.session.add(Measurement(metric_id=share.id, value=90, measured_on=clock.today(),
                                    recorded_at=clock.now(), recorded_by=member_of_school.id))
        uow.commit()
    details = error_of(api.post(f"/projects/{closed.id}/publish", curator_orel, json=PUBLISH), 422,
                       "not_publishable")
    assert details == {"reason": "targets_missed", "metrics": ["Доля довольных родителей"]}
    assert api.ok("GET", "/practices", curator_orel)["total"] == 0


def test_publish_answers_in_the_documented_order(api, closed, curator_orel, curator_kursk, member_of_school,
                                                 head_of_school, admin):
    path = f"/projects/{closed.id}/publish"
    error_of(api.post(path, json=PUBLISH), 401, "unauthenticated")
    error_of(api.post(path, curator_kursk, json=PUBLISH), 404, "not_found")
    for who in (member_of_school, head_of_school, admin):
        error_of(api.post(path, who, json=PUBLISH), 403, "forbidden")
    error_of(api.post(path, curator_orel, data=b"[1]", headers={"Content-Type": "application/json"}),
             400, "bad_request")
    assert set(fields_of(api.post(path, curator_orel, json={"category": "sport", "summary": ""}))) == \
        {"category", "summary"}
    assert set(fields_of(api.post(path, curator_orel, json={}))) == {"category", "summary"}
    api.ok("POST", path, curator_orel, PUBLISH)
    error_of(api.post(path, curator_orel, json=PUBLISH), 409, "conflict")


def test_an_unknown_category_names_the_field_and_the_allowed_values(api, closed, curator_orel):
    fields = fields_of(api.post(f"/projects/{closed.id}/publish", curator_orel,
                                json={**PUBLISH, "category": "спорт"}))
    assert set(fields) == {"category"} and "meals" in fields["category"]


# --- the catalogue -------------------------------------------------------------------------------

def test_search_finds_other_forms_of_the_words(api, practice, member_of_other_school):
    for q in ("питания", "питанием", "Питании", "обеды", "очередями", "предзаказа обеда"):
        body = api.ok("GET", "/practices", member_of_other_school, query={"q": q})
        assert [i["id"] for i in body["items"]] == [practice["id"]] and body["total"] == 1, q


def test_the_catalogue_is_visible_to_every_signed_in_user(api, practice, make, world):
    kursk = make.person("member", org=world.other_region_school)
    body = api.ok("GET", "/practices", kursk)
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["id"], item["org_id"], item["org_kind"], item["municipality_id"]) == (
        practice["id"], world.school.id, "school", world.municipality.id)
    assert item["effect"] == practice["effect"] and item["effect_size"] == 56.7
    assert api.ok("GET", f"/practices/{practice['id']}", kursk)["id"] == practice["id"]
    error_of(api.get("/practices"), 401, "unauthenticated")


def test_search_filters(api, practice, member_of_school, world):
    def total(**query: Any) -> int:
        return api.ok("GET", "/practices", member_of_school, query=query)["total"]

    assert total(q="библиотека") == 0
    assert total(category="meals") == 1 and total(category="paperwork") == 0
    assert total(kind="school") == 1 and total(kind="kindergarten") == 0
    assert total(municipality_id=world.municipality.id) == 1 and total(municipality_id=999) == 0
    assert total(min_effect=56.7) == 1 and total(min_effect="56,8") == 0
    assert total(q="питание", category="meals", kind="school", min_effect=10) == 1
    body = api.ok("GET", "/practices", member_of_school, query={"limit": 1, "offset": 1})
    assert body == {"items": [], "total": 1}


@pytest.mark.parametrize(("query", "field"), [({"kind": "university"}, "kind"), ({"category": "sport"}, "category"),
                                              ({"min_effect": "much"}, "min_effect"),
                                              ({"min_effect": "nan"}, "min_effect"),
                                              ({"municipality_id": "x"}, "municipality_id"),
                                              ({"q": "я" * 501}, "q"), ({"limit": 0}, "limit")])
def test_bad_filters_name_the_parameter(api, member_of_school, query, field):
    assert set(fields_of(api.get("/practices", member_of_school, query=query))) == {field}


def test_search_with_fts_syntax_characters_never_errors(api, practice, member_of_school):
    for q in ('"', "питания\"", "*", "питан*", "-питание", "NEAR(питание обед)", "(((", ")", "AND OR NOT",
              "title:питание", "^", "'; DROP TABLE practice; --", "<->", "!", "&|"):
        r = api.get("/practices", member_of_school, query={"q": q})
        assert r.status_code == 200, (q, r.get_json())
        assert r.get_json()["total"] <= 1


def test_unknown_practice_is_404(api, member_of_school):
    assert error_of(api.get("/practices/999999", member_of_school), 404, "not_found") == {}


# --- update and withdraw -------------------------------------------------------------------------

def test_the_curator_updates_and_withdraws(api, practice, curator_orel, member_of_school,
                                           member_of_other_school, head_of_school, closed):
    pid = practice["id"]
    error_of(api.patch(f"/practices/{pid}", head_of_school, json={"summary": "Иначе"}), 403, "forbidden")
    assert set(fields_of(api.patch(f"/practices/{pid}", curator_orel, json={"category": "x"}))) == {"category"}
    body = api.ok("PATCH", f"/practices/{pid}", curator_orel,
                  {"version": 1, "category": "paperwork", "summary": "Электронные заявки на обеды"})
    assert (body["category"], body["summary"], body["version"]) == ("paperwork", "Электронные заявки на обеды", 2)
    error_of(api.patch(f"/practices/{pid}", curator_orel, json={"version": 1, "summary": "Опять"}), 409, "conflict")

    error_of(api.post(f"/practices/{pid}/withdraw", member_of_school, json={}), 403, "forbidden")
    body = api.ok("POST", f"/practices/{pid}/withdraw", curator_orel, {"reason": "Стандарт устарел"}, status=200)
    assert (body["status"], body["version"]) == ("withdrawn", 3)
    error_of(api.post(f"/practices/{pid}/withdraw", curator_orel, json={}), 409, "conflict")
    # kept, out of the catalogue; its page for those who see the project
    assert api.ok("GET", "/practices", member_of_other_school, query={"q": "обеды"})["total"] == 0
    assert api.ok("GET", "/practices", member_of_school)["total"] == 0
    assert api.ok("GET", f"/practices/{pid}", member_of_school)["status"] == "withdrawn"
    error_of(api.get(f"/practices/{pid}", member_of_other_school), 404, "not_found")
    kinds = [e["kind"] for e in api.ok("GET", f"/projects/{closed.id}/events", curator_orel)["items"]]
    assert kinds[-3:] == ["practice_published", "practice_updated", "practice_withdrawn"]


# --- replicate -------------------------------------------------------------------------------------

def test_replicate_creates_a_linked_project_in_the_callers_organisation(api, practice, member_of_other_school,
                                                                        world):
    r = api.post(f"/practices/{practice['id']}/replicate", member_of_other_school,
                 json={"org_id": world.other_school.id})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body == api.project(body["id"], member_of_other_school)  # the project body of GET /projects/<id>
    assert (body["org_id"], body["state"], body["title"]) == (world.other_school.id, "diagnose", practice["title"])
    assert (body["process_start"], body["process_end"]) == (practice["process_start"], practice["process_end"])
    detail = api.ok("GET", f"/practices/{practice['id']}", member_of_other_school)
    assert detail["replicas"] == [{"project_id": body["id"], "org_id": world.other_school.id,
                                   "org_name": world.other_school.name, "org_kind": "school",
                                   "region_id": world.region.id, "state": "diagnose",
                                   "effect": [{"metric": LEAD_TIME, "unit": "мин", "direction": "decrease",
                                               "baseline": None, "result": None, "change_pct": None}]}]
    kinds = [e["kind"] for e in api.ok("GET", f"/projects/{body['id']}/events", member_of_other_school)["items"]]
    assert kinds == ["created", "metric_added", "artefact_added", "replicated"]


def test_the_replicator_leads_the_new_project_and_a_second_replica_needs_confirming(
        api, practice, world, member_of_other_school, store):
    path = f"/practices/{practice['id']}/replicate"
    first = api.post(path, member_of_other_school, json={"org_id": world.other_school.id})
    assert first.status_code == 201 and first.get_json()["leader_id"] == member_of_other_school.id
    before = db_snapshot(store)
    details = error_of(api.post(path, member_of_other_school, json={"org_id": world.other_school.id}),
                       409, "conflict")
    assert details == {"reason": "already_replicated", "project_id": first.get_json()["id"]}
    assert db_snapshot(store) == before  # nothing written
    again = api.post(path, member_of_other_school, json={"org_id": world.other_school.id, "confirm": True})
    assert again.status_code == 201 and again.get_json()["id"] != first.get_json()["id"]


@pytest.mark.parametrize("category", ["питание", "Питание", "  ПИТАНИЕ ", "School meals", "meals"])
def test_publish_takes_the_category_as_domain_md_names_it_or_its_code(api, closed, curator_orel, category):
    body = api.ok("POST", f"/projects/{closed.id}/publish", curator_orel, dict(PUBLISH, category=category))
    assert body["category"] == "meals"


def test_publish_refuses_an_unknown_category_naming_the_field(api, closed, curator_orel):
    r = api.post(f"/projects/{closed.id}/publish", curator_orel, json=dict(PUBLISH, category="кулинария"))
    assert "category" in fields_of(r)


def test_replicate_only_into_ones_own_organisation(api, practice, world, member_of_school, member_of_other_school,
                                                   curator_orel, admin):
    path = f"/practices/{practice['id']}/replicate"
    # another organisation answers as an unknown one: 422 on org_id, the same body
    unknown = api.post(path, member_of_school, json={"org_id": 999999})
    assert set(fields_of(unknown)) == {"org_id"}
    for who, org in ((member_of_other_school, world.school), (member_of_school, world.other_region_school)):
        r = api.post(path, who, json={"org_id": org.id})
        assert (r.status_code, r.get_data()) == (unknown.status_code, unknown.get_data())
    error_of(api.post(path, curator_orel, json={"org_id": world.school.id}), 403, "forbidden")
    error_of(api.post(path, admin, json={"org_id": world.school.id}), 403, "forbidden")
    error_of(api.post("/practices/999999/replicate", member_of_school, json={"org_id": world.school.id}),
             404, "not_found")
    error_of(api.post(path, member_of_school, data=b"{", headers={"Content-Type": "application/json"}),
             400, "bad_request")
    assert set(fields_of(api.post(path, member_of_school, json={}))) == {"org_id"}
    assert set(fields_of(api.post(path, member_of_school, json={"org_id": 2**40}))) == {"org_id"}
    assert api.ok("GET", "/projects", member_of_school)["total"] == 1  # only the original


def test_a_withdrawn_practice_is_not_replicated(api, practice, curator_orel, member_of_school, world):
    api.ok("POST", f"/practices/{practice['id']}/withdraw", curator_orel, {}, status=200)
    error_of(api.post(f"/practices/{practice['id']}/replicate", member_of_school, json={"org_id": world.school.id}),
             409, "conflict")


def test_the_comparison_shows_the_replicas_effect_once_measured(api, practice, world, member_of_other_school):
    replica = api.ok("POST", f"/practices/{practice['id']}/replicate", member_of_other_school,
                     {"org_id": world.other_school.id})
    events = api.ok("GET", f"/projects/{replica['id']}/events", member_of_other_school)["items"]
    metric_id = next(e["payload"]["metric_id"] for e in events if e["kind"] == "metric_added")
    api.ok("PATCH", f"/metrics/{metric_id}", member_of_other_school, {"baseline": 40})
    api.ok("POST", f"/metrics/{metric_id}/measurements", member_of_other_school,
           {"value": 25, "measured_on": clock.today().isoformat()})
    replicas = api.ok("GET", f"/practices/{practice['id']}", member_of_other_school)["replicas"]
    assert replicas[0]["effect"][0] | {"metric": None} == {"metric": None, "unit": "мин", "direction": "decrease",
                                                           "baseline": 40.0, "result": 25.0, "change_pct": -37.5}


# --- the description ---------------------------------------------------------------------------------

def test_the_practice_routes_are_documented(api):
    spec = api.ok("GET", "/openapi.json", None)
    paths = spec["paths"]
    assert paths["/projects/{project_id}/publish"]["post"]["responses"]["201"]
    assert "422" in paths["/projects/{project_id}/publish"]["post"]["responses"]
    assert paths["/practices/{practice_id}/replicate"]["post"]["responses"]["201"]["content"][
        "application/json"]["schema"] == {"$ref": "#/components/schemas/Project"}
    assert {p["name"] for p in paths["/practices"]["get"]["parameters"]} >= {
        "q", "category", "kind", "municipality_id", "min_effect", "limit", "offset"}
    assert spec["components"]["schemas"]["PracticePublish"]["properties"]["category"]["enum"][0] == "meals"
    assert set(spec["components"]["schemas"]["Effect"]["properties"]) == {
        "metric", "unit", "direction", "baseline", "result", "change_pct"}
