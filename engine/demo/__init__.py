"""The demo region: Oryol oblast with about 150 ПСР-проекты (default), or a generated
region of N projects (``scale=N``), built only through the engine's services, so every
row has its audit event and the event log replays to the current state.

How it works: first every project's *story* is shaped (which stages, how long in each,
stalled or waiting for approval ...) and *planned* into steps (service calls at given
moments, with the evidence each gate needs placed before the request); then the steps
run while the engine clock (``engine.clock.set_clock``) is moved to each step's moment:
the default region in time order, in transactions of 50 calls; scale mode project after
project, one transaction each (the session then answers most reads itself). Time
runs in working hours (09:00-18:00 Moscow) and ends at the start of today (UTC, of the
engine clock), so two runs on the same day give the same data.

The package: content.py (the Russian content, data/*.yaml, validated on load), world.py
(region, municipalities, organisations, people), planner.py (projects and their
histories), timeline.py (when things happen; running the steps), portfolio.py (practices
published from closed projects, and their replicas); this module loads it all.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from engine import clock, passwords
from engine.db import Store
from engine.demo.content import content
from engine.demo.planner import plan_oryol, plan_scale
from engine.demo.timeline import DemoError, Plan, Step, Timeline, run_steps
from engine.demo.world import World, counted, oryol_world, plan_world, scale_world
from engine.models import (
    UNRESOLVED_RISK,
    Event,
    Municipality,
    Organization,
    Project,
    Region,
    Risk,
    RoleGrant,
    User,
    metadata,
)
from engine.reporting.monitoring import counts_by_state, pending_approvals, stalled_projects

__all__ = ["DEMO_SCRYPT_N", "DemoError", "load", "summary"]

C = content()  # the Russian content (engine/demo/data/*.yaml), read and validated once

SEED = 57


# --- loading -----------------------------------------------------------------------------------

def empty_database(store: Store) -> None:
    """Delete every row of every table (children first), in one transaction. References
    that close a cycle (declared ``use_alter``, e.g. a replica project -> its practice)
    are cleared first, since no order of deletes satisfies them."""
    with store.engine.begin() as conn:
        for table in metadata.sorted_tables:
            for fk in table.foreign_key_constraints:
                if fk.use_alter:
                    conn.execute(table.update().values({c.name: None for c in fk.columns}))
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


# The demo password is printed on screen and in the README: a slow hash would protect
# nothing, and 185 users (thousands in scale mode) at the production cost (~0.3-0.6 s each)
# would make the load minutes longer. Each user still gets a hash of their own (own salt);
# the cost travels with the hash, and a password a demo user sets later gets the full cost.
DEMO_SCRYPT_N = 2**12


def _demo_password_hashing() -> Any:
    """A cheap hasher during the load (never dearer than the installed one)."""
    return passwords.hashing_at_most(DEMO_SCRYPT_N)


def _exists(store: Store, model: Any, column: Any, value: str) -> bool:
    with store.uow() as uow:
        return uow.session.execute(select(model.id).where(column == value)).first() is not None


def load(store: Store, reset: bool = False, scale: int | None = None,
         echo: Callable[[str], Any] = print, *, regions: int = 1, bulk: bool = False,
         snapshots: bool = True) -> list[dict[str, str]]:
    """Load the demo region (Oryol oblast) or, with ``scale=N``, a generated region of N
    projects; returns the demo accounts ``[{"email", "password", "role"}]``.

    With ``bulk`` (scale mode only), ``regions`` regions of N projects each, copied in bulk
    from templates built through the services (engine/demo/bulk.py); without it every
    project is built through the services. Loads nothing when that region is already there
    (unless ``reset``, which empties every table first). Deterministic: the same data on
    every run of the same day. ``snapshots=False`` skips the daily snapshots.
    """
    if bulk or regions != 1:
        if scale is None:
            raise DemoError("bulk mode and several regions need scale=N")
        return load_bulk(store, scale, regions, reset, echo)
    started = time.monotonic()
    wf = store.workflows.latest("psr")
    if wf is None:
        raise DemoError("the psr workflow is not loaded")
    if reset:
        empty_database(store)
        echo("База данных очищена.")
    rng = random.Random(SEED if scale is None else SEED * 1_000_003 + scale)
    admin_exists = _exists(store, User, User.email, C.region.admin_email)
    world = oryol_world(rng) if scale is None else scale_world(rng, scale, admin_exists)
    if admin_exists:
        world.admin = None
    if (_exists(store, Region, Region.name, world.region_name)
            and _exists(store, User, User.email, world.curator.email)):
        echo(f"Демо «{world.region_name}» уже загружено; ничего не добавлено (--reset загрузит заново).")
        return _accounts(store, world, scale)

    plan = Plan(Timeline(clock.today()))  # the test's frozen clock, or the real one
    plan_world(plan, world)
    n = plan_oryol(plan, rng, wf, world) if scale is None else plan_scale(plan, rng, wf, world, scale)
    echo(f"Загрузка «{world.region_name}»: {counted(len(world.orgs), 'организация', 'организации', 'организаций')}, "
         f"{counted(n, 'проект', 'проекта', 'проектов')}, "
         f"{counted(len(plan.steps), 'вызов', 'вызова', 'вызовов')} сервисов…")
    every = 25 if scale is None else max(25, n // 10)
    created = [0]

    def progress(step: Step) -> None:
        if step.label.endswith("/создан"):
            created[0] += 1
            if created[0] % every == 0 or created[0] == n:
                echo(f"  проекты: {created[0]}/{n} ({time.monotonic() - started:.0f} с)")

    moment = [plan.steps[0].at]
    # restored afterwards: a test may have frozen the clock
    previous = clock.set_clock(lambda: moment[0])
    try:
        with _demo_password_hashing():
            if scale is None:
                run_steps(store, plan.in_time_order(), moment, 50, False, progress)
            else:
                run_steps(store, plan.by_project(), moment, 500, True, progress)
    finally:
        clock.set_clock(previous)
    if scale is None:
        from engine.demo.portfolio import load_practices
        load_practices(store, world.region_id, echo)
        from engine.demo.programme import load_programme
        load_programme(store, world.region_id, echo, C.region.password)
        from engine.demo.events import load_events
        load_events(store, world.region_id, echo)
        from engine.demo.campaigns import load_campaigns
        load_campaigns(store, world.region_id, C.region.demo_school, echo)
    if snapshots:
        _record_snapshots(store, echo)
    summary(store, world.region_id, echo, time.monotonic() - started)
    return _accounts(store, world, scale)


def scale_seed(scale: int, region: int | None = None) -> int:
    """The seed of a scale region (one region: as ever; the k-th of several: its own)."""
    seed = SEED * 1_000_003 + scale
    return seed if region is None else seed * 1_000 + region


def load_bulk(store: Store, scale: int, regions: int, reset: bool,
              echo: Callable[[str], Any] = print) -> list[dict[str, str]]:
    """``regions`` generated regions of ``scale`` projects each, written in bulk (see
    engine/demo/bulk.py); a region already there is skipped. One region keeps the name
    and accounts of the service-built scale mode; several are «Демо-регион №k (N проектов)»."""
    from engine.demo import bulk as bulk_mod
    started = time.monotonic()
    if store.workflows.latest("psr") is None:
        raise DemoError("the psr workflow is not loaded")
    if reset:
        empty_database(store)
        echo("База данных очищена.")
    admin_needed = not _exists(store, User, User.email, C.region.admin_email)
    accounts: list[dict[str, str]] = []
    todo: list[tuple[World, random.Random]] = []
    for k in range(1, regions + 1):
        number = None if regions == 1 else k
        rng = random.Random(scale_seed(scale, number))
        world = scale_world(rng, scale, not admin_needed, number)
        accounts += world.accounts if not accounts else world.accounts[1:]  # the admin once
        if (_exists(store, Region, Region.name, world.region_name)
                and _exists(store, User, User.email, world.curator.email)):
            echo(f"Демо «{world.region_name}» уже загружено; ничего не добавлено (--reset загрузит заново).")
            continue
        if not admin_needed:
            world.admin = None
        admin_needed = False
        todo.append((world, rng))
    if not todo:
        return accounts
    echo(f"Загрузка {counted(len(todo), 'региона', 'регионов', 'регионов')} по "
         f"{counted(scale, 'проекту', 'проекта', 'проектов')}: копии проектов, построенных через сервисы…")
    n_templates = min(scale, bulk_mod.TEMPLATES)
    templates = bulk_mod.build_templates(store, n_templates, echo, lambda tmp: load(
        tmp, scale=n_templates, echo=lambda _line: None, snapshots=False))
    hashes = bulk_mod.demo_hashes(DEMO_SCRYPT_N)
    for world, rng in todo:
        bulk_mod.write_region(store, world, scale, rng, templates, hashes, echo)
    echo(f"  записано за {time.monotonic() - started:.0f} с")
    if store.dialect == "postgresql":
        # fresh statistics and visibility maps before anything reads the new rows, as after
        # any bulk load: the planner otherwise guesses and index-only scans visit the heap
        # (autovacuum may be off, as on our CI machine, or not yet round)
        from sqlalchemy import text
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    # several regions: the days the tower's flow diagram shows (a year of 85 regions would be
    # 76 million rows); one region: its whole history, as the service-built scale mode has
    _rebuild_snapshots(store, echo, None if regions == 1 else clock.today() - timedelta(days=FLOW_DAYS))
    summary(store, todo[0][0].region_id, echo, time.monotonic() - started)
    return accounts


FLOW_DAYS = 90  # the tower's cumulative flow diagram: the last 90 days


def _rebuild_snapshots(store: Store, echo: Callable[[str], Any], since: date | None = None) -> None:
    """Every daily snapshot again (a region added to a database that had snapshots has
    history on days already recorded), from ``since`` when given."""
    from engine.models import DailySnapshot, RegionSnapshot, table_of
    with store.engine.begin() as conn:
        conn.execute(table_of(RegionSnapshot).delete())
        conn.execute(table_of(DailySnapshot).delete())
    _record_snapshots(store, echo, since)


def _accounts(store: Store, world: World, scale: int | None) -> list[dict[str, str]]:
    """The accounts to print: the world's, and in the Oryol demo the programme's too."""
    if scale is not None:
        return world.accounts
    from engine.demo.programme import programme_accounts
    with store.uow() as uow:
        region_id = uow.session.execute(select(col(Region.id)).where(col(Region.name) == world.region_name)).scalar()
    extra = programme_accounts(store, region_id, C.region.demo_school) if region_id else []
    return world.accounts + [{**a, "password": C.region.password} for a in extra]


def _record_snapshots(store: Store, echo: Callable[[str], Any], since: date | None = None) -> None:
    """The daily snapshots of the loaded history, so the tower's cumulative flow diagram
    has data at once (afterwards the scheduler records one a day)."""
    from engine.reporting.analytics import rebuild_missing_snapshots
    with store.uow() as uow:
        days = rebuild_missing_snapshots(uow.session, store.workflows, clock.today(), since)
    echo(f"  снимки для диаграммы потока: {len(days)} дн.")


def summary(store: Store, region_id: int, echo: Callable[[str], Any], seconds: float | None = None) -> dict[str, Any]:
    """What the region holds now (printed at the end of a load)."""
    with store.uow() as uow:
        s = uow.session

        def count(stmt: Any) -> int:
            return int(s.execute(stmt).scalar_one())

        org_ids = select(col(Organization.id)).where(col(Organization.region_id) == region_id)
        project_ids = select(col(Project.id)).where(col(Project.region_id) == region_id)
        risks = select(func.count()).select_from(Risk).where(col(Risk.project_id).in_(project_ids))
        out: dict[str, Any] = {
            "municipalities": count(select(func.count()).select_from(Municipality)
                                    .where(col(Municipality.region_id) == region_id)),
            "organizations": count(select(func.count()).select_from(Organization)
                                   .where(col(Organization.region_id) == region_id)),
            "users": count(select(func.count(func.distinct(RoleGrant.user_id))).where(
                col(RoleGrant.org_id).in_(org_ids) | (RoleGrant.region_id == region_id))),
            "by_state": counts_by_state(s, region_id=region_id),
            "risks": count(risks),
            "unresolved_risks": count(risks.where(col(Risk.status).in_(UNRESOLVED_RISK))),
            "critical_risks": count(risks.where(col(Risk.status).in_(UNRESOLVED_RISK), col(Risk.score) >= 15)),
            "stalled": len(stalled_projects(s, store.workflows, region_id=region_id)),
            "pending": pending_approvals(s, region_id=region_id),
            "events": count(select(func.count()).select_from(Event)),
        }
    wf = store.workflows.latest("psr")
    states = ", ".join(f"{wf.state(k).title.ru if wf and wf.has_state(k) else k} {v}"
                       for k, v in sorted(out["by_state"].items(),
                                          key=lambda kv: wf.state_index(kv[0]) if wf else 0))
    pending = out["pending"]
    took = f" за {seconds:.0f} с" if seconds is not None else ""
    echo(f"Готово{took}: {counted(out['municipalities'], 'муниципалитет', 'муниципалитета', 'муниципалитетов')}, "
         f"{counted(out['organizations'], 'организация', 'организации', 'организаций')}, "
         f"{counted(out['users'], 'пользователь', 'пользователя', 'пользователей')}.")
    echo(f"Проекты ({sum(out['by_state'].values())}): {states}.")
    echo(f"Зависших: {out['stalled']}; запросов на согласовании: {len(pending)} "
         f"(ждут дольше 3 дней: {sum(1 for p in pending if p['waiting_days'] > 3)}); "
         f"рисков: {out['risks']} (нерешённых {out['unresolved_risks']}, критических {out['critical_risks']}); "
         f"всего событий в журнале: {out['events']}.")
    return out
