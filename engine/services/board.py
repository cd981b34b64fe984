"""The kanban board's read model: every card of a scope in a handful of set-based
queries (no per-card queries), ready for a template."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.errors import NotFound
from engine.models import (
    CRITICAL_SCORE,
    UNRESOLVED_RISK,
    Metric,
    Municipality,
    Organization,
    Project,
    Risk,
    TransitionRequest,
    User,
)
from engine.numbers import progress_towards_target
from engine.policy import Actor, may_withdraw
from engine.reporting.monitoring import active_filter, stall_reasons, stalled_filter, whole_days
from engine.search import contains, search_text
from engine.services.common import named_in_scope
from engine.services.queries import visible_projects_filter
from engine.vocab import RequestStatus


@dataclass
class BoardFilters:
    region_id: int | None = None
    org_id: int | None = None
    municipality_id: int | None = None
    kind: str | None = None
    stalled: bool = False
    critical: bool = False
    waiting: bool = False
    q: str = ""

    def any_set(self) -> bool:
        return bool(self.municipality_id or self.kind or self.stalled or self.critical
                    or self.waiting or self.q)


@dataclass
class Card:
    id: int
    title: str
    version: int
    state: str
    org_id: int
    org_name: str
    leader: str | None
    days_in_state: int
    sla_days: int | None
    ageing: str  # fresh | ageing | overdue
    stalled: bool
    stall_reasons: list[dict[str, Any]]
    waiting: bool
    critical_risks: int
    kpi: dict[str, Any] | None
    reg_number: str
    rejected: str | None = None  # the reason, when the card's latest request was rejected
    withdrawable: int | None = None  # the pending request's id, when the viewer may withdraw it


@dataclass
class Column:
    state: str
    title: Any
    wip_limit: int | None
    cards: list[Card] = field(default_factory=list)

    @property
    def over_limit(self) -> bool:
        return self.wip_limit is not None and len(self.cards) > self.wip_limit


def _ageing(days: int, sla: int | None) -> str:
    if not sla:
        return "fresh"
    if days >= sla:
        return "overdue"
    return "ageing" if days >= sla * 0.6 else "fresh"


def board(uow: UnitOfWork, actor: Actor, filters: BoardFilters,
          workflow_id: str | None = None) -> dict[str, Any]:
    """Columns of the workflow's active states with their cards, and final-state counts
    (the default workflow unless ``workflow_id`` names another)."""
    wf = uow.workflows.latest(workflow_id) if workflow_id else uow.workflows.default()
    if wf is None:
        raise NotFound("workflow")
    workflow_id = wf.id
    s = uow.session
    now = clock.now()
    base = select(col(Project.id)).where(visible_projects_filter(actor), col(Project.workflow_id) == workflow_id)
    if filters.region_id is not None:
        base = base.where(col(Project.region_id) == filters.region_id)
    if filters.org_id is not None:
        base = base.where(col(Project.org_id) == filters.org_id)
    if filters.municipality_id is not None or filters.kind:
        org_q = select(col(Organization.id))
        if filters.municipality_id is not None:
            org_q = org_q.where(col(Organization.municipality_id) == filters.municipality_id)
        if filters.kind:
            org_q = org_q.where(col(Organization.kind) == filters.kind)
        base = base.where(col(Project.org_id).in_(org_q))
    q = search_text(filters.q)
    if q:
        base = base.where(contains((col(Project.title), col(Project.reg_number)), q))
    final_counts: dict[str, int] = dict(s.execute(select(col(Project.state), func.count()).where(
        col(Project.id).in_(base), ~active_filter(uow.workflows)).group_by(col(Project.state))).all())

    active = base.where(active_filter(uow.workflows))
    if filters.stalled:
        active = active.where(stalled_filter(uow.workflows, now))
    critical_q = (select(col(Risk.project_id), func.count()).where(
        col(Risk.status).in_(UNRESOLVED_RISK), col(Risk.score) >= CRITICAL_SCORE)
        .group_by(col(Risk.project_id)))
    if filters.critical:
        active = active.where(col(Project.id).in_(select(critical_q.subquery().c.project_id)))
    pending_q = select(col(TransitionRequest.project_id)).where(col(TransitionRequest.status) == "pending")
    if filters.waiting:
        active = active.where(col(Project.id).in_(pending_q))

    rows = s.execute(
        select(col(Project.id), col(Project.title), col(Project.version), col(Project.state), col(Project.org_id),
               col(Project.state_entered_at), col(Project.last_activity_at), col(Project.reg_number),
               col(Project.workflow_version), col(Project.region_id), col(Organization.name).label("org_name"),
               col(User.name).label("leader"))
        .join(Organization, col(Organization.id) == col(Project.org_id))
        .join(User, named_in_scope(col(Project.leader_id)), isouter=True)
        .where(col(Project.id).in_(active))
        .order_by(col(Project.state_entered_at), col(Project.id))).all()
    ids = [r.id for r in rows]
    pending = {p.project_id: p for p in s.execute(
        select(col(TransitionRequest.project_id), col(TransitionRequest.id), col(TransitionRequest.requested_by),
               col(TransitionRequest.approval))
        .where(col(TransitionRequest.status) == RequestStatus.PENDING.value,
               col(TransitionRequest.project_id).in_(ids)))} if ids else {}
    waiting = set(pending)
    critical = dict(s.execute(critical_q.where(col(Risk.project_id).in_(ids))).all()) if ids else {}
    kpis = _kpis(uow, ids)
    rejected = _rejections(uow, ids)

    columns = {st.id: Column(st.id, st.title, st.wip_limit) for st in wf.active_states()}
    for r in rows:
        pwf = uow.workflows.get(workflow_id, r.workflow_version) or wf
        sla = pwf.state(r.state).sla_days if pwf.has_state(r.state) else None
        days = whole_days(now, r.state_entered_at)
        reasons = stall_reasons(pwf, r.state, r.state_entered_at, r.last_activity_at, now)
        card = Card(id=r.id, title=r.title, version=r.version, state=r.state, org_id=r.org_id,
                    org_name=r.org_name, leader=r.leader, days_in_state=days, sla_days=sla,
                    ageing=_ageing(days, sla), stalled=bool(reasons),
                    stall_reasons=[x.as_dict() for x in reasons], waiting=r.id in waiting,
                    critical_risks=critical.get(r.id, 0), kpi=kpis.get(r.id), reg_number=r.reg_number,
                    rejected=rejected.get(r.id))
        req = pending.get(r.id)
        if req is not None and may_withdraw(actor, req.requested_by, req.approval, r.org_id, r.region_id):
            card.withdrawable = req.id
        if r.state in columns:
            columns[r.state].cards.append(card)
    finals = [(st, final_counts.get(st.id, 0)) for st in wf.states if st.final]
    return {"workflow": wf, "columns": list(columns.values()), "finals": finals,
            "total": len(rows)}


def _rejections(uow: UnitOfWork, project_ids: list[int]) -> dict[int, str]:
    """Per project whose latest request was rejected: the reason (one query)."""
    if not project_ids:
        return {}
    latest = (select(func.max(TransitionRequest.id)).where(TransitionRequest.project_id.in_(project_ids))  # type: ignore[attr-defined]
              .group_by(col(TransitionRequest.project_id)))
    rows = uow.session.execute(select(col(TransitionRequest.project_id), col(TransitionRequest.decision_comment)).where(
        col(TransitionRequest.id).in_(latest), col(TransitionRequest.status) == RequestStatus.REJECTED.value))
    return {pid: reason or "" for pid, reason in rows}


def _kpis(uow: UnitOfWork, project_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per project: its first metric, baseline -> latest measurement vs target."""
    if not project_ids:
        return {}
    s = uow.session
    first_metric = (select(func.min(col(Metric.id))).where(col(Metric.project_id).in_(project_ids))
                    .group_by(col(Metric.project_id)))
    metrics = s.execute(select(Metric).where(col(Metric.id).in_(first_metric))).scalars().all()
    if not metrics:
        return {}
    out = {}
    for m in metrics:
        value = m.latest_value
        progress = None
        if m.baseline is not None and m.target is not None and value is not None:
            progress = progress_towards_target(value, m.baseline, m.target)
        out[m.project_id] = {"name": m.name, "unit": m.unit, "baseline": m.baseline, "target": m.target,
                             "latest": value, "direction": m.direction, "progress": progress}
    return out


def municipalities(uow: UnitOfWork, region_id: int) -> list[Municipality]:
    return list(uow.session.execute(select(Municipality).where(col(Municipality.region_id) == region_id)
                                    .order_by(Municipality.kind, Municipality.name)).scalars())


def organizations(uow: UnitOfWork, region_id: int) -> list[Organization]:
    return list(uow.session.execute(select(Organization).where(col(Organization.region_id) == region_id)
                                    .order_by(Organization.name)).scalars())
