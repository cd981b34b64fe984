"""Defence sessions' mutations: schedule, add a project, record a decision, close.

Each checks scope (outside the region: NotFound) and role (engine/policy.py:
``defence.schedule``, ``may_decide_defence``; else Forbidden), validates, writes the
change and its audit event in one transaction. A decision is the curator's approval step
of the project's request, decided by the projects' own services in this transaction."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from engine import clock
from engine.db import OneTransaction, UnitOfWork
from engine.defence import schemas as DS
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.models import (
    DefenceCommission,
    DefenceItem,
    DefenceSession,
    Project,
    Region,
    RoleGrant,
    TransitionRequest,
    User,
    pk,
)
from engine.policy import Actor, can_in_region, may_decide_defence
from engine.schemas import parse
from engine.services import notifications as notes
from engine.services.common import cas_update, get_or_404, is_id, record
from engine.text import Text
from engine.vocab import DefenceDecision, DefenceStatus, EventKind, NotificationKind, RequestStatus

COMMISSION_ROLE = "curator"  # the approval step a defence session decides


def _bad(field: str, ru: str, en: str) -> ValidationFailed:
    return ValidationFailed({field: Text(ru, en)})


def commission_ids(uow: UnitOfWork, session_id: int) -> set[int]:
    return set(uow.session.execute(select(col(DefenceCommission.user_id))
                                   .where(col(DefenceCommission.session_id) == session_id)).scalars())


def get_session(uow: UnitOfWork, actor: Actor, session_id: Any) -> DefenceSession:
    """The session if the actor's scope reaches its region (NotFound otherwise), and the
    actor may see sessions there (a curator, an admin, a commission member; else Forbidden)."""
    sess = uow.session.get(DefenceSession, session_id) if is_id(session_id) else None
    if sess is None or not (actor.is_admin or sess.region_id in actor.region_ids()):
        raise NotFound("defence_session")
    if not (can_in_region(actor, "defence.view", sess.region_id)
            or actor.user_id in commission_ids(uow, pk(sess))):
        raise Forbidden()
    return sess


def list_sessions(uow: UnitOfWork, actor: Actor) -> list[DefenceSession]:
    """The sessions the actor may see, latest date first: their regions' (a curator), all
    (an admin), and those whose commission they sit on."""
    stmt = select(DefenceSession)
    if not actor.is_admin:
        mine = select(col(DefenceCommission.session_id)).where(col(DefenceCommission.user_id) == actor.user_id)
        stmt = stmt.where(col(DefenceSession.region_id).in_(actor.curator_region_ids())
                          | col(DefenceSession.id).in_(mine))
    return list(uow.session.execute(stmt.order_by(col(DefenceSession.held_on).desc(),
                                                  col(DefenceSession.id).desc())).scalars())


def _require_manage(actor: Actor, sess: DefenceSession) -> None:
    if not can_in_region(actor, "defence.schedule", sess.region_id):
        raise Forbidden(Text("Защиту ведут кураторы региона", "The region's curators run defence sessions"))


def _require_open(sess: DefenceSession) -> None:
    if sess.status == DefenceStatus.CLOSED.value:
        raise Conflict(Text("Защита закрыта", "The defence session is closed"))


def curators_of(uow: UnitOfWork, region_id: int) -> list[User]:
    """The active curators of a region as a whole (who may sit on its commissions)."""
    return list(uow.session.execute(
        select(User).join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
        .where(col(RoleGrant.role) == COMMISSION_ROLE, col(RoleGrant.region_id) == region_id,
               col(RoleGrant.municipality_id).is_(None), col(User.is_active).is_(True))
        .order_by(col(User.name), col(User.id))).scalars().unique())


def schedule_session(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> DefenceSession:
    """Schedule a defence session of a region (its curators): date, place and a
    commission of the region's curators (the scheduling curator when none is named)."""
    region_id = data.get("region_id") if isinstance(data, dict) else None
    if is_id(region_id):
        if uow.session.get(Region, region_id) is None or not (actor.is_admin or region_id in actor.region_ids()):
            raise NotFound("region")
        if not can_in_region(actor, "defence.schedule", region_id):
            raise Forbidden()
    elif not actor.curator_region_ids():
        raise Forbidden()
    body: DS.SessionIn = parse(DS.SessionIn, data)
    if uow.session.get(Region, body.region_id) is None:
        raise _bad("region_id", "Нет такого региона", "No such region")
    allowed = {pk(u) for u in curators_of(uow, body.region_id)}
    commission = list(dict.fromkeys(body.commission or ([actor.user_id] if actor.user_id else [])))
    strangers = [u for u in commission if u not in allowed]
    if strangers or not commission:
        raise _bad("commission", "В комиссию входят кураторы этого региона",
                   "The commission is made of this region's curators")
    sess = DefenceSession(region_id=body.region_id, title=body.title, held_on=body.held_on, place=body.place,
                          status=DefenceStatus.PLANNED.value, created_at=clock.now(), created_by=actor.user_id)
    uow.session.add(sess)
    uow.session.flush()
    for user_id in commission:
        uow.session.add(DefenceCommission(session_id=pk(sess), user_id=user_id))
    record(uow.session, actor, EventKind.DEFENCE_SCHEDULED, None,
           {"session_id": sess.id, "region_id": sess.region_id, "title": sess.title,
            "held_on": sess.held_on.isoformat(), "place": sess.place, "commission": commission})
    uow.commit()
    return sess


