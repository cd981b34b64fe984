"""Multi-step approvals (#14 item 4): ``approval: [head, curator]`` in a workflow file
(workflows/psr-defended.yaml's ``to_implement``). The request waits for each role in
order, each decision an event; the last one moves the project."""
from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from engine.errors import Conflict, Forbidden, ValidationFailed
from engine.models import Notification
from engine.services import approve_request, reject_request
from engine.services.queries import request_out
from engine.workflow import WorkflowError, validate_spec

DEFENDED = "psr-defended"


@pytest.fixture
def defended(make: Any, world: Any, member_of_school: Any) -> Any:
    """A project of the school on the defended workflow, in ``target`` with its gate met."""
    return make.project(world.school, member_of_school.actor, workflow=DEFENDED)


def to_target_state(flow: Any, head: Any, project_id: int) -> None:
    flow.satisfy(project_id, "diagnose")
    flow.fire(head.actor, project_id, "to_target")
    flow.satisfy(project_id, "target")


def told(make: Any, user_id: int, kind: str) -> list[str]:
    return make.call(lambda uow: [n.text_ru for n in uow.session.execute(
        select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        .order_by(Notification.id)).scalars()])


def test_head_approves_then_the_request_waits_for_the_curator_who_moves_it(
        make, flow, defended, member_of_school, head_of_school, curator_orel):
    to_target_state(flow, head_of_school, defended.id)
    req = flow.fire(member_of_school.actor, defended.id, "to_implement").request
    assert (req.status, req.approval, req.step, req.steps) == ("pending", "head", 0, ["head", "curator"])

    assert flow.approve(head_of_school.actor, req.id, "Согласовано школой").state == "target"
    waiting = flow.requests(defended.id, status="pending")[0]
    assert (waiting.step, waiting.approval) == (1, "curator")
    out = request_out(waiting).dump()
    assert (out["steps"], out["step"], out["status"]) == (["head", "curator"], 1, "pending")
    kinds = flow.kinds(defended.id)
    assert kinds[-1] == "approval_step_passed" and kinds.count("state_changed") == 1  # the move to target only
    step_event = flow.events(defended.id)[-1]
    assert (step_event.payload["step"], step_event.payload["role"]) == (0, "head")
    assert told(make, curator_orel.id, "transition_requested"), "the curator hears the request waits for them"

    moved = flow.approve(curator_orel.actor, req.id)
    assert moved.state == "implement"
    assert flow.kinds(defended.id)[-2:] == ["transition_approved", "state_changed"]
    assert flow.requests(defended.id)[-1].status == "approved"


def test_curator_rejects_at_their_step_the_request_is_rejected_with_remarks_and_the_team_told(
        make, flow, defended, member_of_school, head_of_school, curator_orel):
    to_target_state(flow, head_of_school, defended.id)
    req = flow.fire(member_of_school.actor, defended.id, "to_implement").request
    flow.approve(head_of_school.actor, req.id)
    make.call(reject_request, curator_orel.actor, req.id, {"comment": "Цели не измеримы"})
    rejected = flow.requests(defended.id)[-1]
    assert (rejected.status, rejected.decision_comment, rejected.decided_by) == (
        "rejected", "Цели не измеримы", curator_orel.id)
    assert flow.reload(defended.id).state == "target"
    assert flow.kinds(defended.id)[-1] == "transition_rejected"
    assert any("Цели не измеримы" in t for t in told(make, member_of_school.id, "transition_rejected"))


def test_a_head_cannot_decide_the_curators_step(make, flow, defended, member_of_school, head_of_school):
    to_target_state(flow, head_of_school, defended.id)
    req = flow.fire(member_of_school.actor, defended.id, "to_implement").request
    flow.approve(head_of_school.actor, req.id)
    with pytest.raises(Forbidden):
        flow.approve(head_of_school.actor, req.id)
    with pytest.raises(Forbidden):
        make.call(reject_request, head_of_school.actor, req.id, {"comment": "Нет"})
    assert flow.requests(defended.id)[-1].step == 1


def test_a_curator_cannot_decide_the_heads_step(make, flow, defended, member_of_school, head_of_school,
                                                curator_orel):
    to_target_state(flow, head_of_school, defended.id)
    req = flow.fire(member_of_school.actor, defended.id, "to_implement").request
    with pytest.raises(Forbidden):
        make.call(approve_request, curator_orel.actor, req.id, {})


def test_a_head_firing_the_move_passes_their_own_step_at_once(make, flow, defended, head_of_school,
                                                               curator_orel):
    to_target_state(flow, head_of_school, defended.id)
    result = flow.fire(head_of_school.actor, defended.id, "to_implement")
    assert not result.moved and result.project.state == "target"
    assert (result.request.step, result.request.approval) == (1, "curator")
    assert flow.kinds(defended.id)[-2:] == ["transition_requested", "approval_step_passed"]
    assert flow.approve(curator_orel.actor, result.request.id).state == "implement"


