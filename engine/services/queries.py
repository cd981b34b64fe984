"""The read side: what a caller may see, as plain dicts (API.md shapes)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select

from engine import clock
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


def _v(value: Any) -> Any:
    if isinstance(value, datetime):
        return clock.iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_dict(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: _v(getattr(obj, f)) for f in fields}


REQUEST_FIELDS = ("id", "project_id", "trigger", "dest", "status", "requested_by", "requested_at",
                  "comment", "decided_by", "decided_at", "decision_comment")
METRIC_FIELDS = ("id", "project_id", "name", "unit", "direction", "baseline", "target")
MEASUREMENT_FIELDS = ("id", "metric_id", "value", "measured_on", "recorded_at", "recorded_by")
PROBLEM_FIELDS = ("id", "project_id", "description", "waste", "created_at")
ACTION_FIELDS = ("id", "project_id", "title", "due_on", "owner_id", "status", "created_at")
ARTEFACT_FIELDS = ("id", "project_id", "kind", "title", "url", "text", "created_at", "created_by")
RISK_FIELDS = ("id", "project_id", "title", "probability", "impact", "score", "mitigation",
               "owner_id", "due_on", "status", "created_at", "updated_at")
EVENT_FIELDS = ("id", "at", "actor_id", "kind", "from_state", "to_state", "payload")
CARD_OUT = ("reg_number", "sponsor", "leader_id", "process_owner", "process_start", "process_end",
            "planned_hours_saved", "actual_hours_saved", "planned_roubles", "actual_roubles",
            "milestones", "region_id", "created_at")


def request_dict(req: TransitionRequest) -> dict[str, Any]:
    return row_dict(req, REQUEST_FIELDS)


def risk_dict(r: Risk) -> dict[str, Any]:
    return row_dict(r, RISK_FIELDS)


def available_transitions(uow: UnitOfWork, actor: Actor, project: Project,
                          locale: str = "ru") -> list[dict[str, Any]]:
    """Transitions from the current state the actor may fire, with their unmet checks."""
    wf = workflow_of(uow, project)
    roles = actor.roles_for(project.org_id, project.region_id)
    out = []
    for t in wf.transitions_from(project.state):
        if not roles & set(t.roles):
            continue
        out.append({"trigger": t.trigger, "dest": t.dest,
                    "title": t.title_or_dest(wf).get(locale), "approval": t.approval,
                    "comment_required": t.comment_required,
                    "back": wf.is_back_move(t, project.state),
                    "unmet": [u.as_dict(locale) for u in evaluate(uow.session, project, t.requires, wf)]})
    return out


def project_dict(uow: UnitOfWork, actor: Actor, project: Project, locale: str = "ru",
                 with_transitions: bool = True) -> dict[str, Any]:
    """A project as API.md describes it, computed at read time from clock.now()."""
    wf = workflow_of(uow, project)
    now = clock.now()
    reasons = stall_reasons(wf, project.state, project.state_entered_at,
                            project.last_activity_at, now)
    open_risks = uow.session.execute(select(func.count()).select_from(Risk).where(
        Risk.project_id == project.id, Risk.status.in_(UNRESOLVED_RISK))).scalar_one()  # type: ignore[attr-defined]
    pending = pending_request_of(uow, project.id)  # type: ignore[arg-type]
    body = {
        "id": project.id, "org_id": project.org_id, "workflow": project.workflow_id,
        "workflow_version": project.workflow_version, "title": project.title,
        "problem": project.problem, "goal": project.goal, "state": project.state,
        "version": project.version, "state_entered_at": clock.iso(project.state_entered_at),
        "days_in_state": whole_days(now, project.state_entered_at),
        "stalled": bool(reasons), "stall_reasons": [r.as_dict() for r in reasons],
        "open_risks": open_risks,
        "pending_request": request_dict(pending) if pending else None,
        "available_transitions": available_transitions(uow, actor, project, locale)
        if with_transitions else [],
        "last_activity_at": clock.iso(project.last_activity_at),
    }
    body.update({f: _v(getattr(project, f)) for f in CARD_OUT})
    return body


def project_detail(uow: UnitOfWork, actor: Actor, project_id: int) -> dict[str, Any]:
    """Everything on the card: metrics with measurements, problems, actions, artefacts,
    risks, team and comments (for the project page)."""
    project = get_project(uow, actor, project_id)
    s = uow.session
    pid = project.id
    metrics = s.execute(select(Metric).where(Metric.project_id == pid).order_by(Metric.id)).scalars().all()
    meas = s.execute(select(Measurement).where(Measurement.metric_id.in_([m.id for m in metrics]))  # type: ignore[union-attr]
                     .order_by(Measurement.measured_on, Measurement.id)).scalars().all()
    by_metric: dict[int, list] = {}
    for m in meas:
        by_metric.setdefault(m.metric_id, []).append(row_dict(m, MEASUREMENT_FIELDS))

    def rows(model: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
        return [row_dict(o, fields) for o in
                s.execute(select(model).where(model.project_id == pid).order_by(model.id)).scalars()]

    # only people who may see the project (old data may hold others: never named here)
    team = s.execute(select(TeamMember, User.name)
                     .join(User, named_in_scope(TeamMember.user_id, project.org_id, project.region_id))
                     .where(TeamMember.project_id == pid).order_by(TeamMember.id)).all()
    return {
        "metrics": [{**row_dict(m, METRIC_FIELDS), "measurements": by_metric.get(m.id, [])}  # type: ignore[arg-type]
                    for m in metrics],
        "problems": rows(Problem, PROBLEM_FIELDS),
        "actions": rows(Action, ACTION_FIELDS),
        "artefacts": rows(Artefact, ARTEFACT_FIELDS),
        "risks": rows(Risk, RISK_FIELDS),
        "comments": rows(Comment, ("id", "author_id", "at", "text")),
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
    return dict(uow.session.execute(select(User.id, User.name).where(User.id.in_(shown))).all())  # type: ignore[arg-type,union-attr]


def visible_projects_filter(actor: Actor) -> Any:
    """SQL condition: projects inside the actor's scope."""
    if actor.is_admin:
        return Project.id.is_not(None)  # type: ignore[union-attr]
    clauses = []
    orgs = actor.org_ids() | actor.municipal_org_ids()  # a municipal curator: their municipality's
    regions = actor.curator_region_ids()
    if orgs:
        clauses.append(Project.org_id.in_(orgs))  # type: ignore[attr-defined]
    if regions:
        clauses.append(Project.region_id.in_(regions))  # type: ignore[attr-defined]
    return or_(*clauses) if clauses else Project.id.is_(None)  # type: ignore[union-attr]


