"""POST /projects, GET /projects/<id>, PATCH /projects/<id>, GET /projects (filters,
pagination, scope)."""
from __future__ import annotations

import re

import pytest

from tests.api.conftest import error_of, fields_of

PROJECT_KEYS = {"id", "org_id", "workflow", "title", "problem", "goal", "state", "version", "state_entered_at",
                "days_in_state", "stalled", "stall_reasons", "open_risks", "pending_request",
                "available_transitions", "reg_number", "sponsor", "leader_id", "process_owner", "process_start",
                "process_end", "planned_hours_saved", "actual_hours_saved", "planned_roubles", "actual_roubles",
                "milestones"}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _new(world, **extra):
    return {"org_id": world.school.id, "title": "Оптимизация процесса подготовки контрольных работ",
            "problem": "Учитель тратит 67 минут", "goal": "Сократить до 30 минут", **extra}


# --- create -----------------------------------------------------------------------------------

def test_create_project(api, world, frozen_clock, member_of_school):
    p = api.ok("POST", "/projects", member_of_school, _new(world, sponsor="Петров С.", process_start="заявка",
                                                             milestones={"target": "2026-10-01"},
                                                             planned_hours_saved=120))
    assert PROJECT_KEYS <= set(p)
    assert p["org_id"] == world.school.id and p["workflow"] == "psr" and p["state"] == "diagnose"
    assert p["version"] == 1 and p["days_in_state"] == 0 and p["stalled"] is False and p["stall_reasons"] == []
    assert p["open_risks"] == 0 and p["pending_request"] is None
    assert p["state_entered_at"] == "2026-09-01T09:00:00Z"
    assert p["reg_number"] == "57-2026-0001" and p["sponsor"] == "Петров С." and p["process_start"] == "заявка"
    assert p["milestones"] == {"target": "2026-10-01"} and p["planned_hours_saved"] == 120
    assert p["leader_id"] is None and p["actual_roubles"] is None
    moves = {t["trigger"]: t for t in p["available_transitions"]}
    assert set(moves) == {"to_target", "cancel"}  # the member may not send back
    assert moves["to_target"]["approval"] == "head" and moves["to_target"]["comment_required"] is False
    assert [u["check"] for u in moves["to_target"]["unmet"]] == ["current_state_mapped", "problems_listed",
                                                                 "baselines_recorded"]
    assert all(u["message"] for u in moves["to_target"]["unmet"])
    assert moves["cancel"]["comment_required"] is True and moves["cancel"]["unmet"] == []
    events = api.ok("GET", f"/projects/{p['id']}/events", member_of_school)["items"]
    assert [e["kind"] for e in events] == ["created"]  # never state_changed


def test_create_project_as_head_and_other_workflow_name(api, world, head_of_school):
    assert api.ok("POST", "/projects", head_of_school, _new(world, workflow="psr"))["workflow"] == "psr"
    assert fields_of(api.post("/projects", head_of_school, json=_new(world, workflow="kanban"))) == {
        "workflow": "Нет такого маршрута"}


@pytest.mark.parametrize("drop", ["title", "problem", "goal", "org_id"])
def test_create_project_requires_fields(api, world, member_of_school, drop):
    body = _new(world)
    del body[drop]
    assert drop in fields_of(api.post("/projects", member_of_school, json=body))


@pytest.mark.parametrize("extra,field", [({"title": ""}, "title"), ({"title": "я" * 301}, "title"),
                                         ({"org_id": "one"}, "org_id"), ({"org_id": 999999}, "org_id"),
                                         ({"planned_hours_saved": -1}, "planned_hours_saved"),
                                         ({"leader_id": 999999}, "leader_id"),
                                         ({"milestones": {"nowhere": "2026-10-01"}}, "milestones.nowhere"),
                                         ({"milestones": {"target": "soon"}}, "milestones.target"),
                                         ({"colour": "red"}, "colour")])
def test_create_project_validation(api, world, member_of_school, extra, field):
    assert field in fields_of(api.post("/projects", member_of_school, json=_new(world, **extra)))


def test_create_project_reports_every_bad_field(api, member_of_school):
    fields = fields_of(api.post("/projects", member_of_school, json={}))
    assert {"org_id", "title", "problem", "goal"} <= set(fields)


