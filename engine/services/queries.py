"""The read side: what a caller may see, as the answer models of engine/outputs.py (API.md
shapes), and as their JSON-ready dicts for the pages."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from engine import clock
from engine import outputs as O
from engine.checks import evaluate
from engine.db import UnitOfWork
from engine.errors import NotFound
from engine.models import (
    UNRESOLVED_RISK,
    Action,
    Artefact,
    Comment,
    Event,
    Measurement,
    Metric,
    Organization,
    Problem,
    Project,
    Region,
    Risk,
    TeamMember,
    TransitionRequest,
    User,
    pk,
)
from engine.policy import GLOBAL_ROLES, ORG_ROLES, REGION_ROLES, Actor, conferred
from engine.reporting.analytics import day_start
from engine.reporting.monitoring import (
    active_filter,
    critical_risk,
    done_filter,
    reached_filter,
    stall_reasons,
    stalled_filter,
    waiting_long_filter,
    whole_days,
)
from engine.search import contains, search_text
from engine.services.common import named_in_scope, who_sees
from engine.services.projects import get_project, pending_request_of, workflow_of


def request_out(req: TransitionRequest) -> O.Request:
    return O.Request.of(req)


def request_dict(req: TransitionRequest) -> dict[str, Any]:
    """A request as the API answers it, for the pages."""
    return request_out(req).dump()


def available_transitions(uow: UnitOfWork, actor: Actor, project: Project,
                          locale: str = "ru") -> list[O.AvailableTransition]:
    """Transitions from the current state the actor may fire, with their unmet checks."""
    wf = workflow_of(uow, project)
    roles = actor.roles_for(project.org_id, project.region_id)
    out = []
    for t in wf.transitions_from(project.state):
        if not roles & set(t.roles):
            continue
        out.append(O.AvailableTransition(
            trigger=t.trigger, dest=t.dest, title=t.title_or_dest(wf).get(locale), approval=t.approval_shown,
            comment_required=t.comment_required, back=wf.is_back_move(t, project.state),
            unmet=[O.Unmet.model_validate(u.as_dict(locale))
                   for u in evaluate(uow.session, project, t.requires, wf)]))
    return out


def project_out(uow: UnitOfWork, actor: Actor, project: Project, locale: str = "ru",
                with_transitions: bool = True) -> O.Project:
    """A project as API.md describes it, computed at read time from clock.now()."""
    wf = workflow_of(uow, project)
    now = clock.now()
    reasons = stall_reasons(wf, project.state, project.state_entered_at,
                            project.last_activity_at, now)
    open_risks = uow.session.execute(select(func.count()).select_from(Risk).where(
        col(Risk.project_id) == project.id, col(Risk.status).in_(UNRESOLVED_RISK))).scalar_one()
    pending = pending_request_of(uow, pk(project))
    return O.Project(
        id=project.id, org_id=project.org_id, workflow=project.workflow_id,
        workflow_version=project.workflow_version, title=project.title,
        problem=project.problem, goal=project.goal, state=project.state,
        version=project.version, state_entered_at=project.state_entered_at,
        days_in_state=whole_days(now, project.state_entered_at),
        stalled=bool(reasons), stall_reasons=[O.StallReason.model_validate(r.as_dict()) for r in reasons],
        open_risks=open_risks,
        pending_request=request_out(pending) if pending else None,
        available_transitions=available_transitions(uow, actor, project, locale) if with_transitions else [],
        last_activity_at=project.last_activity_at,
        reg_number=project.reg_number, sponsor=project.sponsor, leader_id=project.leader_id,
        process_owner=project.process_owner, process_start=project.process_start,
        process_end=project.process_end, planned_hours_saved=project.planned_hours_saved,
        actual_hours_saved=project.actual_hours_saved, planned_roubles=project.planned_roubles,
        actual_roubles=project.actual_roubles, milestones=project.milestones,
        region_id=project.region_id, created_at=project.created_at,
        scaling_proposal=project.scaling_proposal)


def project_dict(uow: UnitOfWork, actor: Actor, project: Project, locale: str = "ru",
                 with_transitions: bool = True) -> dict[str, Any]:
    """``project_out`` as the API answers it, for the pages."""
    return project_out(uow, actor, project, locale, with_transitions).dump()


def project_detail(uow: UnitOfWork, actor: Actor, project_id: int) -> dict[str, Any]:
    """Everything on the card: metrics with measurements, problems, actions, artefacts,
    risks, team and comments (for the project page), each as the API answers it."""
    project = get_project(uow, actor, project_id)
    s = uow.session
    pid = project.id
    metrics = s.execute(select(Metric).where(col(Metric.project_id) == pid).order_by(col(Metric.id))).scalars().all()
    meas = s.execute(select(Measurement).where(col(Measurement.metric_id).in_([m.id for m in metrics]))
                     .order_by(col(Measurement.measured_on), col(Measurement.id))).scalars().all()
    by_metric: dict[int, list] = {}
    for m in meas:
        by_metric.setdefault(m.metric_id, []).append(O.Measurement.of(m).dump())

    def rows(model: Any, out: type[O.Out]) -> list[dict[str, Any]]:
        return [out.of(o).dump() for o in
                s.execute(select(model).where(model.project_id == pid).order_by(model.id)).scalars()]

    # only people who may see the project (old data may hold others: never named here)
    team = s.execute(select(TeamMember, col(User.name))
                     .join(User, named_in_scope(TeamMember.user_id, project.org_id, project.region_id))
                     .where(col(TeamMember.project_id) == pid).order_by(col(TeamMember.id))).all()
    return {
        "metrics": [{**O.Metric.of(m).dump(), "measurements": by_metric.get(pk(m), [])}
                    for m in metrics],
        "problems": rows(Problem, O.Problem),
        "actions": rows(Action, O.Action),
        "artefacts": rows(Artefact, O.Artefact),
        "risks": rows(Risk, O.Risk),
        "comments": rows(Comment, O.Comment),
        "team": [{"id": tm.id, "user_id": tm.user_id, "name": name, "role_text": tm.role_text}
                 for tm, name in team],
    }


def user_names(uow: UnitOfWork, project: Project, *, people: Any = (), actors: Any = ()) -> dict[int, str]:
    """Names to print on a project's pages: ``people`` it names (leader, owners) only when
    they may see the project; ``actors`` (authors of its events and comments) always, as
    they acted on it within their scope at the time."""
    shown = who_sees(uow.session, people, project.org_id, project.region_id)
    shown |= {i for i in actors if isinstance(i, int)}
    if not shown:
        return {}
    return dict(uow.session.execute(select(col(User.id), col(User.name)).where(col(User.id).in_(shown))).all())


def visible_projects_filter(actor: Actor) -> Any:
    """SQL condition: projects inside the actor's scope."""
    if actor.is_admin:
        return col(Project.id).is_not(None)
    clauses = []
    orgs = actor.org_ids() | actor.municipal_org_ids()  # a municipal curator: their municipality's
    regions = actor.curator_region_ids()
    if orgs:
        clauses.append(col(Project.org_id).in_(orgs))
    if regions:
        clauses.append(col(Project.region_id).in_(regions))
    return or_(*clauses) if clauses else col(Project.id).is_(None)


