"""Benchmark of the control tower's queries on a region of 10,000 projects.

A script, not a test. It builds a fresh migrated SQLite file and a fresh PostgreSQL
database (benchmark data only, bulk INSERTs: ~10,000 projects with a year of history,
~200,000 events, ~30,000 risks), then times every figure the tower shows: the parts of
monitoring.tower, analytics.headline, analytics.cumulative_flow over 90 days (after
analytics.rebuild_missing_snapshots has recorded the year), analytics.stage_times and
analytics.throughput. For each it also times a hand-written SQL statement (text()) that
computes the same figure, and prints the median of a few runs and the ratio
engine / bare (the target is 2x at most).

    .venv/bin/python bench/tower_queries_bench.py                 # both backends
    .venv/bin/python bench/tower_queries_bench.py --backend sqlite --runs 7
    LEANSCHOOL_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432 ...
"""
from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_db import pg_database  # bench/, beside this script
from sqlalchemy import Date, bindparam, event, insert, text
from sqlmodel import Session

from engine import clock
from engine.db import REPO_ROOT, make_engine, migrate
from engine.models import (
    Event,
    Measurement,
    Metric,
    Municipality,
    Organization,
    Project,
    Region,
    Risk,
    TransitionRequest,
    User,
)
from engine.reporting import analytics, monitoring
from engine.reporting.analytics import percentile
from engine.reporting.cache import FigureCache
from engine.workflow import WorkflowRegistry, load_dir

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

# workflows/psr.yaml as hand-written SQL sees it
STAGES = ["diagnose", "target", "implement", "standardise", "sustain"]
SLA = {"diagnose": 45, "target": 30, "implement": 60, "standardise": 30, "sustain": 90}
IDLE_DAYS = 14
FINALS = "('closed', 'cancelled')"
# median days spent in each stage by the generated projects (DOMAIN.md: 3-6 months in all)
MEDIAN_DAYS = {"diagnose": 28, "target": 18, "implement": 40, "standardise": 16, "sustain": 35}
ACTIVITY = ["artefact_added", "problem_added", "metric_added", "measurement_recorded", "commented",
            "action_added", "action_updated", "updated"]


# --- the benchmark region ---------------------------------------------------------------------------

@dataclass
class Data:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)


