import pytest

from engine.errors import GateFailed
from engine.services import request_transition
from engine.services.queries import list_events


def test_a_new_project_starts_in_diagnose_with_a_created_event(make, world, member_of_school, store):
    project = make.project(world.school, member_of_school.actor)
    assert project.state == "diagnose" and project.version == 1
    with store.uow() as uow:
        events = list_events(uow, member_of_school.actor, project.id)
    assert [e["kind"] for e in events] == ["created"]
    # nothing is logged yet, so the first gate is not met
    with pytest.raises(GateFailed):
        make.call(request_transition, member_of_school.actor, project.id, {"trigger": "to_target", "version": 1})
