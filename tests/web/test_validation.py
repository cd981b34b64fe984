"""Bad input on a form: the page comes back with 422, a .field-error next to the field
(the input marked aria-invalid and pointing at the message), what the person typed is
still there, and nothing was written."""
from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import (
    MEASURED_ON,
    add_diagnosis,
    db_snapshot,
    dom,
    field_error,
    fire,
    form_for,
    invalid_fields,
    project_row,
    value_of,
)


def _post_invalid(b: Any, store: Any, path: str, data: dict[str, Any], status: int = 422) -> Any:
    before = db_snapshot(store)
    r = b.post(path, data)
    assert r.status_code == status, (path, r.status_code, r.get_data(as_text=True)[:500])
    assert r.mimetype == "text/html"
    assert db_snapshot(store) == before
    return dom(r)


@pytest.mark.parametrize("title", ["", "   "])
def test_card_with_an_empty_title(web, store, furnished, member_of_school, title):
    b = web(member_of_school)
    pid = furnished["project"]
    action = f"/projects/{pid}/edit"
    typed = {"title": title, "problem": "Долго ищем учебники на складе", "goal": "Выдавать за 10 минут",
             "sponsor": "Директор Петров С.А.", "process_owner": "Библиотекарь",
             "planned_hours_saved": "120", "version": str(project_row(store, pid).version)}
    page = _post_invalid(b, store, action, typed)
    form = form_for(page, action)
    field_error(page, "title", form)
    assert invalid_fields(page) == {"title"}
    for name in ("problem", "goal", "sponsor", "process_owner", "planned_hours_saved"):
        assert value_of(form, name) == typed[name], name
    # the page is still the project page, with its title shown
    assert page.find("h1", cls="project-title").text == "Оптимизация выдачи учебников"


def test_card_with_a_number_that_is_not_a_number(web, store, furnished, member_of_school):
    b = web(member_of_school)
    pid = furnished["project"]
    action = f"/projects/{pid}/edit"
    page = _post_invalid(b, store, action, {
        "title": "Оптимизация выдачи", "problem": "П", "goal": "Ц", "planned_roubles": "много",
        "version": str(project_row(store, pid).version)})
    form = form_for(page, action)
    field_error(page, "planned_roubles", form)
    assert value_of(form, "planned_roubles") == "много"
    assert value_of(form, "title") == "Оптимизация выдачи"


def test_card_saved_on_a_stale_version_keeps_what_was_typed(web, store, make, furnished, member_of_school):
    from engine import services as svc
    pid = furnished["project"]
    b = web(member_of_school)
    old_version = project_row(store, pid).version
    make.call(svc.update_project, member_of_school.actor, pid, {"sponsor": "Кто-то другой", "version": old_version})
    action = f"/projects/{pid}/edit"
    page = _post_invalid(b, store, action, {"title": "Моё название", "problem": "Моя проблема",
                                            "goal": "Моя цель", "version": str(old_version)}, status=409)
    form = form_for(page, action)
    assert form.find(cls="error", role="alert") is not None
    assert value_of(form, "title") == "Моё название"
    assert value_of(form, "problem") == "Моя проблема"


def test_new_project_with_an_empty_title(web, store, world, member_of_school):
    b = web(member_of_school)
    typed = {"org_id": str(world.school.id), "title": "", "problem": "Очереди в гардеробе",
             "goal": "Одеваться за 5 минут", "process_start": "звонок", "process_end": "выход на улицу"}
    page = _post_invalid(b, store, "/projects/new", typed)
    field_error(page, "title")
    assert invalid_fields(page) == {"title"}
    form = page.one("main").one("form", method="post")
    for name in ("problem", "goal", "process_start", "process_end"):
        assert value_of(form, name) == typed[name], name
    assert value_of(form, "org_id") == str(world.school.id)


def test_new_project_is_created(web, store, world, member_of_school):
    b = web(member_of_school)
    r = b.post("/projects/new", {"org_id": str(world.school.id), "title": "Оптимизация гардероба",
                                 "problem": "Очереди", "goal": "Быстрее"})
    assert r.status_code == 302
    pid = int(r.headers["Location"].rstrip("/").split("/")[-1])
    assert project_row(store, pid).title == "Оптимизация гардероба"


@pytest.mark.parametrize("probability", ["9", "0", "три"])
def test_risk_with_a_probability_out_of_range(web, store, furnished, member_of_school, probability):
    b = web(member_of_school)
    action = f"/projects/{furnished['project']}/risks"
    typed = {"title": "Повар на больничном", "probability": probability, "impact": "4",
             "mitigation": "Договориться о замене"}
    page = _post_invalid(b, store, action, typed)
    form = form_for(page, action)
    field_error(page, "probability", form)
    assert invalid_fields(page) == {"probability"}
    for name, value in typed.items():
        assert value_of(form, name) == value, name


