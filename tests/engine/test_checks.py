"""The 12 named gate checks (WORKFLOWS.md "Named checks shipped with the engine"),
each holding and not holding, evaluated on a real database."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from engine.checks import CHECKS, evaluate
from engine.models import Project
from engine.services import add_action, add_problem, log_risk, update_action, update_risk

ALL_CHECKS = {"current_state_mapped", "problems_listed", "baselines_recorded", "targets_set",
              "target_state_mapped", "action_plan_ready", "actions_closed", "result_measured",
              "standard_documented", "no_critical_risks", "targets_reached", "report_attached"}
MSK = timezone(timedelta(hours=3))


@pytest.fixture
def holds(store):
    """``holds(project_id, check)``: does the named check hold for the project now?"""
    def check_holds(project_id: int, name: str) -> bool:
        with store.uow() as uow:
            p = uow.session.get(Project, project_id)
            return evaluate(uow.session, p, [name], uow.workflows.get(p.workflow_id, p.workflow_version)) == []
    return check_holds


@pytest.fixture
def other_project(make, world, member_of_school):
    """A second project of the same school: its evidence must not count for ``project``."""
    return make.project(world.school, member_of_school.actor, title="Оптимизация документооборота")


def test_the_engine_registers_the_twelve_documented_checks():
    assert ALL_CHECKS <= set(CHECKS)


def test_every_check_names_a_section_of_the_project_page():
    sections = {"artefacts", "problems", "metrics", "actions", "risks", "team"}  # ids in project.html
    assert {name: c.section for name, c in CHECKS.items() if c.section not in sections} == {}
    assert CHECKS["problems_listed"].section == "problems"
    assert CHECKS["no_critical_risks"].section == "risks"


def test_an_unmet_check_says_what_to_do_in_russian_and_english(store, project):
    with store.uow() as uow:
        unmet = evaluate(uow.session, uow.session.get(Project, project.id),
                         ["current_state_mapped", "actions_closed", "problems_listed"], uow.workflows.default())
    assert [u.check for u in unmet] == ["current_state_mapped", "problems_listed"]
    assert unmet[0].as_dict("ru") == {"check": "current_state_mapped",
                                      "message": "Добавьте карту текущего состояния"}
    assert unmet[0].as_dict("en")["message"] == "Add a current-state map"
    assert all(u.text.ru and u.text.en and u.text.ru != u.text.en for u in unmet)


# --- artefacts ---------------------------------------------------------------------------

ARTEFACT_CHECKS = [("current_state_mapped", "current_state_map"), ("target_state_mapped", "target_state_map"),
                   ("standard_documented", "standard"), ("report_attached", "report")]
ARTEFACT_KINDS = ["current_state_map", "target_state_map", "standard", "report", "other"]


@pytest.mark.parametrize(("check", "kind"), ARTEFACT_CHECKS)
def test_an_artefact_check_holds_only_with_an_artefact_of_its_kind(flow, holds, project, other_project,
                                                                   check, kind):
    assert not holds(project.id, check)
    flow.artefact(other_project.id, kind)
    for other_kind in ARTEFACT_KINDS:
        if other_kind != kind:
            flow.artefact(project.id, other_kind)
    assert not holds(project.id, check), "another kind or another project's artefact counted"
    flow.artefact(project.id, kind)
    assert holds(project.id, check)


# --- problems ----------------------------------------------------------------------------------

def test_problems_listed_needs_a_problem_of_this_project(flow, holds, project, other_project):
    assert not holds(project.id, "problems_listed")
    flow.log(add_problem, other_project.id, {"description": "Очередь в столовой", "waste": "waiting"})
    assert not holds(project.id, "problems_listed")
    flow.log(add_problem, project.id, {"description": "Бланки заполняют вручную", "waste": "overprocessing"})
    assert holds(project.id, "problems_listed")


# --- metrics: baselines and targets -----------------------------------------------------------

@pytest.mark.parametrize(("baselines", "expected"), [
    ([], False),
    ([None], False),
    ([67.0, None], False),
    ([67.0], True),
    ([67.0, 0.0], True),  # zero is a baseline
], ids=["no-metric", "no-baseline", "one-missing", "one-set", "zero-counts"])
def test_baselines_recorded(flow, holds, project, baselines, expected):
    for i, baseline in enumerate(baselines):
        flow.add_metric(project.id, name=f"Показатель {i}", baseline=baseline)
    assert holds(project.id, "baselines_recorded") is expected


@pytest.mark.parametrize(("targets", "expected"), [
    ([], False),
    ([None], False),
    ([29.0, None], False),
    ([29.0], True),
    ([29.0, 0.0], True),
], ids=["no-metric", "no-target", "one-missing", "one-set", "zero-counts"])
def test_targets_set(flow, holds, project, targets, expected):
    for i, target in enumerate(targets):
        flow.add_metric(project.id, name=f"Показатель {i}", baseline=None, target=target)
    assert holds(project.id, "targets_set") is expected


# --- the action plan ----------------------------------------------------------------------------

@pytest.mark.parametrize(("due_dates", "expected"), [
    ([], False),
    ([None], False),
    (["2026-10-01", None], False),
    (["2026-10-01"], True),
    (["2026-10-01", "2026-11-15"], True),
], ids=["no-action", "undated", "one-undated", "dated", "all-dated"])
def test_action_plan_ready(flow, holds, project, due_dates, expected):
    for i, due in enumerate(due_dates):
        flow.log(add_action, project.id, {"title": f"Мероприятие {i}", "due_on": due})
    assert holds(project.id, "action_plan_ready") is expected


@pytest.mark.parametrize(("statuses", "expected"), [
    ([], True),
    (["open"], False),
    (["done", "open"], False),
    (["done", "dropped"], True),
], ids=["no-action", "open", "one-open", "done-or-dropped"])
def test_actions_closed(flow, holds, project, statuses, expected):
    for i, status in enumerate(statuses):
        action = flow.log(add_action, project.id, {"title": f"Мероприятие {i}", "due_on": "2026-10-01"})
        if status != "open":
            flow.log(update_action, action.id, {"status": status})
    assert holds(project.id, "actions_closed") is expected


# --- result_measured -------------------------------------------------------------------------------

@pytest.mark.parametrize(("days_after_entering", "expected"), [(-1, False), (0, True), (2, True)],
                         ids=["day-before", "same-day", "later"])
def test_result_measured_counts_measurements_from_the_day_implement_began(
        flow, holds, project, frozen_clock, days_after_entering, expected):
    flow.advance(project.id, "implement")
    entered = frozen_clock.current.date()
    frozen_clock.advance(days=3)
    (metric,) = flow.metrics(project.id)
    flow.measure(metric.id, 30.0, on=entered + timedelta(days=days_after_entering))
    assert holds(project.id, "result_measured") is expected


def test_a_baseline_is_not_a_measurement(flow, holds, project, frozen_clock):
    flow.advance(project.id, "implement")
    (metric,) = flow.metrics(project.id)
    assert metric.baseline is not None
    assert not holds(project.id, "result_measured")


def test_result_measured_needs_every_metric_measured(flow, holds, project, frozen_clock):
    flow.satisfy(project.id, "diagnose")
    second = flow.add_metric(project.id, name="Доля довольных родителей, %", direction="increase",
                             baseline=80.0)
    flow.advance(project.id, "implement")
    first = next(m for m in flow.metrics(project.id) if m.id != second.id)
    flow.measure(first.id, 30.0)
    assert not holds(project.id, "result_measured")
    flow.measure(second.id, 97.0)
    assert holds(project.id, "result_measured")


def test_result_measured_does_not_hold_before_implement(flow, holds, project, frozen_clock):
    flow.satisfy(project.id, "diagnose")
    (metric,) = flow.metrics(project.id)
    flow.measure(metric.id, 30.0)
    assert not holds(project.id, "result_measured")


def test_result_measured_uses_the_utc_day_of_entering_implement(flow, holds, project, frozen_clock):
    # 00:30 in Oryol (UTC+3) on 1 September is still 31 August in UTC.
    frozen_clock.set(datetime(2026, 9, 1, 0, 30, tzinfo=MSK))
    flow.advance(project.id, "implement")
    frozen_clock.advance(days=1)
    (metric,) = flow.metrics(project.id)
    flow.measure(metric.id, 31.0, on=date(2026, 8, 30))
    assert not holds(project.id, "result_measured")
    flow.measure(metric.id, 30.0, on=date(2026, 8, 31))
    assert holds(project.id, "result_measured")


def test_result_measured_counts_from_the_latest_entry_into_implement(
        flow, holds, project, head_of_school, frozen_clock):
    flow.advance(project.id, "implement")
    (metric,) = flow.metrics(project.id)
    frozen_clock.advance(days=3)
    flow.measure(metric.id, 30.0)
    assert holds(project.id, "result_measured")
    frozen_clock.advance(days=2)
    flow.fire(head_of_school.actor, project.id, "back_to_target", comment="Пересмотреть цели")
    frozen_clock.advance(days=5)
    assert flow.fire(head_of_school.actor, project.id, "to_implement").moved
    assert not holds(project.id, "result_measured"), "a measurement from the first attempt counted"
    flow.measure(metric.id, 29.0)
    assert holds(project.id, "result_measured")


# --- risks ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("probability", "impact", "status", "expected"), [
    (3, 5, "open", False),         # 15: critical
    (5, 3, "mitigating", False),
    (4, 4, "open", False),
    (5, 5, "resolved", True),
    (5, 5, "accepted", True),
    (3, 4, "open", True),          # 12: high, not critical
    (2, 5, "mitigating", True),
])
def test_no_critical_risks(flow, holds, project, probability, impact, status, expected):
    assert holds(project.id, "no_critical_risks")
    risk = flow.log(log_risk, project.id, {"title": "Сбой электронного журнала",
                                           "probability": probability, "impact": impact})
    if status != "open":
        flow.log(update_risk, risk.id, {"status": status})
    assert holds(project.id, "no_critical_risks") is expected


def test_lowering_a_critical_risks_score_lifts_the_block(flow, holds, project, other_project):
    flow.log(log_risk, other_project.id, {"title": "Чужой риск", "probability": 5, "impact": 5})
    risk = flow.log(log_risk, project.id, {"title": "Нет ответственного", "probability": 5, "impact": 4})
    assert not holds(project.id, "no_critical_risks")
    flow.log(update_risk, risk.id, {"probability": 2})
    assert holds(project.id, "no_critical_risks"), "the score was not recomputed (or another project's risk counted)"


# --- targets_reached -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("direction", "target", "values", "expected"), [
    ("decrease", 29.0, [40.0, 29.0], True),    # equal to the target meets it
    ("decrease", 29.0, [31.0, 25.0], True),
    ("decrease", 29.0, [25.0, 31.0], False),   # the latest counts, not the best
    ("decrease", 29.0, [], False),
    ("increase", 95.0, [90.0, 96.0], True),
    ("increase", 95.0, [95.0], True),
    ("increase", 95.0, [96.0, 94.0], False),
    ("increase", 95.0, [20.0], False),         # below the target is not "reached" when increasing
])
def test_targets_reached_respects_direction_and_the_latest_measurement(
        flow, holds, project, frozen_clock, direction, target, values, expected):
    metric = flow.add_metric(project.id, direction=direction, baseline=50.0, target=target)
    start = frozen_clock.current.date() - timedelta(days=len(values))
    for i, value in enumerate(values):
        flow.measure(metric.id, value, on=start + timedelta(days=i))
    assert holds(project.id, "targets_reached") is expected


def test_targets_reached_takes_the_latest_by_date_not_by_recording_order(flow, holds, project, frozen_clock):
    metric = flow.add_metric(project.id, direction="decrease", baseline=67.0, target=29.0)
    today = frozen_clock.current.date()
    flow.measure(metric.id, 25.0, on=today)
    flow.measure(metric.id, 40.0, on=today - timedelta(days=7))  # entered late, measured earlier
    assert holds(project.id, "targets_reached")


def test_a_baseline_that_meets_the_target_is_not_a_result(flow, holds, project):
    flow.add_metric(project.id, direction="decrease", baseline=20.0, target=29.0)
    assert not holds(project.id, "targets_reached")


def test_targets_reached_needs_every_metric(flow, holds, project, frozen_clock):
    reached = flow.add_metric(project.id, name="ВПП, мин", direction="decrease", baseline=16.0, target=10.0)
    missed = flow.add_metric(project.id, name="Довольны, %", direction="increase", baseline=80.0, target=95.0)
    flow.measure(reached.id, 9.0)
    flow.measure(missed.id, 90.0)
    assert not holds(project.id, "targets_reached")
    frozen_clock.advance(days=1)
    flow.measure(missed.id, 98.6)
    assert holds(project.id, "targets_reached")


def test_targets_reached_needs_a_target(flow, holds, project):
    metric = flow.add_metric(project.id, direction="decrease", baseline=67.0, target=None)
    flow.measure(metric.id, 10.0)
    assert not holds(project.id, "targets_reached")


def test_targets_reached_needs_a_metric(holds, project):
    assert not holds(project.id, "targets_reached")
