"""The scaling proposal (#15 item 6, PROGRAMME.md "Portfolio edition and scaling"): closing
a project asks «Где ещё это применимо и при каких условиях?»; the answer is set on the
project with the closing move (same transaction, in its events), is copied to the practice
published from it and travels in the exchange file."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine import practices as P
from engine.errors import ValidationFailed
from engine.models import Practice, TransitionRequest
from engine.practices import exchange
from tests.portfolio_helpers import PROPOSAL, close, to_sustain


@pytest.fixture
def sustained(make, world, member_of_school, head_of_school, project) -> Any:
    to_sustain(make, project.id, member_of_school, head_of_school)
    return project


def _refused(row_counts: Any, call: Any) -> ValidationFailed:
    before = row_counts()
    with pytest.raises(ValidationFailed) as info:
        call()
    assert row_counts() == before, "a refused call wrote something"
    return info.value


def test_the_head_closing_at_once_sets_the_proposal_with_the_move(make, flow, sustained, head_of_school):
    assert close(make, sustained.id, head_of_school, f"  {PROPOSAL}  ").moved
    project = flow.reload(sustained.id)
    assert (project.state, project.scaling_proposal) == ("closed", PROPOSAL)
    moved = [e for e in flow.events(sustained.id) if e.kind == "state_changed"][-1]
    assert moved.to_state == "closed" and moved.payload["scaling_proposal"] == PROPOSAL
    asked = [e for e in flow.events(sustained.id) if e.kind == "transition_requested"][-1]
    assert asked.payload["scaling_proposal"] == PROPOSAL


def test_a_members_proposal_waits_on_the_request_and_reaches_the_project_when_approved(
        make, flow, sustained, member_of_school, head_of_school):
    result = close(make, sustained.id, member_of_school, PROPOSAL)
    assert not result.moved and result.request.scaling_proposal == PROPOSAL
    assert flow.reload(sustained.id).scaling_proposal == ""  # not closed yet
    flow.approve(head_of_school.actor, result.request.id)
    project = flow.reload(sustained.id)
    assert (project.state, project.scaling_proposal) == ("closed", PROPOSAL)


def test_the_approver_may_reword_the_proposal(make, flow, sustained, member_of_school, head_of_school):
    from engine.services import approve_request
    request = close(make, sustained.id, member_of_school, PROPOSAL).request
    make.call(approve_request, head_of_school.actor, request.id, {"scaling_proposal": "В детских садах тоже"})
    assert flow.reload(sustained.id).scaling_proposal == "В детских садах тоже"
    stored = flow._read(select(TransitionRequest).where(TransitionRequest.id == request.id))[0]
    assert stored.scaling_proposal == "В детских садах тоже"
    moved = [e for e in flow.events(sustained.id) if e.kind == "state_changed"][-1]
    assert moved.payload["scaling_proposal"] == "В детских садах тоже"


def test_closing_without_a_proposal_is_allowed(make, flow, sustained, head_of_school):
    assert close(make, sustained.id, head_of_school).moved
    project = flow.reload(sustained.id)
    assert (project.state, project.scaling_proposal) == ("closed", "")


def test_a_too_long_proposal_is_a_field_error_and_nothing_is_written(make, flow, sustained, head_of_school,
                                                                     row_counts):
    error = _refused(row_counts, lambda: close(make, sustained.id, head_of_school, "я" * 2001))
    assert set(error.fields) == {"scaling_proposal"}
    assert "2\xa0000" in error.fields["scaling_proposal"].ru  # «не более 2 000 символов»
    assert flow.reload(sustained.id).state == "sustain"


def test_only_the_closing_move_takes_a_proposal(make, project, member_of_school, row_counts):
    from engine.services import request_transition
    error = _refused(row_counts, lambda: make.call(request_transition, member_of_school.actor, project.id, {
        "trigger": "cancel", "version": project.version, "comment": "Не нужен", "scaling_proposal": PROPOSAL}))
    assert error.fields["scaling_proposal"].ru.startswith("Предложение по тиражированию")


def test_a_too_long_rewording_at_approval_is_refused(make, flow, sustained, member_of_school, head_of_school,
                                                     row_counts):
    from engine.services import approve_request
    request = close(make, sustained.id, member_of_school, PROPOSAL).request
    error = _refused(row_counts, lambda: make.call(approve_request, head_of_school.actor, request.id,
                                                   {"scaling_proposal": "я" * 2001}))
    assert set(error.fields) == {"scaling_proposal"}


def test_the_practice_carries_the_proposal_and_the_exchange_file_too(make, flow, sustained, head_of_school,
                                                                     curator_orel, curator_kursk, world):
    close(make, sustained.id, head_of_school, PROPOSAL)
    practice = make.call(P.publish, curator_orel.actor, sustained.id, {"category": "meals", "summary": "Обеды"})
    assert practice.scaling_proposal == PROPOSAL
    with make.store.uow() as uow:
        assert P.practice_detail(uow, curator_orel.actor, practice.id)["scaling_proposal"] == PROPOSAL
        document = exchange.export_document(uow, curator_orel.actor, world.region.name)
    assert document["practices"][0]["scaling_proposal"] == PROPOSAL
    with make.store.uow() as uow:  # the file is valid v1 and the other region keeps the proposal
        plan = exchange.plan_import(uow, curator_kursk.actor, document, world.other_region.name)
        assert not plan.errors
        exchange.apply_import(uow, curator_kursk.actor, plan)
    imported = flow._read(select(Practice).where(Practice.external.is_(True)))[0]
    assert imported.scaling_proposal == PROPOSAL


def test_the_curator_may_edit_the_practices_proposal(make, flow, sustained, head_of_school, curator_orel):
    close(make, sustained.id, head_of_school, PROPOSAL)
    practice = make.call(P.publish, curator_orel.actor, sustained.id, {"category": "meals", "summary": "Обеды"})
    make.call(P.update_practice, curator_orel.actor, practice.id, {"scaling_proposal": "Везде"})
    assert flow._read(select(Practice))[0].scaling_proposal == "Везде"