def test_single_step_files_keep_working_unchanged(flow, project, member_of_school, head_of_school):
    flow.satisfy(project.id, "diagnose")
    req = flow.fire(member_of_school.actor, project.id, "to_target").request
    assert (req.approval, req.step, req.steps, req.approval_steps) == ("head", 0, ["head"], None)
    assert flow.approve(head_of_school.actor, req.id).state == "target"
    assert "approval_step_passed" not in flow.kinds(project.id)


def test_a_passed_step_cannot_be_decided_again_by_another_head(make, flow, world, defended, member_of_school,
                                                                head_of_school):
    to_target_state(flow, head_of_school, defended.id)
    req = flow.fire(member_of_school.actor, defended.id, "to_implement").request
    deputy = make.person("head", org=world.school, email="deputy@lyceum1.ru")
    flow.approve(head_of_school.actor, req.id)
    with pytest.raises(Forbidden):  # the request now waits for the curator
        flow.approve(deputy.actor, req.id)
    assert flow.kinds(defended.id).count("approval_step_passed") == 1


def test_rejection_needs_remarks_at_every_step(make, flow, defended, member_of_school, head_of_school,
                                               curator_orel):
    to_target_state(flow, head_of_school, defended.id)
    req = flow.fire(member_of_school.actor, defended.id, "to_implement").request
    flow.approve(head_of_school.actor, req.id)
    with pytest.raises(ValidationFailed):
        make.call(reject_request, curator_orel.actor, req.id, {"comment": " "})
    assert flow.requests(defended.id)[-1].status == "pending"


# --- the file format --------------------------------------------------------------------

def spec(approval: Any) -> dict[str, Any]:
    return {"id": "t", "title": {"ru": "Т"}, "initial": "a",
            "states": [{"id": "a", "title": {"ru": "А"}}, {"id": "z", "title": {"ru": "Я"}, "final": True}],
            "transitions": [{"trigger": "go", "source": "a", "dest": "z", "approval": approval}]}


def test_the_loader_accepts_a_role_or_a_sequence_and_shows_them_as_given():
    single = validate_spec(spec("head"), "t.yaml", set()).transitions[0]
    assert (single.steps, single.approval, single.approval_shown) == (("head",), "head", "head")
    seq = validate_spec(spec(["head", "curator"]), "t.yaml", set()).transitions[0]
    assert (seq.steps, seq.approval, seq.approval_shown) == (("head", "curator"), "head", ["head", "curator"])
    none = validate_spec(spec(None), "t.yaml", set()).transitions[0]
    assert (none.steps, none.approval_shown) == ((), None)


@pytest.mark.parametrize("approval, field, message", [
    ([], "transitions[0].approval", "at least one role"),
    (["head", "dean"], "transitions[0].approval[1]", "unknown role 'dean'"),
    (["head", "head"], "transitions[0].approval[1]", "appears twice"),
    ("dean", "transitions[0].approval", "unknown role 'dean'"),
])
def test_the_loader_refuses_a_bad_sequence_naming_the_field(approval, field, message):
    with pytest.raises(WorkflowError) as err:
        validate_spec(spec(approval), "t.yaml", set())
    assert any(f == field and message in m for _, f, m in err.value.problems), err.value.problems


def test_approving_a_withdrawn_multistep_request_conflicts(make, flow, defended, member_of_school,
                                                           head_of_school):
    from engine.services import withdraw_request
    to_target_state(flow, head_of_school, defended.id)
    req = flow.fire(member_of_school.actor, defended.id, "to_implement").request
    make.call(withdraw_request, member_of_school.actor, req.id, {})
    with pytest.raises(Conflict):
        flow.approve(head_of_school.actor, req.id)


# --- choosing the workflow per programme ---------------------------------------------------

def test_a_programme_names_the_workflow_of_its_participants_new_projects(make, world, curator_orel,
                                                                       member_of_school):
    from engine.errors import ValidationFailed as Invalid
    from engine.programme import service as P
    with pytest.raises(Invalid) as err:
        make.call(P.create_programme, curator_orel.actor, {
            "region_id": world.region.id, "title": "РИП", "starts_on": "2026-01-01", "ends_on": "2026-12-31",
            "workflow": "no-such"})
    assert "workflow" in err.value.fields
    prog = make.call(P.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": "РИП «Бережливая школа»", "starts_on": "2026-01-01",
        "ends_on": "2026-12-31", "workflow": DEFENDED})
    before = make.project(world.other_school, make.person("member", org=world.other_school).actor)
    make.call(P.add_participant, curator_orel.actor, prog.id, {"org_id": world.school.id, "joined_on": "2026-02-01"})
    joined = make.project(world.school, member_of_school.actor)
    named = make.project(world.school, member_of_school.actor, workflow="psr")
    assert (before.workflow_id, joined.workflow_id, named.workflow_id) == ("psr", DEFENDED, "psr")
