"""Page read models: everything one screen shows, read in the engine so that a page
view reads like an API route (parse, call one function here, render).

Texts stay ``Text`` (the page picks the language); rows stay model objects or the
API's dicts (``queries``), so a page and the API never describe a thing twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import col

from engine.checks import CHECKS, evaluate
from engine.db import UnitOfWork
from engine.errors import Forbidden, NotFound
from engine.models import Organization, Practice, Project, Region, RoleGrant, TransitionRequest, User
from engine.policy import Actor, may_decide, may_withdraw
from engine.services import queries as Q
from engine.services.common import sees_project, works_in
from engine.services.projects import get_project, last_rejection, workflow_of
from engine.text import Text
from engine.training.figures import completions
from engine.vocab import RequestStatus
from engine.workflow import Transition, Workflow


@dataclass(frozen=True)
class GateCheck:
    """One check of a gate, met or not, with what to do and where on the project page."""
    check: str
    met: bool
    text: Text
    anchor: str
    page: str | None = None  # the page (endpoint, with the project's org_id) where it is met


@dataclass(frozen=True)
class Gate:
    """The gate of a transition for one project: every check it requires."""
    trigger: str
    title: Text
    dest: Text
    checks: list[GateCheck]


def gate_of(uow: UnitOfWork, project: Project, wf: Workflow, t: Transition) -> Gate:
    """Every check ``t`` requires of ``project``, met or not, in the file's order."""
    unmet = {x.check for x in evaluate(uow.session, project, t.requires, wf)}
    return Gate(trigger=t.trigger, title=t.title_or_dest(wf), dest=wf.state(t.dest).title,
                checks=[GateCheck(c, c not in unmet, CHECKS[c].text, CHECKS[c].section, CHECKS[c].page)
                        for c in t.requires])


# --- the approvals inbox ------------------------------------------------------------------

@dataclass(frozen=True)
class Rejection:
    """A rejected request, as a page tells it: the reason, who and when."""
    request: dict[str, Any]  # queries.request_dict
    dest: Text
    decider: str


def _rejection(uow: UnitOfWork, wf: Workflow, req: TransitionRequest | None) -> Rejection | None:
    if req is None:
        return None
    decider = uow.session.execute(select(col(User.name)).where(col(User.id) == req.decided_by)).scalar() or ""
    return Rejection(Q.request_dict(req), _title(wf, req.dest), decider)


def _title(wf: Workflow, state: str) -> Text:
    return wf.state(state).title if wf.has_state(state) else Text(state, state)


@dataclass(frozen=True)
class InboxItem:
    request: dict[str, Any]  # queries.request_dict
    project: Project
    org: str
    requester: str
    source: Text  # the stage the project is in
    dest: Text
    checks: list[GateCheck]  # empty when the project has moved meanwhile
    earlier: Rejection | None = None  # the same move, rejected before (a resubmitted request)


def approval_inbox(uow: UnitOfWork, actor: Actor, limit: int = 200) -> tuple[list[InboxItem], int]:
    """The pending requests ``actor`` may decide, oldest first (at most ``limit``), each
    with its project, organisation, requester and the gate's evidence; and how many
    there are. One query reads the requests with everything they are shown with."""
    total = Q.count_requests(uow, actor, "pending", decidable_only=True)
    requester = aliased(User)
    stmt = (select(TransitionRequest, Project, col(Organization.name), col(requester.name))
            .join(Project, col(Project.id) == col(TransitionRequest.project_id))
            .where(Q.visible_projects_filter(actor), col(TransitionRequest.status) == "pending",
                   Q.decidable_requests_filter(actor))
            .outerjoin(Organization, col(Organization.id) == col(Project.org_id))
            .outerjoin(requester, col(requester.id) == col(TransitionRequest.requested_by))
            .order_by(col(TransitionRequest.requested_at), col(TransitionRequest.id)).limit(limit))
    items = []
    for req, project, org_name, requester_name in uow.session.execute(stmt).all():
        wf = workflow_of(uow, project)
        t = wf.find(req.trigger, project.state)
        earlier = last_rejection(uow, project.id, req.id)
        items.append(InboxItem(
            request=Q.request_dict(req), project=project, org=org_name or "",
            requester=requester_name or "", source=wf.state(project.state).title,
            dest=wf.state(req.dest).title,
            checks=gate_of(uow, project, wf, t).checks if t else [],
            earlier=_rejection(uow, wf, earlier) if earlier is not None and earlier.trigger == req.trigger
            else None))
    return items, total