def test_problem_with_an_unknown_waste(web, store, furnished, member_of_school):
    b = web(member_of_school)
    action = f"/projects/{furnished['project']}/problems"
    page = _post_invalid(b, store, action, {"description": "Учителя ждут копир", "waste": "laziness"})
    form = form_for(page, action)
    field_error(page, "waste", form)
    assert invalid_fields(page) == {"waste"}
    assert value_of(form, "description") == "Учителя ждут копир"


@pytest.mark.parametrize("measured_on", ["", None, "31.02.2026"])
def test_measurement_without_a_date(web, store, furnished, member_of_school, measured_on):
    b = web(member_of_school)
    mid = furnished["metric"]
    action = f"/metrics/{mid}/measurements"
    data = {"project_id": str(furnished["project"]), "value": "33,5"}
    if measured_on is not None:
        data["measured_on"] = measured_on
    page = _post_invalid(b, store, action, data)
    form = form_for(page, action)
    field_error(page, "measured_on", form)
    assert invalid_fields(page) == {"measured_on"}
    assert value_of(form, "value") == "33,5"


def test_measurement_in_the_future(web, store, furnished, member_of_school):
    b = web(member_of_school)
    action = f"/metrics/{furnished['metric']}/measurements"
    page = _post_invalid(b, store, action, {"project_id": str(furnished["project"]), "value": "12",
                                            "measured_on": "2030-01-01"})
    field_error(page, "measured_on", form_for(page, action))


def test_measurement_is_recorded(web, store, furnished, member_of_school):
    b = web(member_of_school)
    before = db_snapshot(store)["counts"]["measurement"]
    r = b.post(f"/metrics/{furnished['metric']}/measurements",
               {"project_id": str(furnished["project"]), "value": "33,5", "measured_on": MEASURED_ON})
    assert r.status_code == 302
    assert db_snapshot(store)["counts"]["measurement"] == before + 1


def test_metric_edit_with_a_word_for_a_number(web, store, furnished, member_of_school):
    b = web(member_of_school)
    mid = furnished["metric"]
    action = f"/metrics/{mid}/edit"
    page = _post_invalid(b, store, action, {"project_id": str(furnished["project"]), "baseline": "сорок",
                                            "target": "20"})
    form = form_for(page, action)
    field_error(page, "baseline", form)
    assert value_of(form, "baseline") == "сорок"
    assert value_of(form, "target") == "20"


@pytest.mark.parametrize("path_of, data, bad", [
    (lambda ids: f"/projects/{ids['project']}/metrics", {"name": "", "unit": "мин", "direction": "decrease",
                                                          "baseline": "5"}, "name"),
    (lambda ids: f"/projects/{ids['project']}/metrics", {"name": "ВПП", "unit": "мин", "direction": "sideways"},
     "direction"),
    (lambda ids: f"/projects/{ids['project']}/actions", {"title": "Разметка", "due_on": "завтра"}, "due_on"),
    (lambda ids: f"/projects/{ids['project']}/actions", {"title": "", "due_on": "2026-10-01"}, "title"),
    (lambda ids: f"/projects/{ids['project']}/artefacts", {"kind": "poster", "title": "Плакат"}, "kind"),
    (lambda ids: f"/projects/{ids['project']}/artefacts", {"kind": "standard", "title": ""}, "title"),
    (lambda ids: f"/projects/{ids['project']}/risks", {"title": "", "probability": "2", "impact": "2"}, "title"),
    (lambda ids: f"/projects/{ids['project']}/risks", {"title": "Р", "probability": "2", "impact": "6"}, "impact"),
    (lambda ids: f"/projects/{ids['project']}/comments", {"text": "  "}, "text"),
    (lambda ids: f"/projects/{ids['project']}/team", {"user_id": "", "role_text": "аналитик"}, "user_id"),
])
def test_other_forms_name_the_bad_field(web, store, furnished, member_of_school, path_of, data, bad):
    b = web(member_of_school)
    action = path_of(furnished)
    page = _post_invalid(b, store, action, data)
    form = form_for(page, action)
    field_error(page, bad, form)
    assert invalid_fields(page) == {bad}
    for name, value in data.items():
        if name != bad and form.find(name=name) is not None:
            assert value_of(form, name) == value, name


@pytest.mark.parametrize("comment", ["", "   "])
def test_reject_without_a_comment(web, make, store, project, member_of_school, head_of_school, comment):
    add_diagnosis(make, project.id, member_of_school)
    req = fire(make, store, project.id, member_of_school, "to_target").request
    b = web(head_of_school)
    page = _post_invalid(b, store, f"/approvals/{req.id}/reject", {"comment": comment})
    item = page.one(data_request_id=req.id)
    form = form_for(item, f"/approvals/{req.id}/reject")
    field_error(page, "comment", form)
    assert invalid_fields(page) == {"comment"}
    assert project_row(store, project.id).state == "diagnose"
