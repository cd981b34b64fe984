"""The bulk scale mode (engine/demo/bulk.py, `leanschool demo --scale N --regions R`): its
regions hold what the service-built scale mode would (every log replays to its project's
state, each copy equals a project built through the services, latest values agree with
the measurements), each project's rows and people belong to its own region, the load is
deterministic and loads nothing twice, the pages render, and the services go on writing
after it (ids and sequences past the bulk rows).
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from engine import clock, demo
from engine.db import Store
from engine.demo.bulk import PAYLOAD_IDS
from engine.models import (
    Comment,
    Event,
    Measurement,
    Metric,
    Notification,
    Project,
    Region,
    Risk,
    RoleGrant,
    TeamMember,
    TransitionRequest,
    User,
    metadata,
)
from engine.services import add_comment, approve_request, create_project, load_actor
from tests.demo_helpers import replay_problems
from tests.web.conftest import Browser, dom

N = 30
REGIONS = [f"Демо-регион №{k} ({N} проектов)" for k in (1, 2)]
SERVICE_BUILT = f"Демо-регион ({N} проектов)"


def _region_id(store: Store, name: str) -> int:
    with store.uow() as uow:
        return uow.session.execute(select(Region.id).where(Region.name == name)).scalar_one()


def _signatures(store: Store, region_id: int) -> Counter[tuple[Any, ...]]:
    """Each project as what its story made of it: title, state, version, its log's kinds
    and moves, and how many rows of each kind it has."""
    out: Counter[tuple[Any, ...]] = Counter()
    with store.uow() as uow:
        s = uow.session
        for p in s.execute(select(Project).where(Project.region_id == region_id)).scalars():
            log = tuple(s.execute(select(Event.kind, Event.from_state, Event.to_state, Event.at)
                                  .where(Event.project_id == p.id).order_by(Event.at, Event.id)).all())

            def count(model: Any, p: Project = p) -> int:
                return s.execute(select(func.count()).select_from(model).where(model.project_id == p.id)).scalar_one()
            out[(p.title, p.state, p.version, p.state_entered_at, log, count(Metric), count(Risk),
                 count(TransitionRequest), count(Comment), count(Notification))] += 1
    return out


def _foreign_rows(store: Store, region_id: int) -> list[str]:
    """Rows of the region's projects that point outside their project or region: people not
    of the project's organisation (or the region's curator), payload ids of other projects."""
    problems = []
    with store.uow() as uow:
        s = uow.session
        curator = set(s.execute(select(RoleGrant.user_id).where(RoleGrant.region_id == region_id)).scalars())
        org_people: dict[int, set[int]] = {}
        for user_id, org_id in s.execute(select(RoleGrant.user_id, RoleGrant.org_id)
                                         .where(RoleGrant.org_id.is_not(None))):  # type: ignore[union-attr]
            org_people.setdefault(org_id, set()).add(user_id)
        owner_of = {name: dict(s.execute(select(metadata.tables[name].c.id, metadata.tables[name].c.project_id)).all())
                    for name in ("action", "artefact", "comment", "metric", "problem", "risk", "transition_request")}
        owner_of["measurement"] = dict(s.execute(select(Measurement.id, Metric.project_id)
                                                 .join(Metric, Metric.id == Measurement.metric_id)).all())
        for p in s.execute(select(Project).where(Project.region_id == region_id)).scalars():
            people = org_people.get(p.org_id, set()) | curator
            users = {p.leader_id, p.created_by}
            users |= set(s.execute(select(TeamMember.user_id).where(TeamMember.project_id == p.id)).scalars())
            users |= set(s.execute(select(Notification.user_id).where(Notification.project_id == p.id)).scalars())
            events = s.execute(select(Event).where(Event.project_id == p.id)).scalars().all()
            users |= {ev.actor_id for ev in events}
            if users - people - {None}:
                problems.append(f"{p.reg_number}: people of another organisation {users - people - {None}}")
            for ev in events:
                for key, value in ev.payload.items():
                    table = PAYLOAD_IDS.get(key)
                    if table in owner_of and owner_of[table].get(value) != p.id:  # type: ignore[index]
                        problems.append(f"{p.reg_number}: {ev.kind}.{key}={value} is not this project's")
        for name in ("risk", "transition_request"):  # their copy of the project's region (the tower's indexes)
            t = metadata.tables[name]
            for row_id, copied in s.execute(select(t.c.id, t.c.region_id).join(Project, Project.id == t.c.project_id)
                                            .where(Project.region_id == region_id, t.c.region_id.is_distinct_from(
                                                region_id))):
                problems.append(f"{name} {row_id}: region_id {copied}, its project's region {region_id}")
    return problems


def _metric_problems(store: Store, region_id: int) -> list[str]:
    """Each metric's latest value and date are those of its latest measurement."""
    problems = []
    with store.uow() as uow:
        s = uow.session
        metrics = s.execute(select(Metric).join(Project, Project.id == Metric.project_id)
                            .where(Project.region_id == region_id)).scalars().all()
        for m in metrics:
            latest = s.execute(select(Measurement.value, Measurement.measured_on).where(Measurement.metric_id == m.id)
                               .order_by(Measurement.measured_on.desc(), Measurement.id.desc())  # type: ignore[attr-defined]
                               .limit(1)).first()
            if (m.latest_value, m.latest_on) != (tuple(latest) if latest else (None, None)):
                problems.append(f"metric {m.id}: latest {m.latest_value} on {m.latest_on}, measured {latest}")
    return problems


