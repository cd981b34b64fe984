"""What the defence pages and the API show: the sessions list, one session (its projects,
decisions and progress, the projects that may still be added), the protocol. Read only;
the views render what these return."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine.db import UnitOfWork
from engine.defence import service as D
from engine.models import (
    DefenceItem,
    DefenceSession,
    Organization,
    Project,
    Region,
    TransitionRequest,
    User,
    pk,
)
from engine.policy import Actor, can_in_region, may_decide_defence
from engine.text import Text


@dataclass
class Person:
    id: int
    name: str


@dataclass
class ItemRow:
    id: int
    project_id: int
    title: str
    reg_number: str
    org_id: int
    org_name: str
    request_id: int
    request_status: str
    dest_title: Text
    decision: str | None
    remarks: str | None
    decided_by: int | None
    decided_by_name: str | None
    decided_at: datetime | None


@dataclass
class Candidate:
    project_id: int
    title: str
    org_name: str


@dataclass
class SessionView:
    session: DefenceSession
    region_name: str
    commission: list[Person]
    items: list[ItemRow]
    may_manage: bool  # add projects, close (the region's curators)
    may_decide: bool  # record decisions (the commission, the region's curators)
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def decided(self) -> int:
        return sum(1 for i in self.items if i.decision is not None)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def open(self) -> bool:
        return self.session.status != "closed"


@dataclass
class SessionsPage:
    sessions: list[tuple[DefenceSession, int, int]]  # (session, decided, total)
    regions: list[Region]  # where the actor may schedule
    curators: dict[int, list[Person]]  # region id -> who may sit on a commission


def _names(uow: UnitOfWork, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(uow.session.execute(select(col(User.id), col(User.name)).where(col(User.id).in_(ids))).all())


def sessions_page(uow: UnitOfWork, actor: Actor) -> SessionsPage:
    sessions = D.list_sessions(uow, actor)
    counts: dict[int, tuple[int, int]] = {}
    if sessions:
        for session_id, decision in uow.session.execute(
                select(col(DefenceItem.session_id), col(DefenceItem.decision))
                .where(col(DefenceItem.session_id).in_([pk(s) for s in sessions]))).all():
            decided, total = counts.get(session_id, (0, 0))
            counts[session_id] = (decided + (decision is not None), total + 1)
    region_ids = actor.curator_region_ids() if not actor.is_admin else set()
    regions = [r for r in uow.session.execute(select(Region).where(col(Region.id).in_(region_ids))
                                              .order_by(col(Region.name))).scalars()
               if can_in_region(actor, "defence.schedule", pk(r))]
    curators = {pk(r): [Person(pk(u), u.name) for u in D.curators_of(uow, pk(r))] for r in regions}
    return SessionsPage([(s, *counts.get(pk(s), (0, 0))) for s in sessions], regions, curators)


def session_view(uow: UnitOfWork, actor: Actor, session_id: Any) -> SessionView:
    """One session as its page, its protocol and the API show it."""
    sess = D.get_session(uow, actor, session_id)
    commission_ids = D.commission_ids(uow, pk(sess))
    rows = uow.session.execute(
        select(DefenceItem, Project, Organization, TransitionRequest)
        .join(Project, col(Project.id) == col(DefenceItem.project_id))
        .join(Organization, col(Organization.id) == col(Project.org_id))
        .join(TransitionRequest, col(TransitionRequest.id) == col(DefenceItem.request_id))
        .where(col(DefenceItem.session_id) == sess.id).order_by(col(DefenceItem.id))).all()
    names = _names(uow, commission_ids | {i.decided_by for i, *_ in rows if i.decided_by is not None})
    items = []
    for item, project, org, req in rows:
        wf = uow.workflows.get(project.workflow_id, project.workflow_version)
        dest = wf.state(req.dest).title if wf is not None and wf.has_state(req.dest) else Text(req.dest, req.dest)
        items.append(ItemRow(pk(item), pk(project), project.title, project.reg_number or "", pk(org), org.name,
                             pk(req), req.status, dest, item.decision, item.remarks, item.decided_by,
                             names.get(item.decided_by) if item.decided_by else None, item.decided_at))
    region = uow.session.get(Region, sess.region_id)
    may_manage = can_in_region(actor, "defence.schedule", sess.region_id)
    view = SessionView(sess, region.name if region else "",
                       sorted((Person(i, names.get(i, "")) for i in commission_ids), key=lambda p: p.name),
                       items, may_manage, may_decide_defence(actor, sess.region_id, commission_ids))
    if may_manage and view.open:
        view.candidates = _candidates(uow, sess, {i.project_id for i in items})
    return view


def _candidates(uow: UnitOfWork, sess: DefenceSession, taken: set[int]) -> list[Candidate]:
    """Projects of the region whose request waits at the commission's step, not yet added."""
    rows = uow.session.execute(
        select(Project, Organization)
        .join(Organization, col(Organization.id) == col(Project.org_id))
        .join(TransitionRequest, col(TransitionRequest.project_id) == col(Project.id))
        .where(col(Project.region_id) == sess.region_id,
               col(TransitionRequest.status) == "pending",
               col(TransitionRequest.approval) == D.COMMISSION_ROLE)
        .order_by(col(Organization.name), col(Project.title))).all()
    return [Candidate(pk(p), p.title, o.name) for p, o in rows if pk(p) not in taken]
