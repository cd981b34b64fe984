"""Reads on a read replica (#16 item 4, DATABASE_REPLICA_URL; engine/replica.py): a second
database stands in for the streaming replica — a copy of the primary taken with
``leanschool backup``/``restore``, which then falls behind as the primary changes, as a
lagging replica does. The tower, the exports and the reports read the replica; pages and
writes read the primary; a person who has just changed something reads the primary."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import DBAPIError

from engine import services as svc
from engine.io import backup as backups
from tests.conftest import BACKEND, TEMPLATE_CODE, create_pg_database, drop_pg_database
from tests.web.conftest import Browser
from webui import create_app

ON_POSTGRES = BACKEND.startswith("postgres")


@pytest.fixture
def replica_url(tmp_path: Path) -> Iterator[str]:
    if ON_POSTGRES:
        name = f"ls_replica_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        yield create_pg_database(name)
        drop_pg_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'replica' / 'leanschool.db'}"


@pytest.fixture
def lagging(make, world, member_of_school, curator_orel, db_url, replica_url, tmp_path) -> Any:
    """The people and the school's first project, on both databases; then a second project
    on the primary only (the replica has not caught up with it)."""
    first = make.project(world.school, member_of_school.actor, title="Выдача учебников без очередей")
    backups.backup(db_url, tmp_path / "copy.bak")
    backups.restore(replica_url, tmp_path / "copy.bak")
    second = make.project(world.school, member_of_school.actor, title="Справки для родителей за день")
    return first, second


@pytest.fixture
def app_with_replica(db_url: str, replica_url: str, lagging: Any) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": db_url, "DATABASE_REPLICA_URL": replica_url, "TESTING": True,
                      "SECRET_KEY": "test", "AUTO_MIGRATE": False})
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    yield app
    app.extensions["leanschool"].dispose()


def csv_of(b: Browser) -> str:
    r = b.get("/projects.csv")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_the_exports_and_the_tower_read_the_replica_pages_read_the_primary(app_with_replica, lagging,
                                                                         curator_orel, world):
    first, second = lagging
    curator = Browser(app_with_replica).sign_in(curator_orel)
    export = csv_of(curator)
    assert first.title in export and second.title not in export  # the replica
    tower = curator.get(f"/api/v1/regions/{world.region.id}/tower").get_json()
    assert sum(tower["by_state"].values()) == 1
    board = curator.get("/board").get_data(as_text=True)
    assert second.title in board  # the board reads the primary
    report = curator.get(f"/projects/{first.id}/report")
    assert report.status_code == 200 and first.title in report.get_data(as_text=True)
    assert curator.get(f"/projects/{second.id}/report").status_code == 404  # not on the replica yet


def test_who_has_just_changed_something_reads_the_primary(app_with_replica, lagging, member_of_school,
                                                          curator_orel, world):
    first, second = lagging
    assert second.title in csv_of(Browser(app_with_replica).sign_in(member_of_school))  # made it a moment ago
    curator = Browser(app_with_replica).sign_in(curator_orel)
    assert second.title not in csv_of(curator)
    r = curator.post(f"/projects/{first.id}/comments", {"text": "Посмотрите сроки."})
    assert r.status_code in (200, 302, 303)
    assert second.title in csv_of(curator)
    tower = curator.get(f"/api/v1/regions/{world.region.id}/tower").get_json()
    assert sum(tower["by_state"].values()) == 2


def test_a_unit_of_work_on_the_replica_cannot_write(app_with_replica, curator_orel, lagging):
    store = app_with_replica.extensions["leanschool"]
    first, _second = lagging
    with store.uow(replica=True) as uow:  # refused by the unit of work, or by the connection itself
        with pytest.raises((RuntimeError, DBAPIError)):
            svc.add_comment(uow, curator_orel.actor, first.id, {"text": "на реплике"})
    with store.uow() as uow:  # nothing reached the primary either
        assert svc.get_project(uow, curator_orel.actor, first.id).version == first.version


def test_without_a_replica_everything_reads_the_primary(app, lagging, curator_orel):
    _first, second = lagging
    assert app.extensions["leanschool"].replica_engine is None
    assert second.title in csv_of(Browser(app).sign_in(curator_orel))
