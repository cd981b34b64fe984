"""The kanban board's read model: every card of a scope in a handful of set-based
queries (no per-card queries), ready for a template.

Search (``q``) finds a card by a piece of its title or registration number, or by Russian
word forms over title, problem and goal: the practices' Snowball stems
(engine/practices/stemming.py), so «питании» finds «питание» on both databases. Each
card says which columns it may be dragged to (``dests``); the move menu itself is read
only when opened (``card_moves``)."""
from __future__ import annotations

from dataclasses import astuple, dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.errors import NotFound
from engine.models import (
    CRITICAL_SCORE,
    UNRESOLVED_RISK,
    Event,
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
from engine.practices.stemming import MAX_QUERY_WORDS, stems
from engine.reporting.monitoring import active_filter, stall_reasons, stalled_filter, whole_days
from engine.search import search_text
from engine.services.common import named_in_scope
from engine.services.projects import get_project
from engine.services.queries import visible_projects_filter
from engine.vocab import RequestStatus
from engine.workflow import Workflow

LANES = ("org", "municipality")  # swimlanes of the region board


@dataclass
class BoardFilters:
    region_id: int | None = None
    org_id: int | None = None
    municipality_id: int | None = None
    kind: str | None = None
    leader_id: int | None = None
    stalled: bool = False
    critical: bool = False
    waiting: bool = False
    q: str = ""
    lanes: str | None = None  # "org" | "municipality": swimlanes (not a filter)

    def any_set(self) -> bool:
        return bool(self.municipality_id or self.kind or self.leader_id or self.stalled or self.critical
                    or self.waiting or self.q)


@dataclass
class Card:
    id: int
    title: str
    version: int
    state: str
    org_id: int
    org_name: str
    region_id: int
    municipality_id: int
    municipality: str
    leader_id: int | None
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
    dests: list[str] = field(default_factory=list)  # the columns the viewer may drag it to
    can_move: bool = False  # the viewer may fire some move (the menu «Переместить»)


@dataclass
class Column:
    state: str
    title: Any
    wip_limit: int | None
    cards: list[Card] = field(default_factory=list)

    @property
    def over_limit(self) -> bool:
        return self.wip_limit is not None and len(self.cards) > self.wip_limit


@dataclass
class Lane:
    """A swimlane of the region board: one organisation's or municipality's cards."""
    key: int
    title: str
    columns: list[Column]

    @property
    def total(self) -> int:
        return sum(len(c.cards) for c in self.columns)


@lru_cache(maxsize=8192)
def _stem_set(text: str) -> frozenset[str]:
    """The Snowball stems of a card's texts (cached: the texts are the key)."""
    return frozenset(stems(text))


def _matching(uow: UnitOfWork, base: Any, q: str) -> list[int]:
    """Ids among ``base`` that contain ``q`` literally in title or registration number, or
    whose title, problem and goal hold every word of ``q`` in some form."""
    wanted = frozenset(stems(q)[:MAX_QUERY_WORDS])
    literal = q.lower()
    rows = uow.session.execute(select(col(Project.id), col(Project.title), col(Project.reg_number),
                                      col(Project.problem), col(Project.goal))
                               .where(col(Project.id).in_(base)))
    return [r.id for r in rows
            if literal in r.title.lower() or literal in r.reg_number.lower()
            or (wanted and wanted <= _stem_set("\n".join((r.title, r.problem or "", r.goal or ""))))]


def _ageing(days: int, sla: int | None) -> str:
    if not sla:
        return "fresh"
    if days >= sla:
        return "overdue"
    return "ageing" if days >= sla * 0.6 else "fresh"


def cached_board(uow: UnitOfWork, actor: Actor, filters: BoardFilters,
                 workflow_id: str | None = None) -> dict[str, Any]:
    """``board()``, kept in the store's per-process cache while nothing has changed: the
    key holds the viewer (a card's moves and withdraw button are the viewer's), the
    filters, the id of the newest audit event (every change writes one in its own
    transaction, so any change makes a new key) and the minute (days in stage and stalls
    move with the clock). The live refresh of every open board asks every 20 s, mostly
    for a board nobody changed. What it returns is shared: read it, do not change it.

    On PostgreSQL two writers may commit their events out of id order; a board read in
    that instant can lack the earlier-numbered change until the minute turns (a reader of
    the same key meanwhile gets that board)."""
    newest = uow.session.execute(select(func.max(col(Event.id)))).scalar() or 0
    key = ("board", actor, astuple(filters), workflow_id, id(uow.workflows), newest,
           clock.now().replace(second=0, microsecond=0))
    return uow.store.boards.get(key, lambda: board(uow, actor, filters, workflow_id))


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
    scope = base  # the leader filter's choices: the leaders of this scope
    if filters.leader_id is not None:
        base = base.where(col(Project.leader_id) == filters.leader_id)
    q = search_text(filters.q)
    if q:
        base = base.where(col(Project.id).in_(_matching(uow, base, q)))
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

    # one statement for the cards with their pending request (at most one a project: a unique
    # index) and their count of unresolved critical risks
    pending_req = aliased(TransitionRequest)
    critical_n = (select(func.count()).where(col(Risk.project_id) == col(Project.id),
                                             col(Risk.status).in_(UNRESOLVED_RISK), col(Risk.score) >= CRITICAL_SCORE)
                  .correlate(Project).scalar_subquery())
    rows = s.execute(
        select(col(Project.id), col(Project.title), col(Project.version), col(Project.state), col(Project.org_id),
               col(Project.state_entered_at), col(Project.last_activity_at), col(Project.reg_number),
               col(Project.workflow_version), col(Project.region_id), col(Project.leader_id),
               col(Organization.name).label("org_name"), col(Organization.municipality_id),
               col(Municipality.name).label("municipality"), col(User.name).label("leader"),
               col(pending_req.id).label("req_id"), col(pending_req.requested_by).label("req_by"),
               col(pending_req.approval).label("req_approval"), critical_n.label("critical"))
        .join(Organization, col(Organization.id) == col(Project.org_id))
        .join(Municipality, col(Municipality.id) == col(Organization.municipality_id))
        .join(User, named_in_scope(col(Project.leader_id)), isouter=True)
        .join(pending_req, and_(col(pending_req.project_id) == col(Project.id),
                                col(pending_req.status) == RequestStatus.PENDING.value), isouter=True)
        .where(col(Project.id).in_(active))
        .order_by(col(Project.state_entered_at), col(Project.id))).all()
    ids = [r.id for r in rows]
    kpis = _kpis(uow, ids)
    rejected = _rejections(uow, ids)

    columns = {st.id: Column(st.id, st.title, st.wip_limit) for st in wf.active_states()}
    active_ids = set(columns)
    moves_of: dict[tuple[str, int, int], tuple[list[str], bool]] = {}  # (state, org, region) -> moves
    versions: dict[int, Workflow] = {}
    for r in rows:
        pwf = versions.get(r.workflow_version)
        if pwf is None:
            pwf = versions[r.workflow_version] = uow.workflows.get(workflow_id, r.workflow_version) or wf
        sla = pwf.state(r.state).sla_days if pwf.has_state(r.state) else None
        days = whole_days(now, r.state_entered_at)
        reasons = stall_reasons(pwf, r.state, r.state_entered_at, r.last_activity_at, now)
        card = Card(id=r.id, title=r.title, version=r.version, state=r.state, org_id=r.org_id,
                    org_name=r.org_name, region_id=r.region_id, municipality_id=r.municipality_id,
                    municipality=r.municipality, leader_id=r.leader_id if r.leader else None,
                    leader=r.leader, days_in_state=days, sla_days=sla,
                    ageing=_ageing(days, sla), stalled=bool(reasons),
                    stall_reasons=[x.as_dict() for x in reasons], waiting=r.req_id is not None,
                    critical_risks=r.critical or 0, kpi=kpis.get(r.id), reg_number=r.reg_number,
                    rejected=rejected.get(r.id))
        if r.req_id is not None and may_withdraw(actor, r.req_by, r.req_approval, r.org_id, r.region_id):
            card.withdrawable = r.req_id
        if r.req_id is None:
            key = (r.state, r.org_id, r.region_id)
            if key not in moves_of:
                allowed = wf.allowed_from(r.state, actor.roles_for(r.org_id, r.region_id))
                moves_of[key] = ([t.dest for t in allowed if t.dest in active_ids], bool(allowed))
            card.dests, card.can_move = moves_of[key]
        if r.state in columns:
            columns[r.state].cards.append(card)
    finals = [(st, final_counts.get(st.id, 0)) for st in wf.states if st.final]
    out: dict[str, Any] = {"workflow": wf, "columns": list(columns.values()), "finals": finals,
           "total": len(rows), "leaders": _leaders(uow, rows, scope, filters), "lanes": None}
    if filters.lanes in LANES:
        out["lanes"] = _lanes(wf, out["columns"], filters.lanes)
    return out


def _leaders(uow: UnitOfWork, rows: Any, scope: Any, filters: BoardFilters) -> list[tuple[int, str]]:
    """(id, name) of the leaders of the scope's active cards, by name, for the leader filter:
    read from the cards when no filter narrows them, else with one query."""
    if not (filters.leader_id or filters.q or filters.stalled or filters.critical or filters.waiting):
        named = {r.leader_id: r.leader for r in rows if r.leader}
    else:
        named = dict(uow.session.execute(
            select(col(User.id), col(User.name)).join(Project, named_in_scope(col(Project.leader_id)))
            .where(col(Project.id).in_(scope), active_filter(uow.workflows)).distinct()).all())
    return sorted(named.items(), key=lambda x: (x[1].lower(), x[0]))


def _lanes(wf: Workflow, columns: list[Column], by: str) -> list[Lane]:
    """The cards of ``columns`` in swimlanes by organisation or municipality, by name."""
    lanes: dict[int, Lane] = {}
    for column in columns:
        for card in column.cards:
            key, title = ((card.org_id, card.org_name) if by == "org"
                          else (card.municipality_id, card.municipality))
            lane = lanes.get(key)
            if lane is None:
                lane = lanes[key] = Lane(key, title, [Column(c.state, c.title, None) for c in columns])
            next(c for c in lane.columns if c.state == column.state).cards.append(card)
    return sorted(lanes.values(), key=lambda lane: (lane.title.lower(), lane.key))


@dataclass
class Move:
    """One entry of a card's menu «Переместить»: the destination stage it names."""
    trigger: str
    dest: str
    dest_title: Any  # Text: the destination stage
    title: Any  # Text: the transition's own name (a hint)
    comment_required: bool
    back: bool  # to an earlier stage
    final: bool  # out of the board (finished or cancelled)
    closing: bool = False  # into the workflow's ``done`` state: asks for the scaling proposal


def card_moves(uow: UnitOfWork, actor: Actor, project_id: int) -> dict[str, Any]:
    """What the board's menu of one card offers the actor: the moves they may fire from the
    card's stage (none while a request waits). NotFound outside the actor's scope."""
    project = get_project(uow, actor, project_id)
    wf = uow.workflows.get(project.workflow_id, project.workflow_version)
    if wf is None:
        raise NotFound("workflow")
    pending = uow.session.execute(select(col(TransitionRequest.id)).where(
        col(TransitionRequest.project_id) == project.id,
        col(TransitionRequest.status) == RequestStatus.PENDING.value)).first() is not None
    moves = [] if pending or wf.is_final(project.state) else [
        Move(t.trigger, t.dest, wf.state(t.dest).title, t.title_or_dest(wf), t.comment_required,
             wf.is_back_move(t, project.state), wf.is_final(t.dest), t.dest == wf.done)
        for t in wf.allowed_from(project.state, actor.roles_for(project.org_id, project.region_id))]
    return {"project": {"id": project.id, "title": project.title, "version": project.version,
                        "state": project.state, "state_title": wf.state(project.state).title},
            "pending": pending, "moves": moves}


def _rejections(uow: UnitOfWork, project_ids: list[int]) -> dict[int, str]:
    """Per project whose latest request was rejected: the reason (one query)."""
    if not project_ids:
        return {}
    latest = (select(func.max(col(TransitionRequest.id))).where(col(TransitionRequest.project_id).in_(project_ids))
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
    metrics = s.execute(select(col(Metric.project_id), col(Metric.name), col(Metric.unit), col(Metric.baseline),
                               col(Metric.target), col(Metric.latest_value), col(Metric.direction))
                        .where(col(Metric.id).in_(first_metric))).all()  # columns, not ORM objects: faster
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
