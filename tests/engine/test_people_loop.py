"""The people loop (#12 items 1 and 2): every decision tells exactly the right people, in
the decision's own transaction, and a pending request may be withdrawn by the person who
asked or by whoever may decide it.

Each kind of notification goes to its recipients and to nobody else: never the actor,
never anyone who cannot see the project (another school, another region, an outsider left
on a team by old data), never a deactivated person; a refused decision writes none."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.db import OneTransaction
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.models import Event, Notification, TeamMember, TransitionRequest
from engine.policy import SYSTEM
from engine.services import (
    add_action,
    add_comment,
    add_team_member,
    approve_request,
    log_risk,
    reject_request,
    update_action,
    update_project,
    withdraw_request,
)
from engine.services import queries as Q
from engine.services.admin import deactivate_user
from engine.services.notifications import deciders_of, email_mutes, set_email_mutes
from engine.vocab import NOTIFICATION_KINDS, NotificationKind, RequestStatus

K = NotificationKind


@pytest.fixture
def people(make, world, member_of_school, head_of_school, member_of_other_school, head_of_other_school,
           curator_orel, curator_kursk, admin) -> dict[str, Any]:
    """Everyone around the school's project, and those who must never hear of it."""
    return {
        "member": member_of_school,  # asks for moves
        "head": head_of_school,  # decides
        "deputy": make.person("head", org=world.school, email="deputy@lyceum1.ru", name="Кузнецова Мария"),
        "leader": make.person("member", org=world.school, email="leader@lyceum1.ru", name="Орлова Елена"),
        "colleague": make.person("member", org=world.school, email="colleague@lyceum1.ru",
                                 name="Соколов Дмитрий"),
        "other_member": member_of_other_school, "other_head": head_of_other_school,
        "curator": curator_orel, "far_curator": curator_kursk, "admin": admin,
        "far_head": make.person("head", org=world.other_region_school, email="head@kursk5.ru"),
    }


@pytest.fixture
def led(make, world, people) -> Any:
    """The school's project, started by the member, led by the leader."""
    return make.project(world.school, people["member"].actor, leader_id=people["leader"].id)


def notes(store: Any, kind: str | None = None) -> list[Notification]:
    with store.uow() as uow:
        stmt = select(Notification).order_by(Notification.id)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return list(uow.session.execute(stmt).scalars())


def told(store: Any, people: dict[str, Any], kind: str) -> set[str]:
    """Who (by the fixture's names) has a notification of ``kind``."""
    by_id = {p.id: name for name, p in people.items()}
    return {by_id.get(n.user_id, f"user {n.user_id}") for n in notes(store, kind)}


def pending(flow: Any, people: dict[str, Any], project_id: int) -> TransitionRequest:
    flow.satisfy(project_id, "diagnose")
    result = flow.fire(people["member"].actor, project_id, "to_target", comment="Карта готова")
    assert not result.moved
    return result.request


# --- a new request -> those who may decide it -------------------------------------------

def test_a_request_tells_the_heads_who_may_decide_it_and_nobody_else(store, flow, people, led):
    req = pending(flow, people, led.id)
    assert told(store, people, K.TRANSITION_REQUESTED) == {"head", "deputy"}
    (n, *_) = notes(store, K.TRANSITION_REQUESTED)
    assert n.project_id == led.id and "Иванова Анна" in n.text_ru and "«Целевое состояние»" in n.text_ru
    # the same people as the approvals inbox lists it for (queries.decidable_requests_filter)
    with store.uow() as uow:
        inbox = {name for name, p in people.items()
                 if req.id in {r.id for r in Q.list_requests(uow, p.actor, decidable_only=True)[0]}}
        assert deciders_of(uow.session, flow.reload(led.id), "head") == {people["head"].id, people["deputy"].id}
    assert inbox == {"head", "deputy"}


