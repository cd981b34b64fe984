"""A project in a final state of its workflow (closed, cancelled) is read-only (issue #10,
item 8): its card, metrics, measurements, problems, actions, artefacts, risks and team
cannot be changed (409 ``conflict`` with a clear message, nothing written), through the
engine, the API and the pages; comments are still allowed. The same calls on an open
project succeed, so every refusal here is the final state's doing."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from engine import clock
from engine import services as svc
from engine.errors import Conflict
from engine.models import Action, Metric, Risk, metadata
from tests.api.conftest import Api, error_of, fields_of
from tests.engine.conftest import Flow
from tests.web.conftest import Browser, dom, project_forms


@pytest.fixture
def api(app: Flask, make: Any) -> Api:
    return Api(app, make)


def row_counts(store: Any) -> dict[str, int]:
    with store.uow() as uow:
        return {t.name: uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables}


def furnish(make: Any, world: Any, member: Any, head: Any, to_state: str | None) -> dict[str, Any]:
    """A school project with a metric (measured), an action, a risk and a team member,
    moved by its head to ``to_state`` (closed through every gate, or cancelled)."""
    flow = Flow(make, member, head)
    p = make.project(world.school, member.actor, title="Оптимизация выдачи учебников")
    flow.satisfy(p.id, "diagnose")
    flow.log(svc.add_action, p.id, {"title": "Разметить стеллажи", "due_on": clock.today().isoformat()})
    flow.log(svc.log_risk, p.id, {"title": "Нет времени у учителей", "probability": 2, "impact": 2})
    make.call(svc.add_team_member, member.actor, p.id, {"user_id": head.id, "role_text": "наставник"})
    if to_state is not None:
        flow.advance(p.id, to_state)
    with make.store.uow() as uow:
        def first(model: Any) -> int:
            return uow.session.execute(select(model.id).where(model.project_id == p.id).order_by(model.id)).scalar()
        ids = {"project": p.id, "metric": first(Metric), "action": first(Action), "risk": first(Risk),
               "member": member.id, "head": head.id}
    ids["version"] = flow.reload(p.id).version
    ids["state"] = flow.reload(p.id).state
    return ids


def api_mutations(ids: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, valid body) of every API call that changes a project's card or evidence."""
    pid, mid, aid, rid = ids["project"], ids["metric"], ids["action"], ids["risk"]
    today = clock.today().isoformat()
    return [
        ("PATCH", f"/projects/{pid}", {"title": "Новое название", "version": ids["version"]}),
        ("POST", f"/projects/{pid}/metrics", {"name": "Доля довольных", "unit": "%", "direction": "increase",
                                              "baseline": 60}),
        ("PATCH", f"/metrics/{mid}", {"target": 10}),
        ("POST", f"/metrics/{mid}/measurements", {"value": 12, "measured_on": today}),
        ("POST", f"/projects/{pid}/problems", {"description": "Очередь у библиотеки", "waste": "waiting"}),
        ("POST", f"/projects/{pid}/actions", {"title": "График выдачи", "due_on": today}),
        ("PATCH", f"/actions/{aid}", {"title": "Другое название"}),
        ("POST", f"/projects/{pid}/artefacts", {"kind": "other", "title": "Фото стеллажей"}),
        ("POST", f"/projects/{pid}/risks", {"title": "Болезнь библиотекаря", "probability": 2, "impact": 2}),
        ("PATCH", f"/risks/{rid}", {"title": "Нет времени у всех"}),
    ]


@pytest.mark.parametrize("final", ["closed", "cancelled"])
def test_every_api_mutation_of_a_final_project_is_409_and_writes_nothing(
        api: Api, store: Any, make: Any, world: Any, member_of_school: Any, head_of_school: Any,
        frozen_clock: Any, final: str) -> None:
    ids = furnish(make, world, member_of_school, head_of_school, final)
    assert ids["state"] == final
    api.token(member_of_school), api.token(head_of_school)  # issued (and logged) before counting
    for method, path, body in api_mutations(ids):
        for who in (member_of_school, head_of_school):
            before = row_counts(store)
            r = api.request(method, path, who, json=body)
            error_of(r, 409, "conflict")
            message = r.get_json()["error"]["message"]
            assert "Проект завершён" in message and "комментари" in message, message
            assert row_counts(store) == before, (method, path)
    # a comment is still welcome
    r = api.post(f"/projects/{ids['project']}/comments", member_of_school, json={"text": "Итоги подведены"})
    assert r.status_code == 201, r.get_json()


def test_the_same_calls_succeed_on_an_open_project(api: Api, make: Any, world: Any, member_of_school: Any,
                                                   head_of_school: Any, frozen_clock: Any) -> None:
    ids = furnish(make, world, member_of_school, head_of_school, None)
    for method, path, body in api_mutations(ids):
        r = api.request(method, path, member_of_school, json=body)
        assert r.status_code in (200, 201), (method, path, r.get_json())