def list_projects(uow: UnitOfWork, actor: Actor, *, org_id: int | None = None,
                  region_id: int | None = None, state: str | None = None,
                  stalled: bool | None = None, q: str | None = None,
                  municipality_id: int | None = None, active: bool | None = None,
                  critical: bool = False, waiting_long: bool = False,
                  closed_since: date | None = None, closed_before: date | None = None,
                  reached: bool = False, limit: int = 50, offset: int = 0) -> tuple[list[Project], int]:
    """Projects in scope, filtered; returns (page, total).

    The filters are the tower's figures, so that each figure drills down to exactly its
    projects: ``active`` (a non-final state), ``stalled``, ``critical`` (active, with an
    unresolved critical risk), ``waiting_long`` (a request waiting over 3 days),
    ``closed_since`` (finished on or after the day), ``closed_before`` (finished before the
    day: with ``closed_since``, a month of the throughput chart), ``reached`` (finished with every
    target met), ``municipality_id``."""
    stmt = select(Project).where(visible_projects_filter(actor))
    if org_id is not None:
        stmt = stmt.where(col(Project.org_id) == org_id)
    if region_id is not None:
        stmt = stmt.where(col(Project.region_id) == region_id)
    if municipality_id is not None:
        stmt = stmt.where(col(Project.org_id).in_(select(col(Organization.id)).where(
            col(Organization.municipality_id) == municipality_id)))
    if state:
        stmt = stmt.where(col(Project.state) == state)
    if active is not None:
        stmt = stmt.where(active_filter(uow.workflows) if active else ~active_filter(uow.workflows))
    if stalled is not None:
        cond = active_filter(uow.workflows) & stalled_filter(uow.workflows)
        stmt = stmt.where(cond if stalled else ~cond)
    if critical:
        stmt = stmt.where(active_filter(uow.workflows), col(Project.id).in_(
            select(col(Risk.project_id)).where(critical_risk())))
    if waiting_long:
        stmt = stmt.where(waiting_long_filter())
    if closed_since is not None:
        stmt = stmt.where(done_filter(uow.workflows), col(Project.state_entered_at) >= day_start(closed_since))
    if closed_before is not None:
        stmt = stmt.where(done_filter(uow.workflows), col(Project.state_entered_at) < day_start(closed_before))
    if reached:
        stmt = stmt.where(done_filter(uow.workflows), reached_filter())
    q = search_text(q)
    if q:
        stmt = stmt.where(contains((Project.title, Project.reg_number), q))
    total = uow.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = uow.session.execute(stmt.order_by(col(Project.id)).limit(limit).offset(offset)).scalars().all()
    return list(page), total


