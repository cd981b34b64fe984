"""Benchmark of one stall scan (engine.jobs.scheduler.stall_scan) over 100,000 projects.

A script, not a test. It builds a fresh migrated SQLite file and a fresh PostgreSQL
database (benchmark data only, bulk INSERTs): 600 organisations with a head and a member
each, 100,000 projects (80% in an active stage, 20% closed or cancelled), of which ~5%
have just crossed their SLA or idle limit and ~3% are in a stall episode recorded
earlier (stalled_since set). Then it times, on the engine's clock:

- the scan that finds the ~5% newly stalled (each gets one event and two notifications),
  run several times, the marks undone between runs;
- the scan that finds none (the next run, 15 minutes later), several times;

and prints the median and the range of each.

    .venv/bin/python bench/stall_scan_bench.py                   # both backends
    .venv/bin/python bench/stall_scan_bench.py --backend sqlite --projects 20000 --runs 3
    LEANSCHOOL_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432 ...
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, func, insert, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_db import pg_database  # noqa: E402  (bench/, beside this script)

from engine import clock
from engine.db import REPO_ROOT, Store, migrate  # noqa: E402
from engine.jobs import scheduler  # noqa: E402
from engine.models import (  # noqa: E402
    Event,
    Municipality,
    Notification,
    Organization,
    Project,
    Region,
    RoleGrant,
    User,
)
from engine.workflow import load_dir  # noqa: E402

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
STAGES = ["diagnose", "target", "implement", "standardise", "sustain"]
SLA = {"diagnose": 45, "target": 30, "implement": 60, "standardise": 30, "sustain": 90}  # psr.yaml
IDLE_DAYS = 14
N_MUN, N_ORG = 27, 600


def generate(n_projects: int, newly_share: float, ongoing_share: float,
             seed: int = 57) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(seed)
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in
                                            ("region", "municipality", "organization", "user", "role_grant",
                                             "project")}
    rows["region"].append({"id": 1, "name": "Орловская область", "code": "57"})
    for m in range(1, N_MUN + 1):
        rows["municipality"].append({"id": m, "region_id": 1, "name": f"Район {m}", "kind": "district"})
    for o in range(1, N_ORG + 1):
        rows["organization"].append({"id": o, "municipality_id": 1 + o % N_MUN, "region_id": 1,
                                     "name": f"Организация {o}", "kind": "school"})
        for uid, role in ((2 * o - 1, "head"), (2 * o, "member")):
            rows["user"].append({"id": uid, "email": f"u{uid}@bench.ru", "name": f"u{uid}", "password_hash": "",
                                 "locale": "ru", "is_active": True, "created_at": NOW - timedelta(days=400)})
            rows["role_grant"].append({"id": uid, "user_id": uid, "role": role, "org_id": o, "region_id": None})
    for pid in range(1, n_projects + 1):
        org = rng.randint(1, N_ORG)
        roll = rng.random()
        if roll < 0.2:
            state = rng.choice(["closed", "cancelled"])
            entered = NOW - timedelta(days=rng.uniform(30, 400))
            activity, since = entered, None
        else:
            state = rng.choice(STAGES)
            if roll < 0.2 + newly_share + ongoing_share:
                # over the SLA, or idle, or both
                kind = rng.choice(["sla", "idle", "both"])
                entered = NOW - timedelta(days=(SLA[state] + rng.uniform(0.1, 30)) if kind != "idle"
                                          else rng.uniform(0, SLA[state] - 1))
                activity = (NOW - timedelta(days=IDLE_DAYS + rng.uniform(0.1, 20)) if kind != "sla"
                            else NOW - timedelta(days=rng.uniform(0, IDLE_DAYS - 1)))
                activity = max(activity, entered) if kind == "sla" else min(activity, NOW)
                if kind != "sla":
                    entered = min(entered, activity)
                ongoing = roll >= 0.2 + newly_share
                since = NOW - timedelta(days=rng.uniform(1, 10)) if ongoing else None
            else:  # working normally
                entered = NOW - timedelta(days=rng.uniform(0, SLA[state] - 1))
                activity = NOW - timedelta(days=rng.uniform(0, min(IDLE_DAYS - 1, (NOW - entered).days)))
                since = None
        created = entered - timedelta(days=rng.uniform(0, 100))
        rows["project"].append({
            "id": pid, "org_id": org, "region_id": 1, "workflow_id": "psr", "workflow_version": 1,
            "reg_number": f"57-{pid:06d}", "title": f"Оптимизация процесса {pid}", "problem": "", "goal": "",
            "milestones": {}, "state": state, "state_entered_at": entered, "last_activity_at": activity,
            "version": 1, "created_at": created, "created_by": 2 * org, "leader_id": 2 * org,
            "stalled_since": since})
    return rows


TABLES = [(Region, "region"), (Municipality, "municipality"), (Organization, "organization"), (User, "user"),
          (RoleGrant, "role_grant"), (Project, "project")]


def load(engine: Any, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Plain INSERTs in batches (benchmark data only), then the planner's statistics."""
    with engine.begin() as conn:
        for model, name in TABLES:
            batch = rows[name]
            for i in range(0, len(batch), 5000):
                conn.execute(insert(model.__table__), batch[i:i + 5000])  # type: ignore[attr-defined]
        if engine.dialect.name == "postgresql":
            for _, name in TABLES:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                                  f"(SELECT max(id) FROM \"{name}\"))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def undo_scan(store: Store, marked_at: datetime) -> None:
    """Forget what a scan recorded, so the next run finds the same projects newly stalled."""
    with store.uow() as uow:
        uow.session.execute(delete(Notification).where(Notification.at == marked_at))
        uow.session.execute(delete(Event).where(Event.kind == "stalled", Event.at == marked_at))
        uow.session.execute(update(Project).where(Project.stalled_since == marked_at)  # type: ignore[arg-type]
                            .values(stalled_since=None))
        uow.commit()


