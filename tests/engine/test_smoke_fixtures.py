from engine.services import request_transition


def test_a_new_project_starts_in_diagnose_with_a_created_event(make, world, member_of_school, store):
    project = make.project(world.school, member_of_school.actor)
    assert project.state == "diagnose" and project.version == 1
    from engine.services.queries import list_events
    with store.uow() as uow:
        events = list_events(uow, member_of_school.actor, project.id)
    assert [e["kind"] for e in events] == ["created"]
    res = None
    try:
        res = make.call(request_transition, member_of_school.actor, project.id, {"trigger": "to_target", "version": 1})
    except Exception as exc:  # the gate is not met yet
        assert type(exc).__name__ == "GateFailed"
    assert res is None
