"""A project's life in the psr workflow (WORKFLOWS.md, API.md): requests, approvals,
gates, back moves, cancellation, and the event log that records it all."""
from __future__ import annotations

import pytest

from engine.errors import Conflict, Forbidden, GateFailed, StaleVersion, ValidationFailed
from engine.services import log_risk, reject_request, update_metric, update_project
from engine.services.queries import available_transitions, project_dict

DECISIONS = ("transition_requested", "transition_approved", "transition_rejected")
# workflows/psr.yaml, as DOMAIN.md describes it
STAGES = ["diagnose", "target", "implement", "standardise", "sustain", "closed"]
ACTIVE_STATES = STAGES[:-1]
FORWARD = {"diagnose": "to_target", "target": "to_implement", "implement": "to_standardise",
           "standardise": "to_sustain", "sustain": "close"}
BACK = {"target": "back_to_diagnose", "implement": "back_to_target",
        "standardise": "back_to_implement", "sustain": "back_to_standardise"}


def transition_events(flow, project_id):
    return [e for e in flow.events(project_id) if e.kind in (*DECISIONS, "state_changed")]


# --- the whole path ----------------------------------------------------------------------------

def test_the_whole_path_from_diagnose_to_closed_through_every_gate(
        flow, project, member_of_school, head_of_school, frozen_clock):
    assert (project.state, project.version) == ("diagnose", 1)
    request_ids = []
    for step, state in enumerate(STAGES[:-1], start=1):
        frozen_clock.advance(days=7)
        flow.satisfy(project.id, state)
        result = flow.fire(member_of_school.actor, project.id, FORWARD[state])

        assert not result.moved, "a member's forward move must wait for the head"
        assert result.request.status == "pending" and result.request.dest == STAGES[step]
        waiting = flow.reload(project.id)
        assert (waiting.state, waiting.version) == (state, step), "a request alone changed the card"

        frozen_clock.advance(days=1)
        moved = flow.approve(head_of_school.actor, result.request.id, comment="Согласовано")
        assert (moved.state, moved.version) == (STAGES[step], step + 1)
        request_ids.append(result.request.id)

    closed = flow.reload(project.id)
    assert (closed.state, closed.version) == ("closed", 6)
    assert [(r.status, r.requested_by, r.decided_by) for r in flow.requests(project.id)] == \
        [("approved", member_of_school.id, head_of_school.id)] * 5

    events = flow.events(project.id)
    assert events[0].kind == "created"
    assert [e.kind for e in transition_events(flow, project.id)] == \
        ["transition_requested", "transition_approved", "state_changed"] * 5
    for i, event in enumerate(events):
        if event.kind == "state_changed":
            cause = events[i - 1]
            assert cause.kind in DECISIONS, f"state_changed follows {cause.kind}"
            assert cause.payload["request_id"] == event.payload["request_id"]
            assert event.actor_id == head_of_school.id
    requested = [e for e in events if e.kind == "transition_requested"]
    assert [e.payload["request_id"] for e in requested] == request_ids
    assert {e.actor_id for e in requested} == {member_of_school.id}

    # replaying the state changes from the initial state gives the project's state
    state = "diagnose"
    for event in (e for e in events if e.kind == "state_changed"):
        assert event.from_state == state
        state = event.to_state
    assert state == closed.state


def test_a_heads_own_move_happens_at_once(flow, project, head_of_school):
    flow.satisfy(project.id, "diagnose")
    result = flow.fire(head_of_school.actor, project.id, "to_target")

    assert result.moved and result.request is None
    assert (result.project.state, result.project.version) == ("target", 2)
    (request,) = flow.requests(project.id)
    assert (request.status, request.decided_by) == ("approved", head_of_school.id)
    requested, changed = transition_events(flow, project.id)
    assert (requested.kind, requested.payload["immediate"]) == ("transition_requested", True)
    assert (changed.kind, changed.from_state, changed.to_state) == ("state_changed", "diagnose", "target")
    assert flow.requests(project.id, status="pending") == []