def test_bulk_regions_replay_and_each_copy_is_a_project_the_services_built(store: Store, frozen_clock: Any) -> None:
    # the service-built scale mode of N projects: exactly the templates the bulk load copies
    demo.load(store, scale=N, echo=lambda _: None)
    built = _signatures(store, _region_id(store, SERVICE_BUILT))
    output: list[str] = []
    accounts = demo.load(store, scale=N, regions=2, bulk=True, echo=output.append)

    for name in REGIONS:
        region_id = _region_id(store, name)
        assert replay_problems(store, region_id) == []
        copies = _signatures(store, region_id)
        assert sum(copies.values()) == N
        assert set(copies) <= set(built), set(copies) - set(built)  # versions, logs, children as built
        assert len({sig[1] for sig in copies}) >= 4  # the states: the same shape
        with store.uow() as uow:
            risks = uow.session.execute(select(func.count()).select_from(Risk).join(Project)
                                        .where(Project.region_id == region_id)).scalar_one()
        assert 1.5 * N <= risks <= 3.5 * N  # about three per project, as built
        assert _metric_problems(store, region_id) == []
        assert _foreign_rows(store, region_id) == []
    curators = [a["email"] for a in accounts if a["role"] == "curator"]
    assert curators == [f"curator.s{N}r1@demo.leanschool.ru", f"curator.s{N}r2@demo.leanschool.ru"]
    assert [a["role"] for a in accounts].count("admin") == 1
    with store.uow() as uow:
        codes = uow.session.execute(select(Region.code).where(Region.name.in_(REGIONS))).scalars().all()  # type: ignore[attr-defined]
        emails = uow.session.execute(select(func.count(), func.count(func.distinct(User.email)))).one()
    assert sorted(codes) == ["01", "02"] and emails[0] == emails[1]
    assert any("Готово" in line for line in output)
    # several regions: the snapshots of the days the tower's flow diagram shows, every one of them
    from engine.models import RegionSnapshot
    with store.uow() as uow:
        days = set(uow.session.execute(select(RegionSnapshot.day).where(
            RegionSnapshot.region_id == _region_id(store, REGIONS[0]))).scalars())
    today = clock.today()
    assert min(days) == today - timedelta(days=demo.FLOW_DAYS) and max(days) == today
    assert len(days) == demo.FLOW_DAYS + 1


def _rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with store.uow() as uow:
        return {t.name: [tuple(r) for r in uow.session.execute(select(t).order_by(*t.primary_key.columns))]
                for t in metadata.sorted_tables if t.name not in ("daily_snapshot", "region_snapshot")
                and t.name != "user"}


def test_the_bulk_load_is_deterministic_and_a_second_run_adds_nothing(store: Store, frozen_clock: Any) -> None:
    demo.load(store, scale=20, regions=2, bulk=True, echo=lambda _: None)
    first = _rows(store)
    output: list[str] = []
    demo.load(store, scale=20, regions=2, bulk=True, echo=output.append)
    assert _rows(store) == first
    assert sum("уже загружено" in line for line in output) == 2
    demo.load(store, scale=20, regions=2, bulk=True, reset=True, echo=lambda _: None)
    assert _rows(store) == first  # the same rows, ids included (users: their hashes' salts differ)
    assert len(first["project"]) == 40