def test_a_resubmitted_request_shows_the_head_the_earlier_rejection(store, make, flow, people, led):
    req = pending(flow, people, led.id)
    make.call(reject_request, people["head"].actor, req.id, {"comment": "Нет карты целевого состояния"})
    flow.fire(people["member"].actor, led.id, "to_target", comment="Исправили")
    latest = [n for n in notes(store, K.TRANSITION_REQUESTED) if n.user_id == people["head"].id][-1]
    assert "Ранее этот переход отклоняли: Нет карты целевого состояния" in latest.text_ru
    assert "rejected before: Нет карты целевого состояния" in latest.text_en


def test_a_heads_own_move_asks_nobody(store, flow, people, led):
    flow.satisfy(led.id, "diagnose")
    assert flow.fire(people["head"].actor, led.id, "to_target").moved
    assert notes(store, K.TRANSITION_REQUESTED) == []


# --- decisions -> the requester and the leader ------------------------------------------

def test_approval_tells_the_requester_and_the_leader(store, make, flow, people, led):
    req = pending(flow, people, led.id)
    make.call(approve_request, people["head"].actor, req.id, {"comment": "Хорошая карта"})
    assert told(store, people, K.TRANSITION_APPROVED) == {"member", "leader"}
    texts = [n.text_ru for n in notes(store, K.TRANSITION_APPROVED)]
    assert all("согласован" in t and "Хорошая карта" in t and "Петров Сергей" in t for t in texts)


def test_rejection_tells_the_requester_and_the_leader_with_the_reason(store, make, flow, people, led):
    req = pending(flow, people, led.id)
    make.call(reject_request, people["head"].actor, req.id, {"comment": "Нет замеров до изменений"})
    assert told(store, people, K.TRANSITION_REJECTED) == {"member", "leader"}
    for n in notes(store, K.TRANSITION_REJECTED):
        assert "отклонён" in n.text_ru and "Причина: Нет замеров до изменений" in n.text_ru
        assert "Reason: Нет замеров до изменений" in n.text_en


def test_the_leader_deciding_is_not_told_of_their_own_decision(store, make, world, flow, people):
    project = make.project(world.school, people["member"].actor, leader_id=people["head"].id)
    req = pending(flow, people, project.id)
    make.call(reject_request, people["head"].actor, req.id, {"comment": "Рано"})
    assert told(store, people, K.TRANSITION_REJECTED) == {"member"}


def test_a_refused_decision_writes_no_notification(store, make, flow, people, led, row_counts):
    req = pending(flow, people, led.id)
    before = row_counts()
    with pytest.raises(ValidationFailed):
        make.call(reject_request, people["head"].actor, req.id, {"comment": "  "})
    with pytest.raises(Forbidden):
        make.call(approve_request, people["colleague"].actor, req.id, {})
    with pytest.raises(NotFound):
        make.call(reject_request, people["other_head"].actor, req.id, {"comment": "Нет"})
    with pytest.raises(Forbidden):
        make.call(withdraw_request, people["colleague"].actor, req.id, {})
    assert row_counts() == before


def test_the_decision_and_its_notifications_are_one_transaction(store, flow, people, led):
    req = pending(flow, people, led.id)
    with store.uow() as uow:  # the rejection runs inside the caller's transaction, never committed
        reject_request(OneTransaction(uow), people["head"].actor, req.id, {"comment": "Нет"})
        inside = uow.session.execute(select(Notification.user_id).where(
            Notification.kind == K.TRANSITION_REJECTED)).scalars().all()
        assert set(inside) == {people["member"].id, people["leader"].id}
    # discarded with the decision: neither the rejection nor its notifications were written apart
    assert notes(store, K.TRANSITION_REJECTED) == []
    assert flow.requests(led.id)[0].status == "pending"
    assert "transition_rejected" not in flow.kinds(led.id)


# --- withdraw ---------------------------------------------------------------------------