def generate(n_projects: int, seed: int = 57) -> Data:
    """A region like Oryol oblast, with ``n_projects`` projects started over the past year."""
    rng = random.Random(seed)
    d = Data()
    d.add("region", {"id": 1, "name": "Орловская область", "code": "57"})
    n_mun, n_org = 27, 600
    for m in range(1, n_mun + 1):
        d.add("municipality", {"id": m, "region_id": 1, "name": f"Район {m}", "kind": "district"})
    kinds = ["school"] * 5 + ["kindergarten"] * 3 + ["college", "other"]
    for o in range(1, n_org + 1):
        d.add("organization", {"id": o, "municipality_id": 1 + (o * 7) % n_mun, "region_id": 1,
                               "name": f"Организация {o}", "kind": rng.choice(kinds)})
        for uid in (2 * o - 1, 2 * o):  # a head and a member of each organisation
            d.add("user", {"id": uid, "email": f"u{uid}@bench.ru", "name": f"u{uid}", "password_hash": "",
                           "locale": "ru", "is_active": True, "created_at": NOW - timedelta(days=400)})
    ids = {"event": 0, "risk": 0, "request": 0, "metric": 0, "measurement": 0}

    def next_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    def event(pid: int, at: datetime, actor: int | None, kind: str, src: str | None = None,
              dest: str | None = None, stay_days: float | None = None) -> None:
        d.add("event", {"id": next_id("event"), "project_id": pid, "at": at, "actor_id": actor, "kind": kind,
                        "from_state": src, "to_state": dest, "stay_days": stay_days, "payload": {}})

    for pid in range(1, n_projects + 1):
        org = rng.randint(1, n_org)
        head, member = 2 * org - 1, 2 * org
        created = NOW - timedelta(days=365 * rng.random() ** 0.8, seconds=rng.randint(0, 86399))
        quiet = rng.random() < 0.15  # teams that stop working at some point: stalled projects
        event(pid, created, member, "created")
        state, entered, last_activity = "diagnose", created, created
        while True:
            stay = timedelta(days=rng.lognormvariate(math.log(MEDIAN_DAYS[state]), 0.45))
            leave = entered + stay
            end = min(leave, NOW)
            for _ in range(rng.randint(1, 4)):  # work inside the stay
                at = entered + (end - entered) * rng.random()
                if quiet and at > entered + (end - entered) * 0.3:
                    continue
                event(pid, at, member, rng.choice(ACTIVITY))
                last_activity = max(last_activity, at)
            if leave >= NOW or (quiet and rng.random() < 0.6):
                break
            i = STAGES.index(state)
            roll = rng.random()
            dest = ("cancelled" if roll < 0.03 else STAGES[i - 1] if roll < 0.10 and i > 0
                    else STAGES[i + 1] if i + 1 < len(STAGES) else "closed")
            asked = leave - timedelta(days=rng.random() * 3)
            rid = next_id("request")
            d.add("transition_request", {"id": rid, "project_id": pid, "region_id": 1, "trigger": f"to_{dest}",
                                         "dest": dest,
                                         "approval": "head", "status": "approved", "requested_by": member,
                                         "requested_at": asked, "decided_by": head, "decided_at": leave})
            event(pid, asked, member, "transition_requested")
            event(pid, leave, head, "transition_approved")
            event(pid, leave, head, "state_changed", state, dest, (leave - entered).total_seconds() / 86400)
            state, entered, last_activity = dest, leave, leave
            if dest in ("closed", "cancelled"):
                break
        if state not in ("closed", "cancelled") and not quiet and rng.random() < 0.08:
            asked = NOW - timedelta(days=rng.random() * 10)
            d.add("transition_request", {"id": next_id("request"), "project_id": pid, "region_id": 1,
                                         "trigger": "to_next", "dest": "next", "approval": "head", "status": "pending",
                                         "requested_by": member, "requested_at": asked,
                                         "decided_by": None, "decided_at": None})
            event(pid, asked, member, "transition_requested")
            last_activity = max(last_activity, asked)
        closed = state == "closed"
        d.add("project", {
            "id": pid, "org_id": org, "region_id": 1, "workflow_id": "psr", "workflow_version": 1,
            "reg_number": f"57-{pid:05d}", "title": f"Оптимизация процесса {pid}", "problem": "", "goal": "",
            "milestones": {}, "state": state, "state_entered_at": entered, "last_activity_at": last_activity,
            "version": 1, "created_at": created, "created_by": member,
            "actual_hours_saved": round(rng.uniform(20, 300), 1) if closed else None,
            "actual_roubles": round(rng.uniform(5e3, 2e5), -2) if closed and rng.random() < 0.6 else None})
        for _ in range(rng.choice([0, 1, 2, 2, 3, 3, 4, 4, 5, 6])):  # ~3 risks a project
            p, i = rng.randint(1, 5), rng.randint(1, 5)
            at = created + (min(entered, NOW) - created) * rng.random()
            settled = state in ("closed", "cancelled") or rng.random() < 0.5
            d.add("risk", {"id": next_id("risk"), "project_id": pid, "region_id": 1, "title": "Риск",
                           "probability": p, "impact": i, "score": p * i,
                           "status": rng.choice(["resolved", "accepted"] if settled else ["open", "mitigating"]),
                           "created_at": at, "updated_at": at})
        for _ in range(rng.choice([1, 1, 2])):
            mid = next_id("metric")
            baseline = rng.uniform(20, 100)
            target = baseline * 0.6
            values = [baseline] + ([target * rng.uniform(0.8, 1.3)] if state != "diagnose" else [])
            if closed:
                values.append(target * (0.9 if rng.random() < 0.85 else 1.2))
            days = [min(created + timedelta(days=20 * k), NOW).date() for k in range(len(values))]
            d.add("metric", {"id": mid, "project_id": pid, "name": "ВПП", "unit": "мин", "direction": "decrease",
                             "baseline": baseline, "target": target, "created_at": created,
                             "latest_value": values[-1], "latest_on": days[-1]})  # as record_measurement keeps them
            for value, on in zip(values, days, strict=True):
                d.add("measurement", {"id": next_id("measurement"), "metric_id": mid, "value": value,
                                      "measured_on": on, "recorded_at": NOW})
    return d