def waiting_for_commission(uow: UnitOfWork, project_id: int) -> TransitionRequest | None:
    """The project's pending request if it waits at the commission's (curator's) step."""
    return uow.session.execute(select(TransitionRequest).where(
        col(TransitionRequest.project_id) == project_id,
        col(TransitionRequest.status) == RequestStatus.PENDING.value,
        col(TransitionRequest.approval) == COMMISSION_ROLE)).scalars().first()


def add_project(uow: UnitOfWork, actor: Actor, session_id: int, data: dict[str, Any]) -> DefenceItem:
    """Add a project of the session's region whose request waits at the commission's step."""
    sess = get_session(uow, actor, session_id)
    _require_manage(actor, sess)
    body: DS.AddProjectIn = parse(DS.AddProjectIn, data)
    project = uow.session.get(Project, body.project_id) if is_id(body.project_id) else None
    if project is None or project.region_id != sess.region_id or not actor.roles_for(project.org_id,
                                                                                     project.region_id):
        raise _bad("project_id", "Нет такого проекта в регионе защиты", "No such project in the session's region")
    req = waiting_for_commission(uow, pk(project))
    if req is None:
        raise _bad("project_id", "У проекта нет запроса, ожидающего решения комиссии (шага куратора)",
                   "The project has no request waiting for the commission (the curator's step)")
    _require_open(sess)
    item = DefenceItem(session_id=pk(sess), project_id=pk(project), request_id=pk(req))
    uow.session.add(item)
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict(Text("Проект уже включён в эту защиту", "The project is already in this session")) from None
    record(uow.session, actor, EventKind.DEFENCE_PROJECT_ADDED, None,
           {"session_id": sess.id, "project_id": project.id, "request_id": req.id})
    uow.commit()
    return item