# --- gates -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "unmet"), [
    ("diagnose", ["current_state_mapped", "problems_listed", "baselines_recorded"]),
    ("target", ["target_state_mapped", "targets_set", "action_plan_ready"]),
    ("implement", ["actions_closed", "result_measured"]),
    ("standardise", ["standard_documented"]),
    ("sustain", ["report_attached"]),
])
def test_a_refused_gate_lists_each_unmet_check_with_a_message(
        flow, project, member_of_school, row_counts, frozen_clock, state, unmet):
    flow.advance(project.id, state)
    frozen_clock.advance(days=1)  # measurements from the day before do not count for this stage
    before = row_counts()
    with pytest.raises(GateFailed) as info:
        flow.fire(member_of_school.actor, project.id, FORWARD[state])
    assert [u.check for u in info.value.unmet] == unmet
    for u in info.value.unmet:
        assert u.as_dict("ru")["message"] and u.as_dict("en")["message"]
    assert info.value.code == "gate_failed"
    assert row_counts() == before, "a refused gate wrote something"


def test_a_gate_lists_only_what_is_still_missing(flow, project, member_of_school):
    flow.artefact(project.id, "current_state_map")
    with pytest.raises(GateFailed) as info:
        flow.fire(member_of_school.actor, project.id, "to_target")
    assert [u.check for u in info.value.unmet] == ["problems_listed", "baselines_recorded"]


def test_a_critical_risk_blocks_standardise(flow, project, head_of_school, frozen_clock):
    flow.advance(project.id, "implement")
    flow.satisfy(project.id, "implement")
    flow.log(log_risk, project.id, {"title": "Учителя не приняли шаблон", "probability": 4, "impact": 4})
    with pytest.raises(GateFailed) as info:
        flow.fire(head_of_school.actor, project.id, "to_standardise")
    assert [u.check for u in info.value.unmet] == ["no_critical_risks"]


def test_a_missed_target_blocks_closing(flow, project, head_of_school, frozen_clock):
    flow.advance(project.id, "sustain")
    flow.satisfy(project.id, "sustain")
    frozen_clock.advance(days=30)
    (metric,) = flow.metrics(project.id)
    flow.measure(metric.id, 45.0)  # the process slid back
    with pytest.raises(GateFailed) as info:
        flow.fire(head_of_school.actor, project.id, "close")
    assert [u.check for u in info.value.unmet] == ["targets_reached"]


def test_approval_evaluates_the_gate_again(flow, project, member_of_school, head_of_school):
    flow.satisfy(project.id, "diagnose")
    request = flow.fire(member_of_school.actor, project.id, "to_target").request
    metric = flow.add_metric(project.id, name="Очередь, мин", baseline=None)  # changed after the request

    with pytest.raises(GateFailed) as info:
        flow.approve(head_of_school.actor, request.id)
    assert [u.check for u in info.value.unmet] == ["baselines_recorded"]
    assert [r.status for r in flow.requests(project.id)] == ["pending"]
    assert (flow.reload(project.id).state, flow.reload(project.id).version) == ("diagnose", 1)
    assert "transition_approved" not in flow.kinds(project.id)

    flow.log(update_metric, metric.id, {"baseline": 12.0})
    assert flow.approve(head_of_school.actor, request.id).state == "target"


# --- requests and decisions -------------------------------------------------------------------

@pytest.mark.parametrize("data", [{}, {"comment": ""}, {"comment": "   "}], ids=["absent", "empty", "blank"])
def test_a_rejection_needs_a_comment(flow, make, project, member_of_school, head_of_school, data):
    flow.satisfy(project.id, "diagnose")
    request = flow.fire(member_of_school.actor, project.id, "to_target").request
    with pytest.raises(ValidationFailed) as info:
        make.call(reject_request, head_of_school.actor, request.id, data)
    assert list(info.value.fields) == ["comment"]
    assert [r.status for r in flow.requests(project.id)] == ["pending"]
    assert "transition_rejected" not in flow.kinds(project.id)