def list_risks(uow: UnitOfWork, actor: Actor, *, region_id: int | None = None, critical: bool = False,
               limit: int = 50, offset: int = 0) -> tuple[list[tuple[Risk, str]], int]:
    """Unresolved risks of active projects in scope, worst first: ``[(risk, project
    title)]`` and how many (``critical``: scoring 15 or more, the tower's figure)."""
    stmt = (select(Risk, col(Project.title)).join(Project, col(Project.id) == col(Risk.project_id))
            .where(visible_projects_filter(actor), active_filter(uow.workflows),
                   col(Risk.status).in_(UNRESOLVED_RISK)))
    if region_id is not None:
        stmt = stmt.where(col(Project.region_id) == region_id)
    if critical:
        stmt = stmt.where(critical_risk())
    total = uow.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = uow.session.execute(stmt.order_by(col(Risk.score).desc(), col(Risk.id))
                               .limit(limit).offset(offset)).all()
    return [(r, title) for r, title in rows], int(total)


def list_requests(uow: UnitOfWork, actor: Actor, status: str | None = "pending",
                  decidable_only: bool = False, limit: int = 50, offset: int = 0
                  ) -> tuple[list[TransitionRequest], int]:
    """Requests the actor may see (or decide), oldest first, and how many there are."""
    stmt = _requests(actor, status, decidable_only)
    total = uow.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = uow.session.execute(stmt.order_by(TransitionRequest.requested_at, TransitionRequest.id)
                               .limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def count_requests(uow: UnitOfWork, actor: Actor, status: str | None = "pending",
                   decidable_only: bool = False) -> int:
    """How many requests list_requests would list (the menu's badge)."""
    stmt = _requests(actor, status, decidable_only)
    return int(uow.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def _requests(actor: Actor, status: str | None, decidable_only: bool) -> Any:
    stmt = (select(TransitionRequest).join(Project, col(Project.id) == col(TransitionRequest.project_id))
            .where(visible_projects_filter(actor)))
    if status:
        stmt = stmt.where(col(TransitionRequest.status) == status)
    if decidable_only:
        stmt = stmt.where(decidable_requests_filter(actor))
    return stmt


def decidable_requests_filter(actor: Actor) -> Any:
    """SQL condition on TransitionRequest joined with its Project: the requests this actor
    may decide, those whose ``approval`` is a role the actor holds for the project (the
    approvals inbox and its count; ``policy.may_decide`` for one request)."""
    orgs: dict[str, set[int]] = {}
    regions: dict[str, set[int]] = {}
    everywhere: set[str] = set()
    for g in actor.grants:
        for role in conferred(g.role):
            if g.role in GLOBAL_ROLES:
                everywhere.add(role)
            elif g.role in REGION_ROLES and g.municipality_id is not None:  # a municipal curator
                orgs.setdefault(role, set()).update(actor.municipal_orgs.get(g.municipality_id, ()))
            elif g.role in REGION_ROLES and g.region_id is not None:
                regions.setdefault(role, set()).add(g.region_id)
            elif g.role in ORG_ROLES and g.org_id is not None:
                orgs.setdefault(role, set()).add(g.org_id)
    clauses: list[ColumnElement[bool]] = [col(TransitionRequest.approval).in_(everywhere)] if everywhere else []
    clauses += [(col(TransitionRequest.approval) == role) & col(Project.org_id).in_(ids)
                for role, ids in sorted(orgs.items())]
    clauses += [(col(TransitionRequest.approval) == role) & col(Project.region_id).in_(ids)
                for role, ids in sorted(regions.items())]
    return or_(*clauses) if clauses else col(TransitionRequest.id).is_(None)


def events_out(uow: UnitOfWork, actor: Actor, project_id: int) -> list[O.Event]:
    """The project's event log, oldest first."""
    get_project(uow, actor, project_id)
    rows = uow.session.execute(select(Event).where(col(Event.project_id) == project_id)
                               .order_by(col(Event.at), col(Event.id))).scalars().all()
    return [O.Event.of(e) for e in rows]


def list_events(uow: UnitOfWork, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    """``events_out`` as the API answers them, for the pages."""
    return [e.dump() for e in events_out(uow, actor, project_id)]


def regions_for(uow: UnitOfWork, actor: Actor) -> list[Region]:
    stmt = select(Region).order_by(col(Region.id))
    if not actor.is_admin:
        stmt = stmt.where(col(Region.id).in_(actor.region_ids() or {-1}))
    return list(uow.session.execute(stmt).scalars())


def organizations_for(uow: UnitOfWork, actor: Actor, region_id: int | None = None,
                      limit: int = 50, offset: int = 0) -> tuple[list[Organization], int]:
    stmt = select(Organization)
    if not actor.is_admin:
        stmt = stmt.where(or_(col(Organization.id).in_(actor.org_ids() | actor.municipal_org_ids() or {-1}),
                              col(Organization.region_id).in_(actor.curator_region_ids() or {-1})))
    if region_id is not None:
        stmt = stmt.where(col(Organization.region_id) == region_id)
    total = uow.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = uow.session.execute(stmt.order_by(col(Organization.id)).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def require_region_visible(uow: UnitOfWork, actor: Actor, region_id: int) -> Region:
    region = uow.session.get(Region, region_id)
    if region is None or (not actor.is_admin and region_id not in actor.region_ids()):
        raise NotFound("region")
    return region
