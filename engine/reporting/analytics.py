"""Flow analytics for the control tower: daily snapshots for the cumulative flow diagram,
lead time and time in each stage, throughput per month, and the headline figures.

Everything is read from the append-only event log (``created`` and ``state_changed``
events) and the project rows with set-based SQL that runs unchanged on SQLite and
PostgreSQL; the few expressions the two spell differently (the UTC day or month of a
timestamp, the days between two timestamps) are small SQL constructs compiled per
dialect in engine.reporting.sqlfuncs. Python only computes percentiles of the durations SQL selected and
shapes the results. All time comes from ``engine.clock``; "the day" of a timestamp is
its UTC date (API.md).

A *stay* is one visit of a project to a state: it starts when the project is created
(in its workflow's initial state) or enters the state by a ``state_changed`` event, and
ends with the project's next ``state_changed`` event (open while the project is still
there). Snapshots, the cumulative flow and the time in stage are all made of stays.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Select,
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from engine import clock
from engine.models import (
    DailySnapshot,
    Event,
    Metric,
    Organization,
    Project,
    RegionSnapshot,
    Risk,
)
from engine.numbers import finite
from engine.reporting.cache import FigureCache
from engine.reporting.metrics import metric_met
from engine.reporting.monitoring import (
    active_filter,
    critical_risk,
    done_filter,
    stalled_filter,
    waiting_long_filter,
)
from engine.reporting.sqlfuncs import days_between, float_sum, utc_date, utc_month
from engine.vocab import EventKind
from engine.workflow import WorkflowRegistry

SNAPSHOT_CHUNK_DAYS = 31  # days rebuilt per transaction


def day_start(day: date) -> datetime:
    """00:00 UTC of a day: a timestamp is on ``day`` when day_start(day) <= ts < day_start(day + 1)."""
    return datetime.combine(day, time(0), tzinfo=UTC)


# --- stays: the event log as visits to states ----------------------------------------------

def _initial_state(workflows: WorkflowRegistry) -> Any:
    """SQL: the initial state of each project's workflow (its current state if unknown)."""
    whens = [(and_(col(Project.workflow_id) == w.id, col(Project.workflow_version) == w.version), w.initial)
             for w in workflows.all()]
    return case(*whens, else_=Project.state) if whens else Project.state


def _stays(workflows: WorkflowRegistry, region_id: int | None = None,
           before: datetime | None = None, with_days: bool = False) -> Any:
    """Subquery, one row per stay: project_id, org_id, region_id, state, entered_at, left_at
    (NULL while the project is still there), and with ``with_days`` their UTC days
    entered_on, left_on.

    Only the log before ``before`` is read, so a stay that ended later is still open.
    """
    born = select(col(Project.id).label("project_id"), col(Project.org_id), col(Project.region_id),
                  _initial_state(workflows).label("state"), col(Project.created_at).label("at"),
                  literal(0, Integer).label("seq"))
    moves: Select[*tuple[Any, ...]] = (
        select(col(Event.project_id), col(Project.org_id), col(Project.region_id), col(Event.to_state).label("state"),
               col(Event.at), col(Event.id).label("seq"))
        .join(Project, col(Project.id) == col(Event.project_id))
        .where(col(Event.kind) == EventKind.STATE_CHANGED))
    if region_id is not None:
        born = born.where(col(Project.region_id) == region_id)
        moves = moves.where(col(Project.region_id) == region_id)
    if before is not None:
        born = born.where(col(Project.created_at) < before)
        moves = moves.where(col(Event.at) < before)
    entries = union_all(born, moves).subquery("entries")
    left_at = func.lead(entries.c.at).over(partition_by=entries.c.project_id,
                                           order_by=(entries.c.at, entries.c.seq))
    days = [utc_date(entries.c.at).label("entered_on"), utc_date(left_at).label("left_on")] if with_days else []
    return select(entries.c.project_id, entries.c.org_id, entries.c.region_id, entries.c.state,
                  entries.c.at.label("entered_at"), left_at.label("left_at"), *days).subquery("stays")


