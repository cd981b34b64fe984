"""Benchmark of the control tower PAGE on a region of 10,000 projects, and the web
process's memory.

A script, not a test. It builds the region of bench/tower_queries_bench.py (bulk
INSERTs: ~10,000 projects, ~200,000 events, ~30,000 risks, a year of daily snapshots)
in a fresh SQLite file and a fresh PostgreSQL database, adds a curator, then starts a
NEW Python process that only does what the web process does: ``create_app``, sign in,
GET /tower (and the tower API, the regional summary, the XLSX export) through the Flask test client. That
process prints the server time of each (median and p95) and its resident memory
(VmRSS now, VmHWM the peak) read from /proc, so the figures are the web process's own,
not the generator's.

    .venv/bin/python bench/tower_page_bench.py                     # both backends
    .venv/bin/python bench/tower_page_bench.py --backend sqlite --runs 30
    # a database built by `leanschool demo --scale 10000 [--regions R]` (the realistic shape):
    .venv/bin/python bench/tower_page_bench.py --existing URL --curator curator.s10000@demo.leanschool.ru

Targets (issue 5): /tower median < 150 ms on SQLite, < 100 ms on PostgreSQL; the web
process under 200 MB resident. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CURATOR = "curator@bench.ru"
PASSWORD = "bench-2026"


def build(url: str, n_projects: int) -> None:
    """The benchmark region at ``url`` (migrated), its snapshots, and a curator of it."""
    import tower_queries_bench as tq
    from sqlalchemy import insert, text
    from sqlmodel import Session

    from engine import clock
    from engine.db import REPO_ROOT, make_engine, migrate
    from engine.models import RoleGrant, User
    from engine.reporting import analytics
    from engine.services.admin import hash_password
    from engine.workflow import load_dir

    clock.set_clock(lambda: tq.NOW)
    migrate(url)
    engine = make_engine(url)
    t = time.perf_counter()
    data = tq.generate(n_projects)
    tq.load(engine, data)
    with engine.begin() as conn:
        uid = len(data.rows["user"]) + 1
        conn.execute(insert(User.__table__), [{"id": uid, "email": CURATOR, "name": "Куратор",  # type: ignore[attr-defined]
                                               "password_hash": hash_password(PASSWORD), "locale": "ru",
                                               "is_active": True, "created_at": tq.NOW - timedelta(days=400)}])
        conn.execute(insert(RoleGrant.__table__), [{"user_id": uid, "role": "curator", "region_id": 1}])  # type: ignore[attr-defined]
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), "
                              "(SELECT max(id) FROM \"user\"))"))
    with Session(engine) as session:
        analytics.rebuild_missing_snapshots(session, load_dir(REPO_ROOT / "workflows"), tq.NOW.date())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # as autovacuum leaves a loaded table (this machine's PostgreSQL runs without it): the
        # statistics, and the visibility map that lets index-only scans skip the heap
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()
    print(f"  built {n_projects} projects, {len(data.rows['event'])} events, {len(data.rows['risk'])} risks "
          f"in {time.perf_counter() - t:.1f} s", flush=True)


def memory() -> dict[str, float]:
    """This process's resident memory in MB, from /proc/self/status."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def serve_and_time(url: str, runs: int, curator: str = CURATOR, password: str = PASSWORD,
                   frozen: bool = True) -> None:
    """The web process: what it costs to answer the tower (run in a fresh interpreter).
    ``frozen``: at the bench region's moment (a demo database: now)."""
    import tower_queries_bench as tq

    from engine import clock
    from webui import create_app

    if frozen:
        clock.set_clock(lambda: tq.NOW)
    before = memory()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": False, "AUTO_MIGRATE": False})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"email": curator, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.status_code
    store = app.extensions["leanschool"]
    from sqlalchemy import select

    from engine.models import RoleGrant, User
    from engine.policy import SYSTEM
    from engine.services.admin import create_token
    with store.uow() as uow:
        api_token = create_token(uow, SYSTEM, curator)
        region = uow.session.execute(select(RoleGrant.region_id).join(User, User.id == RoleGrant.user_id)
                                     .where(User.email == curator, RoleGrant.role == "curator")).scalar()
        uow.commit()
    api = {"Authorization": f"Bearer {api_token}"}
    print(f"  region {region}; {'request':34} {'median ms':>10} {'p95 ms':>8} {'bytes':>9}")
    for label, path, headers, n in [("GET /tower (page)", "/tower", {}, runs),
                                    (f"GET /api/v1/regions/{region}/tower", f"/api/v1/regions/{region}/tower", api,
                                     runs),
                                    (f"GET /api/v1/regions/{region}/tower?limit=50",
                                     f"/api/v1/regions/{region}/tower?limit=50", api, runs),
                                    ("GET /tower/summary.xlsx (report)", "/tower/summary.xlsx", {}, max(3, runs // 5)),
                                    ("GET /tower.xlsx (export)", "/tower.xlsx", {}, max(3, runs // 10))]:
        samples, size = [], 0
        for i in range(n + 2):
            t = time.perf_counter()
            r = client.get(path, headers=headers)
            if i >= 2:  # two warm-up requests
                samples.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (path, r.status_code)
            size = len(r.get_data())
        samples.sort()
        print(f"  {label:34} {statistics.median(samples):10.1f} {samples[max(0, int(len(samples) * 0.95) - 1)]:8.1f} "
              f"{size:9d}", flush=True)
    after = memory()
    print(f"  web process memory: {before['VmRSS']:.0f} MB before create_app, {after['VmRSS']:.0f} MB resident "
          f"after the requests, peak {after['VmHWM']:.0f} MB (target < 200 MB)", flush=True)


def run_backend(name: str, url: str, n_projects: int, runs: int) -> None:
    print(f"\n[{name}]", flush=True)
    build(url, n_projects)
    subprocess.run([sys.executable, __file__, "--serve", url, "--runs", str(runs)], check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--projects", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--serve", metavar="URL", help=argparse.SUPPRESS)  # the child process
    ap.add_argument("--existing", metavar="URL", help="time the tower of a database built already "
                    "(leanschool demo --scale N [--regions R]), at the real clock")
    ap.add_argument("--curator", default=CURATOR, help="with --existing: the curator to sign in as")
    ap.add_argument("--password", default=None, help="with --existing: their password (the demo's by default)")
    args = ap.parse_args()
    if args.serve:
        serve_and_time(args.serve, args.runs)
        return 0
    if args.existing:
        from engine.demo.content import content
        print(f"\n[{args.existing.split('://')[0]}: {args.curator}]", flush=True)
        serve_and_time(args.existing, args.runs, args.curator, args.password or content().region.password,
                       frozen=False)
        return 0
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="ls_page_bench_") as tmp:
            run_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.projects, args.runs)
    if args.backend in ("postgresql", "both"):
        from bench_db import pg_database
        with pg_database("ls_page_bench") as url:
            run_backend("postgresql", url, args.projects, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