def test_a_rejected_request_leaves_the_card_and_may_be_asked_again(
        flow, make, project, member_of_school, head_of_school):
    flow.satisfy(project.id, "diagnose")
    request = flow.fire(member_of_school.actor, project.id, "to_target").request
    rejected = make.call(reject_request, head_of_school.actor, request.id,
                         {"comment": "Карта без замеров времени"})
    assert (rejected.status, rejected.decided_by, rejected.decision_comment) == \
        ("rejected", head_of_school.id, "Карта без замеров времени")
    assert (flow.reload(project.id).state, flow.reload(project.id).version) == ("diagnose", 1)
    kinds = flow.kinds(project.id)
    assert kinds[-1] == "transition_rejected" and "state_changed" not in kinds
    again = flow.fire(member_of_school.actor, project.id, "to_target")
    assert again.request.status == "pending"


def test_a_decided_request_cannot_be_decided_again(flow, make, project, member_of_school, head_of_school):
    flow.satisfy(project.id, "diagnose")
    request = flow.fire(member_of_school.actor, project.id, "to_target").request
    flow.approve(head_of_school.actor, request.id)
    with pytest.raises(Conflict):
        flow.approve(head_of_school.actor, request.id)
    with pytest.raises(Conflict):
        make.call(reject_request, head_of_school.actor, request.id, {"comment": "Поздно"})


def test_only_one_request_may_be_pending_per_project(flow, project, member_of_school, head_of_school, row_counts):
    flow.satisfy(project.id, "diagnose")
    flow.fire(member_of_school.actor, project.id, "to_target")
    before = row_counts()
    with pytest.raises(Conflict):
        flow.fire(member_of_school.actor, project.id, "to_target")
    with pytest.raises(Conflict):
        flow.fire(member_of_school.actor, project.id, "cancel", comment="Передумали")
    with pytest.raises(Conflict):
        flow.fire(head_of_school.actor, project.id, "to_target")
    assert len(flow.requests(project.id, status="pending")) == 1
    assert row_counts() == before


@pytest.mark.parametrize("trigger", ["to_moon", "TO_TARGET", "to-target"])
def test_an_unknown_trigger_is_a_conflict(flow, project, member_of_school, row_counts, trigger):
    flow.satisfy(project.id, "diagnose")
    before = row_counts()
    with pytest.raises(Conflict) as info:
        flow.fire(member_of_school.actor, project.id, trigger)
    assert not isinstance(info.value, StaleVersion)
    assert info.value.code == "conflict"
    assert row_counts() == before


@pytest.mark.parametrize("trigger", ["to_implement", "close", "back_to_diagnose", "back_to_standardise"])
def test_a_trigger_not_available_from_the_current_state_is_a_conflict(
        flow, project, head_of_school, row_counts, trigger):
    before = row_counts()
    with pytest.raises(Conflict) as info:
        flow.fire(head_of_school.actor, project.id, trigger, comment="Пробуем")
    assert info.value.details == {"trigger": trigger, "state": "diagnose"}
    assert row_counts() == before


def test_a_stale_version_is_refused(flow, make, project, member_of_school, row_counts):
    flow.satisfy(project.id, "diagnose")
    make.call(update_project, member_of_school.actor, project.id, {"version": 1, "goal": "Сократить до 30 минут"})
    before = row_counts()
    with pytest.raises(StaleVersion) as info:
        flow.fire(member_of_school.actor, project.id, "to_target", version=1)
    assert isinstance(info.value, Conflict)
    assert info.value.details == {"current_version": 2}
    with pytest.raises(StaleVersion):
        make.call(update_project, member_of_school.actor, project.id, {"version": 1, "goal": "Другая цель"})
    assert row_counts() == before
    assert flow.reload(project.id).goal == "Сократить до 30 минут"


def test_each_change_of_the_card_increments_the_version(flow, make, project, member_of_school):
    for expected, goal in enumerate(["Цель 1", "Цель 2", "Цель 3"], start=2):
        updated = make.call(update_project, member_of_school.actor, project.id,
                            {"version": expected - 1, "goal": goal})
        assert (updated.version, updated.goal) == (expected, goal)
    assert flow.kinds(project.id) == ["created", "updated", "updated", "updated"]


# --- back moves ---------------------------------------------------------------------------------