# --- daily snapshots ------------------------------------------------------------------------------

def _upsert(session: Session, counts: Any) -> int:
    """INSERT the (day, org_id, region_id, state, count) rows ``counts`` selects; returns how many."""
    insert_ = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert_(DailySnapshot).from_select(["day", "org_id", "region_id", "state", "count"], counts)
    # A concurrent writer of the same day may have committed meanwhile: its rows are replaced.
    stmt = stmt.on_conflict_do_update(index_elements=["day", "org_id", "state"],
                                      set_={"region_id": stmt.excluded.region_id, "count": stmt.excluded["count"]})
    result = session.exec(stmt.execution_options(preserve_rowcount=True))
    return int(result.rowcount)


def _record_from_log(session: Session, workflows: WorkflowRegistry, day: date) -> int:
    """Write the day's snapshot from the whole log: a stay counts on the day when it was
    entered on that day or before and not left by the end of it."""
    stays = _stays(workflows, before=day_start(day + timedelta(days=1)), with_days=True)
    on_day = literal(day, Date)
    counts = (select(on_day, stays.c.org_id, stays.c.region_id, stays.c.state, func.count())
              .where(stays.c.entered_on <= on_day,
                     or_(stays.c.left_on.is_(None), stays.c.left_on > on_day))
              .group_by(stays.c.org_id, stays.c.region_id, stays.c.state))
    return _upsert(session, counts)


def _record_from_day_before(session: Session, workflows: WorkflowRegistry, day: date) -> int:
    """Write the day's snapshot as the day before's plus the day's own changes: +1 in the
    initial state for each project created, -1 / +1 for the two ends of each move (so a
    state entered and left on the same day nets 0). Reads only that day's part of the log."""
    begin, end = day_start(day), day_start(day + timedelta(days=1))
    before: Select[*tuple[Any, ...]] = (
        select(col(DailySnapshot.org_id), col(DailySnapshot.region_id), col(DailySnapshot.state),
               col(DailySnapshot.count).label("n"))
        .where(col(DailySnapshot.day) == day - timedelta(days=1)))
    born = (select(col(Project.org_id), col(Project.region_id), _initial_state(workflows), literal(1, Integer))
            .where(col(Project.created_at) >= begin, col(Project.created_at) < end))

    def moves(state: Any, n: int) -> Any:
        return (select(col(Project.org_id), col(Project.region_id), state, literal(n, Integer))
                .select_from(Event).join(Project, col(Project.id) == col(Event.project_id))
                .where(col(Event.kind) == EventKind.STATE_CHANGED, col(Event.at) >= begin, col(Event.at) < end))

    changes = union_all(before, born, moves(Event.to_state, 1), moves(Event.from_state, -1)).subquery("changes")
    counts = (select(literal(day, Date), changes.c.org_id, changes.c.region_id, changes.c.state,
                     func.sum(changes.c.n))
              .where(true())  # SQLite: an INSERT ... SELECT ... ON CONFLICT needs a WHERE
              .group_by(changes.c.org_id, changes.c.region_id, changes.c.state)
              .having(func.sum(changes.c.n) > 0))
    return _upsert(session, counts)


def _clear(session: Session, days: Sequence[date]) -> None:
    session.execute(delete(DailySnapshot).where(col(DailySnapshot.day).in_(days)))
    session.execute(delete(RegionSnapshot).where(col(RegionSnapshot.day).in_(days)))


