"""Alembic migrations bring an EMPTY database to head on both backends (a fresh SQLite
file, a fresh PostgreSQL database), create every table of engine.models, agree with the
models, and a second run changes nothing."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from engine.db import MIGRATIONS_DIR, make_engine, migrate
from engine.models import metadata

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


def head_revision() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    heads = script.get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> str:
    path = tmp_path / "fresh" / "leanschool.db"
    assert not path.exists()
    return f"sqlite:///{path}"


@pytest.fixture
def fresh_postgres(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards. Skipped only when PostgreSQL
    cannot be reached outside CI; in CI (env CI set) an unreachable server fails."""
    helpers: Any = request.config.pluginmanager.get_plugin(str(ROOT_CONFTEST))  # tests/conftest.py
    assert helpers is not None, "tests/conftest.py is not loaded"
    try:
        probe = helpers.pg_admin_engine()
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable in CI: {str(exc).splitlines()[0]}")
        pytest.skip(f"PostgreSQL is unreachable (and CI is not set): {str(exc).splitlines()[0]}")
    name = f"ls_migrate_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    url = helpers.create_pg_database(name)
    yield url
    helpers.drop_pg_database(name)


@pytest.fixture(params=["fresh_sqlite", "fresh_postgres"], ids=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest) -> str:
    """Each test runs on both backends, whichever LEANSCHOOL_TEST_DB says."""
    return request.getfixturevalue(request.param)


def schema_of(url: str) -> dict[str, Any]:
    """Tables with their columns and indexes, and the Alembic revision."""
    eng = make_engine(url)
    try:
        insp = inspect(eng)
        tables = {name: ({c["name"] for c in insp.get_columns(name)},
                         {i["name"] for i in insp.get_indexes(name)})
                  for name in insp.get_table_names()}
        with eng.connect() as conn:
            versions = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))] \
                if "alembic_version" in tables else []
        return {"tables": tables, "versions": versions}
    finally:
        eng.dispose()


def test_the_fresh_databases_are_empty(empty_database):
    assert schema_of(empty_database)["tables"] == {}


def test_migrations_bring_an_empty_database_to_head(empty_database):
    migrate(empty_database)
    schema = schema_of(empty_database)
    assert schema["versions"] == [head_revision()]
    for table in metadata.sorted_tables:
        assert table.name in schema["tables"], f"table {table.name} was not created"
        columns, _ = schema["tables"][table.name]
        assert {c.name for c in table.columns} <= columns, f"columns missing in {table.name}"
    _, request_indexes = schema["tables"]["transition_request"]
    assert "uq_transition_request_pending" in request_indexes


def test_the_migrated_schema_agrees_with_the_models(empty_database):
    migrate(empty_database)
    eng = make_engine(empty_database)
    try:
        with eng.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        eng.dispose()

    def kind(entry: Any) -> str:
        return (entry[0] if isinstance(entry, list) else entry)[0]
    # objects the migrations add beyond the models (full-text search) show as "remove_*"
    missing_or_different = [d for d in diff if not kind(d).startswith("remove_")]
    assert missing_or_different == [], "engine.models changed without a migration"


def test_migrating_twice_is_a_no_op(empty_database):
    migrate(empty_database)
    eng = make_engine(empty_database)
    try:
        with eng.begin() as conn:
            conn.execute(text("INSERT INTO region (name, code) VALUES ('Орловская область', '57')"))
    finally:
        eng.dispose()
    before = schema_of(empty_database)

    migrate(empty_database)

    assert schema_of(empty_database) == before
    eng = make_engine(empty_database)
    try:
        with eng.connect() as conn:
            assert conn.execute(text("SELECT name FROM region")).scalars().all() == ["Орловская область"]
    finally:
        eng.dispose()