def record_decision(uow: UnitOfWork, actor: Actor, session_id: int, item_id: int,
                    data: dict[str, Any]) -> DefenceItem:
    """The commission's decision on one project: ``accepted`` approves the request's
    curator step (the project moves when it is the last), ``to_revise`` rejects the
    request with the remarks (required), which returns it to the team. Both in this
    transaction, through ``approve_request`` / ``reject_request``; a second decision on
    the item answers Conflict (compare-and-swap on the item's empty decision)."""
    from engine.services.projects import approve_request, reject_request  # the projects' own rules
    sess = get_session(uow, actor, session_id)
    item = get_or_404(uow.session, DefenceItem, item_id, "defence_item")
    if item.session_id != sess.id:
        raise NotFound("defence_item")
    if not may_decide_defence(actor, sess.region_id, commission_ids(uow, pk(sess))):
        raise Forbidden(Text("Решение записывают члены комиссии и кураторы региона",
                             "Decisions are recorded by the commission and the region's curators"))
    body: DS.DecisionIn = parse(DS.DecisionIn, data)
    remarks = (body.remarks or "").strip() or None
    if body.decision == DefenceDecision.TO_REVISE.value and not remarks:
        raise _bad("remarks", "Укажите замечания: с ними проект вернётся команде",
                   "Remarks are required: the project goes back to its team with them")
    _require_open(sess)
    now = clock.now()
    won = uow.session.exec(
        update(DefenceItem).where(col(DefenceItem.id) == item.id, col(DefenceItem.decision).is_(None))
        .values(decision=body.decision, remarks=remarks, decided_by=actor.user_id, decided_at=now)
        .execution_options(synchronize_session=False))
    if won.rowcount != 1:
        raise Conflict(Text("По этому проекту решение уже записано", "A decision on this project is recorded already"))
    for key, value in (("decision", body.decision), ("remarks", remarks), ("decided_by", actor.user_id),
                       ("decided_at", now)):
        set_committed_value(item, key, value)  # written above; no second UPDATE at flush
    inner = OneTransaction(uow)
    if body.decision == DefenceDecision.ACCEPTED.value:
        approve_request(inner, actor, item.request_id, {"comment": remarks} if remarks else {})
    else:
        req = reject_request(inner, actor, item.request_id, {"comment": remarks})
        _tell_team(uow, actor, sess, item.project_id, req, remarks or "")
    uow.session.execute(update(DefenceSession).where(col(DefenceSession.id) == sess.id,
                                                     col(DefenceSession.status) == DefenceStatus.PLANNED.value)
                        .values(status=DefenceStatus.HELD.value).execution_options(synchronize_session=False))
    record(uow.session, actor, EventKind.DEFENCE_DECIDED, None,
           {"session_id": sess.id, "item_id": item.id, "project_id": item.project_id,
            "request_id": item.request_id, "decision": body.decision, "remarks": remarks})
    uow.commit()
    return item


def _tell_team(uow: UnitOfWork, actor: Actor, sess: DefenceSession, project_id: int,
               req: TransitionRequest, remarks: str) -> None:
    """«На доработку»: the whole team hears the commission's remarks (reject_request has
    told the requester and the leader already)."""
    project = uow.session.get(Project, project_id)
    if project is None:
        return
    ru = f"«{project.title}»: комиссия защиты «{sess.title}» вернула проект на доработку: {notes.excerpt(remarks)}"
    en = f"“{project.title}”: the defence commission “{sess.title}” sent the project back to revise: " \
         f"{notes.excerpt(remarks)}"
    notes.notify_people(uow.session, actor, project, NotificationKind.TRANSITION_REJECTED,
                        notes.team_of(uow.session, project) - {req.requested_by, project.leader_id}, Text(ru, en))


def close_session(uow: UnitOfWork, actor: Actor, session_id: int, data: dict[str, Any]) -> DefenceSession:
    """Close a session (optimistic ``version``): its protocol is final, nothing more is added
    or decided there; projects left undecided keep their requests waiting."""
    sess = get_session(uow, actor, session_id)
    _require_manage(actor, sess)
    body: DS.CloseIn = parse(DS.CloseIn, data)
    _require_open(sess)
    cas_update(uow.session, DefenceSession, sess, body.version, status=DefenceStatus.CLOSED.value)
    record(uow.session, actor, EventKind.DEFENCE_CLOSED, None, {"session_id": sess.id})
    uow.commit()
    return sess