def _roll_up(session: Session, days: Sequence[date]) -> None:
    """Sum the days' organisation snapshots per region and state into region_snapshot."""
    insert_ = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    sums = (select(col(DailySnapshot.region_id), col(DailySnapshot.day), col(DailySnapshot.state),
                   func.sum(col(DailySnapshot.count)))
            .where(col(DailySnapshot.day).in_(days))
            .group_by(col(DailySnapshot.region_id), col(DailySnapshot.day), col(DailySnapshot.state)))
    stmt = insert_(RegionSnapshot).from_select(["region_id", "day", "state", "count"], sums)
    stmt = stmt.on_conflict_do_update(index_elements=["region_id", "day", "state"],
                                      set_={"count": stmt.excluded["count"]})
    session.execute(stmt)


def record_snapshots(session: Session, workflows: WorkflowRegistry, day: date) -> int:
    """Record how many projects each organisation had in each state at the end of ``day``
    (UTC), from the event log; returns the rows written.

    Idempotent: the day's rows are deleted and written again in the caller's transaction
    (commit to keep them), so today's snapshot may be recorded again during the day.
    """
    _clear(session, [day])
    written = _record_from_log(session, workflows, day)
    _roll_up(session, [day])
    return written


def _runs(days: list[date], longest: int) -> list[list[date]]:
    """Consecutive days grouped into runs of at most ``longest`` days."""
    runs: list[list[date]] = []
    for d in days:
        if runs and d - runs[-1][-1] == timedelta(days=1) and len(runs[-1]) < longest:
            runs[-1].append(d)
        else:
            runs.append([d])
    return runs


def rebuild_missing_snapshots(session: Session, workflows: WorkflowRegistry, until: date,
                              since: date | None = None) -> list[date]:
    """Record every day from the first project's creation day (or ``since``, when later) to
    ``until`` that has no snapshot (after downtime the cumulative flow diagram has no
    holes); commits.

    The latest recorded day (up to ``until``) is recorded again too: it may have been taken
    before that day ended. Returns the days written, oldest first.

    Fast for a year on 10,000 projects: the first day of each run of consecutive days is
    computed from the whole log, each following day from the day before plus that day's
    own events (one INSERT ... SELECT a day); committed every SNAPSHOT_CHUNK_DAYS days.
    """
    first = session.execute(select(func.min(Project.created_at))).scalar_one()
    if first is None:
        return []
    start = clock.as_utc(first).date()
    if since is not None and since > start:
        start = since
    recorded = set(session.execute(select(col(DailySnapshot.day)).where(col(DailySnapshot.day) >= start)
                                   .group_by(col(DailySnapshot.day))).scalars())
    latest = max(recorded, default=None)
    todo = [d for d in (start + timedelta(days=i) for i in range((until - start).days + 1))
            if d not in recorded or d == latest]
    previous: date | None = None
    for chunk in _runs(todo, SNAPSHOT_CHUNK_DAYS):
        _clear(session, chunk)
        for day in chunk:
            if previous == day - timedelta(days=1):
                _record_from_day_before(session, workflows, day)
            else:
                _record_from_log(session, workflows, day)
            previous = day
        _roll_up(session, chunk)
        session.commit()
    return todo


def _state_order(workflows: WorkflowRegistry | None, seen: Sequence[str] = ()) -> list[str]:
    """States in workflow order (the latest version of each workflow), then any others seen."""
    order: list[str] = []
    for w in workflows.latest_all() if workflows is not None else []:
        order += [s.id for s in w.states if s.id not in order]
    return order + sorted(set(seen) - set(order))


