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