def bench(url: str, n_projects: int, runs: int) -> dict[str, Any]:
    migrate(url)
    rows = generate(n_projects, newly_share=0.05, ongoing_share=0.03)
    eng = create_engine(url)
    t_load, _ = timed(lambda: load(eng, rows))
    eng.dispose()
    store = Store(url, load_dir(REPO_ROOT / "workflows"))
    try:
        with store.uow() as uow:
            ongoing = uow.session.execute(select(func.count()).select_from(Project)
                                          .where(Project.stalled_since.is_not(None))).scalar_one()  # type: ignore[union-attr]
        newly_times, none_times, found = [], [], None
        for run in range(runs):
            at = NOW + timedelta(seconds=run)
            clock.set_clock(lambda at=at: at)
            t, result = timed(lambda: scheduler.stall_scan(store))
            newly_times.append(t)
            found = result
            later = at + timedelta(minutes=15)
            clock.set_clock(lambda later=later: later)
            t, again = timed(lambda: scheduler.stall_scan(store))
            assert again == {"stalled": 0, "cleared": 0, "notified": 0}, again
            none_times.append(t)
            if run < runs - 1:
                undo_scan(store, at)
        with store.uow() as uow:
            events = uow.session.execute(select(func.count()).select_from(Event)).scalar_one()
            notes = uow.session.execute(select(func.count()).select_from(Notification)).scalar_one()
    finally:
        clock.set_clock(None)
        store.dispose()
    return {"load_s": t_load, "newly": newly_times, "none": none_times, "found": found,
            "ongoing": ongoing, "events": events, "notifications": notes}


def report(backend: str, n_projects: int, r: dict[str, Any]) -> None:
    def fmt(ts: list[float]) -> str:
        return (f"median {statistics.median(ts) * 1000:8.1f} ms  "
                f"(min {min(ts) * 1000:.1f}, max {max(ts) * 1000:.1f}, n={len(ts)})")

    f = r["found"]
    print(f"\n{backend}: {n_projects:,} projects (loaded in {r['load_s']:.1f} s); "
          f"{r['ongoing']:,} in an episode recorded earlier")
    print(f"  scan, {f['stalled']:,} newly stalled ({f['notified']:,} notifications): {fmt(r['newly'])}")
    print(f"  scan, none newly stalled:                      {fmt(r['none'])}")
    print(f"  after the last run: {r['events']:,} stalled events, {r['notifications']:,} notifications")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            report("SQLite", args.projects, bench(f"sqlite:///{Path(tmp) / 'bench.db'}", args.projects, args.runs))
    if args.backend in ("postgresql", "both"):
        with pg_database("ls_bench_stall") as url:
            report("PostgreSQL", args.projects, bench(url, args.projects, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