TABLES = [(Region, "region"), (Municipality, "municipality"), (Organization, "organization"), (User, "user"),
          (Project, "project"), (Event, "event"), (Risk, "risk"), (TransitionRequest, "transition_request"),
          (Metric, "metric"), (Measurement, "measurement")]


def load(engine: Any, data: Data) -> None:
    """Bulk INSERTs in batches; then the statistics the planner uses."""
    with engine.begin() as conn:
        for model, name in TABLES:
            rows = data.rows.get(name, [])
            for i in range(0, len(rows), 5000):
                conn.execute(insert(model.__table__), rows[i:i + 5000])  # type: ignore[attr-defined]
        if engine.dialect.name == "postgresql":
            for _, name in TABLES:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                                  f"(SELECT max(id) FROM \"{name}\"))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


# --- the hand-written statements ------------------------------------------------------------------------

def dialect_sql(dialect: str) -> dict[str, Callable[..., str]]:
    if dialect == "postgresql":
        return {"days": lambda a, b: f"(EXTRACT(EPOCH FROM ({b}) - ({a})) / 86400.0)",
                "month": lambda x: f"to_char(({x}) AT TIME ZONE 'UTC', 'YYYY-MM')"}
    return {"days": lambda a, b: f"(julianday({b}) - julianday({a}))",
            "month": lambda x: f"strftime('%Y-%m', {x})"}


STALL = " OR ".join([f"(p.state = '{s}' AND p.state_entered_at < :sla_{s})" for s in STAGES]
                    + ["p.last_activity_at < :idle"])


