"""Benchmark of the programme tower (issue #13): a programme of 600 participants with two
readiness rounds answered and 10,000 projects in the region.

A script, not a test. It builds a fresh migrated SQLite file and a fresh PostgreSQL
database (benchmark data only, bulk INSERTs), then times
``engine.programme.tower.programme_tower`` (the read model behind
``GET /api/v1/programmes/<id>/tower``) for the region's curator and for a municipal
curator, and prints the median and the 95th percentile of a number of runs, and the
number of SQL statements one tower runs (constant: set-based, no per-organisation query).
Targets: under 150 ms on SQLite, under 100 ms on PostgreSQL.

    .venv/bin/python bench/programme_bench.py                   # both backends
    .venv/bin/python bench/programme_bench.py --backend sqlite --runs 20
    LEANSCHOOL_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432 ...
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_db import pg_database  # bench/, beside this script
from sqlalchemy import event, insert, text

from engine import clock
from engine.db import REPO_ROOT, Store, migrate
from engine.models import (
    InitiativeMember,
    Municipality,
    Organization,
    Participant,
    PlanItem,
    Practice,
    Programme,
    ProgrammeStage,
    Project,
    ReadinessAnswer,
    ReadinessRound,
    Region,
    RoleGrant,
    StageTask,
    User,
    WorkPlan,
)
from engine.policy import Actor
from engine.programme.questionnaire import get as questionnaire
from engine.programme.tower import programme_tower
from engine.services.common import load_actor
from engine.workflow import load_dir

NOW = datetime(2021, 6, 15, 9, 0, tzinfo=UTC)
STATES = ["diagnose", "target", "implement", "standardise", "sustain", "closed", "cancelled"]
WEIGHTS = [25, 18, 20, 10, 10, 12, 5]
NEEDS = ["Курсы повышения квалификации", "Консультации наставника", "Методические материалы",
         "Стажировка в пилотной школе", "Вебинары", "Обмен опытом с другими школами"]
DEFICITS = ["Знания инструментов бережливого производства", "Время на проектную работу", "Финансирование",
            "Мотивация педагогов", "Методические материалы", "Опыт картирования процессов"]


def build(url: str, participants: int, projects: int, seed: int = 57) -> tuple[int, int, int]:
    """The region, its programme and its projects; returns (programme id, curator id,
    municipal curator id)."""
    rng = random.Random(seed)
    migrate(url)
    store = Store(url, load_dir(REPO_ROOT / "workflows"))
    q = questionnaire("readiness")
    items = list(q.item_section)
    with store.engine.begin() as conn:
        def bulk(model: Any, rows: list[dict[str, Any]]) -> None:
            for i in range(0, len(rows), 2000):
                conn.execute(insert(model.__table__), rows[i:i + 2000])  # type: ignore[attr-defined]

        region_id = conn.execute(insert(Region.__table__).values(name="Орловская область", code="57")  # type: ignore[attr-defined]
                                 .returning(Region.__table__.c.id)).scalar_one()  # type: ignore[attr-defined]
        bulk(Municipality, [{"id": m, "region_id": region_id, "name": f"Район {m}", "kind": "district"}
                            for m in range(1, 31)])
        n_orgs = participants + 100
        bulk(Organization, [{"id": o, "municipality_id": 1 + o % 30, "region_id": region_id,
                             "name": f"МБОУ СОШ №{o}", "kind": "school"} for o in range(1, n_orgs + 1)])
        users, grants = [], []
        uid = 0

        def person(role: str, org_id: int | None = None, municipality_id: int | None = None) -> int:
            nonlocal uid
            uid += 1
            users.append({"id": uid, "email": f"u{uid}@bench.ru", "name": f"Пользователь {uid}",
                          "password_hash": "", "locale": "ru", "is_active": True, "created_at": NOW,
                          "session_epoch": 0})
            grants.append({"user_id": uid, "role": role, "org_id": org_id,
                           "region_id": region_id if role == "curator" else None,
                           "municipality_id": municipality_id})
            return uid

        curator = person("curator")
        municipal = person("curator", municipality_id=1)
        for o in range(1, n_orgs + 1):
            person("head", o)
            if o <= participants and rng.random() < 0.8:
                person("coordinator", o)
        bulk(User, users)
        bulk(RoleGrant, grants)

        prog_id = conn.execute(insert(Programme.__table__).values(  # type: ignore[attr-defined]
            region_id=region_id, title="Интегрирование технологий бережливого производства", status="active",
            starts_on=date(2020, 1, 1), ends_on=date(2022, 12, 31), goal="", tasks="", hypothesis="",
            questionnaire_id=q.id, created_at=NOW, version=1).returning(Programme.__table__.c.id)).scalar_one()  # type: ignore[attr-defined]
        stages = [(1, "Подготовительный", date(2020, 1, 1), date(2020, 8, 31)),
                  (2, "Апробация и внедрение", date(2020, 9, 1), date(2021, 8, 31)),
                  (3, "Диссеминация", date(2021, 9, 1), date(2022, 12, 31))]
        bulk(ProgrammeStage, [{"id": i, "programme_id": prog_id, "position": i, "title": t, "starts_on": a,
                               "ends_on": b, "content": ""} for i, t, a, b in stages])
        bulk(StageTask, [{"stage_id": 1 + k % 3, "programme_id": prog_id, "title": f"Мероприятие {k}",
                          "due_on": date(2020, 3, 1) + timedelta(days=40 * k), "responsible": "ОИРО",
                          "status": "open", "rule": "every_participant_has_coordinator" if k == 0 else None}
                         for k in range(15)])
        bulk(ReadinessRound, [
            {"id": 1, "programme_id": prog_id, "kind": "initial", "title": "Входной анализ",
             "opens_on": date(2020, 1, 1), "closes_on": date(2020, 8, 31), "questionnaire_id": q.id,
             "questionnaire_version": q.version},
            {"id": 2, "programme_id": prog_id, "kind": "other", "title": "Промежуточный анализ",
             "opens_on": date(2021, 5, 1), "closes_on": date(2021, 6, 30), "questionnaire_id": q.id,
             "questionnaire_version": q.version}])
        parts, members, plans, plan_items, answers = [], [], [], [], []
        for p in range(1, participants + 1):
            parts.append({"id": p, "programme_id": prog_id, "org_id": p, "joined_on": date(2020, 1, 15),
                          "wave": 1 if p <= participants // 2 else 2, "status": "active", "created_at": NOW})
            for k in range(rng.choice([0, 2, 3, 4, 5])):
                members.append({"participant_id": p, "name": f"Педагог {p}-{k}", "position": "учитель",
                                "created_at": NOW})
            status = rng.choices(["draft", "submitted", "approved", "returned"], [3, 2, 8, 1])[0]
            plans.append({"id": p, "participant_id": p, "status": status, "version": 1})
            for k in range(4):
                plan_items.append({"plan_id": p, "title": f"Пункт {k}", "who": "Координатор",
                                   "due_on": date(2020, 9, 1) + timedelta(days=90 * k),
                                   "status": rng.choice(["open", "done", "done"]), "created_at": NOW})
            base = rng.uniform(1.5, 3.5)
            for rnd in (1, 2):
                if rng.random() < 0.85:
                    lift = 0 if rnd == 1 else rng.uniform(0.2, 1.2)
                    scores = {i: max(1, min(5, round(base + lift + rng.uniform(-1, 1)))) for i in items}
                    answers.append({
                        "round_id": rnd, "org_id": p, "status": "submitted", "version": 1,
                        "scores": scores, "section_means": q.section_means(scores),
                        "needs": rng.sample(NEEDS, 2), "deficits": rng.sample(DEFICITS, 2),
                        "difficulties": [], "resources": [], "updated_at": NOW, "submitted_at": NOW})
        bulk(Participant, parts)
        bulk(InitiativeMember, members)
        bulk(WorkPlan, plans)
        bulk(PlanItem, plan_items)
        bulk(ReadinessAnswer, answers)
        rows = []
        for i in range(1, projects + 1):
            state = rng.choices(STATES, WEIGHTS)[0]
            at = NOW - timedelta(days=rng.randint(1, 500))
            rows.append({"id": i, "org_id": rng.randint(1, n_orgs), "region_id": region_id, "workflow_id": "psr",
                         "workflow_version": 1, "reg_number": f"57-{i:05d}", "title": f"Проект {i}",
                         "problem": "", "goal": "", "sponsor": "", "process_owner": "", "process_start": "",
                         "process_end": "", "milestones": {}, "state": state, "state_entered_at": at,
                         "last_activity_at": at, "version": 1, "created_at": at})
        bulk(Project, rows)
        closed = [r for r in rows if r["state"] == "closed"][:300]
        bulk(Practice, [{"project_id": r["id"], "region_id": region_id, "org_id": r["org_id"],
                         "title": r["title"], "category": "other", "problem": "", "summary": "", "solution": "",
                         "standard": "", "process_start": "", "process_end": "", "effect": [],
                         "status": "published", "published_at": NOW, "updated_at": NOW, "version": 1,
                         "search_stems": ""} for r in closed])
    # the planner's statistics, as a database in use has them (autovacuum's ANALYZE): right after a
    # bulk load PostgreSQL plans the funnel's joins blind (60 ms instead of 25 ms measured here)
    with store.engine.connect() as conn:
        conn.execute(text("ANALYZE"))  # both SQLite and PostgreSQL know the statement
        conn.commit()
    store.dispose()
    return prog_id, curator, municipal


def time_tower(url: str, prog_id: int, user_ids: list[int], runs: int
               ) -> list[tuple[str, list[float], list[float], int]]:
    store = Store(url, load_dir(REPO_ROOT / "workflows"))
    statements = [0]

    @event.listens_for(store.engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        statements[0] += 1

    out = []
    clock.set_clock(lambda: NOW)  # the data is of June 2021
    for label, uid in zip(("region curator", "municipal curator"), user_ids, strict=True):
        with store.uow() as uow:
            actor: Actor = load_actor(uow.session, uid)
        times, cpu = [], []
        for k in range(runs + 2):
            statements[0] = 0
            t0, c0 = time.perf_counter(), time.process_time()
            with store.uow() as uow:
                tower = programme_tower(uow, actor, prog_id)
            if k >= 2:  # two warm-up runs
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
        out.append((f"{label} ({tower.participants} participants)", times, cpu, statements[0]))
    store.dispose()
    return out


def report(backend: str, rows: list[tuple[str, list[float], list[float], int]], target: float) -> None:
    """Wall-clock median and p95, and the median CPU time of this process (on a busy
    machine the wall clock counts the waits for a core; for SQLite the CPU time includes
    the database's work, for PostgreSQL only the client's)."""
    for label, times, cpu, statements in rows:
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        med = statistics.median(times)
        print(f"{backend:10s} {label:38s} median {med:7.1f} ms   p95 {p95:7.1f} ms   "
              f"cpu {statistics.median(cpu):7.1f} ms   {statements} SQL statements   "
              f"target < {target:.0f} ms: {'OK' if med < target else 'MISSED'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--participants", type=int, default=600)
    ap.add_argument("--projects", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    print(f"programme tower: {args.participants} participants, 2 rounds answered, {args.projects} projects")
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            t0 = time.perf_counter()
            prog, cur, mun = build(url, args.participants, args.projects)
            print(f"sqlite     built in {time.perf_counter() - t0:.1f} s")
            report("sqlite", time_tower(url, prog, [cur, mun], args.runs), 150)
    if args.backend in ("postgresql", "both"):
        with pg_database("leanschool_bench_h_prog") as url:
            t0 = time.perf_counter()
            prog, cur, mun = build(url, args.participants, args.projects)
            print(f"postgresql built in {time.perf_counter() - t0:.1f} s")
            report("postgresql", time_tower(url, prog, [cur, mun], args.runs), 100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
