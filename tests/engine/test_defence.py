"""Defence sessions (#14 item 5): a curator schedules a session, adds projects whose
request waits at the curator's step, and the commission records accepted / to revise;
each decision is that step's approval or rejection, in the same transaction."""
from __future__ import annotations

from typing import Any

import pytest

from engine.defence import pages as views
from engine.defence import service as defence
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed

HELD_ON = "2026-12-10"


def waiting_for_curator(make: Any, flow: Any, world: Any, member: Any, head: Any, title: str) -> Any:
    """A psr-defended project of the school in ``target`` whose ``to_implement`` request
    waits at the curator's step (the head fired it: their own step passed at once)."""
    project = make.project(world.school, member.actor, title=title, workflow="psr-defended")
    flow.satisfy(project.id, "diagnose")
    flow.fire(head.actor, project.id, "to_target")
    flow.satisfy(project.id, "target")
    result = flow.fire(head.actor, project.id, "to_implement")
    assert result.request.approval == "curator"
    return project


def schedule(make: Any, curator: Any, region: Any, **extra: Any) -> Any:
    return make.call(defence.schedule_session, curator.actor, {
        "region_id": region.id, "title": "Защита целевых состояний", "held_on": HELD_ON,
        "place": "Орёл, ИРО, ауд. 204", **extra})


@pytest.fixture
def session(make, world, curator_orel):
    return schedule(make, curator_orel, world.region)


def test_fifteen_projects_thirteen_accepted_two_to_revise_only_the_thirteen_move(
        make, flow, world, member_of_school, head_of_school, curator_orel, session):
    projects = [waiting_for_curator(make, flow, world, member_of_school, head_of_school, f"Проект №{n}")
                for n in range(1, 16)]
    for p in projects:
        make.call(defence.add_project, curator_orel.actor, session.id, {"project_id": p.id})
    view = make.call(views.session_view, curator_orel.actor, session.id)
    assert (view.decided, view.total) == (0, 15)
    revise = {projects[3].id: "Нет базовой линии по второй метрике", projects[9].id: "Карта не согласована"}
    for item in view.items:
        if item.project_id in revise:
            data = {"decision": "to_revise", "remarks": revise[item.project_id]}
        else:
            data = {"decision": "accepted"}
        make.call(defence.record_decision, curator_orel.actor, session.id, item.id, data)

    states = {p.id: flow.reload(p.id).state for p in projects}
    assert sorted(pid for pid, st in states.items() if st == "implement") == sorted(
        p.id for p in projects if p.id not in revise)
    assert {pid: st for pid, st in states.items() if pid in revise} == {pid: "target" for pid in revise}
    for pid, remarks in revise.items():
        req = flow.requests(pid)[-1]
        assert (req.status, req.decision_comment, req.decided_by) == ("rejected", remarks, curator_orel.id)
    view = make.call(views.session_view, curator_orel.actor, session.id)
    assert (view.decided, view.total, view.session.status) == (15, 15, "held")
    assert sum(i.decision == "accepted" for i in view.items) == 13
    assert all(i.decided_by_name == "Смирнова Ольга" for i in view.items)


def test_only_projects_waiting_at_the_curators_step_can_be_added(
        make, flow, world, project, member_of_school, head_of_school, curator_orel, session, row_counts):
    flow.satisfy(project.id, "diagnose")
    flow.fire(member_of_school.actor, project.id, "to_target")  # psr: waits for the head
    before = row_counts()
    with pytest.raises(ValidationFailed) as err:
        make.call(defence.add_project, curator_orel.actor, session.id, {"project_id": project.id})
    assert "project_id" in err.value.fields
    assert row_counts() == before
    ready = waiting_for_curator(make, flow, world, member_of_school, head_of_school, "Готов к защите")
    make.call(defence.add_project, curator_orel.actor, session.id, {"project_id": ready.id})
    with pytest.raises(Conflict):
        make.call(defence.add_project, curator_orel.actor, session.id, {"project_id": ready.id})