def test_a_bulk_region_renders_and_the_services_write_after_it(store: Store, app: Flask, frozen_clock: Any) -> None:
    """The tower, the board and a project page of a bulk region; then a comment, a decision
    and a new project through the services: new ids past the bulk rows (PostgreSQL's
    sequences moved) and the next registration number."""
    demo.load(store, scale=N, regions=2, bulk=True, echo=lambda _: None)
    with store.uow() as uow:
        s = uow.session
        # a request waiting in the last bulk region that has one
        request = s.execute(select(TransitionRequest).join(Project).where(
            Project.region_id.in_([_region_id(store, name) for name in REGIONS]),  # type: ignore[attr-defined]
            TransitionRequest.status == "pending").order_by(Project.region_id.desc())).scalars().first()  # type: ignore[attr-defined]
        assert request is not None
        project = s.get(Project, request.project_id)
        assert project is not None
        region_id = project.region_id
        curator = s.execute(select(RoleGrant.user_id).where(RoleGrant.region_id == region_id,
                                                            RoleGrant.role == "curator")).scalar_one()
        head = s.execute(select(RoleGrant.user_id).where(RoleGrant.org_id == project.org_id,
                                                         RoleGrant.role == "head")).scalar_one()
        leader = project.leader_id
        before = {name: s.execute(select(func.max(metadata.tables[name].c.id))).scalar_one()
                  for name in ("event", "comment", "notification", "project")}

    tower = dom(Browser(app).sign_in(SimpleNamespace(id=curator)).get("/tower"))
    assert project.reg_number in tower.text or project.title in tower.text
    board = Browser(app).sign_in(SimpleNamespace(id=head))
    assert board.get("/board").status_code == 200
    page = board.get(f"/projects/{project.id}")
    assert page.status_code == 200 and project.title in dom(page).text

    with store.uow() as uow:
        add_comment(uow, load_actor(uow.session, curator), project.id, {"text": "Проверено куратором."})  # type: ignore[arg-type]
    with store.uow() as uow:
        moved = approve_request(uow, load_actor(uow.session, head), request.id)  # type: ignore[arg-type]
    assert moved.state == request.dest
    with store.uow() as uow:
        new = create_project(uow, load_actor(uow.session, leader), {  # type: ignore[arg-type]
            "title": "Новый проект после загрузки", "problem": "Очередь в столовой", "goal": "Без очереди",
            "org_id": project.org_id, "leader_id": leader})
        new_reg = new.reg_number
    assert new_reg == f"{project.reg_number.split('-')[0]}-{project.reg_number.split('-')[1]}-{N + 1:04d}"
    with store.uow() as uow:
        s = uow.session
        after = {name: s.execute(select(func.max(metadata.tables[name].c.id))).scalar_one() for name in before}
    assert all(after[name] > before[name] for name in before), (before, after)
    assert replay_problems(store, region_id) == []


def test_leanschool_demo_scale_regions(db_url: str) -> None:
    from webui import cli
    env = {"DATABASE_URL": db_url, "LEANSCHOOL_LOCALE": "ru"}
    r = CliRunner().invoke(cli.main, ["demo", "--scale", "20", "--regions", "2"], env=env)
    assert r.exit_code == 0, r.output
    assert "curator.s20r1@demo.leanschool.ru" in r.output and "curator.s20r2@demo.leanschool.ru" in r.output
    assert "Демо-регион №2 (20 проектов)" in r.output
    wrong = CliRunner().invoke(cli.main, ["demo", "--regions", "2"], env=env)
    assert wrong.exit_code == 2 and "--scale" in wrong.output and "Traceback" not in wrong.output


@pytest.mark.parametrize("regions", [1])
def test_one_bulk_region_keeps_the_name_and_accounts_of_the_scale_mode(store: Store, frozen_clock: Any,
                                                                       regions: int) -> None:
    bulk = demo.load(store, scale=N, regions=regions, bulk=True, echo=lambda _: None)
    region_id = _region_id(store, SERVICE_BUILT)
    assert replay_problems(store, region_id) == []
    output: list[str] = []
    built = demo.load(store, scale=N, echo=output.append)  # the service-built one: already there
    assert bulk == built and any("уже загружено" in line for line in output)
