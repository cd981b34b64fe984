"""What curators watch: stalled projects, counts by state, unresolved risks and
approvals waiting, per region and municipality.

Set-based SQL: the stall rule becomes one WHERE clause over all projects (per-state
thresholds computed from the workflows in Python, compared as plain timestamps, so the
same SQL runs on SQLite and PostgreSQL). All time comes from ``engine.clock.now()``.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, false, func, literal, null, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from engine import clock
from engine.models import (
    CRITICAL_SCORE,
    UNRESOLVED_RISK,
    Metric,
    Municipality,
    Organization,
    Project,
    Risk,
    TransitionRequest,
    table_of,
)
from engine.reporting.sqlfuncs import greatest, whole_days_between
from engine.workflow import Workflow, WorkflowRegistry

APPROVAL_WAIT_ALERT_DAYS = 3
# the column type of the timestamps compared with bound moments
_TIMESTAMP = table_of(Project).c.state_entered_at.type


def whole_days(later: datetime, earlier: datetime) -> int:
    return max(0, (clock.as_utc(later) - clock.as_utc(earlier)).days)


# --- the stall rule -----------------------------------------------------------------

def _final_states(workflows: WorkflowRegistry) -> list[tuple[str, int, str]]:
    return [(w.id, w.version, s.id) for w in workflows.all() for s in w.states if s.final]


def active_filter(workflows: WorkflowRegistry) -> ColumnElement[bool]:
    """Projects in a non-final state of their workflow."""
    finals = {s for _, _, s in _final_states(workflows)}
    return col(Project.state).not_in(finals) if finals else col(Project.id).is_not(None)


def done_filter(workflows: WorkflowRegistry) -> ColumnElement[bool]:
    """Projects finished with their results: in their workflow's ``done`` state (the ПСР
    workflow's «Завершён»); the other final states (cancelled) are not done."""
    return col(Project.state).in_(workflows.done_states())


def unresolved_risk() -> ColumnElement[bool]:
    """SQL condition on Risk: open or mitigating, the values written into the statement (not
    bound): SQLite uses a partial index only when it can see that the query's condition is
    the index's own (``status IN ('open', 'mitigating')``, ix_risk_region_unresolved), and
    PostgreSQL's generic plans of a prepared statement cannot either."""
    return col(Risk.status).in_([literal(v, literal_execute=True) for v in UNRESOLVED_RISK])


def critical_risk() -> ColumnElement[bool]:
    """SQL condition on Risk: unresolved (open, mitigating) and scoring CRITICAL_SCORE or more."""
    return and_(unresolved_risk(), col(Risk.score) >= CRITICAL_SCORE)


def waiting_long_filter(now: datetime | None = None) -> ColumnElement[bool]:
    """Projects whose pending request waits more than APPROVAL_WAIT_ALERT_DAYS whole days
    (a project has at most one pending request: as many projects as such requests)."""
    cutoff = (now or clock.now()) - timedelta(days=APPROVAL_WAIT_ALERT_DAYS + 1)
    return col(Project.id).in_(select(col(TransitionRequest.project_id)).where(
        col(TransitionRequest.status) == "pending", col(TransitionRequest.requested_at) <= cutoff))


def reached_filter() -> ColumnElement[bool]:
    """Projects that have metrics and whose every metric's latest value meets its target."""
    from engine.reporting.metrics import metric_met
    return col(Project.id).in_(select(col(Metric.project_id)).group_by(col(Metric.project_id))
                               .having(func.sum(metric_met()) == func.count(col(Metric.id))))


Cutoff = Callable[[str, Workflow, int, str], Any]  # (kind, workflow, days, state) -> the moment in SQL


def _sla_clauses(workflows: WorkflowRegistry, cutoff: Cutoff) -> list[ColumnElement[bool]]:
    """Per workflow (version) with SLAs: in a state with an SLA since before its
    ``cutoff(...)`` (one comparison against ``CASE state WHEN ... THEN cutoff END``: a
    region-wide count evaluates it for every project, and a clause per state made that the
    tower's dearest part on SQLite)."""
    out = []
    for w in workflows.all():
        slas = {s.id: s.sla_days for s in w.active_states() if s.sla_days}
        if slas:
            limit = case({state: cutoff("sla", w, days, state) for state, days in slas.items()},
                         value=col(Project.state))
            out.append(and_(col(Project.workflow_id) == w.id, col(Project.workflow_version) == w.version,
                            Project.state_entered_at < limit))
    return out