def cumulative_flow(session: Session, region_id: int, start: date, end: date,
                    org_id: int | None = None, municipality_id: int | None = None,
                    workflows: WorkflowRegistry | None = None) -> dict[str, Any]:
    """Projects per state for each day from ``start`` to ``end`` (inclusive), from the
    daily snapshots of the region (or one organisation, or one municipality).

    ``{"days": ["YYYY-MM-DD", ...], "states": [...], "series": {state: [count per day]}}``;
    a day without a snapshot counts 0 (rebuild_missing_snapshots leaves none). States come
    in workflow order when ``workflows`` is given (every state of them, even at 0).
    """
    if org_id is None and municipality_id is None:  # the whole region: its own sums
        stmt = (select(col(RegionSnapshot.day), col(RegionSnapshot.state), col(RegionSnapshot.count))
                .where(col(RegionSnapshot.region_id) == region_id, col(RegionSnapshot.day) >= start,
                       col(RegionSnapshot.day) <= end))
    else:
        stmt = (select(col(DailySnapshot.day), col(DailySnapshot.state), func.sum(col(DailySnapshot.count)))
                .where(col(DailySnapshot.region_id) == region_id, col(DailySnapshot.day) >= start,
                       col(DailySnapshot.day) <= end)
                .group_by(col(DailySnapshot.day), col(DailySnapshot.state)))
    if org_id is not None:
        stmt = stmt.where(col(DailySnapshot.org_id) == org_id)
    if municipality_id is not None:
        stmt = stmt.where(col(DailySnapshot.org_id).in_(
            select(col(Organization.id)).where(col(Organization.municipality_id) == municipality_id)))
    counts = {(day, state): int(n) for day, state, n in session.execute(stmt).all()}
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    states = _state_order(workflows, [state for _, state in counts])
    return {"days": [d.isoformat() for d in days], "states": states,
            "series": {s: [counts.get((d, s), 0) for d in days] for s in states}}


# --- lead time and time in stage -------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float | None:
    """The ``p``-quantile (0..1) by linear interpolation between closest ranks (numpy's
    default, Excel's PERCENTILE.INC): over the sorted values x[0..n-1], h = (n - 1) * p and
    the result is x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]). None if empty."""
    if not values:
        return None
    xs = sorted(values)
    h = (len(xs) - 1) * p
    lo = int(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def _summary(durations: Sequence[float]) -> dict[str, Any]:
    """Median and 85th percentile in days, one decimal (None when there are none), and n."""
    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 1)
    return {"median": r(percentile(durations, 0.5)), "p85": r(percentile(durations, 0.85)),
            "n": len(durations)}


def stage_times(session: Session, workflows: WorkflowRegistry, region_id: int,
                since: date | None = None) -> dict[str, Any]:
    """Lead time and time in each stage of the region's projects, in days.

    - lead time: from creation (the ``created`` event) to entering ``closed``, for the
      projects closed on ``since`` or later (all closed projects when None);
    - by stage: every completed stay (creation or a move into the state, to the next move
      out of it) that ended on ``since`` or later; a state visited twice counts twice.

    ``{"lead_time": {"median", "p85", "n"}, "by_stage": {state: {...}}}``, the states of
    the workflows in order (final states have no completed stays and are left out).
    """
    moves = (select(col(Event.from_state), col(Event.to_state), col(Event.stay_days),
                    days_between(Project.created_at, Event.at))
             .select_from(Event)
             .join(Project, col(Project.id) == col(Event.project_id))
             .where(col(Project.region_id) == region_id, col(Event.kind) == EventKind.STATE_CHANGED))
    if since is not None:
        moves = moves.where(col(Event.at) >= day_start(since))
    done = workflows.done_states()
    lead_times: list[float] = []
    by_state: dict[str, list[float]] = {}
    for source, dest, stay, since_creation in session.execute(moves).all():
        if stay is not None:  # written with every move (migration 0004 filled the older ones)
            by_state.setdefault(source, []).append(float(stay))
        if dest in done:
            lead_times.append(float(since_creation))
    finals = {s.id for w in workflows.all() for s in w.states if s.final}
    states = [s for s in _state_order(workflows, list(by_state)) if s not in finals or s in by_state]
    return {"lead_time": _summary(lead_times),
            "by_stage": {s: _summary(by_state.get(s, [])) for s in states}}