def test_0004_fills_stay_days_and_region_snapshots_from_what_is_there(empty_database):
    """A database at 0003 with history: the upgrade writes each move's days in the state it
    left (from creation or the move before, hand-computed) and sums the organisation
    snapshots per region, day and state."""
    from datetime import UTC, date, datetime

    from sqlalchemy import insert

    from engine.models import DailySnapshot, Municipality, Project, Region

    migrate(empty_database, "0003")
    eng = make_engine(empty_database)
    created = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        with eng.begin() as conn:
            conn.execute(insert(Region.__table__), [{"id": 1, "name": "Орловская область"}])
            conn.execute(insert(Municipality.__table__), [{"id": 1, "region_id": 1, "name": "Орёл"}])
            conn.execute(text("INSERT INTO organization (id, municipality_id, region_id, name, kind) "  # 0003's columns
                              "VALUES (:id, 1, 1, :name, 'school')"),
                         [{"id": o, "name": f"Школа {o}"} for o in (1, 2)])
            conn.execute(insert(Project.__table__), [
                {"id": p, "org_id": p, "region_id": 1, "workflow_id": "psr", "workflow_version": 1,
                 "reg_number": f"57-{p}", "title": f"Проект {p}", "state": "implement", "milestones": {},
                 "state_entered_at": created, "last_activity_at": created, "created_at": created}
                for p in (1, 2)])
            moves = [  # (id, project, at, from, to): project 1 stays 10.5 then 10 days; project 2 two moves at once
                (1, 1, "2026-01-11 12:00:00.000000", "diagnose", "target"),
                (2, 1, "2026-01-21 12:00:00.000000", "target", "implement"),
                (3, 2, "2026-01-04 00:00:00.000000", "diagnose", "target"),
                (4, 2, "2026-01-04 00:00:00.000000", "target", "implement"),
            ]
            for eid, pid, at, src, dest in moves:
                conn.execute(text("INSERT INTO event (id, project_id, at, kind, from_state, to_state, payload) "
                                  "VALUES (:id, :p, :at, 'state_changed', :src, :dest, '{}')"),
                             {"id": eid, "p": pid, "at": datetime.fromisoformat(at).replace(tzinfo=UTC)
                              if eng.dialect.name == "postgresql" else at, "src": src, "dest": dest})
            conn.execute(text("INSERT INTO metric (id, project_id, name, unit, direction, created_at) "
                              "VALUES (1, 1, 'Время', 'мин', 'decrease', :at), (2, 2, 'Доля', '%', 'increase', :at)"),
                         {"at": created if eng.dialect.name == "postgresql" else "2026-01-01 00:00:00.000000"})
            # metric 1: the later date wins over the later record; a tie on the date goes to the later record
            for mid, value, on, rec in [(1, 40.0, "2026-03-01", 1), (1, 30.0, "2026-02-01", 2),
                                        (1, 35.0, "2026-03-01", 3)]:
                conn.execute(text("INSERT INTO measurement (id, metric_id, value, measured_on, recorded_at) "
                                  "VALUES (:id, :m, :v, :on, :at)"),
                             {"id": rec, "m": mid, "v": value, "on": date.fromisoformat(on),
                              "at": created if eng.dialect.name == "postgresql" else "2026-01-01 00:00:00.000000"})
            conn.execute(insert(DailySnapshot.__table__), [
                {"day": date(2026, 1, 5), "org_id": 1, "region_id": 1, "state": "target", "count": 1},
                {"day": date(2026, 1, 5), "org_id": 2, "region_id": 1, "state": "target", "count": 2},
                {"day": date(2026, 1, 5), "org_id": 2, "region_id": 1, "state": "implement", "count": 1},
            ])
        migrate(empty_database)
        with eng.connect() as conn:
            stays = dict(conn.execute(text("SELECT id, stay_days FROM event ORDER BY id")).all())
            sums = set(conn.execute(text("SELECT region_id, day, state, count FROM region_snapshot")).all())
            latest = {m: (v, str(on)[:10] if on else None) for m, v, on in conn.execute(
                text("SELECT id, latest_value, latest_on FROM metric"))}
    finally:
        eng.dispose()
    assert {k: round(v, 6) for k, v in stays.items()} == {1: 10.5, 2: 10.0, 3: 3.0, 4: 0.0}
    assert latest == {1: (35.0, "2026-03-01"), 2: (None, None)}
    assert {(r, str(d)[:10], s, n) for r, d, s, n in sums} == {
        (1, "2026-01-05", "target", 3), (1, "2026-01-05", "implement", 1)}