# --- the requester's own requests ---------------------------------------------------------------

@dataclass(frozen=True)
class MyRequest:
    request: dict[str, Any]  # queries.request_dict
    project: Project
    dest: Text
    decider: str  # who decided or withdrew it ("" while pending)
    may_withdraw: bool


def my_requests(uow: UnitOfWork, actor: Actor, limit: int = 200) -> list[MyRequest]:
    """«Мои запросы»: the requests the actor made, newest first, in projects they still
    see, each with its status, the decision's comment and who decided."""
    if actor.user_id is None:
        return []
    decider = aliased(User)
    stmt = (select(TransitionRequest, Project, col(decider.name))
            .join(Project, col(Project.id) == col(TransitionRequest.project_id))
            .outerjoin(decider, col(decider.id) == col(TransitionRequest.decided_by))
            .where(Q.visible_projects_filter(actor), col(TransitionRequest.requested_by) == actor.user_id,
                   # a move made at once (approved by the one who asked) asked nobody
                   ~((col(TransitionRequest.status) == RequestStatus.APPROVED.value)
                     & (col(TransitionRequest.decided_by) == col(TransitionRequest.requested_by))))
            .order_by(TransitionRequest.requested_at.desc(), TransitionRequest.id.desc())  # type: ignore[attr-defined,union-attr]
            .limit(limit))
    out = []
    for req, project, decider_name in uow.session.execute(stmt).all():
        wf = workflow_of(uow, project)
        out.append(MyRequest(
            request=Q.request_dict(req), project=project, dest=_title(wf, req.dest), decider=decider_name or "",
            may_withdraw=req.status == RequestStatus.PENDING and may_withdraw(
                actor, req.requested_by, req.approval, project.org_id, project.region_id)))
    return out


# --- the card's request panel -------------------------------------------------------------------

@dataclass(frozen=True)
class RequestPanel:
    """What the card page says about approval: the pending request (who asked, for which
    stage, may the viewer withdraw or decide it, the earlier rejection of the same move),
    or else the latest decision when it was a rejection (its reason)."""
    pending: dict[str, Any] | None
    requester: str
    dest: Text | None
    may_withdraw: bool
    may_decide: bool
    earlier: Rejection | None  # of the pending request's move
    rejected: Rejection | None  # the latest request was rejected (nothing pending)


def request_panel(uow: UnitOfWork, actor: Actor, project: Project, wf: Workflow) -> RequestPanel:
    latest = uow.session.execute(select(TransitionRequest).where(
        col(TransitionRequest.project_id) == project.id)
        .order_by(TransitionRequest.id.desc()).limit(1)).scalars().first()  # type: ignore[union-attr]
    if latest is None:
        return RequestPanel(None, "", None, False, False, None, None)
    if latest.status != RequestStatus.PENDING:
        rejected = _rejection(uow, wf, latest) if latest.status == RequestStatus.REJECTED else None
        return RequestPanel(None, "", None, False, False, None, rejected)
    requester = uow.session.execute(select(col(User.name)).where(col(User.id) == latest.requested_by)).scalar() or ""
    earlier = last_rejection(uow, project.id, latest.id)  # type: ignore[arg-type]
    return RequestPanel(
        # the closing move's scaling proposal, for the approver to keep or reword
        pending={**Q.request_dict(latest), "scaling_proposal": latest.scaling_proposal},
        requester=requester, dest=_title(wf, latest.dest),
        may_withdraw=may_withdraw(actor, latest.requested_by, latest.approval, project.org_id, project.region_id),
        may_decide=may_decide(actor, latest.approval, project.org_id, project.region_id),
        earlier=_rejection(uow, wf, earlier) if earlier is not None and earlier.trigger == latest.trigger else None,
        rejected=None)