def bare_statements(dialect: str) -> dict[str, Any]:
    f = dialect_sql(dialect)
    stay_entries = """
        SELECT p.id AS project_id, 'diagnose' AS state, p.created_at AS at, 0 AS seq
          FROM project p WHERE p.region_id = :r
        UNION ALL
        SELECT e.project_id, e.to_state, e.at, e.id
          FROM event e JOIN project p ON p.id = e.project_id
         WHERE e.kind = 'state_changed' AND p.region_id = :r"""
    stays = f"""
        SELECT state, at AS entered_at,
               LEAD(at) OVER (PARTITION BY project_id ORDER BY at, seq) AS left_at
          FROM ({stay_entries}) entries"""
    if dialect == "postgresql":
        stage_sql = f"""
            SELECT state, percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.85) WITHIN GROUP
                   (ORDER BY d), count(*)
              FROM (SELECT state, {f['days']('entered_at', 'left_at')} AS d FROM ({stays}) s
                     WHERE left_at IS NOT NULL) x GROUP BY state"""
        lead_sql = f"""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.85) WITHIN GROUP
                   (ORDER BY d), count(*)
              FROM (SELECT {f['days']('p.created_at', 'e.at')} AS d FROM event e JOIN project p
                    ON p.id = e.project_id WHERE p.region_id = :r AND e.kind = 'state_changed'
                    AND e.to_state = 'closed') x"""
    else:  # SQLite has no percentile function: select the durations, the percentiles in Python
        stage_sql = f"""SELECT state, {f['days']('entered_at', 'left_at')} FROM ({stays}) s
                         WHERE left_at IS NOT NULL"""
        lead_sql = f"""SELECT {f['days']('p.created_at', 'e.at')} FROM event e JOIN project p
                        ON p.id = e.project_id WHERE p.region_id = :r AND e.kind = 'state_changed'
                        AND e.to_state = 'closed'"""
    whole = (lambda a: f"FLOOR({f['days'](a, ':now')})") if dialect == "postgresql" else \
        (lambda a: f"CAST({f['days'](a, ':now')} AS INTEGER)")
    greatest = "GREATEST" if dialect == "postgresql" else "max"
    sla_of = "CASE p.state " + " ".join(f"WHEN '{s}' THEN {d}" for s, d in SLA.items()) + " END"
    worst = f"{greatest}({whole('p.state_entered_at')} - {sla_of}, {whole('p.last_activity_at')} - {IDLE_DAYS})"
    return {
        "stalled_50": f"""SELECT p.id, p.title, p.org_id, p.state, p.state_entered_at, p.last_activity_at
                            FROM project p WHERE p.region_id = :r AND p.state NOT IN {FINALS} AND ({STALL})
                           ORDER BY {worst} DESC, p.id LIMIT 50""",
        "unresolved_risks_50": f"""
            SELECT r.id, r.project_id, r.title, r.score, r.status, r.created_at
              FROM risk r JOIN project p ON p.id = r.project_id
             WHERE p.region_id = :r AND p.state NOT IN {FINALS} AND r.status IN ('open', 'mitigating')
             ORDER BY r.score DESC, r.created_at, r.id LIMIT 50""",
        "cumulative_flow_region": """
            SELECT day, state, count FROM region_snapshot WHERE region_id = :r AND day >= :start AND day <= :end""",
        "counts_by_state": "SELECT state, count(*) FROM project WHERE region_id = :r GROUP BY state",
        "stalled": f"""SELECT p.id, p.title, p.org_id, p.state, p.state_entered_at, p.last_activity_at
                         FROM project p WHERE p.region_id = :r AND p.state NOT IN {FINALS} AND ({STALL})""",
        "unresolved_risks": f"""
            SELECT r.id, r.project_id, r.title, r.score, r.status, r.created_at
              FROM risk r JOIN project p ON p.id = r.project_id
             WHERE p.region_id = :r AND p.state NOT IN {FINALS} AND r.status IN ('open', 'mitigating')
             ORDER BY r.score DESC, r.created_at, r.id""",
        "pending_approvals": """
            SELECT t.id, t.project_id, t.trigger, t.requested_at, p.org_id
              FROM transition_request t JOIN project p ON p.id = t.project_id
             WHERE p.region_id = :r AND t.status = 'pending' ORDER BY t.requested_at, t.id""",
        "by_municipality": f"""
            SELECT m.id, m.name, p.state, count(p.id),
                   sum(CASE WHEN p.state NOT IN {FINALS} AND ({STALL}) THEN 1 ELSE 0 END)
              FROM municipality m LEFT JOIN organization o ON o.municipality_id = m.id
              LEFT JOIN project p ON p.org_id = o.id
             WHERE m.region_id = :r GROUP BY m.id, m.name, p.state""",
        "headline": [
            f"SELECT state, count(*) FROM project WHERE region_id = :r AND state NOT IN {FINALS} GROUP BY state",
            f"SELECT count(*) FROM project p WHERE p.region_id = :r AND p.state NOT IN {FINALS} AND ({STALL})",
            f"""SELECT count(*) FROM risk r JOIN project p ON p.id = r.project_id
                 WHERE p.region_id = :r AND p.state NOT IN {FINALS} AND r.status IN ('open', 'mitigating')
                   AND r.score >= 15""",
            """SELECT count(*) FROM transition_request t JOIN project p ON p.id = t.project_id
                WHERE p.region_id = :r AND t.status = 'pending' AND t.requested_at <= :overdue""",
            """SELECT count(CASE WHEN state_entered_at >= :jan1 THEN 1 END), count(*),
                      sum(actual_hours_saved), sum(actual_roubles)
                 FROM project WHERE region_id = :r AND state = 'closed'""",
            """SELECT sum(CASE WHEN EXISTS (SELECT 1 FROM metric m WHERE m.project_id = p.id)
                           AND NOT EXISTS (SELECT 1 FROM metric m WHERE m.project_id = p.id AND NOT COALESCE(
                               (SELECT CASE WHEN m.direction = 'decrease' THEN x.value <= m.target
                                            ELSE x.value >= m.target END
                                  FROM measurement x WHERE x.metric_id = m.id
                                 ORDER BY x.measured_on DESC, x.id DESC LIMIT 1), false))
                           THEN 1 ELSE 0 END)
                 FROM project p WHERE p.region_id = :r AND p.state = 'closed'""",
        ],
        "cumulative_flow": """
            SELECT day, state, sum(count) FROM daily_snapshot
             WHERE region_id = :r AND day >= :start AND day <= :end GROUP BY day, state""",
        "stage_times": [lead_sql, stage_sql],
        "throughput": [
            f"""SELECT {f['month']('e.at')}, count(*) FROM event e JOIN project p ON p.id = e.project_id
                 WHERE p.region_id = :r AND e.kind = 'state_changed' AND e.to_state = 'closed'
                   AND e.at >= :since GROUP BY 1""",
            f"""SELECT {f['month']('created_at')}, count(*) FROM project
                 WHERE region_id = :r AND created_at >= :since GROUP BY 1""",
        ],
    }