def test_create_project_in_someone_elses_org_answers_as_an_unknown_org(api, world, member_of_school,
                                                                       curator_kursk):
    """An organisation outside the caller's scope answers exactly as one that does not
    exist (422 on org_id): a 404 for it would tell that it exists."""
    unknown = api.post("/projects", member_of_school, json=_new(world, org_id=999999))
    assert fields_of(unknown) == {"org_id": "Нет такой организации"}
    for org in (world.other_school, world.other_region_school):
        r = api.post("/projects", member_of_school, json=_new(world, org_id=org.id))
        assert (r.status_code, r.get_data()) == (unknown.status_code, unknown.get_data())
    error_of(api.post("/projects", curator_kursk, json=_new(world)), 403, "forbidden")  # curators start none


def test_curators_and_admins_may_not_create(api, world, curator_orel, admin):
    for who in (curator_orel, admin):
        error_of(api.post("/projects", who, json=_new(world)), 403, "forbidden")
        error_of(api.post("/projects", who, json={"org_id": world.school.id}), 403, "forbidden")  # before 422


def test_reg_numbers_count_up_within_the_region(api, world, member_of_school):
    numbers = [api.ok("POST", "/projects", member_of_school, _new(world))["reg_number"] for _ in range(3)]
    assert len(set(numbers)) == 3 and numbers[0].startswith("57-")


# --- read ---------------------------------------------------------------------------------------

def test_get_project_by_role(api, project, member_of_school, head_of_school, curator_orel, admin):
    for who in (member_of_school, head_of_school, curator_orel, admin):
        p = api.ok("GET", f"/projects/{project.id}", who)
        assert p["id"] == project.id and PROJECT_KEYS <= set(p)
    # what each may fire from diagnose
    triggers = lambda who: {t["trigger"] for t in api.project(project.id, who)["available_transitions"]}  # noqa: E731
    assert triggers(member_of_school) == {"to_target", "cancel"}
    assert triggers(head_of_school) == {"to_target", "cancel"}
    assert triggers(curator_orel) == set() and triggers(admin) == set()


def test_get_project_out_of_scope_is_404(api, project, member_of_other_school, head_of_other_school,
                                         curator_kursk, member_of_kursk):
    for who in (member_of_other_school, head_of_other_school, curator_kursk, member_of_kursk):
        assert error_of(api.get(f"/projects/{project.id}", as_=who), 404, "not_found") == {}


def test_unknown_project_is_404(api, member_of_school, admin):
    for who in (member_of_school, admin):
        error_of(api.get("/projects/999999", as_=who), 404, "not_found")
        error_of(api.get("/projects/0", as_=who), 404, "not_found")


def test_days_in_state_and_stall_computed_when_read(frozen_clock, api, project, member_of_school):
    frozen_clock.advance(days=15, hours=1)
    p = api.project(project.id, member_of_school)
    assert p["days_in_state"] == 15 and p["stalled"] is True
    assert p["stall_reasons"] == [{"kind": "idle", "days": 15, "limit": 14}]
    frozen_clock.advance(days=31)
    p = api.project(project.id, member_of_school)
    assert p["days_in_state"] == 46
    assert p["stall_reasons"] == [{"kind": "sla", "days": 46, "limit": 45}, {"kind": "idle", "days": 46, "limit": 14}]
    # activity by a person clears the idle reason; reading does not count as activity
    api.ok("POST", f"/projects/{project.id}/comments", member_of_school, {"text": "Работаем"})
    assert api.project(project.id, member_of_school)["stall_reasons"] == [{"kind": "sla", "days": 46, "limit": 45}]


# --- edit ------------------------------------------------------------------------------------------

def test_patch_project(api, project, member_of_school, head_of_school):
    p = api.ok("PATCH", f"/projects/{project.id}", member_of_school,
               {"version": 1, "title": "Новое название", "sponsor": "Петров", "leader_id": head_of_school.id,
                "milestones": {"implement": "2026-12-01"}})
    assert p["version"] == 2 and p["title"] == "Новое название" and p["leader_id"] == head_of_school.id
    assert p["milestones"] == {"implement": "2026-12-01"} and p["problem"] == "Очереди в столовой"
    p = api.ok("PATCH", f"/projects/{project.id}", head_of_school, {"version": 2, "sponsor": ""})
    assert p["version"] == 3 and p["sponsor"] == ""
    events = api.ok("GET", f"/projects/{project.id}/events", head_of_school)["items"]
    assert [e["kind"] for e in events] == ["created", "updated", "updated"]
    assert events[1]["payload"]["fields"]["title"] == {"from": "Оптимизация процесса питания", "to": "Новое название"}
    assert events[1]["from_state"] is None and events[1]["to_state"] is None


