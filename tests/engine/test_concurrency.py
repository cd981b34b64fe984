"""Two people change the same project at the same moment (PostgreSQL only: SQLite takes
one writer at a time, so the race cannot happen there). A barrier holds each thread
after it has read and before it writes, so both act on the same version; exactly one
wins and the other gets a clean domain error."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest

import engine.services.projects as project_services
from engine.errors import Conflict, StaleVersion
from engine.services import approve_request, reject_request, request_transition, update_project

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not os.environ.get("LEANSCHOOL_TEST_DB", "sqlite").lower().startswith("postgres"),
                       reason="concurrent writers need PostgreSQL (run with LEANSCHOOL_TEST_DB=postgresql); "
                              "SQLite serialises writers, so there is no race to test"),
]


@pytest.fixture
def hold_both_before(monkeypatch):
    """``hold_both_before("cas_update")``: the named function of the project services
    waits until both threads reach it (so both have read before either writes)."""
    def install(name: str) -> threading.Barrier:
        barrier = threading.Barrier(2, timeout=15)
        original = getattr(project_services, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            barrier.wait()
            return original(*args, **kwargs)

        monkeypatch.setattr(project_services, name, held)
        return barrier
    return install


@pytest.fixture
def hold_both_after(monkeypatch):
    """Like ``hold_both_before`` but the threads wait after the function returned (a read)."""
    def install(name: str) -> threading.Barrier:
        barrier = threading.Barrier(2, timeout=15)
        original = getattr(project_services, name)

        def held(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            barrier.wait()
            return result

        monkeypatch.setattr(project_services, name, held)
        return barrier
    return install


@pytest.fixture
def race(store):
    """``race(call_a, call_b)``: each ``call(uow)`` in its own thread and unit of work.
    Returns [(result, error)] in the order given."""
    def run(*calls: Callable[[Any], Any]) -> list[tuple[Any, BaseException | None]]:
        outcomes: list[tuple[Any, BaseException | None]] = [(None, None)] * len(calls)

        def worker(i: int, call: Callable[[Any], Any]) -> None:
            try:
                with store.uow() as uow:
                    outcomes[i] = (call(uow), None)
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                outcomes[i] = (None, exc)

        threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads), "a thread hung (a lock never released?)"
        return outcomes
    return run


def split(outcomes):
    wins = [value for value, error in outcomes if error is None]
    errors = [error for _, error in outcomes if error is not None]
    return wins, errors


def test_two_edits_of_the_same_version_one_wins_the_other_is_stale(
        flow, race, hold_both_before, project, member_of_school, head_of_school):
    hold_both_before("cas_update")
    outcomes = race(
        lambda uow: update_project(uow, member_of_school.actor, project.id, {"version": 1, "goal": "Цель учителя"}),
        lambda uow: update_project(uow, head_of_school.actor, project.id, {"version": 1, "goal": "Цель директора"}),
    )
    wins, errors = split(outcomes)
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert isinstance(errors[0], StaleVersion), repr(errors[0])
    assert errors[0].details == {"current_version": 2}

    saved = flow.reload(project.id)
    assert (saved.version, saved.goal) == (2, wins[0].goal)
    assert flow.kinds(project.id).count("updated") == 1


def test_two_requests_at_once_leave_exactly_one_pending(
        flow, make, race, hold_both_after, world, project, member_of_school):
    other_member = make.person("member", org=world.school, email="teacher2@lyceum1.ru")
    flow.satisfy(project.id, "diagnose")
    hold_both_after("pending_request_of")  # both have seen "nothing pending" before either inserts
    outcomes = race(
        lambda uow: request_transition(uow, member_of_school.actor, project.id, {"trigger": "to_target", "version": 1}),
        lambda uow: request_transition(uow, other_member.actor, project.id,
                                       {"trigger": "cancel", "version": 1, "comment": "Передумали"}),
    )
    wins, errors = split(outcomes)
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert isinstance(errors[0], Conflict) and not isinstance(errors[0], StaleVersion), repr(errors[0])
    assert len(flow.requests(project.id, status="pending")) == 1
    assert len(flow.requests(project.id)) == 1
    assert flow.kinds(project.id).count("transition_requested") == 1


def test_two_heads_moving_the_card_at_once_move_it_once(
        flow, make, race, hold_both_after, world, project, head_of_school):
    deputy = make.person("head", org=world.school, email="deputy@lyceum1.ru")
    flow.satisfy(project.id, "diagnose")
    # both have checked the version (and seen nothing pending) before either writes;
    # the loser then waits on the winner's row lock and fails the compare-and-swap
    hold_both_after("pending_request_of")
    outcomes = race(
        lambda uow: request_transition(uow, head_of_school.actor, project.id, {"trigger": "to_target", "version": 1}),
        lambda uow: request_transition(uow, deputy.actor, project.id, {"trigger": "to_target", "version": 1}),
    )
    wins, errors = split(outcomes)
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert isinstance(errors[0], StaleVersion), repr(errors[0])
    moved = flow.reload(project.id)
    assert (moved.state, moved.version) == ("target", 2)
    assert flow.kinds(project.id).count("state_changed") == 1
    assert flow.kinds(project.id).count("transition_requested") == 1, "the loser's request event was kept"


def test_two_heads_approving_the_same_request_approve_it_once(
        flow, make, race, hold_both_before, world, project, member_of_school, head_of_school):
    deputy = make.person("head", org=world.school, email="deputy@lyceum1.ru")
    flow.satisfy(project.id, "diagnose")
    request = flow.fire(member_of_school.actor, project.id, "to_target").request
    hold_both_before("_decide")
    outcomes = race(
        lambda uow: approve_request(uow, head_of_school.actor, request.id, {}),
        lambda uow: approve_request(uow, deputy.actor, request.id, {}),
    )
    wins, errors = split(outcomes)
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert isinstance(errors[0], Conflict), repr(errors[0])
    assert (flow.reload(project.id).state, flow.reload(project.id).version) == ("target", 2)
    kinds = flow.kinds(project.id)
    assert (kinds.count("transition_approved"), kinds.count("state_changed")) == (1, 1)


def test_two_heads_deciding_the_first_step_of_a_sequence_pass_it_once(
        flow, make, race, hold_both_before, world, member_of_school, head_of_school):
    """psr-defended's ``to_implement`` waits for [head, curator]: two heads approve the
    head's step at the same moment; the compare-and-swap on status+step lets one through."""
    deputy = make.person("head", org=world.school, email="deputy@lyceum1.ru")
    project = make.project(world.school, member_of_school.actor, workflow="psr-defended")
    flow.satisfy(project.id, "diagnose")
    flow.fire(head_of_school.actor, project.id, "to_target")
    flow.satisfy(project.id, "target")
    request = flow.fire(member_of_school.actor, project.id, "to_implement").request
    hold_both_before("_pass_step")
    outcomes = race(
        lambda uow: approve_request(uow, head_of_school.actor, request.id, {}),
        lambda uow: approve_request(uow, deputy.actor, request.id, {}),
    )
    wins, errors = split(outcomes)
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert isinstance(errors[0], Conflict), repr(errors[0])
    waiting = flow.requests(project.id, status="pending")[0]
    assert (waiting.step, waiting.approval) == (1, "curator")
    assert flow.kinds(project.id).count("approval_step_passed") == 1


def test_two_curators_deciding_the_last_step_at_once_move_the_project_once(
        flow, make, race, hold_both_before, world, member_of_school, head_of_school, curator_orel):
    other_curator = make.person("curator", region=world.region, email="curator2@orel-edu.ru")
    project = make.project(world.school, member_of_school.actor, workflow="psr-defended")
    flow.satisfy(project.id, "diagnose")
    flow.fire(head_of_school.actor, project.id, "to_target")
    flow.satisfy(project.id, "target")
    request = flow.fire(head_of_school.actor, project.id, "to_implement").request  # head's step passed
    hold_both_before("_decide")
    outcomes = race(
        lambda uow: approve_request(uow, curator_orel.actor, request.id, {}),
        lambda uow: reject_request(uow, other_curator.actor, request.id, {"comment": "На доработку"}),
    )
    wins, errors = split(outcomes)
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert isinstance(errors[0], Conflict), repr(errors[0])
    status = flow.requests(project.id)[-1].status
    assert status in ("approved", "rejected")
    assert flow.reload(project.id).state == ("implement" if status == "approved" else "target")