def _idle_clauses(workflows: WorkflowRegistry, cutoff: Cutoff) -> list[ColumnElement[bool]]:
    """Per workflow with idle days: active, and no activity since ``cutoff(...)``."""
    return [and_(col(Project.workflow_id) == w.id, col(Project.workflow_version) == w.version,
                 col(Project.state).in_([s.id for s in w.active_states()]),
                 Project.last_activity_at < cutoff("idle", w, w.idle_days, ""))
            for w in workflows.all() if w.idle_days]


def _days_before(now: datetime) -> Cutoff:
    return lambda _kind, _w, days, _state: now - timedelta(days=days)


def stalled_filter(workflows: WorkflowRegistry, now: datetime | None = None) -> ColumnElement[bool]:
    """SQL condition: the project is stalled now (over its state's SLA, or idle)."""
    cutoff = _days_before(now or clock.now())
    clauses = _sla_clauses(workflows, cutoff) + _idle_clauses(workflows, cutoff)
    return or_(*clauses) if clauses else false()


def sla_days_expr(workflows: WorkflowRegistry) -> Any:
    """SQL expression: the SLA (days) of each project's current state, or NULL."""
    whens = [(and_(col(Project.workflow_id) == w.id, col(Project.workflow_version) == w.version,
                   col(Project.state) == s.id), s.sla_days)
             for w in workflows.all() for s in w.active_states() if s.sla_days]
    return case(*whens, else_=None) if whens else None


@dataclass(frozen=True)
class StallReason:
    kind: str  # "sla" | "idle"
    days: int
    limit: int

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "days": self.days, "limit": self.limit}


def stall_reasons(workflow: Workflow, state: str, state_entered_at: datetime,
                  last_activity_at: datetime, now: datetime | None = None) -> list[StallReason]:
    """Why one project is stalled (empty when it is not); same rule as stalled_filter."""
    now = now or clock.now()
    if not workflow.has_state(state) or workflow.is_final(state):
        return []
    reasons = []
    sla = workflow.state(state).sla_days
    if sla and clock.as_utc(state_entered_at) < now - timedelta(days=sla):
        reasons.append(StallReason("sla", whole_days(now, state_entered_at), sla))
    idle = workflow.idle_days
    if idle and clock.as_utc(last_activity_at) < now - timedelta(days=idle):
        reasons.append(StallReason("idle", whole_days(now, last_activity_at), idle))
    return reasons


# --- figures ----------------------------------------------------------------------------

def _scope(stmt: Any, region_id: int | None = None, org_id: int | None = None,
           municipality_id: int | None = None) -> Any:
    if region_id is not None:
        stmt = stmt.where(Project.region_id == region_id)
    if org_id is not None:
        stmt = stmt.where(Project.org_id == org_id)
    if municipality_id is not None:
        stmt = stmt.where(col(Project.org_id).in_(
            select(col(Organization.id)).where(col(Organization.municipality_id) == municipality_id)))
    return stmt


def counts_by_state(session: Session, region_id: int | None = None,
                    org_id: int | None = None) -> dict[str, int]:
    stmt = _scope(select(col(Project.state), func.count()).group_by(col(Project.state)), region_id, org_id)
    return {state: n for state, n in session.execute(stmt).all()}


def _at(now: datetime) -> Any:
    """``now`` as a bound timestamp, stored as the columns are."""
    return literal(now, _TIMESTAMP)


def _idle_limit_expr(workflows: WorkflowRegistry) -> Any:
    """SQL: the idle days of each project's workflow, or NULL."""
    whens = [(and_(col(Project.workflow_id) == w.id, col(Project.workflow_version) == w.version), w.idle_days)
             for w in workflows.all() if w.idle_days]
    return case(*whens, else_=None) if whens else null()


