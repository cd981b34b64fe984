"""National scale (issue #16 item 3): one region's pages in a database of many regions,
beside the same pages in a one-region database, and the jobs that run over all regions.

A script, not a test. Give it databases built by `leanschool demo --scale N [--regions R]`
(PostgreSQL or SQLite), e.g. the national one (85 regions x 10,000 projects) and a one-region
one (--scale 10000). In one sitting, for each database, it signs in (the demo password) as a
region's curator and a head of its busiest school and times, server side (Flask's test client
in this process):

  GET /tower (page), GET /api/v1/regions/<id>/tower?limit=50          as the curator
  GET /board (the head's school), GET /projects/<id> (page)          as the head
  POST /api/v1/projects/<id>/transitions (to_target / back in turn)  as the head, on fresh
                                                                     projects it adds first

With --jobs, over the whole database: the stall scan (the first run marks every stalled
project of every region; the next, 15 minutes later, finds none new) and the daily snapshot
job (tomorrow: yesterday from the log, today from the day before), each timed once. These
WRITE to the database (stall marks, events, notifications, snapshots): bench databases only.

    .venv/bin/python bench/national_bench.py URL [URL ...] [--region K] [--runs 30] [--jobs]

Targets: one region's tower page < 100 ms on PostgreSQL (150 on SQLite); board, project page
and move as fast as in a one-region database; stall scan over all < 10 s; the daily snapshot
< 60 s. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _pick(store: Any, region: int | None) -> dict[str, Any]:
    """The region (the K-th by id, else the last), its curator and the head of its busiest school."""
    from sqlalchemy import func, select

    from engine.models import Project, Region, RoleGrant, User
    with store.uow() as uow:
        s = uow.session
        ids = list(s.execute(select(Region.id).order_by(Region.id)).scalars())
        region_id = ids[min(region, len(ids)) - 1] if region else ids[-1]
        curator = s.execute(select(User.email).join(RoleGrant, RoleGrant.user_id == User.id).where(
            RoleGrant.role == "curator", RoleGrant.region_id == region_id,
            RoleGrant.municipality_id.is_(None))).scalars().first()
        busiest = s.execute(select(Project.org_id).where(Project.region_id == region_id)
                            .group_by(Project.org_id).order_by(func.count().desc(), Project.org_id)).scalars().first()
        head_id, head = s.execute(select(User.id, User.email).join(RoleGrant, RoleGrant.user_id == User.id).where(
            RoleGrant.role == "head", RoleGrant.org_id == busiest)).first()  # type: ignore[misc]
        project_id = s.execute(select(Project.id).where(Project.org_id == busiest)
                               .order_by(Project.id)).scalars().first()
        n_regions = len(ids)
        n_projects = s.execute(select(func.count()).select_from(Project)).scalar_one()
        in_region = s.execute(select(func.count()).select_from(Project)
                              .where(Project.region_id == region_id)).scalar_one()
    return {"region_id": region_id, "curator": curator, "head": head, "head_id": head_id, "org_id": busiest,
            "project_id": project_id, "regions": n_regions, "projects": n_projects, "in_region": in_region}


def _signed_in(app: Any, email: str, password: str) -> Any:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 302, (email, r.status_code)
    return client


def pages(url: str, region: int | None, runs: int) -> None:
    from api_bench import _evidence, measure

    from engine.db import REPO_ROOT, Store
    from engine.demo.content import content
    from engine.policy import SYSTEM
    from engine.services import admin as admin_svc
    from engine.services import load_actor
    from engine.services import projects as project_svc
    from engine.workflow import load_dir
    from webui import create_app

    store = Store(url, load_dir(REPO_ROOT / "workflows"))
    who = _pick(store, region)
    print(f"\n[{store.dialect}: {url.rsplit('/', 1)[-1]}] {who['regions']} region(s), {who['projects']} projects; "
          f"region {who['region_id']} ({who['in_region']} projects), curator {who['curator']}, "
          f"head {who['head']}", flush=True)
    with store.uow() as uow:
        head = load_actor(uow.session, who["head_id"])
    moving = []
    for i in range(6):
        with store.uow() as uow:
            p = project_svc.create_project(uow, head, {"org_id": who["org_id"], "title": f"Замер {i}",
                                                       "problem": "П", "goal": "Ц"})
        _evidence(store, head, p.id, random.Random(i))  # type: ignore[arg-type]
        moving.append(p.id)
    with store.uow() as uow:
        head_token = admin_svc.create_token(uow, SYSTEM, who["head"])
    store.dispose()

    app = create_app({"DATABASE_URL": url, "AUTO_MIGRATE": False, "SECRET_KEY": "bench", "TESTING": False})
    password = content().region.password
    curator, head_client = _signed_in(app, who["curator"], password), _signed_in(app, who["head"], password)
    api = app.test_client(use_cookies=False)
    hd = {"Authorization": f"Bearer {head_token}"}
    versions = dict.fromkeys(moving, 1)

    def get(client: Any, path: str, headers: dict[str, str] | None = None) -> Any:
        def call(_i: int) -> None:
            r = client.get(path, headers=headers or {})
            assert r.status_code == 200, (path, r.status_code)
        return call

    def move(i: int) -> None:
        pid = moving[(i // 2) % len(moving)]
        body = ({"trigger": "to_target", "version": versions[pid]} if versions[pid] % 2 == 1 else
                {"trigger": "back_to_diagnose", "version": versions[pid], "comment": "Ещё раз"})
        r = api.post(f"/api/v1/projects/{pid}/transitions", json=body, headers=hd)
        assert r.status_code == 200, r.get_json()
        versions[pid] = r.get_json()["project"]["version"]

    tower_api, project_page = f"/api/v1/regions/{who['region_id']}/tower?limit=50", f"/projects/{who['project_id']}"
    print(f"  {'request':44} {'median ms':>10} {'p95 ms':>8}")
    for label, call in [("GET /tower (page, curator)", get(curator, "/tower")),
                        (f"GET {tower_api}", get(curator, tower_api)),
                        ("GET /board (head's school)", get(head_client, "/board")),
                        (f"GET {project_page} (page, head)", get(head_client, project_page)),
                        ("POST transition (head, API)", move)]:
        m = measure(label, runs, call, warmup=3)
        print(f"  {label:44} {m['median']:10.1f} {m['p95']:8.1f}", flush=True)


def jobs(url: str) -> None:
    from engine import clock
    from engine.db import REPO_ROOT, Store
    from engine.jobs import scheduler
    from engine.workflow import load_dir

    store = Store(url, load_dir(REPO_ROOT / "workflows"))
    print(f"  jobs over the whole database ({store.dialect}):", flush=True)
    from engine.reporting import analytics

    def daily_snapshot(_store: Any) -> dict[str, int]:
        """What the snapshot job does on a day of a running installation: the day before again
        (from the whole log: it may have been recorded before it ended) and the new day (from
        the day before). (The job itself would first fill every day missing since the first
        project: a national demo keeps only the last 90 days.)"""
        today = clock.today()
        with store.uow() as uow:
            days = analytics.rebuild_missing_snapshots(uow.session, store.workflows, today,
                                                       since=today - timedelta(days=1))
        return {"days": len(days)}

    now = clock.now()
    for label, at, job in [("stall scan, first run (marks every stalled project)", now, scheduler.JOBS["stall_scan"]),
                           ("stall scan, 15 minutes later (none new)", now + timedelta(minutes=15),
                            scheduler.JOBS["stall_scan"]),
                           ("daily snapshot, the next day", now + timedelta(days=1), daily_snapshot)]:
        previous = clock.set_clock(lambda at=at: at)
        try:
            t = time.perf_counter()
            result = job(store)
            print(f"    {label:52} {time.perf_counter() - t:8.1f} s  {result}", flush=True)
        finally:
            clock.set_clock(previous)
    store.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("urls", nargs="+", metavar="URL")
    ap.add_argument("--region", type=int, default=None, help="the K-th region by id (default: the last)")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--jobs", action="store_true", help="also time the stall scan and the snapshot job (writes)")
    args = ap.parse_args()
    for url in args.urls:
        pages(url, args.region, args.runs)
        if args.jobs:
            jobs(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