def flow_watermark(session: Session) -> tuple[int, int]:
    """(id of the latest state_changed event of any project, id of the newest project), 0
    when none: what time in stage and throughput depend on besides their window (projects
    are never deleted, moves never rewritten). One round trip, two index probes."""
    move = select(func.max(col(Event.id))).where(col(Event.kind) == EventKind.STATE_CHANGED).scalar_subquery()
    newest = select(func.max(Project.id)).scalar_subquery()
    latest_move, newest_project = session.execute(select(move, newest)).one()
    return int(latest_move or 0), int(newest_project or 0)


def stage_times_cached(session: Session, workflows: WorkflowRegistry, region_id: int, since: date | None,
                       cache: FigureCache) -> dict[str, Any]:
    """stage_times, kept in ``cache`` until the next move or new project (the tower page:
    reading a year of moves of 10,000 projects is the slowest figure it shows)."""
    key = ("stage_times", region_id, since, flow_watermark(session))
    return cache.get(key, lambda: stage_times(session, workflows, region_id, since))


def throughput_cached(session: Session, workflows: WorkflowRegistry, region_id: int, months: int,
                      cache: FigureCache) -> list[dict[str, Any]]:
    """throughput, kept in ``cache`` for the day until the next move or new project."""
    key = ("throughput", region_id, months, clock.today(), flow_watermark(session))
    return cache.get(key, lambda: throughput(session, workflows, region_id, months))


# --- throughput -----------------------------------------------------------------------------------

def _month_starts(today: date, months: int) -> list[date]:
    """The first days of the last ``months`` calendar months up to today's, oldest first."""
    out, y, m = [], today.year, today.month
    for _ in range(months):
        out.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def throughput(session: Session, workflows: WorkflowRegistry, region_id: int,
               months: int = 12) -> list[dict[str, Any]]:
    """Projects closed and started (created) per calendar month (UTC) in the region, for the
    last ``months`` months up to the current one, oldest first, months with none included:
    ``[{"month": "YYYY-MM", "closed": n, "started": n}]``."""
    starts = _month_starts(clock.today(), months)
    since = day_start(starts[0])
    # the done state is final (nothing leaves it), so a closed project entered it when it closed
    closed_month = utc_month(Project.state_entered_at)
    closed = (select(closed_month, func.count())
              .where(col(Project.region_id) == region_id, done_filter(workflows),
                     col(Project.state_entered_at) >= since)
              .group_by(closed_month))
    started_month = utc_month(Project.created_at)
    started = (select(started_month, func.count())
               .where(col(Project.region_id) == region_id, col(Project.created_at) >= since)
               .group_by(started_month))
    n_closed = dict(session.execute(closed).all())
    n_started = dict(session.execute(started).all())
    keys = [f"{d.year:04d}-{d.month:02d}" for d in starts]
    return [{"month": k, "closed": int(n_closed.get(k, 0)), "started": int(n_started.get(k, 0))}
            for k in keys]


# --- the headline -----------------------------------------------------------------------------------

def _targets_reached(session: Session, workflows: WorkflowRegistry, region_id: int) -> tuple[int, int]:
    """(closed projects of the region, those whose every metric's latest measurement meets
    its target). The latest measurement is the last by date, then by record order (as
    engine.reporting.metrics: kept on the metric as latest_value); a project without metrics
    has not reached its targets."""
    per_project = (select(func.count(col(Metric.id)).label("metrics"), func.sum(metric_met()).label("met"))
                   .select_from(Project)
                   .join(Metric, col(Metric.project_id) == col(Project.id), isouter=True)
                   .where(col(Project.region_id) == region_id, done_filter(workflows))
                   .group_by(col(Project.id))
                   .subquery("per_project"))
    reached = case((and_(per_project.c.metrics > 0, per_project.c.met == per_project.c.metrics), 1), else_=0)
    n, n_reached = session.execute(select(func.count(), func.sum(reached)).select_from(per_project)).one()
    return int(n), int(n_reached or 0)