def test_patch_stale_version_is_409_and_writes_nothing(api, project, member_of_school):
    api.ok("PATCH", f"/projects/{project.id}", member_of_school, {"version": 1, "goal": "Цель 2"})
    details = error_of(api.patch(f"/projects/{project.id}", member_of_school, json={"version": 1, "goal": "Цель 3"}),
                       409, "conflict")
    assert details == {"current_version": 2}
    p = api.project(project.id, member_of_school)
    assert p["goal"] == "Цель 2" and p["version"] == 2


@pytest.mark.parametrize("payload,field", [({"title": "x"}, "version"), ({"version": "two"}, "version"),
                                           ({"version": 1, "title": ""}, "title"),
                                           ({"version": 1, "title": None}, "title"),
                                           ({"version": 1, "goal": None}, "goal"),
                                           ({"version": 1, "actual_roubles": "много"}, "actual_roubles"),
                                           ({"version": 1, "state": "closed"}, "state"),
                                           ({"version": 1, "leader_id": 999999}, "leader_id")])
def test_patch_validation(api, project, member_of_school, payload, field):
    assert field in fields_of(api.patch(f"/projects/{project.id}", member_of_school, json=payload))
    assert api.project(project.id, member_of_school)["version"] == 1


def test_patch_precedence(api, project, member_of_school, curator_orel, member_of_other_school):
    stale_and_invalid = {"version": 99, "title": ""}
    # 422 validation_failed before 409
    assert "title" in fields_of(api.patch(f"/projects/{project.id}", member_of_school, json=stale_and_invalid))
    # 403 before 422; 404 before 403
    error_of(api.patch(f"/projects/{project.id}", curator_orel, json=stale_and_invalid), 403, "forbidden")
    error_of(api.patch(f"/projects/{project.id}", member_of_other_school, json=stale_and_invalid), 404, "not_found")
    error_of(api.patch("/projects/999999", member_of_school, json=stale_and_invalid), 404, "not_found")


def test_patch_forbidden_for_curator_and_admin(api, project, curator_orel, admin):
    for who in (curator_orel, admin):
        error_of(api.patch(f"/projects/{project.id}", who, json={"version": 1, "title": "Чужое"}), 403, "forbidden")


def test_patch_out_of_scope_is_404(api, project, head_of_other_school, curator_kursk):
    for who in (head_of_other_school, curator_kursk):
        error_of(api.patch(f"/projects/{project.id}", who, json={"version": 1, "title": "Чужое"}), 404, "not_found")


# --- list ------------------------------------------------------------------------------------------

@pytest.fixture
def many(make, world, member_of_school, member_of_other_school, member_of_kursk):
    """7 projects at the school, 3 at the other school, 2 in Kursk."""
    out = {"school": [make.project(world.school, member_of_school.actor, title=f"Школа {i}").id for i in range(7)],
           "other": [make.project(world.other_school, member_of_other_school.actor, title=f"Другая {i}").id
                     for i in range(3)],
           "kursk": [make.project(world.other_region_school, member_of_kursk.actor, title=f"Курск {i}").id
                     for i in range(2)]}
    return out


def _ids(page):
    return [p["id"] for p in page["items"]]


def test_list_projects_scope(api, many, member_of_school, curator_orel, curator_kursk, admin, head_of_other_school):
    assert _ids(api.ok("GET", "/projects", member_of_school)) == many["school"]
    assert _ids(api.ok("GET", "/projects", head_of_other_school)) == many["other"]
    assert _ids(api.ok("GET", "/projects", curator_orel)) == many["school"] + many["other"]
    assert _ids(api.ok("GET", "/projects", curator_kursk)) == many["kursk"]
    page = api.ok("GET", "/projects", admin)
    assert page["total"] == 12 and _ids(page) == many["school"] + many["other"] + many["kursk"]
    assert PROJECT_KEYS <= set(page["items"][0])