def test_the_requester_withdraws_and_the_leader_hears_of_it(store, make, flow, people, led):
    req = pending(flow, people, led.id)
    out = make.call(withdraw_request, people["member"].actor, req.id, {"comment": "Передумали"})
    assert out.status == RequestStatus.WITHDRAWN == "withdrawn"
    assert flow.requests(led.id)[0].status == "withdrawn"
    (ev,) = [e for e in flow.events(led.id) if e.kind == "transition_withdrawn"]
    assert ev.actor_id == people["member"].id and ev.payload["comment"] == "Передумали"
    assert told(store, people, K.REQUEST_WITHDRAWN) == {"leader"}  # the requester did it
    assert flow.reload(led.id).state == "diagnose"
    # a withdrawn request cannot be decided, nor withdrawn again
    with pytest.raises(Conflict):
        make.call(approve_request, people["head"].actor, req.id, {})
    with pytest.raises(Conflict):
        make.call(reject_request, people["head"].actor, req.id, {"comment": "Нет"})
    with pytest.raises(Conflict):
        make.call(withdraw_request, people["member"].actor, req.id, {})
    # and a new request may be made at once
    assert not flow.fire(people["member"].actor, led.id, "to_target").moved


def test_the_head_withdraws_and_the_requester_and_leader_hear_of_it(store, make, flow, people, led):
    req = pending(flow, people, led.id)
    make.call(withdraw_request, people["deputy"].actor, req.id, {})
    assert told(store, people, K.REQUEST_WITHDRAWN) == {"member", "leader"}


@pytest.mark.parametrize(("who", "error"), [
    ("colleague", Forbidden), ("curator", Forbidden), ("admin", Forbidden),
    ("other_head", NotFound), ("far_curator", NotFound), ("far_head", NotFound)])
def test_nobody_else_withdraws(make, flow, people, led, row_counts, who, error):
    req = pending(flow, people, led.id)
    before = row_counts()
    with pytest.raises((Forbidden, NotFound)) as info:
        make.call(withdraw_request, people[who].actor, req.id, {})
    assert type(info.value) is error
    assert row_counts() == before


def test_a_decided_request_cannot_be_withdrawn(make, flow, people, led):
    req = pending(flow, people, led.id)
    make.call(approve_request, people["head"].actor, req.id, {})
    with pytest.raises(Conflict):
        make.call(withdraw_request, people["member"].actor, req.id, {})


# --- comments and mentions -> the team --------------------------------------------------

def test_a_comment_tells_the_team_and_a_mention_that_person(store, make, flow, people, led):
    make.call(add_team_member, people["member"].actor, led.id, {"user_id": people["curator"].id})
    make.call(add_comment, people["member"].actor, led.id,
              {"text": "Замеры готовы, @кузнецова мария посмотрите, пожалуйста. @Никто тут ни при чём"})
    assert told(store, people, K.COMMENTED) == {"leader", "curator"}  # the team, not the author
    assert told(store, people, K.MENTIONED) == {"deputy"}  # a person of the organisation
    (n,) = notes(store, K.MENTIONED)
    assert "Иванова Анна упоминает вас" in n.text_ru and "Замеры готовы" in n.text_ru


def test_a_mention_by_the_first_word_of_a_name_and_only_once(store, make, people, led):
    make.call(add_comment, people["head"].actor, led.id, {"text": "@Орлова, @Соколов и снова @орлова!"})
    assert told(store, people, K.MENTIONED) == {"leader", "colleague"}
    assert told(store, people, K.COMMENTED) == set()  # the leader is told once, as mentioned
    assert len(notes(store, K.MENTIONED)) == 2


def test_a_mention_of_someone_outside_the_project_tells_nobody(store, make, world, people, led):
    outsider = make.person("member", org=world.other_school, name="Волков Игорь")
    make.call(add_comment, people["member"].actor, led.id, {"text": "@Волков Игорь, что скажете?"})
    assert outsider.id not in {n.user_id for n in notes(store)}
    assert told(store, people, K.MENTIONED) == set()