@pytest.mark.parametrize("state", list(BACK))
def test_the_head_sends_a_project_back_one_stage_with_a_comment(flow, project, head_of_school, frozen_clock,
                                                                 state):
    flow.advance(project.id, state)
    version = flow.reload(project.id).version
    with pytest.raises(ValidationFailed) as info:
        flow.fire(head_of_school.actor, project.id, BACK[state])
    assert list(info.value.fields) == ["comment"]

    result = flow.fire(head_of_school.actor, project.id, BACK[state], comment="Доработать")
    assert result.moved
    assert (result.project.state, result.project.version) == (STAGES[STAGES.index(state) - 1], version + 1)


def test_a_curator_sends_a_project_back_with_a_comment(flow, project, curator_orel, head_of_school):
    flow.advance(project.id, "target")
    with pytest.raises(ValidationFailed):
        flow.fire(curator_orel.actor, project.id, "back_to_diagnose", comment="  ")
    result = flow.fire(curator_orel.actor, project.id, "back_to_diagnose",
                       comment="Нет замеров ВПП на карте текущего состояния")
    assert result.moved and result.project.state == "diagnose"
    changed = flow.events(project.id)[-1]
    assert (changed.kind, changed.actor_id, changed.to_state) == ("state_changed", curator_orel.id, "diagnose")


def test_a_member_may_not_send_a_project_back(flow, project, member_of_school):
    flow.advance(project.id, "target")
    with pytest.raises(Forbidden):
        flow.fire(member_of_school.actor, project.id, "back_to_diagnose", comment="Хочу назад")


# --- cancellation -----------------------------------------------------------------------------------

def test_cancel_needs_a_reason_and_the_heads_approval(flow, project, member_of_school, head_of_school, row_counts):
    before = row_counts()
    with pytest.raises(ValidationFailed) as info:
        flow.fire(member_of_school.actor, project.id, "cancel")
    assert list(info.value.fields) == ["comment"]
    assert row_counts() == before

    request = flow.fire(member_of_school.actor, project.id, "cancel", comment="Процесс передан в МФЦ").request
    assert (request.status, request.dest, request.comment) == ("pending", "cancelled", "Процесс передан в МФЦ")
    assert flow.reload(project.id).state == "diagnose"
    assert flow.approve(head_of_school.actor, request.id).state == "cancelled"


@pytest.mark.parametrize("state", ACTIVE_STATES)
def test_the_head_cancels_at_once_from_any_active_stage(flow, project, head_of_school, frozen_clock, state):
    flow.advance(project.id, state)
    result = flow.fire(head_of_school.actor, project.id, "cancel", comment="Закрытие школы на ремонт")
    assert result.moved and result.project.state == "cancelled"


def test_a_curator_may_not_cancel(flow, project, curator_orel):
    with pytest.raises(Forbidden):
        flow.fire(curator_orel.actor, project.id, "cancel", comment="Нет активности")


# --- final states -----------------------------------------------------------------------------------

@pytest.mark.parametrize("final", ["closed", "cancelled"])
def test_a_final_state_has_no_available_transitions(
        store, flow, project, member_of_school, head_of_school, curator_orel, frozen_clock, final):
    flow.advance(project.id, final)
    with store.uow() as uow:
        finished = uow.session.get(type(project), project.id)
        for person in (member_of_school, head_of_school, curator_orel):
            assert available_transitions(uow, person.actor, finished) == []
            assert project_dict(uow, person.actor, finished)["available_transitions"] == []
    for trigger in ["cancel", "back_to_standardise", "close"]:
        with pytest.raises(Conflict):
            flow.fire(head_of_school.actor, project.id, trigger, comment="Ещё раз")


def test_available_transitions_show_what_the_caller_may_fire_and_what_is_missing(
        store, project, member_of_school, head_of_school):
    with store.uow() as uow:
        fresh = uow.session.get(type(project), project.id)
        mine = {t.trigger: t for t in available_transitions(uow, member_of_school.actor, fresh)}
        heads = {t.trigger for t in available_transitions(uow, head_of_school.actor, fresh)}
    assert set(mine) == {"to_target", "cancel"} == heads
    assert [u.check for u in mine["to_target"].unmet] == [
        "current_state_mapped", "problems_listed", "baselines_recorded"]
    assert (mine["to_target"].approval, mine["cancel"].comment_required) == ("head", True)