def list_projects(uow: UnitOfWork, actor: Actor, *, org_id: int | None = None,
                  region_id: int | None = None, state: str | None = None,
                  stalled: bool | None = None, q: str | None = None,
                  municipality_id: int | None = None, active: bool | None = None,
                  critical: bool = False, waiting_long: bool = False,
                  closed_since: date | None = None, reached: bool = False,
                  limit: int = 50, offset: int = 0) -> tuple[list[Project], int]:
    """Projects in scope, filtered; returns (page, total).

    The filters are the tower's figures, so that each figure drills down to exactly its
    projects: ``active`` (a non-final state), ``stalled``, ``critical`` (active, with an
    unresolved critical risk), ``waiting_long`` (a request waiting over 3 days),
    ``closed_since`` (finished on or after the day), ``reached`` (finished with every
    target met), ``municipality_id``."""
    stmt = select(Project).where(visible_projects_filter(actor))
    if org_id is not None:
        stmt = stmt.where(Project.org_id == org_id)
    if region_id is not None:
        stmt = stmt.where(Project.region_id == region_id)
    if municipality_id is not None:
        stmt = stmt.where(Project.org_id.in_(select(Organization.id).where(  # type: ignore[attr-defined]
            Organization.municipality_id == municipality_id)))
    if state:
        stmt = stmt.where(Project.state == state)
    if active is not None:
        stmt = stmt.where(active_filter(uow.workflows) if active else ~active_filter(uow.workflows))
    if stalled is not None:
        cond = active_filter(uow.workflows) & stalled_filter(uow.workflows)
        stmt = stmt.where(cond if stalled else ~cond)
    if critical:
        stmt = stmt.where(active_filter(uow.workflows), Project.id.in_(  # type: ignore[union-attr]
            select(Risk.project_id).where(critical_risk())))
    if waiting_long:
        stmt = stmt.where(waiting_long_filter())
    if closed_since is not None:
        stmt = stmt.where(done_filter(uow.workflows), Project.state_entered_at >= day_start(closed_since))
    if reached:
        stmt = stmt.where(done_filter(uow.workflows), reached_filter())
    q = search_text(q)
    if q:
        stmt = stmt.where(contains((Project.title, Project.reg_number), q))
    total = uow.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = uow.session.execute(stmt.order_by(Project.id).limit(limit).offset(offset)).scalars().all()
    return list(page), total