def year_start_of(now: datetime) -> datetime:
    """1 January of ``now``'s year (UTC): where the headline's «closed this year» starts."""
    return day_start(date(now.year, 1, 1))


def headline(session: Session, workflows: WorkflowRegistry, region_id: int,
             counts: dict[str, int] | None = None, stalled: int | None = None,
             critical_risks: int | None = None, *, rollup: dict[str, Any] | None = None,
             waiting_over: int | None = None) -> dict[str, Any]:
    """The region's figures at a glance, computed now (the keys the tower page reads):

    - ``active_by_stage``: active (non-final) projects per state; ``active``: their sum;
    - ``stalled``: active projects over their state's SLA or idle (monitoring's rule);
    - ``critical_risks``: unresolved (open, mitigating) risks scoring 15 or more, of active projects;
    - ``approvals_waiting_over_3_days``: pending requests waiting more than 3 whole days
      (as the tower flags them: waiting_days > 3);
    - ``closed_this_year``: projects closed since 1 January (UTC); ``closed``: ever;
    - ``closed_reaching_targets_share``: the share (0..1) of closed projects whose every
      metric's latest measurement meets its target; None when none is closed;
    - ``hours_saved``, ``roubles_saved``: the effect recorded on closed projects (sums of
      actual_hours_saved and actual_roubles).

    ``counts`` (projects per state, monitoring.counts_by_state), ``stalled`` (how many are
    stalled) and ``critical_risks`` may be given when the caller has read them already
    (the tower page), or ``rollup`` (monitoring.region_rollup, which holds the counts, the
    stalled and the closed figures in one read) and ``waiting_over`` (the pending list's
    requests with waiting_days > 3).
    """
    now = clock.now()
    if rollup is not None:
        counts, stalled = rollup["by_state"], rollup["stalled"]
    region = col(Project.region_id) == region_id
    active = active_filter(workflows)
    if counts is None:
        by_stage = dict(session.execute(select(col(Project.state), func.count()).where(region, active)
                                        .group_by(Project.state)).all())
    else:
        finals = {s.id for w in workflows.all() for s in w.states if s.final}
        by_stage = {state: n for state, n in counts.items() if state not in finals}
    if stalled is None:
        stalled = session.execute(select(func.count()).select_from(Project)
                                  .where(region, active, stalled_filter(workflows, now))).scalar_one()
    risks = critical_risks if critical_risks is not None else session.execute(
        select(func.count()).select_from(Risk).join(Project, col(Project.id) == col(Risk.project_id))
        .where(region, active, critical_risk())).scalar_one()
    overdue = waiting_over if waiting_over is not None else session.execute(
        select(func.count()).select_from(Project).where(region, waiting_long_filter(now))).scalar_one()
    if rollup is not None:
        closed = rollup["closed"]
        closed_this_year, hours, roubles = closed["this_year"], closed["hours"], closed["roubles"]
        n_closed, n_reached = closed["n"], closed["reached"]
    else:
        closed_this_year, hours, roubles = session.execute(
            select(func.count(case((col(Project.state_entered_at) >= year_start_of(now), 1))),
                   float_sum(Project.actual_hours_saved), float_sum(Project.actual_roubles))
            .where(region, done_filter(workflows))).one()
        n_closed, n_reached = _targets_reached(session, workflows, region_id)
    order = _state_order(workflows, list(by_stage))
    return {
        "region_id": region_id,
        "active_by_stage": {s: int(by_stage[s]) for s in order if s in by_stage},
        "active": int(sum(by_stage.values())),
        "stalled": int(stalled),
        "critical_risks": int(risks),
        "approvals_waiting_over_3_days": int(overdue),
        "closed_this_year": int(closed_this_year or 0),
        "closed": n_closed,
        "closed_reaching_targets_share": n_reached / n_closed if n_closed else None,
        "hours_saved": finite(hours) or 0.0,
        "roubles_saved": finite(roubles) or 0.0,
    }
