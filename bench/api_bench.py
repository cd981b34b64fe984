"""Server-side latency of the JSON API on the demo region (a script, not a test).

Loads the demo dataset (engine/demo/: Oryol oblast, ~60 organisations, ~150 projects in
every stage) into a fresh SQLite file (or PostgreSQL with --pg), then, with Flask's test
client in this one process (server time: routing, auth, services, SQL, JSON), times

  GET  /api/v1/projects/<id>               as the region's curator, over all projects
  POST /api/v1/projects/<id>/transitions   as a head: to_target and back_to_diagnose in turn
                                           (on fresh projects of the head's school with
                                           their diagnosis done, so every move is real)
  GET  /api/v1/regions/<id>/tower          as the curator

and prints median and p95 in ms against the targets (median: 10, 10 and 50 ms).
Without engine/demo/ (or with --own-data) it builds a comparable region itself
through the engine's services.

    .venv/bin/python bench/api_bench.py [-n 300] [--pg] [--own-data] [--profile get|move|tower]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_db import PG_BASE, pg_database  # noqa: E402  (bench/, beside this script)
from sqlalchemy import select, text  # noqa: E402

from engine import clock  # noqa: E402
from engine.db import REPO_ROOT, Store, migrate  # noqa: E402
from engine.models import Organization, Project, Region, RoleGrant, User  # noqa: E402
from engine.policy import SYSTEM  # noqa: E402
from engine.services import admin as admin_svc  # noqa: E402
from engine.services import items as item_svc  # noqa: E402
from engine.services import projects as project_svc  # noqa: E402
from engine.services.common import load_actor  # noqa: E402
from engine.workflow import load_dir  # noqa: E402

TARGETS_MS = {"GET project": 10.0, "POST transition": 10.0, "GET tower": 50.0}


# --- the dataset -------------------------------------------------------------------------------

def load_dataset(store: Store, own: bool) -> str:
    """Fill the database; returns how it was made."""
    if not own:
        try:
            from engine.demo import load
        except ImportError:
            own = True
        else:
            load(store, echo=lambda _msg: None)
            return "engine.demo.load (the demo region)"
    own_dataset(store)
    return "bench's own generator (engine services)"


def own_dataset(store: Store, n_orgs: int = 60, n_projects: int = 150, seed: int = 57) -> None:
    """~60 organisations, ~150 projects spread over all stages, built through the services."""
    rng = random.Random(seed)
    password_hash = admin_svc.hash_password("bench-password")
    real_hash = admin_svc.hash_password
    admin_svc.hash_password = lambda _pw: password_hash  # one scrypt for all the accounts
    start = datetime.now(UTC) - timedelta(days=200)
    moment = [start]
    clock.set_clock(lambda: moment[0])
    try:
        with store.uow() as uow:
            region = admin_svc.create_region(uow, SYSTEM, {"name": "Орловская область", "code": "57"})
        muns = []
        for i in range(6):
            with store.uow() as uow:
                muns.append(admin_svc.create_municipality(uow, SYSTEM, {"region_id": region.id,
                                                                        "name": f"Район {i + 1}"}))
        orgs, heads, members = [], {}, {}
        for i in range(n_orgs):
            with store.uow() as uow:
                org = admin_svc.create_organization(uow, SYSTEM, {
                    "municipality_id": muns[i % len(muns)].id, "name": f"МБОУ СОШ №{i + 1}",
                    "kind": rng.choice(["school", "school", "kindergarten", "college"])})
            orgs.append(org)
            for role, into in (("head", heads), ("member", members)):
                with store.uow() as uow:
                    user = admin_svc.create_user(uow, SYSTEM, {
                        "email": f"{role}{i + 1}@bench.ru", "name": f"{role} {i}", "password": "bench-password",
                        "role": role, "org_id": org.id})
                    into[org.id] = load_actor(uow.session, user.id)  # type: ignore[arg-type]
        with store.uow() as uow:
            admin_svc.create_user(uow, SYSTEM, {"email": "curator@bench.ru", "name": "Куратор",
                                                "password": "bench-password", "role": "curator",
                                                "region_id": region.id})
        path = ["to_target", "to_implement", "to_standardise", "to_sustain", "close"]
        for n in range(n_projects):
            moment[0] = start + timedelta(days=rng.uniform(0, 150))
            org = orgs[n % len(orgs)]
            member, head = members[org.id], heads[org.id]
            with store.uow() as uow:
                p = project_svc.create_project(uow, member, {"org_id": org.id, "title": f"Оптимизация процесса {n}",
                                                             "problem": "Очереди", "goal": "Быстрее"})
            stages = rng.choice([0, 0, 1, 1, 2, 2, 3, 4, 5])
            _evidence(store, member, p.id, rng)
            for trigger in path[:stages]:
                moment[0] += timedelta(days=rng.uniform(5, 20))
                with store.uow() as uow:
                    project_svc.request_transition(uow, head, p.id, {
                        "trigger": trigger, "version": uow.session.get(Project, p.id).version})  # type: ignore[union-attr]
            if stages < 5 and rng.random() < 0.2:
                with store.uow() as uow:
                    project_svc.request_transition(uow, member, p.id, {
                        "trigger": "cancel", "version": uow.session.get(Project, p.id).version,  # type: ignore[union-attr]
                        "comment": "Нет ресурсов"})
    finally:
        clock.set_clock(None)
        admin_svc.hash_password = real_hash


def _evidence(store: Store, who: Any, pid: int, rng: random.Random) -> None:
    """Everything every gate needs, so the head can move the project all the way."""
    day = clock.today()
    with store.uow() as uow:
        for kind in ("current_state_map", "target_state_map", "standard", "report"):
            item_svc.add_artefact(uow, who, pid, {"kind": kind, "title": kind})
    with store.uow() as uow:
        item_svc.add_problem(uow, who, pid, {"description": "Ожидание", "waste": "waiting"})
    with store.uow() as uow:
        m = item_svc.add_metric(uow, who, pid, {"name": "ВПП", "unit": "мин", "direction": "decrease",
                                                "baseline": 60, "target": 30})
    with store.uow() as uow:
        item_svc.add_action(uow, who, pid, {"title": "Шаг", "due_on": day.isoformat()})
    with store.uow() as uow:
        item_svc.log_risk(uow, who, pid, {"title": "Риск", "probability": rng.randint(1, 5),
                                          "impact": rng.randint(1, 2)})
    # a result dated far ahead of every move (measured_on may not be in the future: keep today)
    with store.uow() as uow:
        item_svc.record_measurement(uow, who, m.id, {"value": 25, "measured_on": day.isoformat()})
    from engine.models import Action
    with store.uow() as uow:
        for a in uow.session.execute(select(Action).where(Action.project_id == pid)).scalars():
            item_svc.update_action(uow, who, a.id, {"status": "done"})  # type: ignore[arg-type]


# --- timing -------------------------------------------------------------------------------------

def measure(label: str, n: int, call: Callable[[int], Any], warmup: int = 10) -> dict[str, float]:
    for i in range(warmup):
        call(i)
    times, cpu = [], []
    for i in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        call(i)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    times.sort()
    return {"n": n, "median": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))],
            "max": times[-1], "cpu": statistics.median(cpu)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=300, help="requests per endpoint (at least 200 is meaningful)")
    ap.add_argument("--pg", action="store_true", help=f"PostgreSQL (a fresh database at {PG_BASE})")
    ap.add_argument("--own-data", action="store_true", help="do not use engine/demo/")
    ap.add_argument("--profile", choices=["get", "move", "tower"], help="cProfile one endpoint and print the top")
    args = ap.parse_args(argv)

    if args.pg:
        with pg_database("ls_api_bench") as url:
            return run(args, url)
    return run(args, f"sqlite:///{tempfile.mkdtemp(prefix='ls-api-bench-')}/bench.db")


def run(args: argparse.Namespace, url: str) -> int:
    from webui import create_app

    t0 = time.perf_counter()
    migrate(url)
    store = Store(url, load_dir(REPO_ROOT / "workflows"))
    how = load_dataset(store, args.own_data)
    print(f"dataset: {how}, built in {time.perf_counter() - t0:.0f} s on {store.dialect}")

    with store.uow() as uow:
        s = uow.session
        region_id = s.execute(select(Region.id).order_by(Region.id)).scalars().first()
        curator_id = s.execute(select(RoleGrant.user_id).where(RoleGrant.role == "curator",
                                                               RoleGrant.region_id == region_id)).scalars().first()
        # the head of the school with the most projects
        head_id, org_id = s.execute(
            select(RoleGrant.user_id, RoleGrant.org_id).join(Project, Project.org_id == RoleGrant.org_id)
            .where(RoleGrant.role == "head").group_by(RoleGrant.user_id, RoleGrant.org_id)
            .order_by(text("count(*) DESC"), RoleGrant.user_id)).first()
        project_ids = list(s.execute(select(Project.id).where(Project.region_id == region_id)
                                     .order_by(Project.id)).scalars())
        n_orgs = len(s.execute(select(Organization.id).where(Organization.region_id == region_id)).all())
        emails = {uid: s.get(User, uid).email for uid in (curator_id, head_id)}  # type: ignore[union-attr]
        head = load_actor(s, head_id)
    with store.uow() as uow:
        curator_token = admin_svc.create_token(uow, SYSTEM, emails[curator_id])
    with store.uow() as uow:
        head_token = admin_svc.create_token(uow, SYSTEM, emails[head_id])
    print(f"region {region_id}: {n_orgs} organisations, {len(project_ids)} projects; "
          f"curator {emails[curator_id]}, head {emails[head_id]}")

    # fresh projects of the head's school, diagnosis done: to_target / back_to_diagnose in turn
    moving = []
    for i in range(10):
        with store.uow() as uow:
            p = project_svc.create_project(uow, head, {"org_id": org_id, "title": f"Бенчмарк {i}",
                                                       "problem": "П", "goal": "Ц"})
        _evidence(store, head, p.id, random.Random(i))  # type: ignore[arg-type]
        moving.append(p.id)
    store.dispose()

    app = create_app({"DATABASE_URL": url, "AUTO_MIGRATE": False, "SECRET_KEY": "bench"})
    client = app.test_client(use_cookies=False)
    cur = {"Authorization": f"Bearer {curator_token}"}
    hd = {"Authorization": f"Bearer {head_token}"}
    versions = {pid: 1 for pid in moving}

    def get_project(i: int) -> None:
        r = client.get(f"/api/v1/projects/{project_ids[i % len(project_ids)]}", headers=cur)
        assert r.status_code == 200, r.get_json()

    def move(i: int) -> None:
        pid = moving[(i // 2) % len(moving)]
        state_is_diagnose = versions[pid] % 2 == 1  # version 1: diagnose; each move adds one
        body = ({"trigger": "to_target", "version": versions[pid]} if state_is_diagnose else
                {"trigger": "back_to_diagnose", "version": versions[pid], "comment": "Ещё раз"})
        r = client.post(f"/api/v1/projects/{pid}/transitions", json=body, headers=hd)
        assert r.status_code == 200, r.get_json()
        versions[pid] = r.get_json()["project"]["version"]

    def tower(_i: int) -> None:
        r = client.get(f"/api/v1/regions/{region_id}/tower", headers=cur)
        assert r.status_code == 200, r.get_json()

    calls = {"get": ("GET project", get_project), "move": ("POST transition", move), "tower": ("GET tower", tower)}
    if args.profile:
        import cProfile
        import pstats
        label, fn = calls[args.profile]
        prof = cProfile.Profile()
        prof.enable()
        for i in range(args.n):
            fn(i)
        prof.disable()
        pstats.Stats(prof).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(40)
        return 0

    results = {label: measure(label, args.n, fn) for label, fn in calls.values()}
    load = os.getloadavg()[0]
    print(f"\nload average {load:.1f} on {os.cpu_count()} CPUs (wall time suffers when it exceeds them; "
          f"'cpu' is this process's own CPU time per request, median)")
    print(f"{'endpoint':<18}{'n':>6}{'median ms':>12}{'p95 ms':>10}{'max ms':>10}{'cpu ms':>9}{'target':>9}")
    ok = True
    for label, r in results.items():
        target = TARGETS_MS[label]
        verdict = "ok" if r["median"] < target else "MISSED"
        ok &= r["median"] < target
        print(f"{label:<18}{r['n']:>6}{r['median']:>12.2f}{r['p95']:>10.2f}{r['max']:>10.2f}{r['cpu']:>9.2f}"
              f"{target:>9.0f}  {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