def stalled_projects(session: Session, workflows: WorkflowRegistry, region_id: int | None = None,
                     org_id: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Stalled projects, worst first (longest over their limit, then by id), with reasons;
    the first ``limit`` of them when given. Ordered, cut and counted in SQL (the reasons
    are the SQL rule's own clauses, so they agree with stall_reasons)."""
    stmt, cutoffs = _stalled_statement(workflows, region_id is not None, org_id is not None, limit or 0)
    now = clock.now()
    params: dict[str, Any] = {"now": now, "region_id": region_id, "org_id": org_id}
    params.update({name: now - timedelta(days=days) for name, days in cutoffs})
    out = []
    for pid, title, org, state, in_state, quiet, sla_days, idle_days, over_sla, idle_too_long in \
            session.execute(stmt, {k: v for k, v in params.items() if v is not None}):
        in_state, quiet = max(0, in_state), max(0, quiet)
        reasons = ([{"kind": "sla", "days": in_state, "limit": sla_days}] if over_sla else []) + \
                  ([{"kind": "idle", "days": quiet, "limit": idle_days}] if idle_too_long else [])
        out.append({"project_id": pid, "title": title, "org_id": org, "state": state,
                    "days_in_state": in_state, "sla_days": sla_days, "reasons": reasons})
    return out


@functools.lru_cache(maxsize=32)
def _stalled_statement(workflows: WorkflowRegistry, by_region: bool, by_org: bool,
                       limit: int) -> tuple[Any, list[tuple[str, int]]]:
    """stalled_projects' statement, built once per registry and shape (the tower asks for
    it on every page): the moment and the limits' cut-off times are bound parameters,
    returned as (name, days before now)."""
    ts = _TIMESTAMP
    now = bindparam("now", type_=ts)
    cutoffs: list[tuple[str, int]] = []

    def cutoff(kind: str, w: Workflow, days: int, state: str) -> Any:
        name = re.sub(r"\W", "_", f"{kind}_{w.id}_{w.version}_{state}")
        cutoffs.append((name, days))
        return bindparam(name, type_=ts)

    sla_hit, idle_hit = _sla_clauses(workflows, cutoff), _idle_clauses(workflows, cutoff)
    sla, idle = sla_days_expr(workflows), _idle_limit_expr(workflows)
    in_state = whole_days_between(Project.state_entered_at, now)
    quiet = whole_days_between(Project.last_activity_at, now)
    stmt = (select(col(Project.id), col(Project.title), col(Project.org_id), col(Project.state), in_state, quiet,
                   sla if sla is not None else null(), idle,
                   case((or_(*sla_hit), True), else_=False) if sla_hit else false(),
                   case((or_(*idle_hit), True), else_=False) if idle_hit else false())
            .where(active_filter(workflows), or_(*sla_hit, *idle_hit) if sla_hit or idle_hit else false())
            .order_by(greatest(in_state - sla if sla is not None else null(), quiet - idle).desc(), col(Project.id)))
    if by_region:
        stmt = stmt.where(col(Project.region_id) == bindparam("region_id"))
    if by_org:
        stmt = stmt.where(col(Project.org_id) == bindparam("org_id"))
    if limit:
        stmt = stmt.limit(limit)
    return stmt, cutoffs


def unresolved_risks(session: Session, workflows: WorkflowRegistry, region_id: int | None = None,
                     org_id: int | None = None, limit: int | None = None,
                     counts: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Open or mitigating risks of active projects: highest score first, then oldest.
    ``counts``, when given, gets how many there are in all (``n``) and how many are critical
    (count_unresolved_risks). Of a region, the rows are read by walking its partial index
    ix_risk_region_unresolved in this order (the worst 50 are the index's first ~50 rows,
    each checked against its project), and the totals counted from the same index; of an
    organisation alone, the totals come from a window over the rows the cut list is
    sorted from."""
    now = clock.now()
    windowed = counts is not None and region_id is None
    stmt = (select(col(Risk.id), col(Risk.project_id), col(Risk.title), col(Risk.score), col(Risk.status),
                   whole_days_between(Risk.created_at, _at(now)),
                   func.count().over() if windowed else literal(0),
                   func.count(case((col(Risk.score) >= CRITICAL_SCORE, 1))).over() if windowed else literal(0))
            .where(_of_active_projects(workflows, region_id, org_id), unresolved_risk())
            .order_by(col(Risk.score).desc(), col(Risk.created_at).asc(), col(Risk.id)))
    if region_id is not None:  # the risk's own copy of its region: the index's first column
        stmt = stmt.where(col(Risk.region_id) == region_id)
    if limit:
        stmt = stmt.limit(limit)
    rows = session.execute(stmt).all()
    if windowed and counts is not None:  # every row carries the totals (none when there is no row)
        counts.update(n=int(rows[0][6]) if rows else 0, critical=int(rows[0][7]) if rows else 0)
    elif counts is not None and region_id is not None:
        counts["n"], counts["critical"] = count_unresolved_risks(session, workflows, region_id)
    return [{"risk_id": rid, "project_id": pid, "title": title, "score": score, "status": status,
             "age_days": max(0, age)} for rid, pid, title, score, status, age, *_ in rows]


def count_unresolved_risks(session: Session, workflows: WorkflowRegistry, region_id: int) -> tuple[int, int]:
    """How many risks unresolved_risks lists for the region, and how many of them are
    critical (score 15 or more, the headline's figure): the region's unresolved risks
    (counted from ix_risk_region_unresolved alone) less those of its finished projects
    (few: found by the projects' state, then their risks by ix_risk_project_status): two
    statements, each reading its own index."""
    critical = func.count(case((col(Risk.score) >= CRITICAL_SCORE, 1)))
    unresolved = unresolved_risk()
    n, crit = session.execute(select(func.count(), critical)
                              .where(col(Risk.region_id) == region_id, unresolved)).one()
    n_done, crit_done = session.execute(
        select(func.count(), critical)
        .where(col(Risk.project_id).in_(select(col(Project.id)).where(col(Project.region_id) == region_id,
                                                                       ~active_filter(workflows))),
               unresolved)).one()
    return int(n) - int(n_done), int(crit) - int(crit_done)


def _of_active_projects(workflows: WorkflowRegistry, region_id: int | None = None,
                        org_id: int | None = None) -> ColumnElement[bool]:
    """SQL condition on Risk: its project is active (and of the region, the organisation).
    Written as ``project_id IN (the projects)``: with the risk's own region_id the database
    walks the region's risks by their index and looks each project up; of an organisation,
    it reads its projects first, then their risks by ix_risk_project_status (a covering
    index), not every unresolved risk of every region."""
    return col(Risk.project_id).in_(_scope(select(col(Project.id)).where(active_filter(workflows)),
                                           region_id, org_id))


def pending_approvals(session: Session, region_id: int | None = None, org_id: int | None = None,
                      limit: int | None = None) -> list[dict[str, Any]]:
    """Requests waiting for a decision, longest waiting first."""
    now = clock.now()
    stmt = _scope(select(col(TransitionRequest.id), col(TransitionRequest.project_id), col(TransitionRequest.trigger),
                         whole_days_between(col(TransitionRequest.requested_at), _at(now)), col(Project.org_id))
                  .join(Project, col(Project.id) == col(TransitionRequest.project_id))
                  .where(col(TransitionRequest.status) == "pending")
                  .order_by(col(TransitionRequest.requested_at), col(TransitionRequest.id)),
                  region_id, org_id)
    if region_id is not None:  # the same rows, found by the requests' own region index
        stmt = stmt.where(col(TransitionRequest.region_id) == region_id)
    if limit:
        stmt = stmt.limit(limit)
    return [{"request_id": rid, "project_id": pid, "trigger": trigger, "org_id": org,
             "waiting_days": max(0, waiting)} for rid, pid, trigger, waiting, org in session.execute(stmt)]


def by_municipality(session: Session, workflows: WorkflowRegistry,
                    region_id: int) -> list[dict[str, Any]]:
    """Per municipality: counts by state and stalled count; most stalled first."""
    now = clock.now()
    stalled = case((and_(active_filter(workflows), stalled_filter(workflows, now)), 1), else_=0)
    stmt = (select(col(Municipality.id), col(Municipality.name), col(Project.state), func.count(col(Project.id)),
                   func.sum(stalled))
            .select_from(Municipality)
            .join(Organization, col(Organization.municipality_id) == col(Municipality.id), isouter=True)
            .join(Project, col(Project.org_id) == col(Organization.id), isouter=True)
            .where(col(Municipality.region_id) == region_id)
            .group_by(col(Municipality.id), col(Municipality.name), col(Project.state)))
    rows: dict[int, dict[str, Any]] = {}
    for mid, name, state, n, n_stalled in session.execute(stmt).all():
        entry = rows.setdefault(mid, {"municipality_id": mid, "name": name, "by_state": {},
                                      "stalled": 0})
        if state is not None:
            entry["by_state"][state] = n
            entry["stalled"] += int(n_stalled or 0)
    return sorted(rows.values(), key=lambda e: (-e["stalled"], e["name"]))


def region_rollup(session: Session, workflows: WorkflowRegistry, region_id: int,
                  year_start: datetime) -> dict[str, Any]:
    """One GROUP BY over the region's projects (by municipality and state) for what the
    tower page counts: projects per state, per municipality with the stalled ones, and the
    closed figures of the headline (closed since ``year_start``, effect in hours and roubles,
    closed projects whose every metric meets its target). Each project is read once, by the
    region's index; the metrics only of closed projects, by their project's index.

    Returns ``by_state``, ``by_municipality`` (as by_municipality: every municipality of the
    region, most stalled first), ``stalled`` and ``closed`` {``n``, ``this_year``, ``hours``,
    ``roubles``, ``reached``}."""
    from engine.reporting.metrics import metric_met  # noqa: PLC0415
    from engine.reporting.sqlfuncs import float_sum  # noqa: PLC0415

    now = clock.now()
    done = col(Project.state).in_(workflows.done_states())
    stalled = case((and_(active_filter(workflows), stalled_filter(workflows, now)), 1), else_=0)
    # per closed project of the region: its metrics and how many meet their targets (joined
    # below; as EXISTS subqueries PostgreSQL hashed every metric of every region)
    per_project = (select(col(Metric.project_id).label("project_id"), func.count().label("metrics"),
                          func.sum(metric_met()).label("met"))
                   .join(Project, col(Project.id) == col(Metric.project_id))
                   .where(col(Project.region_id) == region_id, done)
                   .group_by(col(Metric.project_id)).subquery("per_project"))
    reached = case((and_(done, per_project.c.metrics > 0, per_project.c.met == per_project.c.metrics), 1), else_=0)
    closed = case((done, 1), else_=0)
    this_year = case((and_(done, col(Project.state_entered_at) >= _at(year_start)), 1))
    stmt = (select(col(Organization.municipality_id), col(Project.state), func.count(), func.sum(stalled),
                   func.sum(closed), func.count(this_year),
                   float_sum(case((done, Project.actual_hours_saved))),
                   float_sum(case((done, Project.actual_roubles))), func.sum(reached))
            .select_from(Project).join(Organization, col(Organization.id) == col(Project.org_id))
            .outerjoin(per_project, per_project.c.project_id == col(Project.id))
            # the organisations of the region too: else PostgreSQL hashed every region's
            .where(col(Project.region_id) == region_id, col(Organization.region_id) == region_id)
            .group_by(col(Organization.municipality_id), col(Project.state)))
    by_mun = {mid: {"municipality_id": mid, "name": name, "by_state": {}, "stalled": 0}
              for mid, name in session.execute(select(col(Municipality.id), col(Municipality.name))
                                               .where(col(Municipality.region_id) == region_id))}
    by_state: dict[str, int] = {}
    totals = {"n": 0, "this_year": 0, "hours": 0.0, "roubles": 0.0, "reached": 0}
    n_stalled = 0
    for mid, state, n, n_st, n_closed, this_year, hours, roubles, n_reached in session.execute(stmt):
        by_state[state] = by_state.get(state, 0) + int(n)
        n_stalled += int(n_st or 0)
        entry = by_mun.get(mid)
        if entry is not None:
            entry["by_state"][state] = entry["by_state"].get(state, 0) + int(n)
            entry["stalled"] += int(n_st or 0)
        totals["n"] += int(n_closed or 0)
        totals["this_year"] += int(this_year or 0)
        totals["hours"] += float(hours or 0)
        totals["roubles"] += float(roubles or 0)
        totals["reached"] += int(n_reached or 0)
    return {"by_state": by_state, "stalled": n_stalled, "closed": totals,
            "by_municipality": sorted(by_mun.values(), key=lambda e: (-e["stalled"], e["name"]))}


def tower(session: Session, workflows: WorkflowRegistry, region_id: int,
          limit: int | None = None, *, pending_limit: int | None = None,
          rollup: dict[str, Any] | None = None, risk_counts: dict[str, int] | None = None) -> dict[str, Any]:
    """The control tower of one region (API.md), each list worst first; the stalled
    projects and unresolved risks cut to the worst ``limit`` when given (the page), the
    pending approvals to ``pending_limit`` (the API's ``?limit=N`` cuts all three; the page
    counts every waiting request). The per-municipality figures are never cut. ``rollup``
    (region_rollup) gives the counts when the caller has read them; else they are read here,
    in region_rollup's one GROUP BY. ``risk_counts`` gets the unresolved risks' counts
    (unresolved_risks' ``counts``)."""
    if rollup is None:
        now = clock.now()
        rollup = region_rollup(session, workflows, region_id, datetime(now.year, 1, 1, tzinfo=now.tzinfo))
    return {
        "region_id": region_id,
        "by_state": rollup["by_state"],
        "stalled": stalled_projects(session, workflows, region_id=region_id, limit=limit),
        "unresolved_risks": unresolved_risks(session, workflows, region_id=region_id, limit=limit,
                                             counts=risk_counts),
        "pending_approvals": pending_approvals(session, region_id=region_id, limit=pending_limit),
        "by_municipality": rollup["by_municipality"],
    }
