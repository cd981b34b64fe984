"""Fixtures for the JSON API tests: an app on the test's migrated database, an API client
that signs requests with a real bearer token per person, and a few ready-made projects.

    def test_something(api, member_of_school, project):
        r = api.get(f"/projects/{project.id}", as_=member_of_school)
        assert r.status_code == 200
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

API = "/api/v1"
_MISSING: Any = object()



class Api:
    """A test client for /api/v1 that authenticates as a person (a token each, cached)."""

    def __init__(self, app: Flask, make: Any):
        self.app = app
        self.client = app.test_client(use_cookies=False)
        self.make = make
        self._tokens: dict[int, str] = {}

    def token(self, person: Any) -> str:
        if person.id not in self._tokens:
            self._tokens[person.id] = self.make.token(person)
        return self._tokens[person.id]

    def headers(self, person: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(person)}"}

    def request(self, method: str, path: str, as_: Any = None, json: Any = _MISSING,
                data: Any = None, headers: dict[str, str] | None = None,
                query: dict[str, Any] | None = None) -> TestResponse:
        hdrs = dict(self.headers(as_)) if as_ is not None else {}
        hdrs.update(headers or {})
        kw: dict[str, Any] = {"headers": hdrs, "query_string": query}
        if json is not _MISSING:
            kw["json"] = json
        elif data is not None:
            kw["data"] = data
        # "/projects" means /api/v1/projects; a path given with "/api/" or "//" is taken as is
        url = path[1:] if path.startswith("//") else path if path.startswith("/api/") else API + path
        return self.client.open(url, method=method, **kw)

    def get(self, path: str, as_: Any = None, **kw: Any) -> TestResponse:
        return self.request("GET", path, as_, **kw)

    def post(self, path: str, as_: Any = None, json: Any = _MISSING, **kw: Any) -> TestResponse:
        return self.request("POST", path, as_, json=json, **kw)

    def patch(self, path: str, as_: Any = None, json: Any = _MISSING, **kw: Any) -> TestResponse:
        return self.request("PATCH", path, as_, json=json, **kw)

    # --- shortcuts that must succeed -------------------------------------------------------
    def ok(self, method: str, path: str, as_: Any, json: Any = _MISSING, status: int | None = None,
           **kw: Any) -> Any:
        r = self.request(method, path, as_, json=json, **kw)
        expected = status or {"GET": 200, "PATCH": 200}.get(method, 201)
        assert r.status_code == expected, (method, path, r.status_code, r.get_json())
        return r.get_json()

    def project(self, pid: int, as_: Any) -> dict[str, Any]:
        return self.ok("GET", f"/projects/{pid}", as_)

    def move(self, pid: int, as_: Any, trigger: str, comment: str | None = None) -> TestResponse:
        version = self.project(pid, as_)["version"]
        body: dict[str, Any] = {"trigger": trigger, "version": version}
        if comment is not None:
            body["comment"] = comment
        return self.post(f"/projects/{pid}/transitions", as_, json=body)


@pytest.fixture
def api(app: Flask, make: Any) -> Api:
    return Api(app, make)


def error_of(r: TestResponse, status: int, code: str) -> dict[str, Any]:
    """Assert the error envelope (API.md) and return its details."""
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.is_json, r.headers.get("Content-Type")
    body = r.get_json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "details"}, err
    assert err["code"] == code, err
    assert isinstance(err["message"], str) and err["message"]
    assert isinstance(err["details"], dict)
    return err["details"]


def fields_of(r: TestResponse) -> dict[str, str]:
    return error_of(r, 422, "validation_failed")["fields"]


# --- ready-made projects ------------------------------------------------------------------

@pytest.fixture
def project(make: Any, world: Any, member_of_school: Any) -> Any:
    """A fresh project of the school (diagnose), created by its member."""
    return make.project(world.school, member_of_school.actor)


@pytest.fixture
def other_project(make: Any, world: Any, member_of_other_school: Any) -> Any:
    """A project of another school in the same region."""
    return make.project(world.other_school, member_of_other_school.actor, title="Оптимизация архива")


@pytest.fixture
def member_of_kursk(make: Any, world: Any) -> Any:
    return make.person("member", org=world.other_region_school, email="teacher@kursk5.ru")


@pytest.fixture
def kursk_project(make: Any, world: Any, member_of_kursk: Any) -> Any:
    """A project in another region."""
    return make.project(world.other_region_school, member_of_kursk.actor, title="Проект Курска")


# --- evidence that makes gates pass (over HTTP) -------------------------------------------

def add_diagnosis(api: Api, pid: int, who: Any, *, baseline: float = 67.0) -> dict[str, Any]:
    """Current-state map, one problem and a metric with a baseline: `to_target` holds."""
    api.ok("POST", f"/projects/{pid}/artefacts", who,
           {"kind": "current_state_map", "title": "Карта текущего состояния", "url": "https://example.org/kts"})
    api.ok("POST", f"/projects/{pid}/problems", who,
           {"description": "Учитель тратит время на поиск бланков", "waste": "motion"})
    return api.ok("POST", f"/projects/{pid}/metrics", who,
                  {"name": "ВПП подготовки контрольной работы", "unit": "мин", "direction": "decrease",
                   "baseline": baseline})


def add_target(api: Api, pid: int, who: Any, metric_id: int, *, target: float = 30.0,
               due_on: date = date(2026, 10, 1)) -> dict[str, Any]:
    """Target-state map, a target for the metric and an action plan: `to_implement` holds."""
    api.ok("POST", f"/projects/{pid}/artefacts", who,
           {"kind": "target_state_map", "title": "Карта целевого состояния"})
    api.ok("PATCH", f"/metrics/{metric_id}", who, {"target": target})
    return api.ok("POST", f"/projects/{pid}/actions", who,
                  {"title": "Шаблоны контрольных в общей папке", "due_on": due_on.isoformat()})


# --- a prepared world: one of every object, so every path has a real id ------------------

class Prepared:
    """The school's project with a metric, measurement, action, risk and a pending request
    (to_target, asked by the member), a fresh second project (nothing pending), and the
    people around them."""

    def __init__(self, api: Api, world: Any, member: Any, head: Any, curator: Any, admin: Any):
        self.world, self.member, self.head, self.curator, self.admin = world, member, head, curator, admin
        pid = api.ok("POST", "/projects", member, {"org_id": world.school.id, "title": "Оптимизация питания",
                                                   "problem": "Очереди", "goal": "Быстрее"})["id"]
        metric = add_diagnosis(api, pid, member)
        api.ok("POST", f"/metrics/{metric['id']}/measurements", member,
               {"value": 60, "measured_on": "2026-01-15"})
        action = api.ok("POST", f"/projects/{pid}/actions", member, {"title": "Шаблоны", "due_on": "2026-10-01"})
        risk = api.ok("POST", f"/projects/{pid}/risks", member, {"title": "Нет принтера", "probability": 2,
                                                                  "impact": 3})
        request = api.move(pid, member, "to_target")
        assert request.status_code == 202, request.get_json()
        fresh = api.ok("POST", "/projects", member, {"org_id": world.school.id, "title": "Оптимизация архива",
                                                     "problem": "Папки", "goal": "Порядок"})["id"]
        # the region's programme (#13) with the school taking part, and its initial round
        programme = api.ok("POST", "/programmes", curator, {
            "region_id": world.region.id, "title": "Бережливая школа", "starts_on": "2026-01-01",
            "ends_on": "2027-12-31",
            "stages": [{"title": "Подготовительный", "starts_on": "2026-01-01", "ends_on": "2027-12-31"}]})
        participant = api.ok("POST", f"/programmes/{programme['id']}/participants", curator,
                             {"org_id": world.school.id, "joined_on": "2026-02-01"})
        # a course of the region with a stream and the member enrolled (#14)
        course = api.ok("POST", "/courses", curator, {"region_id": world.region.id, "title": "ПК «Бережливая школа»",
                                                      "hours": 72, "kind": "qualification"})
        stream = api.ok("POST", f"/courses/{course['id']}/streams", curator,
                        {"starts_on": "2026-03-25", "ends_on": "2026-03-27", "place": "Орёл"})
        enrolment = api.ok("POST", f"/streams/{stream['id']}/enrolments", curator, {"user_id": member.id})
        # an event of the programme (#14 item 3) where the school took part
        event = api.ok("POST", "/events", curator, {
            "region_id": world.region.id, "programme_id": programme["id"], "title": "Вебинар «Бережливая школа»",
            "kind": "webinar", "held_on": "2026-03-01", "attendance": 40, "org_ids": [world.school.id]})
        self.ids: dict[str, Any] = {
            "project_id": pid, "metric_id": metric["id"], "action_id": action["id"], "risk_id": risk["id"],
            "request_id": request.get_json()["request"]["id"], "region_id": world.region.id,
            "workflow_id": "psr", "fresh_project_id": fresh, "org_id": world.school.id,
            "municipality_id": world.municipality.id, "user_id": member.id,
            "programme_id": programme["id"], "participant_id": participant["id"],
            "round_id": programme["rounds"][0]["id"], "course_id": course["id"], "stream_id": stream["id"],
            "enrolment_id": enrolment["id"], "event_id": event["id"]}

    def path(self, template: str) -> str:
        return template.format(**self.ids)


@pytest.fixture
def prepared(api: Api, world: Any, member_of_school: Any, head_of_school: Any, curator_orel: Any,
             admin: Any) -> Prepared:
    return Prepared(api, world, member_of_school, head_of_school, curator_orel, admin)