TS = Project.__table__.c.created_at.type  # type: ignore[attr-defined]  # UTCDateTime: the stored format


def params() -> dict[str, Any]:
    p: dict[str, Any] = {f"sla_{s}": NOW - timedelta(days=d) for s, d in SLA.items()}
    p.update(idle=NOW - timedelta(days=IDLE_DAYS), overdue=NOW - timedelta(days=4),
             jan1=datetime(NOW.year, 1, 1, tzinfo=UTC), since=datetime(2025, 12, 1, tzinfo=UTC), now=NOW)
    return p


def run_bare(session: Session, sql: str | list[str], extra: dict[str, Any] | None = None) -> Any:
    values = {"r": 1, **params(), **(extra or {})}
    out = []
    for statement in [sql] if isinstance(sql, str) else sql:
        stmt = text(statement)
        binds = [bindparam(k, type_=TS) for k, v in values.items()
                 if isinstance(v, datetime) and f":{k}" in statement]
        binds += [bindparam(k, type_=Date()) for k, v in values.items()
                  if isinstance(v, date) and not isinstance(v, datetime) and f":{k}" in statement]
        stmt = stmt.bindparams(*binds)
        out.append(session.execute(stmt, {k: v for k, v in values.items() if f":{k}" in statement}).all())
    return out


def sqlite_stage_percentiles(rows: list[list[Any]]) -> Any:
    """SQLite's bare stage_times: the same Python percentiles over the selected durations."""
    lead, stays = rows
    by: dict[str, list[float]] = {}
    for state, days in stays:
        by.setdefault(state, []).append(days)
    durations = [r[0] for r in lead]
    return ([percentile(durations, 0.5), percentile(durations, 0.85)],
            {s: (percentile(v, 0.5), percentile(v, 0.85)) for s, v in by.items()})


# --- timing -------------------------------------------------------------------------------------------

def median_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm the caches and the statement cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def sql_of(engine: Any, session: Session, fn: Callable[[], Any]) -> Callable[[], Any]:
    """The statements ``fn`` sends, captured once, as a callable that only executes them and
    fetches their rows: the engine's SQL without its Python shaping."""
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
        session.rollback()

    def replay() -> None:
        conn = session.connection()
        try:
            for statement, parameters in captured:
                conn.exec_driver_sql(statement, parameters).fetchall()
        finally:
            session.rollback()
    return replay