@pytest.mark.parametrize("final", ["closed", "cancelled"])
def test_bad_input_is_still_422_first(api: Api, make: Any, world: Any, member_of_school: Any,
                                      head_of_school: Any, frozen_clock: Any, final: str) -> None:
    """API.md's order: 422 validation_failed before 409."""
    ids = furnish(make, world, member_of_school, head_of_school, final)
    assert set(fields_of(api.post(f"/projects/{ids['project']}/metrics", member_of_school,
                                  json={"name": "", "direction": "up"}))) >= {"name", "direction"}
    assert "title" in fields_of(api.patch(f"/projects/{ids['project']}", member_of_school,
                                          json={"title": None, "version": ids["version"]}))


@pytest.mark.parametrize("final", ["closed", "cancelled"])
def test_the_engine_refuses_team_changes_and_every_mutation(store: Any, make: Any, world: Any,
                                                            member_of_school: Any, head_of_school: Any,
                                                            frozen_clock: Any, final: str) -> None:
    ids = furnish(make, world, member_of_school, head_of_school, final)
    pid, who = ids["project"], member_of_school.actor
    today = clock.today().isoformat()
    calls = [
        (svc.add_team_member, pid, {"user_id": member_of_school.id, "role_text": "аналитик"}),
        (svc.update_project, pid, {"goal": "Иначе", "version": ids["version"]}),
        (svc.add_metric, pid, {"name": "Доля", "unit": "%", "direction": "increase"}),
        (svc.update_metric, ids["metric"], {"baseline": 1.0}),
        (svc.record_measurement, ids["metric"], {"value": 1.0, "measured_on": today}),
        (svc.add_problem, pid, {"description": "Очередь", "waste": "waiting"}),
        (svc.add_action, pid, {"title": "Ещё одно"}),
        (svc.update_action, ids["action"], {"status": "open"}),
        (svc.add_artefact, pid, {"kind": "other", "title": "Ещё документ"}),
        (svc.log_risk, pid, {"title": "Ещё риск", "probability": 1, "impact": 1}),
        (svc.update_risk, ids["risk"], {"status": "resolved"}),
    ]
    for fn, obj_id, data in calls:
        before = row_counts(store)
        with pytest.raises(Conflict) as exc:
            make.call(fn, who, obj_id, data)
        assert exc.value.details == {"state": final}, fn.__name__
        assert "finished" in exc.value.message("en"), fn.__name__
        assert row_counts(store) == before, fn.__name__
    comment = make.call(svc.add_comment, who, pid, {"text": "Спасибо команде"})
    assert comment.id is not None


# --- the project page ----------------------------------------------------------------------------------

@pytest.fixture
def web(app: Flask) -> Any:
    def open_(person: Any) -> Browser:
        return Browser(app).sign_in(person)
    return open_


@pytest.mark.parametrize("final", ["closed", "cancelled"])
def test_the_page_of_a_final_project_shows_no_edit_form_but_the_comment_form(
        web: Any, store: Any, make: Any, world: Any, member_of_school: Any, head_of_school: Any,
        frozen_clock: Any, final: str) -> None:
    ids = furnish(make, world, member_of_school, head_of_school, final)
    pid = ids["project"]
    b = web(member_of_school)
    page = dom(b.get(f"/projects/{pid}"))
    assert page.find("p", data_read_only=True) is not None
    actions = {(f.get("data-endpoint") or f.get("action") or "").split("?")[0] for f in page.find_all("form")}
    forms = project_forms({**ids, "project": pid}, ids["version"])
    assert not actions & {path for _name, path, _data in forms}, actions
    assert f"/projects/{pid}/comments" in actions
    # posting the forms anyway: 409, nothing written, the notice shown again
    for name, path, data in forms:
        before = row_counts(store)
        r = b.post(path, data)
        assert r.status_code == 409, (name, r.status_code)
        assert dom(r).find("p", data_read_only=True) is not None, name
        assert row_counts(store) == before, name
    assert b.post(f"/projects/{pid}/comments", {"text": "Итоги подведены"}).status_code == 302


def test_the_page_of_an_open_project_keeps_its_forms(web: Any, make: Any, world: Any, member_of_school: Any,
                                                     head_of_school: Any, frozen_clock: Any) -> None:
    ids = furnish(make, world, member_of_school, head_of_school, None)
    page = dom(web(member_of_school).get(f"/projects/{ids['project']}"))
    assert page.find("p", data_read_only=True) is None
    actions = {(f.get("data-endpoint") or f.get("action") or "").split("?")[0] for f in page.find_all("form")}
    assert f"/projects/{ids['project']}/edit" in actions and f"/projects/{ids['project']}/metrics" in actions


def test_publishing_and_replicating_a_closed_project_still_work(api: Api, make: Any, world: Any,
                                                                member_of_school: Any, head_of_school: Any,
                                                                curator_orel: Any, frozen_clock: Any) -> None:
    ids = furnish(make, world, member_of_school, head_of_school, "closed")
    practice = api.ok("POST", f"/projects/{ids['project']}/publish", curator_orel,
                      {"category": "meals", "summary": "Выдача учебников без очередей"})
    replica = api.ok("POST", f"/practices/{practice['id']}/replicate", member_of_school,
                     {"org_id": world.school.id})
    assert replica["state"] != "closed"
    api.ok("POST", f"/projects/{replica['id']}/metrics", member_of_school,
           {"name": "Время выдачи", "unit": "мин", "direction": "decrease", "baseline": 40})
    assert date.fromisoformat(practice["published_at"][:10]) == clock.today()
