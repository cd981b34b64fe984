"""Reports: one project's plan against its history (stages, KPI before/after, effect)
for the passport and the analytic report, and a region's summary for the XLSX export.

Stages: the rows are the workflow's active (non-final) states in declared order. A
stage's planned date is the project's milestone for it (the card's «Ключевые события»:
the day the stage should be done); without one, the stage's SLA counted from the day it
was entered ("norm"). Its actual dates come from the event log: started on the first
entry (the creation day for the initial state), done on the last move out of it to its
next stage, unless the project came back into it afterwards. The next stage of a state
is the destination of ``Workflow.next_forward`` (the project page's next gate too), so a
cancellation completes nothing. Days are UTC
dates, as everywhere in the engine.

The regional summary is set-based SQL: one GROUP BY over the region's projects by kind
of organisation and municipality, with a per-project "targets reached" flag computed
as engine.reporting.analytics does (the latest measurement of every metric meets its target; a
project without metrics has not reached its targets).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from engine import clock
from engine.models import (
    ORG_KINDS,
    Event,
    Metric,
    Municipality,
    Organization,
    Practice,
    Project,
)
from engine.numbers import finite
from engine.practices.service import change_pct, improvement
from engine.reporting.metrics import meets_target, metric_met
from engine.reporting.monitoring import active_filter, done_filter
from engine.reporting.sqlfuncs import float_sum
from engine.training.figures import training_figures
from engine.vocab import EventKind
from engine.workflow import Workflow, WorkflowRegistry

# --- one project: stages, planned against actual ------------------------------------------

def _planned(milestones: dict[str, Any], state: str) -> date | None:
    raw = (milestones or {}).get(state)
    try:
        return date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        return None


def stage_dates(session: Session, wf: Workflow, project: Project, today: date | None = None
                ) -> list[dict[str, Any]]:
    """Planned against actual dates of each active stage of the project, in workflow order.

    Each row: ``state``; ``planned_on`` (date or None) and ``planned_source`` ("plan": the
    milestone; "norm": entered on + the stage's SLA; None); ``started_on``, ``finished_on``
    (UTC dates or None); ``status``: "done", "current", "not_started", "returned" (started,
    then sent back to an earlier stage before finishing it) or "stopped" (the project
    ended, by cancellation, before finishing it); ``deviation_days``: finished on
    minus planned on (positive = late), for done stages; ``overdue_days``: today minus
    planned on when the current stage is past its planned date (else None).
    """
    today = today or clock.today()
    events = session.execute(select(col(Event.from_state), col(Event.to_state), col(Event.at))
                             .where(col(Event.project_id) == project.id, col(Event.kind) == EventKind.STATE_CHANGED)
                             .order_by(col(Event.at), col(Event.id))).all()
    created_on = clock.as_utc(project.created_at).date()
    project_ended = wf.is_final(project.state)
    rows = []
    for st in wf.active_states():
        entries = [clock.as_utc(at).date() for _, to, at in events if to == st.id]
        last_entry_at = max((clock.as_utc(at) for _, to, at in events if to == st.id), default=None)
        if st.id == wf.initial:
            entries.insert(0, created_on)
            last_entry_at = last_entry_at or clock.as_utc(project.created_at)
        forward = wf.next_forward(st.id)
        nxt = forward.dest if forward else None
        exits = [clock.as_utc(at) for frm, to, at in events if frm == st.id and to == nxt]
        done_at = exits[-1] if exits and last_entry_at is not None and exits[-1] >= last_entry_at else None
        started_on = entries[0] if entries else None
        finished_on = done_at.date() if done_at else None
        planned_on = _planned(project.milestones, st.id)
        source: str | None = "plan"
        if planned_on is None:
            if started_on is not None and st.sla_days:
                planned_on, source = date.fromordinal(started_on.toordinal() + st.sla_days), "norm"
            else:
                source = None
        if finished_on is not None:
            status = "done"
        elif project.state == st.id:
            status = "current"
        elif started_on is not None:
            status = "stopped" if project_ended else "returned"  # cancelled, or sent back before finishing
        else:
            status = "not_started"
        deviation = (finished_on - planned_on).days if finished_on and planned_on else None
        overdue = ((today - planned_on).days if status == "current" and planned_on and today > planned_on
                   else None)
        rows.append({"state": st.id, "planned_on": planned_on, "planned_source": source,
                     "started_on": started_on, "finished_on": finished_on, "status": status,
                     "deviation_days": deviation, "overdue_days": overdue})
    return rows


# --- one project: KPI before and after, effect --------------------------------------------

def kpi(session: Session, project: Project) -> list[dict[str, Any]]:
    """Each metric of the project, before and after: ``name``, ``unit``, ``direction``,
    ``baseline``, ``target``, ``result`` (the latest measurement, by date then record
    order) and ``measured_on``; ``planned_change_pct`` (target against baseline) and
    ``change_pct`` (result against baseline; engine.practices.change_pct); ``improvement``
    (the change in the good direction); ``target_reached`` (None when target or result is
    missing)."""
    metrics = session.execute(select(Metric).where(col(Metric.project_id) == project.id)
                              .order_by(col(Metric.id))).scalars().all()
    rows = []
    for m in metrics:
        result = m.latest_value
        row = {"metric_id": m.id, "name": m.name, "unit": m.unit, "direction": m.direction,
               "baseline": m.baseline, "target": m.target, "result": result,
               "measured_on": m.latest_on,
               "planned_change_pct": change_pct(m.baseline, m.target),
               "change_pct": change_pct(m.baseline, result),
               "target_reached": (meets_target(m.direction, result, m.target)
                                  if result is not None and m.target is not None else None)}
        row["improvement"] = improvement(row)
        rows.append(row)
    return rows


def effect(project: Project) -> dict[str, Any]:
    """The economic effect on the card (hours saved a year, roubles), planned and actual,
    and actual minus planned where both are known."""
    def diff(actual: float | None, planned: float | None) -> float | None:
        return None if actual is None or planned is None else actual - planned
    return {"planned_hours_saved": project.planned_hours_saved, "actual_hours_saved": project.actual_hours_saved,
            "hours_difference": diff(project.actual_hours_saved, project.planned_hours_saved),
            "planned_roubles": project.planned_roubles, "actual_roubles": project.actual_roubles,
            "roubles_difference": diff(project.actual_roubles, project.planned_roubles)}


def project_report(session: Session, workflows: WorkflowRegistry, project: Project) -> dict[str, Any]:
    """The analytic report of one project: ``stages``, ``kpi``, ``effect``, and
    ``targets_reached`` (every metric reached its target; False without metrics)."""
    wf = workflows.get(project.workflow_id, project.workflow_version)
    rows = kpi(session, project)
    return {"stages": stage_dates(session, wf, project) if wf else [],
            "kpi": rows, "effect": effect(project),
            "targets_reached": bool(rows) and all(r["target_reached"] for r in rows)}


# --- a region ------------------------------------------------------------------------------

def _reached_per_project(workflows: WorkflowRegistry, region_id: int) -> Any:
    """Subquery: project_id, reached (1/0) for the closed projects of the region that have
    metrics."""
    met = metric_met()  # the latest measurement, kept on the metric, as the tower's headline reads it
    return (select(col(Metric.project_id).label("project_id"),
                   case((func.sum(met) == func.count(col(Metric.id)), 1), else_=0).label("reached"))
            .join(Project, col(Project.id) == col(Metric.project_id))
            .where(col(Project.region_id) == region_id, done_filter(workflows))
            .group_by(col(Metric.project_id)).subquery("reached"))


FIGURES = ("launched", "in_progress", "closed", "cancelled", "reached", "hours_saved", "roubles_saved")


def _empty() -> dict[str, Any]:
    return {"launched": 0, "in_progress": 0, "closed": 0, "cancelled": 0, "reached": 0,
            "hours_saved": 0.0, "roubles_saved": 0.0, "reached_share": None}


def _add(into: dict[str, Any], row: dict[str, Any]) -> None:
    for key in FIGURES:
        total = into[key] + row[key]
        into[key] = finite(total) if isinstance(total, float) else total  # saturates, never Inf


def _share(entry: dict[str, Any]) -> dict[str, Any]:
    entry["reached_share"] = entry["reached"] / entry["closed"] if entry["closed"] else None
    return entry


def regional_summary(session: Session, workflows: WorkflowRegistry, region_id: int) -> dict[str, Any]:
    """The region's projects as the region reports them (DOMAIN.md), as of now.

    Figures (each for the whole region, ``by_kind`` of organisation in ORG_KINDS order and
    ``by_municipality`` in name order (case-insensitive), every kind and municipality even at 0):
    ``launched`` (every project created), ``in_progress`` (in a non-final state),
    ``closed``, ``cancelled`` (any other final state), ``reached`` (closed projects whose
    every metric's latest measurement meets its target), ``reached_share`` (reached /
    closed, None without closed projects), ``hours_saved`` and ``roubles_saved`` (sums of
    the actual effect of closed projects, as the tower's headline).

    ``training``: the region's people who completed a course, by stream, kind of
    organisation and municipality (engine.training.figures.TrainingFigures).

    ``practices``: ``published`` (published now), ``withdrawn``, ``replicated`` (practices
    of the region with at least one replica), ``replicas`` (projects started from the
    region's practices, in any region, withdrawn practices included) and ``items`` (each
    practice: id, title, org_name, municipality_name, category, status, published_at,
    replicas; most replicated first).
    """
    reached = _reached_per_project(workflows, region_id)
    is_closed = done_filter(workflows)
    active = active_filter(workflows)
    stmt = (select(col(Organization.kind), col(Organization.municipality_id),
                   func.count(col(Project.id)),
                   func.sum(case((active, 1), else_=0)),
                   func.sum(case((is_closed, 1), else_=0)),
                   func.sum(case((and_(~active, ~is_closed), 1), else_=0)),
                   func.sum(func.coalesce(reached.c.reached, 0)),
                   float_sum(case((is_closed, Project.actual_hours_saved))),
                   float_sum(case((is_closed, Project.actual_roubles))))
            .select_from(Project)
            .join(Organization, col(Organization.id) == col(Project.org_id))
            .join(reached, reached.c.project_id == Project.id, isouter=True)
            .where(col(Project.region_id) == region_id)
            .group_by(col(Organization.kind), col(Organization.municipality_id)))
    municipalities = list(session.execute(select(col(Municipality.id), col(Municipality.name))
                                          .where(col(Municipality.region_id) == region_id)
                                          .order_by(col(Municipality.id))).all())
    municipalities.sort(key=lambda m: (m[1].casefold(), m[0]))  # the same order on both backends
    by_kind = {k: _empty() for k in ORG_KINDS}
    by_mun = {mid: {"municipality_id": mid, "name": name, **_empty()} for mid, name in municipalities}
    total = _empty()
    for kind, mid, n, n_active, n_closed, n_cancelled, n_reached, hours, roubles in session.execute(stmt).all():
        row = {"launched": int(n), "in_progress": int(n_active or 0), "closed": int(n_closed or 0),
               "cancelled": int(n_cancelled or 0), "reached": int(n_reached or 0),
               "hours_saved": finite(hours) or 0.0, "roubles_saved": finite(roubles) or 0.0}
        _add(by_kind.setdefault(kind, _empty()), row)
        if mid in by_mun:
            _add(by_mun[mid], row)
        _add(total, row)
    return {"region_id": region_id, "as_of": clock.today(), "total": _share(total),
            "by_kind": {k: _share(v) for k, v in by_kind.items()},
            "by_municipality": [_share(v) for v in by_mun.values()],
            "practices": practices_summary(session, region_id),
            "training": training_figures(session, region_id)}


def practices_summary(session: Session, region_id: int) -> dict[str, Any]:
    """The region's practices and how often they were replicated (see regional_summary)."""
    replicas = (select(col(Project.practice_id).label("practice_id"), func.count(col(Project.id)).label("n"))
                .where(col(Project.practice_id).is_not(None))
                .group_by(col(Project.practice_id)).subquery("replicas"))
    rows = session.execute(
        select(col(Practice.id), col(Practice.title), col(Organization.name), col(Municipality.name),
               col(Practice.category), col(Practice.status), col(Practice.published_at), func.coalesce(replicas.c.n, 0))
        .join(Organization, col(Organization.id) == col(Practice.org_id))
        .join(Municipality, col(Municipality.id) == col(Organization.municipality_id))
        .join(replicas, replicas.c.practice_id == col(Practice.id), isouter=True)
        .where(col(Practice.region_id) == region_id)).all()
    items = [{"id": pid, "title": title, "org_name": org, "municipality_name": mun, "category": cat,
              "status": status, "published_at": clock.as_utc(at).date(), "replicas": int(n)}
             for pid, title, org, mun, cat, status, at, n in rows]
    items.sort(key=lambda x: (-x["replicas"], x["title"], x["id"]))
    return {"published": sum(1 for x in items if x["status"] == "published"),
            "withdrawn": sum(1 for x in items if x["status"] != "published"),
            "replicated": sum(1 for x in items if x["replicas"]),
            "replicas": sum(x["replicas"] for x in items), "items": items}
