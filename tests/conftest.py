"""Shared fixtures: a real, migrated database per test (SQLite file by default,
PostgreSQL when LEANSCHOOL_TEST_DB=postgresql), the workflows, factories and the
people of the domain (head_of_school, curator_orel ...).

    LEANSCHOOL_TEST_DB=postgresql  LEANSCHOOL_TEST_PG=postgresql+psycopg://postgres@127.0.0.1:5432

The suite runs serially (``pytest``) or in parallel (``pytest -n 2``, pytest-xdist; make
test does). Each process — the serial one, or each xdist worker gw0, gw1 ... — has its
own template database (a SQLite file under its own tmp dir, or a PostgreSQL database
named after the worker), its own instance folder (LEANSCHOOL_INSTANCE_DIR: scheduler
lock files, generated secret keys) and its own live servers on free ports (tests/e2e).
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import create_engine, text
from sqlalchemy.pool import StaticPool

from engine import clock, passwords
from engine.db import REPO_ROOT, Store, migrate
from engine.models import metadata
from engine.policy import SYSTEM, Actor
from engine.services import admin as admin_svc
from engine.services import projects as project_svc
from engine.services.common import load_actor
from engine.workflow import WorkflowRegistry, load_dir
from webui import create_app

BACKEND = os.environ.get("LEANSCHOOL_TEST_DB", "sqlite").lower()
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1 ... under pytest-xdist
PG_BASE = os.environ.get("LEANSCHOOL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PASSWORD = "Parol-2026!"


# scrypt at the production cost is ~0.5 s a hash and the suite makes thousands of users:
# the whole run hashes with a cheap scrypt (as Django projects' test settings use a fast
# hasher). tests/security/test_logins.py proves that production uses the real cost.
TEST_HASHER = passwords.Scrypt(n=2**4)
passwords.set_hasher(TEST_HASHER)


def pytest_report_header(config: Any) -> str:
    return f"leanschool test database: {BACKEND}"


# Under pytest-xdist (make test: -n 2 --dist loadgroup) tests go one by one to whichever
# worker is free, except these, which share an expensive fixture and so go together to one
# worker: the browser tests (one Chromium) and the Oryol demo, loaded once for its module.
# (xdist's own xdist_group marks are ignored under pytest 9.2: pytest-xdist#1386.)
SHARED_FIXTURE_GROUPS = ("tests/e2e/", "tests/engine/test_demo.py")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class Scheduler(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for group in SHARED_FIXTURE_GROUPS:
                if nodeid.startswith(group):
                    return group
            return super()._split_scope(nodeid)

    return Scheduler(config, log)


def pg_database_name(prefix: str) -> str:
    """A PostgreSQL database name no other process uses: the xdist worker, the pid and a
    random part (several worktrees may run the suite on one server at once)."""
    return f"{prefix}_{WORKER}_{os.getpid()}_{uuid.uuid4().hex[:6]}"


@contextmanager
def own_database(prefix: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of its own for one module (the demo region's), on the suite's
    backend; a PostgreSQL one is dropped afterwards."""
    if BACKEND.startswith("postgres"):
        name = pg_database_name(prefix)
        admin = create_engine(f"{PG_BASE}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"{PG_BASE}/{name}"
    else:
        url = f"sqlite:///{Path(tmp_path_factory.mktemp(prefix)) / 'demo.db'}"
    try:
        migrate(url)
        yield url
    finally:
        if BACKEND.startswith("postgres"):
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Each process its own instance folder (engine/config.py instance_dir: scheduler lock
    files, a generated secret key), never the repository's instance/ shared by workers."""
    path = tmp_path_factory.mktemp("instance")
    before = os.environ.get("LEANSCHOOL_INSTANCE_DIR")
    os.environ["LEANSCHOOL_INSTANCE_DIR"] = str(path)
    yield path
    if before is None:
        os.environ.pop("LEANSCHOOL_INSTANCE_DIR", None)
    else:
        os.environ["LEANSCHOOL_INSTANCE_DIR"] = before


def pg_admin_engine():
    return create_engine(f"{PG_BASE}/postgres", isolation_level="AUTOCOMMIT")


def create_pg_database(name: str) -> str:
    eng = pg_admin_engine()
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return f"{PG_BASE}/{name}"


def drop_pg_database(name: str) -> None:
    eng = pg_admin_engine()
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


@pytest.fixture(scope="session")
def workflows() -> WorkflowRegistry:
    return load_dir(REPO_ROOT / "workflows")


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated once per run: a SQLite file to copy, or a PostgreSQL database to truncate."""
    if BACKEND.startswith("postgres"):
        name = pg_database_name("ls_test")
        # tests need no durability: commits without waiting for the disk
        url = create_pg_database(name) + "?options=-c%20synchronous_commit%3Doff"
        migrate(url)
        yield url
        drop_pg_database(name)
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        url = f"sqlite:///{path}"
        migrate(url)
        yield str(path)


TABLES_IN_DELETE_ORDER = [t.name for t in reversed(metadata.sorted_tables)]
RESTART_SEQUENCES = """DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL LOOP
    EXECUTE format('ALTER SEQUENCE %I RESTART', r.sequencename);
  END LOOP; END $$"""
# Empties the PostgreSQL database in one round trip: DELETE + sequence restart is ten times
# faster than TRUNCATE on these small tables, and one batch (no parameters: psycopg sends
# it as one simple query) on a connection kept for the run is ten times faster again than
# a new connection and a statement per table.
EMPTY_PG = ("UPDATE project SET practice_id = NULL WHERE practice_id IS NOT NULL;\n"
            + "".join(f'DELETE FROM "{table}";\n' for table in TABLES_IN_DELETE_ORDER)
            + RESTART_SEQUENCES)


@pytest.fixture(scope="session")
def _pg_emptier(_template_db: str) -> Iterator[Any]:
    """One connection to the process's PostgreSQL test database, kept for the run."""
    eng = create_engine(_template_db, poolclass=StaticPool)
    yield eng
    eng.dispose()


@pytest.fixture
def db_url(_template_db: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty database for one test."""
    if BACKEND.startswith("postgres"):
        with request.getfixturevalue("_pg_emptier").begin() as conn:
            conn.execute(text(EMPTY_PG))
        yield _template_db
    else:
        path = tmp_path / "leanschool.db"
        shutil.copyfile(_template_db, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def store(db_url: str, workflows: WorkflowRegistry) -> Iterator[Store]:
    s = Store(db_url, workflows)
    yield s
    s.dispose()


class TemplateCode(BytecodeCache):
    """Jinja's compiled templates, kept for the whole run in this process. Each test has
    an app of its own, and each app compiled every template it rendered anew (a third of
    a web test's time); the templates, the rendering and the apps stay the same. Jinja
    keys the code by template name and checks it against the source's checksum."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = TemplateCode()


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    """The web app (pages and /api/v1) on the test's database: the one app of the api, web
    and security tests."""
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test", "AUTO_MIGRATE": False})
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    yield app
    app.extensions["leanschool"].dispose()


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """A controlled clock for the engine: ``frozen_clock.advance(days=3)``."""
    fc = FrozenClock(datetime(2026, 9, 1, 9, 0, tzinfo=UTC))
    clock.set_clock(fc)
    yield fc
    clock.set_clock(None)


class FrozenClock:
    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta
        self.current += timedelta(**delta)
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when


# --- factories ---------------------------------------------------------------------------

@dataclass
class Person:
    id: int
    email: str
    actor: Actor


class Factory:
    """Builds the world through the engine's own services (never raw inserts)."""

    def __init__(self, store: Store):
        self.store = store
        self._n = 0

    def _seq(self) -> int:
        self._n += 1
        return self._n

    def region(self, name: str | None = None, code: str = "") -> Any:
        with self.store.uow() as uow:
            return admin_svc.create_region(uow, SYSTEM, {"name": name or f"Регион {self._seq()}", "code": code})

    def municipality(self, region: Any, name: str | None = None) -> Any:
        with self.store.uow() as uow:
            return admin_svc.create_municipality(uow, SYSTEM, {"region_id": region.id,
                                                               "name": name or f"Район {self._seq()}"})

    def org(self, municipality: Any, name: str | None = None, kind: str = "school", inn: str | None = None) -> Any:
        with self.store.uow() as uow:
            return admin_svc.create_organization(uow, SYSTEM, {
                "municipality_id": municipality.id, "name": name or f"МБОУ СОШ №{self._seq()}",
                "kind": kind, **({"inn": inn} if inn else {})})

    def person(self, role: str, org: Any = None, region: Any = None, email: str | None = None,
               name: str | None = None, municipality: Any = None) -> Person:
        email = email or f"{role}{self._seq()}@test.ru"
        with self.store.uow() as uow:
            user = admin_svc.create_user(uow, SYSTEM, {
                "email": email, "name": name or email.split("@")[0], "password": PASSWORD, "role": role,
                "org_id": org.id if org is not None else None,
                "region_id": region.id if region is not None else None,
                "municipality_id": municipality.id if municipality is not None else None})
            return Person(user.id, user.email, load_actor(uow.session, user.id))  # type: ignore[arg-type]

    def token(self, person: Person) -> str:
        with self.store.uow() as uow:
            return admin_svc.create_token(uow, SYSTEM, person.email)

    def project(self, org: Any, actor: Actor, title: str = "Оптимизация процесса питания", **fields: Any) -> Any:
        with self.store.uow() as uow:
            return project_svc.create_project(uow, actor, {
                "org_id": org.id, "title": title, "problem": "Очереди в столовой",
                "goal": "Сократить время ожидания", **fields})

    def call(self, fn: Any, *args: Any) -> Any:
        """Run one engine service in its own unit of work."""
        with self.store.uow() as uow:
            return fn(uow, *args)


@pytest.fixture
def make(store: Store) -> Factory:
    return Factory(store)


# --- the people and places of a small Oryol world -----------------------------------------

@dataclass
class World:
    region: Any
    municipality: Any
    school: Any
    other_school: Any
    other_region: Any
    other_region_school: Any


@pytest.fixture
def world(make: Factory) -> World:
    region = make.region("Орловская область", code="57")
    mun = make.municipality(region, "г. Орёл")
    school = make.org(mun, "МБОУ «Лицей №1 им. М.В. Ломоносова»")
    other_school = make.org(mun, "МБОУ СОШ №3")
    other_region = make.region("Курская область", code="46")
    other_mun = make.municipality(other_region, "г. Курск")
    return World(region, mun, school, other_school, other_region, make.org(other_mun, "МБОУ СОШ №5 г. Курска"))


@pytest.fixture
def member_of_school(make: Factory, world: World) -> Person:
    return make.person("member", org=world.school, email="teacher@lyceum1.ru", name="Иванова Анна")


@pytest.fixture
def head_of_school(make: Factory, world: World) -> Person:
    return make.person("head", org=world.school, email="head@lyceum1.ru", name="Петров Сергей")


@pytest.fixture
def member_of_other_school(make: Factory, world: World) -> Person:
    return make.person("member", org=world.other_school, email="teacher@school3.ru")


@pytest.fixture
def head_of_other_school(make: Factory, world: World) -> Person:
    return make.person("head", org=world.other_school, email="head@school3.ru")


@pytest.fixture
def curator_orel(make: Factory, world: World) -> Person:
    return make.person("curator", region=world.region, email="curator@orel-edu.ru", name="Смирнова Ольга")


@pytest.fixture
def coordinator_of_school(make: Factory, world: World) -> Person:
    """The school's coordinator of the programme (школьный координатор, PROGRAMME.md)."""
    return make.person("coordinator", org=world.school, email="coordinator@lyceum1.ru", name="Кузнецова Мария")


@pytest.fixture
def curator_of_municipality(make: Factory, world: World) -> Person:
    """A municipal curator of Oryol city: sees its organisations only."""
    return make.person("curator", municipality=world.municipality, email="curator@orel-city.ru",
                       name="Орлова Нина")


@pytest.fixture
def curator_kursk(make: Factory, world: World) -> Person:
    return make.person("curator", region=world.other_region, email="curator@kursk-edu.ru")


@pytest.fixture
def admin(make: Factory) -> Person:
    return make.person("admin", email="admin@leanschool.ru")