def test_list_projects_filters(frozen_clock, api, world, many, member_of_school, head_of_school, curator_orel, admin):
    get = lambda who, **q: api.ok("GET", "/projects", who, query=q)  # noqa: E731
    assert _ids(get(curator_orel, org_id=world.other_school.id)) == many["other"]
    assert _ids(get(admin, region_id=world.other_region.id)) == many["kursk"]
    assert get(curator_orel, region_id=world.other_region.id) == {"items": [], "total": 0}  # not theirs
    assert get(member_of_school, org_id=world.other_school.id) == {"items": [], "total": 0}
    # state
    first = many["school"][0]
    api.ok("POST", f"/projects/{first}/transitions", head_of_school,
           {"trigger": "cancel", "version": 1, "comment": "Не актуально"}, status=200)
    assert _ids(get(member_of_school, state="cancelled")) == [first]
    assert get(member_of_school, state="diagnose")["total"] == 6
    assert get(member_of_school, state="nowhere")["total"] == 0
    # stalled: idle after 14 days; a comment makes one active again; final states never stall
    frozen_clock.advance(days=20)
    api.ok("POST", f"/projects/{many['school'][1]}/comments", member_of_school, {"text": "Живы"})
    stalled = get(member_of_school, stalled="true")
    assert _ids(stalled) == many["school"][2:] and stalled["total"] == 5
    assert all(p["stalled"] for p in stalled["items"])
    assert _ids(get(member_of_school, stalled="false")) == [first, many["school"][1]]
    assert _ids(get(curator_orel, stalled="true", org_id=world.school.id, state="diagnose", limit=2)) == \
        many["school"][2:4]


def test_list_projects_pagination(api, make, world, member_of_school):
    ids = [make.project(world.school, member_of_school.actor, title=f"П{i}").id for i in range(55)]
    page = api.ok("GET", "/projects", member_of_school)
    assert page["total"] == 55 and _ids(page) == ids[:50]  # default limit 50
    assert _ids(api.ok("GET", "/projects", member_of_school, query={"offset": 50})) == ids[50:]
    page = api.ok("GET", "/projects", member_of_school, query={"limit": 5, "offset": 10})
    assert _ids(page) == ids[10:15] and page["total"] == 55
    assert _ids(api.ok("GET", "/projects", member_of_school, query={"limit": 500})) == ids
    assert api.ok("GET", "/projects", member_of_school, query={"offset": 1000}) == {"items": [], "total": 55}


@pytest.mark.parametrize("query,field", [({"limit": 501}, "limit"), ({"limit": 0}, "limit"), ({"limit": -5}, "limit"),
                                         ({"limit": "ten"}, "limit"), ({"offset": -1}, "offset"),
                                         ({"offset": 2**31}, "offset"), ({"org_id": "x"}, "org_id"),
                                         ({"region_id": "1.5"}, "region_id"), ({"org_id": 10**30}, "org_id"),
                                         ({"stalled": "maybe"}, "stalled"), ({"offset": ""}, "offset"),
                                         ({"limit": ""}, "limit"), ({"stalled": ""}, "stalled"),
                                         ({"org_id": ""}, "org_id")])
def test_list_projects_bad_query_is_422(api, member_of_school, query, field):
    assert field in fields_of(api.get("/projects", member_of_school, query=query))


def test_list_projects_search(api, many, member_of_school):
    assert _ids(api.ok("GET", "/projects", member_of_school, query={"q": "кола 3"})) == [many["school"][3]]
    # Cyrillic in any case, on both backends (SQLite's own lower() folds ASCII only)
    assert _ids(api.ok("GET", "/projects", member_of_school, query={"q": "ШКОЛА 3"})) == [many["school"][3]]
    assert _ids(api.ok("GET", "/projects", member_of_school, query={"q": "шКоЛа 5"})) == [many["school"][5]]
    assert _ids(api.ok("GET", "/projects", member_of_school, query={"q": "57-2026"})) == many["school"]



@pytest.mark.parametrize("body", [{}, {"org_id": 999999}, {"title": "Без организации"}])
def test_curators_and_admins_may_not_create_whatever_the_body(api, curator_orel, admin, body):
    for who in (curator_orel, admin):
        assert api.post("/projects", who, json=body).status_code == 403