def test_to_revise_needs_remarks_and_a_decision_is_recorded_once(
        make, flow, world, member_of_school, head_of_school, curator_orel, session, row_counts):
    p = waiting_for_curator(make, flow, world, member_of_school, head_of_school, "Проект")
    make.call(defence.add_project, curator_orel.actor, session.id, {"project_id": p.id})
    item = make.call(views.session_view, curator_orel.actor, session.id).items[0]
    before = row_counts()
    for bad in ({"decision": "to_revise"}, {"decision": "to_revise", "remarks": "  "}, {"decision": "maybe"}):
        with pytest.raises(ValidationFailed):
            make.call(defence.record_decision, curator_orel.actor, session.id, item.id, bad)
    assert row_counts() == before
    make.call(defence.record_decision, curator_orel.actor, session.id, item.id, {"decision": "accepted"})
    with pytest.raises(Conflict):
        make.call(defence.record_decision, curator_orel.actor, session.id, item.id,
                  {"decision": "to_revise", "remarks": "Передумали"})
    assert flow.reload(p.id).state == "implement"


def test_who_may_schedule_and_decide(make, flow, world, member_of_school, head_of_school, curator_orel,
                                     curator_kursk, session):
    with pytest.raises(Forbidden):
        schedule(make, head_of_school, world.region)
    with pytest.raises(NotFound):
        schedule(make, curator_kursk, world.region)
    with pytest.raises(NotFound):
        make.call(views.session_view, curator_kursk.actor, session.id)
    with pytest.raises(Forbidden):
        make.call(views.session_view, head_of_school.actor, session.id)
    with pytest.raises(ValidationFailed) as err:  # the commission: curators of this region only
        schedule(make, curator_orel, world.region, commission=[curator_orel.id, head_of_school.id])
    assert "commission" in err.value.fields
    p = waiting_for_curator(make, flow, world, member_of_school, head_of_school, "Проект")
    make.call(defence.add_project, curator_orel.actor, session.id, {"project_id": p.id})
    item = make.call(views.session_view, curator_orel.actor, session.id).items[0]
    with pytest.raises(Forbidden):
        make.call(defence.record_decision, head_of_school.actor, session.id, item.id, {"decision": "accepted"})


def test_a_commission_member_decides_and_a_closed_session_takes_nothing(
        make, flow, world, member_of_school, head_of_school, curator_orel):
    colleague = make.person("curator", region=world.region, email="curator2@orel-edu.ru", name="Белова Ирина")
    sess = schedule(make, curator_orel, world.region, commission=[curator_orel.id, colleague.id])
    p = waiting_for_curator(make, flow, world, member_of_school, head_of_school, "Проект")
    make.call(defence.add_project, curator_orel.actor, sess.id, {"project_id": p.id})
    view = make.call(views.session_view, colleague.actor, sess.id)
    assert [m.name for m in view.commission] == ["Белова Ирина", "Смирнова Ольга"]
    make.call(defence.record_decision, colleague.actor, sess.id, view.items[0].id,
              {"decision": "to_revise", "remarks": "Уточните цели"})
    assert flow.requests(p.id)[-1].status == "rejected"
    closed = make.call(defence.close_session, curator_orel.actor, sess.id, {"version": 1})
    assert (closed.status, closed.version) == ("closed", 2)
    flow.fire(head_of_school.actor, p.id, "to_implement")  # the team asks again later
    with pytest.raises(Conflict):
        make.call(defence.add_project, curator_orel.actor, sess.id, {"project_id": p.id})


def test_to_revise_tells_the_whole_team_the_remarks(make, flow, world, member_of_school, head_of_school,
                                                   curator_orel, session):
    from sqlmodel import select

    from engine.models import Notification
    from engine.services import add_team_member
    p = waiting_for_curator(make, flow, world, member_of_school, head_of_school, "Проект")
    teammate = make.person("member", org=world.school, email="teacher3@lyceum1.ru")
    make.call(add_team_member, member_of_school.actor, p.id, {"user_id": teammate.id})
    make.call(defence.add_project, curator_orel.actor, session.id, {"project_id": p.id})
    item = make.call(views.session_view, curator_orel.actor, session.id).items[0]
    make.call(defence.record_decision, curator_orel.actor, session.id, item.id,
              {"decision": "to_revise", "remarks": "Нет карты процесса"})
    texts = make.call(lambda uow: [n.text_ru for n in uow.session.execute(
        select(Notification).where(Notification.user_id == teammate.id,
                                   Notification.kind == "transition_rejected")).scalars()])
    assert len(texts) == 1 and "Нет карты процесса" in texts[0]