def list_risks(uow: UnitOfWork, actor: Actor, *, region_id: int | None = None, critical: bool = False,
               limit: int = 50, offset: int = 0) -> tuple[list[tuple[Risk, str]], int]:
    """Unresolved risks of active projects in scope, worst first: ``[(risk, project
    title)]`` and how many (``critical``: scoring 15 or more, the tower's figure)."""
    stmt = (select(Risk, Project.title).join(Project, Project.id == Risk.project_id)
            .where(visible_projects_filter(actor), active_filter(uow.workflows),
                   Risk.status.in_(UNRESOLVED_RISK)))  # type: ignore[attr-defined]
    if region_id is not None:
        stmt = stmt.where(Project.region_id == region_id)
    if critical:
        stmt = stmt.where(critical_risk())
    total = uow.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = uow.session.execute(stmt.order_by(Risk.score.desc(), Risk.id)  # type: ignore[attr-defined]
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
    stmt = (select(TransitionRequest).join(Project, Project.id == TransitionRequest.project_id)
            .where(visible_projects_filter(actor)))
    if status:
        stmt = stmt.where(TransitionRequest.status == status)
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
    clauses = [TransitionRequest.approval.in_(everywhere)] if everywhere else []  # type: ignore[attr-defined]
    clauses += [(TransitionRequest.approval == role) & Project.org_id.in_(ids)  # type: ignore[attr-defined]
                for role, ids in sorted(orgs.items())]
    clauses += [(TransitionRequest.approval == role) & Project.region_id.in_(ids)  # type: ignore[attr-defined]
                for role, ids in sorted(regions.items())]
    return or_(*clauses) if clauses else TransitionRequest.id.is_(None)  # type: ignore[union-attr]


def list_events(uow: UnitOfWork, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    get_project(uow, actor, project_id)
    rows = uow.session.execute(select(Event).where(Event.project_id == project_id)
                               .order_by(Event.at, Event.id)).scalars().all()
    return [row_dict(e, EVENT_FIELDS) for e in rows]


def regions_for(uow: UnitOfWork, actor: Actor) -> list[Region]:
    stmt = select(Region).order_by(Region.id)
    if not actor.is_admin:
        stmt = stmt.where(Region.id.in_(actor.region_ids() or {-1}))  # type: ignore[union-attr]
    return list(uow.session.execute(stmt).scalars())


def organizations_for(uow: UnitOfWork, actor: Actor, region_id: int | None = None,
                      limit: int = 50, offset: int = 0) -> tuple[list[Organization], int]:
    stmt = select(Organization)
    if not actor.is_admin:
        stmt = stmt.where(or_(Organization.id.in_(actor.org_ids() | actor.municipal_org_ids() or {-1}),  # type: ignore[union-attr]
                              Organization.region_id.in_(actor.curator_region_ids() or {-1})))  # type: ignore[attr-defined]
    if region_id is not None:
        stmt = stmt.where(Organization.region_id == region_id)
    total = uow.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = uow.session.execute(stmt.order_by(Organization.id).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def require_region_visible(uow: UnitOfWork, actor: Actor, region_id: int) -> Region:
    region = uow.session.get(Region, region_id)
    if region is None or (not actor.is_admin and region_id not in actor.region_ids()):
        raise NotFound("region")
    return region
