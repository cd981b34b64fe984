"""API.md "Programme additions": every route of the section, the scope rules (another
region 404, a municipal curator sees only their municipality, on the existing project
routes too, a coordinator writes only their organisation) and validation (a score of 7
answers 422 naming the item). Plus the extra routes (stages, tasks, plans, rounds)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import clock
from engine.programme.funnel import STEPS
from engine.programme.questionnaire import get
from tests.api.conftest import error_of, fields_of

TITLE = ("Интегрирование технологий бережливого производства в процессы образовательных "
         "организаций Орловской области")


def day(offset: int) -> str:
    return (clock.today() + timedelta(days=offset)).isoformat()


def scores(value: int = 3) -> dict[str, int]:
    return dict.fromkeys(get("readiness").item_section, value)


@pytest.fixture
def programme(api: Any, world: Any, curator_orel: Any) -> dict[str, Any]:
    return api.ok("POST", "/programmes", curator_orel, json={
        "region_id": world.region.id, "title": TITLE, "starts_on": day(-60), "ends_on": day(700),
        "goal": "Внедрить бережливые технологии",
        "stages": [{"title": "Подготовительный", "starts_on": day(-60), "ends_on": day(60)},
                   {"title": "Апробация и внедрение", "starts_on": day(61), "ends_on": day(400)},
                   {"title": "Диссеминация", "starts_on": day(401), "ends_on": day(700)}]})


@pytest.fixture
def school_joined(api: Any, world: Any, programme: dict[str, Any], curator_orel: Any) -> dict[str, Any]:
    return api.ok("POST", f"/programmes/{programme['id']}/participants", curator_orel,
                  json={"org_id": world.school.id, "joined_on": day(-30), "wave": 1})


def round_id(programme: dict[str, Any]) -> int:
    return programme["rounds"][0]["id"]


# --- programmes ----------------------------------------------------------------------------------

def test_create_list_and_read_a_programme(api, world, programme, curator_orel, head_of_school, admin):
    assert set(programme) >= {"id", "region_id", "title", "starts_on", "ends_on", "status", "stages",
                              "rounds", "warnings"}
    assert (programme["status"], programme["warnings"]) == ("draft", [])
    assert [s["title"] for s in programme["stages"]] == ["Подготовительный", "Апробация и внедрение",
                                                         "Диссеминация"]
    assert set(programme["stages"][0]) >= {"id", "title", "starts_on", "ends_on"}
    assert [(r["kind"], r["opens_on"]) for r in programme["rounds"]] == [("initial", day(-60))]
    assert set(programme["rounds"][0]) >= {"id", "title", "kind", "opens_on", "closes_on"}
    listed = api.ok("GET", "/programmes", curator_orel, query={"region_id": world.region.id})
    assert listed["total"] == 1 and listed["items"][0]["id"] == programme["id"]
    assert api.ok("GET", f"/programmes/{programme['id']}", head_of_school)["title"] == TITLE
    assert api.ok("GET", "/programmes", admin)["total"] == 1


def test_overlapping_stages_are_accepted_with_warnings(api, world, curator_orel):
    body = api.ok("POST", "/programmes", curator_orel, json={
        "region_id": world.region.id, "title": "РИП", "starts_on": "2020-01-01", "ends_on": "2022-12-31",
        "stages": [{"title": "Первый", "starts_on": "2020-01-01", "ends_on": "2020-08-31"},
                   {"title": "Второй", "starts_on": "2020-06-01", "ends_on": "2021-08-31"}]})
    assert len(body["warnings"]) == 1 and "пересекаются" in body["warnings"][0]
    with_gap = api.ok("POST", f"/programmes/{body['id']}/stages", curator_orel,
                      json={"title": "Третий", "starts_on": "2022-01-01", "ends_on": "2022-05-31"})
    assert len(with_gap["warnings"]) == 2 and "разрыв" in with_gap["warnings"][1]
    stage = with_gap["stages"][1]
    fixed = api.ok("PATCH", f"/stages/{stage['id']}", curator_orel, json={"starts_on": "2020-09-01"})
    assert len(fixed["warnings"]) == 1


def test_programme_validation_and_roles(api, world, curator_orel, head_of_school, curator_kursk):
    body = {"region_id": world.region.id, "title": "РИП", "starts_on": "2020-01-01", "ends_on": "2022-12-31"}
    assert "ends_on" in fields_of(api.post("/programmes", curator_orel, json={**body, "ends_on": "2019-01-01"}))
    assert "title" in fields_of(api.post("/programmes", curator_orel, json={**body, "title": ""}))
    error_of(api.post("/programmes", head_of_school, json=body), 403, "forbidden")
    error_of(api.post("/programmes", curator_kursk, json=body), 404, "not_found")
    error_of(api.post("/programmes", curator_orel, json=[1]), 400, "bad_request")


def test_patch_a_programme_with_its_version(api, programme, curator_orel, head_of_school):
    pid = programme["id"]
    body = api.ok("PATCH", f"/programmes/{pid}", curator_orel, json={"status": "active", "version": 1})
    assert (body["status"], body["version"]) == ("active", 2)
    error_of(api.patch(f"/programmes/{pid}", curator_orel, json={"title": "X", "version": 1}), 409, "conflict")
    error_of(api.patch(f"/programmes/{pid}", head_of_school, json={"title": "X", "version": 2}), 403, "forbidden")


def test_another_region_answers_404_everywhere(api, programme, school_joined, curator_kursk, member_of_kursk):
    pid = programme["id"]
    for who in (curator_kursk, member_of_kursk):
        for path in (f"/programmes/{pid}", f"/programmes/{pid}/participants", f"/programmes/{pid}/tower",
                     f"/rounds/{round_id(programme)}", f"/participants/{school_joined['id']}"):
            error_of(api.get(path, who), 404, "not_found")
    assert api.ok("GET", "/programmes", curator_kursk)["total"] == 0
    error_of(api.post(f"/programmes/{pid}/participants", curator_kursk,
                      json={"org_id": 1, "joined_on": day(0)}), 404, "not_found")


# --- participants -------------------------------------------------------------------------------------

def test_participants_join_once_and_carry_their_funnel(api, world, programme, school_joined, curator_orel):
    assert set(school_joined) >= {"id", "programme_id", "org_id", "joined_on", "wave", "status", "funnel"}
    assert school_joined["funnel"] == dict.fromkeys(STEPS, False)
    again = api.post(f"/programmes/{programme['id']}/participants", curator_orel,
                     json={"org_id": world.school.id, "joined_on": day(0)})
    error_of(again, 409, "conflict")
    listed = api.ok("GET", f"/programmes/{programme['id']}/participants", curator_orel)
    assert listed["total"] == 1 and listed["items"][0]["org_id"] == world.school.id


def test_participants_by_municipality_and_withdrawal(api, world, programme, school_joined, curator_orel):
    added = api.ok("POST", f"/programmes/{programme['id']}/participants/bulk", curator_orel,
                   json={"joined_on": day(0), "wave": 2, "municipality_id": world.municipality.id})
    assert [(p["org_id"], p["wave"]) for p in added["items"]] == [(world.other_school.id, 2)]
    pid = added["items"][0]["id"]
    assert "reason" in fields_of(api.post(f"/participants/{pid}/withdraw", curator_orel, json={}))
    out = api.ok("POST", f"/participants/{pid}/withdraw", curator_orel, json={"reason": "Реорганизация"},
                 status=200)
    assert (out["status"], out["reason"]) == ("withdrawn", "Реорганизация")


def test_the_initiative_group_and_the_participant_page(api, world, programme, school_joined,
                                                       coordinator_of_school, member_of_school,
                                                       member_of_other_school, head_of_school):
    path = f"/participants/{school_joined['id']}/members"
    api.ok("POST", path, coordinator_of_school, json={"user_id": member_of_school.id})
    api.ok("POST", path, coordinator_of_school, json={"name": "Сидорова Е. В.", "position": "учитель химии"})
    third = api.ok("POST", path, head_of_school, json={"name": "Фролов И. П.", "position": "завуч"})
    assert third["training_status"] is None  # for the training issue
    assert "user_id" in fields_of(api.post(path, coordinator_of_school, json={"user_id": member_of_other_school.id}))
    error_of(api.post(path, coordinator_of_school, json={"user_id": member_of_school.id}), 409, "conflict")
    error_of(api.post(path, member_of_school, json={"name": "Кто-то"}), 403, "forbidden")
    page = api.ok("GET", f"/participants/{school_joined['id']}", coordinator_of_school)
    assert page["group_size"] == 3 and page["participant"]["funnel"]["group"]
    r = api.request("DELETE", f"/initiative-members/{third['id']}", coordinator_of_school)
    assert r.status_code == 200
    assert api.ok("GET", f"/participants/{school_joined['id']}", head_of_school)["group_size"] == 2


# --- readiness rounds and answers ---------------------------------------------------------------------

def test_a_round_with_its_questionnaire(api, programme, head_of_school):
    body = api.ok("GET", f"/rounds/{round_id(programme)}", head_of_school)
    assert set(body) >= {"id", "programme_id", "title", "kind", "opens_on", "closes_on", "questionnaire"}
    sections = body["questionnaire"]["sections"]
    assert [s["id"] for s in sections] == ["leadership", "engagement", "competence", "resources", "discipline"]
    assert set(sections[0]) >= {"id", "title", "items"} and set(sections[0]["items"][0]) >= {"id", "text"}


def test_answer_draft_then_submit_then_locked(api, world, programme, school_joined, coordinator_of_school,
                                              curator_orel):
    path = f"/rounds/{round_id(programme)}/answers"
    draft = api.ok("POST", path, coordinator_of_school, status=200,
                   json={"org_id": world.school.id, "scores": {"lead_vision": 2}, "needs": ["Курсы"],
                         "submit": False})
    assert (draft["status"], draft["scores"], draft["needs"]) == ("draft", {"lead_vision": 2}, ["Курсы"])
    done = api.ok("POST", path, coordinator_of_school, status=200,
                  json={"org_id": world.school.id, "scores": scores(4), "needs": ["Курсы"],
                        "difficulties": ["Нет времени"], "resources": ["Наставник"], "deficits": ["Опыт"],
                        "submit": True})
    assert done["status"] == "submitted" and done["section_scores"]["leadership"] == 4.0
    error_of(api.post(path, coordinator_of_school, json={"org_id": world.school.id, "scores": scores(5)}),
             409, "conflict")
    reopened = api.ok("POST", f"/rounds/{round_id(programme)}/reopen", curator_orel, status=200,
                      json={"org_id": world.school.id, "comment": "Уточните ресурсы"})
    assert reopened["status"] == "draft"
    assert api.ok("POST", path, coordinator_of_school, status=200,
                  json={"org_id": world.school.id, "scores": scores(5), "submit": True})["status"] == "submitted"


def test_a_score_of_7_answers_422_naming_the_item(api, world, programme, school_joined, head_of_school):
    r = api.post(f"/rounds/{round_id(programme)}/answers", head_of_school,
                 json={"org_id": world.school.id, "scores": {"lead_vision": 7}, "needs": []})
    fields = fields_of(r)
    assert list(fields) == ["scores.lead_vision"] and "1 до 5" in fields["scores.lead_vision"]
    r = api.post(f"/rounds/{round_id(programme)}/answers", head_of_school,
                 json={"org_id": world.school.id, "scores": {"lead_vision": "много"}})
    assert "scores.lead_vision" in fields_of(r)
    assert "needs" in fields_of(api.post(f"/rounds/{round_id(programme)}/answers", head_of_school,
                                         json={"org_id": world.school.id, "needs": "Курсы"}))


def test_a_coordinator_writes_only_their_organisation(api, world, programme, school_joined, curator_orel,
                                                      coordinator_of_school, member_of_school):
    api.ok("POST", f"/programmes/{programme['id']}/participants", curator_orel,
           json={"org_id": world.other_school.id, "joined_on": day(0)})
    path = f"/rounds/{round_id(programme)}/answers"
    error_of(api.post(path, coordinator_of_school, json={"org_id": world.other_school.id, "scores": {}}),
             404, "not_found")
    error_of(api.post(path, member_of_school, json={"org_id": world.school.id, "scores": {}}), 403, "forbidden")
    other = api.ok("GET", f"/programmes/{programme['id']}/participants", curator_orel)["items"]
    other_id = next(p["id"] for p in other if p["org_id"] == world.other_school.id)
    error_of(api.post(f"/participants/{other_id}/members", coordinator_of_school, json={"name": "X"}),
             404, "not_found")
    error_of(api.post(f"/participants/{other_id}/plan/items", coordinator_of_school, json={"title": "X"}),
             404, "not_found")
    # and never decides: neither a plan nor a programme
    error_of(api.post(f"/participants/{school_joined['id']}/plan/approve", coordinator_of_school, json={}),
             403, "forbidden")
    error_of(api.get(f"/programmes/{programme['id']}/tower", coordinator_of_school), 403, "forbidden")


def test_rounds_opened_and_closed_by_a_curator(api, world, programme, school_joined, curator_orel,
                                               head_of_school):
    body = {"kind": "final", "title": "Итоговый анализ", "opens_on": day(0), "closes_on": day(30)}
    error_of(api.post(f"/programmes/{programme['id']}/rounds", head_of_school, json=body), 403, "forbidden")
    final = api.ok("POST", f"/programmes/{programme['id']}/rounds", curator_orel, json=body)
    assert final["kind"] == "final" and final["open"]
    error_of(api.post(f"/programmes/{programme['id']}/rounds", curator_orel, json={**body, "kind": "initial"}),
             409, "conflict")
    closed = api.ok("POST", f"/rounds/{final['id']}/close", curator_orel, status=200)
    assert closed["closed"] and not closed["open"]
    error_of(api.post(f"/rounds/{final['id']}/answers", head_of_school,
                      json={"org_id": world.school.id, "scores": {}}), 409, "conflict")


# --- the work plan -----------------------------------------------------------------------------------------

def test_plan_submitted_returned_and_approved(api, programme, school_joined, coordinator_of_school,
                                              curator_orel):
    pid = school_joined["id"]
    item = api.ok("POST", f"/participants/{pid}/plan/items", coordinator_of_school,
                  json={"title": "Картирование процесса", "due_on": day(-1), "who": "Кузнецова М."})
    assert item["overdue"] and item["status"] == "open"
    plan = api.ok("POST", f"/participants/{pid}/plan/submit", coordinator_of_school, json={}, status=200)
    assert plan["status"] == "submitted"
    assert "comment" in fields_of(api.post(f"/participants/{pid}/plan/return", curator_orel, json={}))
    plan = api.ok("POST", f"/participants/{pid}/plan/return", curator_orel, status=200,
                  json={"comment": "Добавьте обучение"})
    assert (plan["status"], plan["comment"]) == ("returned", "Добавьте обучение")
    api.ok("PATCH", f"/plan-items/{item['id']}", coordinator_of_school, json={"due_on": day(20)})
    api.ok("POST", f"/participants/{pid}/plan/submit", coordinator_of_school, json={}, status=200)
    plan = api.ok("POST", f"/participants/{pid}/plan/approve", curator_orel, json={}, status=200)
    assert plan["status"] == "approved" and plan["items"][0]["due_on"] == day(20)
    error_of(api.patch(f"/plan-items/{item['id']}", coordinator_of_school, json={"title": "Другое"}), 409, "conflict")
    done = api.ok("PATCH", f"/plan-items/{item['id']}", coordinator_of_school,
                  json={"status": "done", "evidence_url": "https://school.ru/map.pdf"})
    assert done["status"] == "done"
    assert api.ok("GET", f"/participants/{pid}", curator_orel)["participant"]["funnel"]["plan"] is True


def test_stage_tasks_over_the_api(api, programme, curator_orel, head_of_school):
    stage_id = programme["stages"][0]["id"]
    task = api.ok("POST", f"/stages/{stage_id}/tasks", curator_orel,
                  json={"title": "Назначены координаторы", "due_on": day(-1),
                        "rule": "every_participant_has_coordinator"})
    assert (task["status"], task["rule"], task["overdue"]) == ("open", "every_participant_has_coordinator", True)
    assert "rule" in fields_of(api.post(f"/stages/{stage_id}/tasks", curator_orel, json={"title": "X", "rule": "z"}))
    plain = api.ok("POST", f"/stages/{stage_id}/tasks", curator_orel, json={"title": "Курсы", "due_on": day(5)})
    assert api.ok("PATCH", f"/stage-tasks/{plain['id']}", curator_orel, json={"status": "done"})["status"] == "done"
    error_of(api.patch(f"/stage-tasks/{plain['id']}", head_of_school, json={"status": "open"}), 403, "forbidden")
    tower = api.ok("GET", f"/programmes/{programme['id']}/tower", curator_orel)
    assert [t["id"] for t in tower["overdue_tasks"]] == [task["id"]]


# --- the programme tower and the municipal curator -------------------------------------------------------------

def test_the_programme_tower(api, world, programme, school_joined, curator_orel, head_of_school):
    api.ok("POST", f"/rounds/{round_id(programme)}/answers", head_of_school, status=200,
           json={"org_id": world.school.id, "scores": scores(2), "needs": ["Курсы"], "submit": True})
    tower = api.ok("GET", f"/programmes/{programme['id']}/tower", curator_orel)
    assert set(tower) >= {"programme_id", "participants", "funnel", "by_municipality", "attention", "readiness",
                          "top_needs"}
    assert tower["participants"] == 1 and tower["funnel"]["readiness"] == 1
    assert set(tower["funnel"]) == set(STEPS)
    assert tower["by_municipality"][0] == {"municipality_id": world.municipality.id, "name": "г. Орёл",
                                           "participants": 1, "funnel": tower["funnel"]}
    assert tower["attention"] == [{"org_id": world.school.id, "name": world.school.name,
                                   "municipality_id": world.municipality.id,
                                   "missing": ["coordinator", "group", "plan"]}]
    assert {r["section"]: r["average"] for r in tower["readiness"]}["leadership"] == 2.0
    assert tower["top_needs"] == [{"need": "Курсы", "count": 1}]
    assert tower["timeline"]["today"] == day(0)


@pytest.fixture
def two_municipalities(api, world, make, programme, school_joined, curator_orel, member_of_school):
    elsewhere = make.org(make.municipality(world.region, "Мценский район"), "МБОУ Мценская СОШ")
    far_member = make.person("member", org=elsewhere)
    api.ok("POST", f"/programmes/{programme['id']}/participants", curator_orel,
           json={"org_id": elsewhere.id, "joined_on": day(0)})
    return {"elsewhere": elsewhere, "mine": make.project(world.school, member_of_school.actor),
            "theirs": make.project(elsewhere, far_member.actor)}


def test_a_municipal_curator_sees_only_their_municipality(api, world, programme, two_municipalities,
                                                          curator_of_municipality, curator_orel):
    who = curator_of_municipality
    mine, theirs = two_municipalities["mine"], two_municipalities["theirs"]
    tower = api.ok("GET", f"/programmes/{programme['id']}/tower", who)
    assert tower["participants"] == 1 and [m["name"] for m in tower["by_municipality"]] == ["г. Орёл"]
    assert api.ok("GET", f"/programmes/{programme['id']}/tower", curator_orel)["participants"] == 2
    listed = api.ok("GET", f"/programmes/{programme['id']}/participants", who)
    assert [p["org_id"] for p in listed["items"]] == [world.school.id]
    # the existing project routes: the list, one project, its events, the region's tower
    projects = api.ok("GET", "/projects", who)
    assert [p["id"] for p in projects["items"]] == [mine.id]
    assert api.ok("GET", f"/projects/{mine.id}", who)["id"] == mine.id
    error_of(api.get(f"/projects/{theirs.id}", who), 404, "not_found")
    error_of(api.get(f"/projects/{theirs.id}/events", who), 404, "not_found")
    error_of(api.post(f"/projects/{theirs.id}/comments", who, json={"text": "?"}), 404, "not_found")
    api.ok("POST", f"/projects/{mine.id}/comments", who, json={"text": "Хорошее начало"})
    orgs = {o["id"] for o in api.ok("GET", "/organizations", who)["items"]}
    assert two_municipalities["elsewhere"].id not in orgs and world.school.id in orgs
    error_of(api.get(f"/regions/{world.region.id}/tower", who), 403, "forbidden")
    assert api.ok("GET", "/me", who)["roles"][0]["role"] == "curator"



# --- every programme route with a body: 400 for what is not a JSON object, after 404 and 403 -----------------

def _programme_routes() -> list[Any]:
    from webui.api import ROUTES
    prefixes = ("/programmes", "/stages", "/stage-tasks", "/participants", "/initiative-members", "/plan-items",
                "/rounds")
    return [r for r in ROUTES if r.body is not None and r.path.startswith(prefixes)]


# written by the organisation's head (or coordinator); the others by the region's curator
KEEPER_ROUTES = {"post_member", "post_plan_item", "patch_plan_item", "submit_plan", "post_answer"}
BAD_BODIES = [("{broken", "application/json"), ("[1, 2]", "application/json"), ("42", "application/json"),
              ("null", "application/json"), ("title=x", "application/x-www-form-urlencoded")]


@pytest.fixture
def ids(api, programme, school_joined, coordinator_of_school) -> dict[str, Any]:
    pid = school_joined["id"]
    stage_id = programme["stages"][0]["id"]
    item = api.ok("POST", f"/participants/{pid}/plan/items", coordinator_of_school, json={"title": "Пункт"})
    return {"programme_id": programme["id"], "participant_id": pid, "stage_id": stage_id,
            "round_id": round_id(programme), "item_id": item["id"]}


@pytest.mark.parametrize("spec", _programme_routes(), ids=lambda r: f"{r.method} {r.path}")
def test_every_programme_body_that_is_not_an_object_is_400(api, ids, spec, curator_orel, head_of_school,
                                                           curator_kursk):
    if "{task_id}" in spec.path:
        stage_task = api.ok("POST", f"/stages/{ids['stage_id']}/tasks", curator_orel, json={"title": "Задача"})
        ids = {**ids, "task_id": stage_task["id"]}
    path = spec.path.format(**ids)
    who = head_of_school if spec.endpoint in KEEPER_ROUTES else curator_orel
    for raw, ctype in BAD_BODIES:
        r = api.request(spec.method, path, who, data=raw.encode(), headers={"Content-Type": ctype})
        error_of(r, 400, "bad_request")
    if "{" in spec.path:  # another region's object: 404 before the body is read
        r = api.request(spec.method, path, curator_kursk, data=b"{broken",
                        headers={"Content-Type": "application/json"})
        error_of(r, 404, "not_found")