# --- the project page ---------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectPage:
    project: Project
    body: dict[str, Any]  # queries.project_dict
    detail: dict[str, Any]  # queries.project_detail
    workflow: Workflow
    org: Organization | None
    events: list[dict[str, Any]]
    names: dict[int, str]
    org_users: list[Any]  # (id, name) of the people of the organisation
    team_candidates: list[Any]  # (id, name) of everyone who may join the team
    gate: Gate | None  # the next forward gate
    finished: bool
    practice_links: dict[str, Practice | None]
    requests: RequestPanel
    trained: dict[int, Any]  # user_id -> the latest course completed (team and leader; engine/training)


def project_page(uow: UnitOfWork, actor: Actor, project_id: int, locale: str = "ru") -> ProjectPage:
    """Everything the project page shows: the card, its evidence, history, the people
    who may be chosen, the next gate's checklist and the practices it is linked with."""
    project = get_project(uow, actor, project_id)
    body = Q.project_dict(uow, actor, project, locale)
    detail = Q.project_detail(uow, actor, project_id)
    wf = workflow_of(uow, project)
    events = Q.list_events(uow, actor, project_id)
    names = Q.user_names(uow, project, actors={e["actor_id"] for e in events}
                         | {c["author_id"] for c in detail["comments"]},
                         people={project.leader_id} | {a["owner_id"] for a in detail["actions"]}
                         | {r["owner_id"] for r in detail["risks"]})
    org_users = list(uow.session.execute(
        select(col(User.id), col(User.name)).join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
        .where(works_in(project.org_id))
        .distinct().order_by(User.name)).all())
    # the team may also take the region's curators (engine: add_team_member)
    team_candidates = list(uow.session.execute(
        select(col(User.id), col(User.name)).join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
        .where(sees_project(project.org_id, project.region_id, admins=False))
        .distinct().order_by(User.name)).all())
    forward = wf.next_forward(project.state)
    people = {m["user_id"] for m in detail["team"]} | ({project.leader_id} if project.leader_id else set())
    return ProjectPage(
        project=project, body=body, detail=detail, workflow=wf,
        org=uow.session.get(Organization, project.org_id), events=events, names=names,
        org_users=org_users, team_candidates=team_candidates,
        gate=gate_of(uow, project, wf, forward) if forward else None,
        finished=wf.is_final(project.state), practice_links=practice_links(uow, project),
        requests=request_panel(uow, actor, project, wf),
        trained=completions(uow.session, user_ids=people)[0])


def practice_links(uow: UnitOfWork, project: Project) -> dict[str, Any]:
    """The practice ``project`` replicates, the practice published from it, and whether it
    is finished so that it may be published (its workflow's ``done`` state)."""
    source = uow.session.get(Practice, project.practice_id) if project.practice_id else None
    published = uow.session.execute(
        select(Practice).where(col(Practice.project_id) == project.id)).scalars().first()
    wf = uow.workflows.get(project.workflow_id, project.workflow_version)
    return {"replica_of": source, "published": published,
            "publishable": wf is not None and project.state == wf.done}


# --- which region a curator's page shows ------------------------------------------------------------

def watched_regions(uow: UnitOfWork, actor: Actor) -> list[Region]:
    """The regions whose board, tower and summary the actor may open: every region for an
    admin (by name), a curator's own (by id); none for anyone else."""
    if actor.is_admin:
        return list(uow.session.execute(select(Region).order_by(Region.name)).scalars())
    ids = sorted(actor.curator_region_ids())
    return list(uow.session.execute(select(Region).where(col(Region.id).in_(ids))
                                    .order_by(col(Region.id))).scalars()) if ids else []


def region_choice(uow: UnitOfWork, actor: Actor, wanted: int | None) -> tuple[Region, list[Region]]:
    """The region a tower or summary page shows (``wanted``, else the first watched one)
    and the ones to choose from; Forbidden for someone who watches none, NotFound for a
    region they do not watch."""
    regions = watched_regions(uow, actor)
    if not regions:
        raise Forbidden()
    if wanted is not None and wanted not in {r.id for r in regions}:
        raise NotFound()
    return next((r for r in regions if r.id == wanted), regions[0]), regions