def bench_backend(name: str, url: str, n_projects: int, runs: int, workflows: WorkflowRegistry) -> list[tuple]:
    clock.set_clock(lambda: NOW)
    migrate(url)
    engine = make_engine(url)
    t = time.perf_counter()
    data = generate(n_projects)
    load(engine, data)
    sizes = {k: len(v) for k, v in data.rows.items()}
    print(f"\n[{name}] loaded in {time.perf_counter() - t:.1f} s: projects {sizes['project']}, "
          f"events {sizes['event']}, risks {sizes['risk']}, requests {sizes['transition_request']}, "
          f"metrics {sizes['metric']}, measurements {sizes['measurement']}")

    session = Session(engine)
    t = time.perf_counter()
    written = analytics.rebuild_missing_snapshots(session, workflows, NOW.date())
    rebuild_s = time.perf_counter() - t
    snapshot_rows = session.execute(text("SELECT count(*) FROM daily_snapshot")).scalar_one()
    print(f"[{name}] rebuild_missing_snapshots: {len(written)} days, {snapshot_rows} rows in {rebuild_s:.1f} s")
    t = time.perf_counter()
    again = analytics.rebuild_missing_snapshots(session, workflows, NOW.date())
    print(f"[{name}] rebuild_missing_snapshots again (nothing missing, rewrites {len(again)} day): "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")
    session.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # as autovacuum (PostgreSQL) or PRAGMA optimize (SQLite) would
    session = Session(engine)

    bare = bare_statements(engine.dialect.name)
    start, end = NOW.date() - timedelta(days=89), NOW.date()

    def engine_call(fn: Callable[[], Any]) -> Callable[[], Any]:
        def call() -> Any:
            try:
                return fn()
            finally:
                session.rollback()
        return call

    def bare_call(key: str, extra: dict[str, Any] | None = None,
                  shape: Callable[[Any], Any] | None = None) -> Callable[[], Any]:
        def call() -> Any:
            try:
                rows = run_bare(session, bare[key], extra)
                return shape(rows) if shape else rows
            finally:
                session.rollback()
        return call

    stage_shape = sqlite_stage_percentiles if engine.dialect.name == "sqlite" else None
    figures = FigureCache()
    cases = [
        ("tower: counts_by_state", lambda: monitoring.counts_by_state(session, region_id=1), "counts_by_state", {}),
        ("tower: stalled_projects", lambda: monitoring.stalled_projects(session, workflows, region_id=1),
         "stalled", {}),
        ("tower: unresolved_risks", lambda: monitoring.unresolved_risks(session, workflows, region_id=1),
         "unresolved_risks", {}),
        ("tower: pending_approvals", lambda: monitoring.pending_approvals(session, region_id=1),
         "pending_approvals", {}),
        ("tower: by_municipality", lambda: monitoring.by_municipality(session, workflows, 1), "by_municipality", {}),
        ("analytics.headline", lambda: analytics.headline(session, workflows, 1), "headline", {}),
        ("cumulative_flow 90 days", lambda: analytics.cumulative_flow(session, 1, start, end, workflows=workflows),
         "cumulative_flow", {"start": start, "end": end}),
        ("analytics.stage_times", lambda: analytics.stage_times(session, workflows, 1), "stage_times", {}),
        ("analytics.throughput", lambda: analytics.throughput(session, workflows, 1), "throughput", {}),
        # what the page asks for: the worst 50, the region's own flow sums, time in stage kept until a move
        ("page: stalled, worst 50", lambda: monitoring.stalled_projects(session, workflows, region_id=1, limit=50),
         "stalled_50", {}),
        ("page: risks, worst 50", lambda: monitoring.unresolved_risks(session, workflows, region_id=1, limit=50),
         "unresolved_risks_50", {}),
        ("page: flow (region sums)", lambda: analytics.cumulative_flow(session, 1, start, end, workflows=workflows),
         "cumulative_flow_region", {"start": start, "end": end}),
        ("page: stage_times kept", lambda: analytics.stage_times_cached(session, workflows, 1, None, figures),
         "stage_times", {}),
    ]
    results = []
    for label, fn, key, extra in cases:
        q = median_ms(engine_call(fn), runs)
        s = median_ms(sql_of(engine, session, fn), runs)
        b = median_ms(bare_call(key, extra, stage_shape if key == "stage_times" else None), runs)
        results.append((name, label, q, s, b))
    tower = lambda: monitoring.tower(session, workflows, 1)  # noqa: E731
    tower_b = sum(b for _, label, _, _, b in results if label.startswith("tower:"))
    results.append((name, "monitoring.tower (whole)", median_ms(engine_call(tower), runs),
                    median_ms(sql_of(engine, session, tower), runs), tower_b))
    # today's snapshot, as the scheduler records it during the day (rolled back each run)
    snap_q = median_ms(engine_call(lambda: analytics.record_snapshots(session, workflows, NOW.date())), runs)
    results.append((name, "record_snapshots (today)", snap_q, float("nan"), float("nan")))
    session.close()
    engine.dispose()
    clock.set_clock(None)
    return results


def print_table(results: list[tuple]) -> None:
    """engine: the call as the tower makes it; its SQL: the same statements replayed without
    the Python that shapes the result; bare: the hand-written SQL."""
    print(f"\n{'backend':<11} {'query':<28} {'engine ms':>10} {'its SQL ms':>10} {'bare ms':>8} "
          f"{'engine/bare':>11} {'SQL/bare':>8}")

    def cell(x: float, width: int, fmt: str = ".1f") -> str:
        return " " * width if math.isnan(x) else f"{x:{width}{fmt}}"
    for backend, label, q, s, b in results:
        print(f"{backend:<11} {label:<28} {q:10.1f} {cell(s, 10)} {cell(b, 8)} "
              f"{cell(q / b, 11, '.2f')} {cell(s / b, 8, '.2f')}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--projects", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    workflows = load_dir(REPO_ROOT / "workflows")
    results: list[tuple] = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="ls_bench_") as tmp:
            results += bench_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.projects, args.runs,
                                     workflows)
    if args.backend in ("postgresql", "both"):
        with pg_database("ls_bench") as url:
            results += bench_backend("postgresql", url, args.projects, args.runs, workflows)
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
