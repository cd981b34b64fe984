"""Bad input gets a clear error naming the field (ValidationFailed.fields) or a Conflict,
and nothing is written: every table has the same rows before and after."""
from __future__ import annotations

import pytest

from engine.errors import BadRequest, Conflict, ValidationFailed
from engine.services import (
    add_action,
    add_metric,
    add_problem,
    create_project,
    log_risk,
    record_measurement,
    reject_request,
    update_project,
    update_risk,
)

GOOD_PROJECT = {"title": "Оптимизация процесса питания", "problem": "Очереди", "goal": "Без очередей"}
GOOD_RISK = {"title": "Сбой электронного журнала", "probability": 3, "impact": 4}


def messages(error: ValidationFailed) -> dict[str, str]:
    fields = error.field_messages("ru")
    assert all(fields.values()), f"a field without a message: {fields}"
    assert all(error.field_messages("en").values())
    return fields


# --- the cases from the issue ----------------------------------------------------------------

def test_an_unknown_trigger_is_a_conflict_naming_it(flow, refused, project, member_of_school):
    error = refused(lambda: flow.fire(member_of_school.actor, project.id, "to_paradise"), Conflict)
    assert error.details == {"trigger": "to_paradise"}
    assert "to_paradise" in error.message("ru") and "to_paradise" in error.message("en")


def test_an_unknown_organisation_is_named(make, refused, member_of_school):
    error = refused(lambda: make.call(create_project, member_of_school.actor, {"org_id": 9999, **GOOD_PROJECT}))
    assert list(messages(error)) == ["org_id"]
    assert messages(error)["org_id"] == "Нет такой организации"


@pytest.mark.parametrize("org_id", ["first", None, 1.5, True])
def test_an_organisation_that_is_not_an_id_is_named(make, refused, world, member_of_school, org_id):
    error = refused(lambda: make.call(create_project, member_of_school.actor, {"org_id": org_id, **GOOD_PROJECT}))
    assert "org_id" in messages(error)


@pytest.mark.parametrize(("field", "value", "bound"), [
    ("probability", 0, "1"), ("probability", 6, "5"), ("probability", -3, "1"),
    ("impact", 0, "1"), ("impact", 10, "5"),
])
def test_probability_and_impact_outside_one_to_five_are_named(make, refused, project, member_of_school,
                                                               field, value, bound):
    error = refused(lambda: make.call(log_risk, member_of_school.actor, project.id, {**GOOD_RISK, field: value}))
    assert list(messages(error)) == [field]
    assert bound in messages(error)[field]


def test_a_risk_cannot_be_changed_to_an_impossible_probability(make, refused, project, member_of_school):
    risk = make.call(log_risk, member_of_school.actor, project.id, GOOD_RISK)
    error = refused(lambda: make.call(update_risk, member_of_school.actor, risk.id, {"probability": 6}))
    assert list(messages(error)) == ["probability"]


@pytest.mark.parametrize("waste", ["laziness", "Waiting", ""])
def test_an_unknown_waste_is_named_with_the_allowed_ones(make, refused, project, member_of_school, waste):
    error = refused(lambda: make.call(add_problem, member_of_school.actor, project.id,
                                      {"description": "Родители ждут в коридоре", "waste": waste}))
    assert list(messages(error)) == ["waste"]
    assert "waiting" in messages(error)["waste"] and "talent" in messages(error)["waste"]


@pytest.mark.parametrize("title", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_a_project_without_a_title_is_refused(make, refused, world, member_of_school, title):
    data = {"org_id": world.school.id, **GOOD_PROJECT}
    if title is None:
        del data["title"]
    else:
        data["title"] = title
    error = refused(lambda: make.call(create_project, member_of_school.actor, data))
    assert list(messages(error)) == ["title"]


def test_a_title_cannot_be_removed_from_a_project(make, refused, project, member_of_school):
    error = refused(lambda: make.call(update_project, member_of_school.actor, project.id,
                                      {"version": project.version, "title": None}))
    assert list(messages(error)) == ["title"]


def test_a_rejection_without_a_comment_is_refused(flow, make, refused, project, member_of_school,
                                                  head_of_school):
    flow.satisfy(project.id, "diagnose")
    request = flow.fire(member_of_school.actor, project.id, "to_target").request
    error = refused(lambda: make.call(reject_request, head_of_school.actor, request.id, {}))
    assert list(messages(error)) == ["comment"]
    assert flow.requests(project.id)[0].status == "pending"


# --- more of the same kind ------------------------------------------------------------------------

@pytest.mark.parametrize(("service", "data", "field"), [
    (add_metric, {"name": "ВПП", "direction": "sideways"}, "direction"),
    (add_metric, {"direction": "decrease"}, "name"),
    (add_metric, {"name": "ВПП", "direction": "decrease", "baseline": "много"}, "baseline"),
    (add_action, {"due_on": "2026-10-01"}, "title"),
    (add_action, {"title": "Шаблон", "due_on": "1 октября"}, "due_on"),
    (log_risk, {"probability": 2, "impact": 2}, "title"),
    (log_risk, {**GOOD_RISK, "colour": "red"}, "colour"),
])
def test_bad_evidence_is_named(make, refused, project, member_of_school, service, data, field):
    error = refused(lambda: make.call(service, member_of_school.actor, project.id, data))
    assert field in messages(error)


def test_a_measurement_in_the_future_is_refused(flow, make, refused, project, member_of_school):
    metric = flow.add_metric(project.id)
    error = refused(lambda: make.call(record_measurement, member_of_school.actor, metric.id,
                                      {"value": 30, "measured_on": "2026-09-02"}))  # the frozen today is 1 September
    assert list(messages(error)) == ["measured_on"]


@pytest.mark.parametrize("body", [None, [], "to_target"])
def test_a_body_that_is_not_an_object_is_a_bad_request(make, refused, project, member_of_school, body):
    refused(lambda: make.call(add_problem, member_of_school.actor, project.id, body), BadRequest)


def test_every_bad_field_is_named_at_once(make, refused, project, member_of_school):
    error = refused(lambda: make.call(log_risk, member_of_school.actor, project.id,
                                      {"title": "", "probability": 9, "impact": 0}))
    assert set(messages(error)) == {"title", "probability", "impact"}


@pytest.mark.parametrize("leader", ["member_of_other_school", "curator_orel", "admin"])
def test_a_leader_from_outside_the_organisation_is_named(request, make, refused, project, member_of_school,
                                                         leader):
    outsider = request.getfixturevalue(leader)
    error = refused(lambda: make.call(update_project, member_of_school.actor, project.id,
                                      {"version": project.version, "leader_id": outsider.id}))
    assert list(messages(error)) == ["leader_id"]


def test_a_leader_of_the_organisation_is_accepted(make, world, member_of_school, head_of_school):
    created = make.project(world.school, member_of_school.actor, leader_id=head_of_school.id)
    assert created.leader_id == head_of_school.id