def test_nobody_who_cannot_see_the_project_is_told(store, make, world, people, led):
    """Old data may have left someone of another school on a team: they hear nothing.
    A deactivated person hears nothing either."""
    with store.uow() as uow:
        uow.session.add(TeamMember(project_id=led.id, user_id=people["other_member"].id))
        uow.commit()
    make.call(deactivate_user, SYSTEM, people["leader"].id)
    make.call(add_comment, people["head"].actor, led.id, {"text": "@Орлова Елена, новости"})
    assert notes(store, K.COMMENTED) == [] and notes(store, K.MENTIONED) == []


# --- the team, owners and leaders -> that person -----------------------------------------

def test_joining_the_team_and_being_made_owner_or_leader_tell_that_person(store, make, flow, people, led):
    member = people["member"].actor
    make.call(add_team_member, member, led.id, {"user_id": people["colleague"].id, "role_text": "хронометраж"})
    assert told(store, people, K.TEAM_ADDED) == {"colleague"}
    assert "хронометраж" in notes(store, K.TEAM_ADDED)[0].text_ru
    action = make.call(add_action, member, led.id, {"title": "Шаблон", "owner_id": people["colleague"].id})
    make.call(log_risk, member, led.id, {"title": "Отпуск", "probability": 2, "impact": 2,
                                         "owner_id": people["deputy"].id})
    make.call(update_action, member, action.id, {"owner_id": people["leader"].id})
    make.call(add_action, member, led.id, {"title": "Своё", "owner_id": people["member"].id})  # oneself: no
    owners = [(n.user_id, n.text_ru) for n in notes(store, K.OWNER_ASSIGNED)]
    assert [u for u, _ in owners] == [people["leader"].id, people["colleague"].id, people["deputy"].id,
                                      people["leader"].id]  # the leader at creation, then the owners
    assert "руководителем проекта" in owners[0][1] and "мероприятие «Шаблон»" in owners[1][1]
    assert "риск «Отпуск»" in owners[2][1]
    make.call(update_project, member, led.id, {"version": flow.reload(led.id).version,
                                               "leader_id": people["colleague"].id})
    assert notes(store, K.OWNER_ASSIGNED)[-1].user_id == people["colleague"].id


# --- a back-move -> the team ------------------------------------------------------------

def test_a_back_move_tells_the_team(store, make, flow, people, led):
    make.call(add_team_member, people["member"].actor, led.id, {"user_id": people["colleague"].id})
    flow.advance(led.id, "target")
    flow.fire(people["head"].actor, led.id, "back_to_diagnose", comment="Нет замеров")
    assert told(store, people, K.MOVED_BACK) == {"leader", "colleague"}
    assert "возвращён на этап «Диагностика»: Нет замеров" in notes(store, K.MOVED_BACK)[0].text_ru


# --- e-mail per kind -------------------------------------------------------------------

def test_email_mutes_are_ones_own_and_only_known_kinds(store, make, people, row_counts):
    assert make.call(set_email_mutes, people["member"].actor, ["commented", "mentioned"]) == {"commented",
                                                                                              "mentioned"}
    with store.uow() as uow:
        assert email_mutes(uow, people["member"].actor) == {"commented", "mentioned"}
        assert email_mutes(uow, people["head"].actor) == set()
    before = row_counts()
    for bad in (["nope"], "commented", [1]):
        with pytest.raises(ValidationFailed):
            make.call(set_email_mutes, people["member"].actor, bad)
    assert row_counts() == before
    make.call(set_email_mutes, people["member"].actor, [])
    with store.uow() as uow:
        assert email_mutes(uow, people["member"].actor) == set()
        kinds = [e.payload for e in uow.session.execute(select(Event).where(Event.kind == "user_updated"))
                 .scalars()]
    assert [k["email_muted"]["to"] for k in kinds] == [["commented", "mentioned"], []]
    assert {"transition_requested", "transition_approved", "transition_rejected", "request_withdrawn",
            "commented", "mentioned"} <= set(NOTIFICATION_KINDS)
