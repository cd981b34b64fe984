"""Backup and restore (engine/io/backup.py, ``leanschool backup|restore``; issue #16 item 6)
on the test's real database, SQLite or PostgreSQL: a round trip gives identical rows in
every table (schema version and sequences included), a database holding data is refused
without --force (exit 2, one Russian line, nothing changed), a bad file is named."""
from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, select, table, text

from engine.db import Store
from engine.io import backup as backups
from engine.services import add_comment, log_risk
from tests.conftest import BACKEND, Factory, create_pg_database, drop_pg_database
from tests.engine.test_scheduler import cli_env, leanschool

ON_POSTGRES = BACKEND.startswith("postgres")


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    """A new database with nothing in it (no tables either)."""
    if ON_POSTGRES:
        name = f"ls_h_ops_restore_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        yield create_pg_database(name)
        drop_pg_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'restored' / 'leanschool.db'}"


def everything(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (Alembic's and SQLite's full-text tables included), sorted."""
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            out = {}
            for name in sorted(inspect(conn).get_table_names()):
                rows = conn.execute(select(text("*")).select_from(table(name))).all()
                out[name] = sorted((tuple(r) for r in rows), key=repr)
            return out
    finally:
        eng.dispose()


@pytest.fixture
def filled(store: Store, make: Factory, world, member_of_school, head_of_school, curator_orel) -> Store:
    p = make.project(world.school, member_of_school.actor, leader_id=member_of_school.id)
    make.call(add_comment, curator_orel.actor, p.id, {"text": "Хорошая работа; «кавычки» и\nперевод строки"})
    make.call(log_risk, member_of_school.actor, p.id, {"title": "Не хватит времени", "probability": 3, "impact": 4})
    return store


def test_a_round_trip_gives_identical_data_in_every_table(filled, db_url, empty_url, tmp_path, workflows):
    before = everything(db_url)
    assert before["project"] and before["event"] and before["comment"] and before["alembic_version"]
    made = backups.backup(db_url, tmp_path / "copies" / "leanschool.backup")
    assert made.size > 0 and made.kind == ("postgresql" if ON_POSTGRES else "sqlite")
    assert made.file.stat().st_mode & 0o077 == 0  # everybody's data: the owner's only
    assert sorted(p.name for p in made.file.parent.iterdir()) == ["leanschool.backup"]  # no temporary left

    backups.restore(empty_url, made.file)
    assert everything(empty_url) == before

    # the counters go on where they were: the next region gets the same id in both
    ids = []
    for url in (db_url, empty_url):
        s = Store(url, workflows)
        try:
            ids.append(Factory(s).region("Новый регион").id)
        finally:
            s.dispose()
    assert ids[0] == ids[1] == max(r[0] for r in before["region"]) + 1


def test_a_database_holding_data_is_refused_without_force(filled, db_url, tmp_path, make, world):
    made = backups.backup(db_url, tmp_path / "copy.backup")
    make.region("Регион после копии")
    changed = everything(db_url)
    with pytest.raises(backups.NotEmpty) as refused:
        backups.restore(db_url, made.file)
    assert "база данных не пуста" in refused.value.message("ru") and "--force" in refused.value.message("ru")
    assert everything(db_url) == changed  # nothing written

    backups.restore(db_url, made.file, force=True)
    names = [r[1] for r in everything(db_url)["region"]]
    assert "Регион после копии" not in names and world.region.name in names


def test_a_database_made_by_init_but_empty_takes_a_copy(filled, db_url, empty_url, tmp_path):
    from engine.db import migrate

    made = backups.backup(db_url, tmp_path / "copy.backup")
    migrate(empty_url)  # leanschool init: tables, no rows
    backups.restore(empty_url, made.file)
    assert everything(empty_url) == everything(db_url)


def test_what_is_not_a_backup_is_named(db_url, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("не копия")
    with pytest.raises(backups.BackupFailed, match="не копия базы Lean School"):
        backups.restore(db_url, junk)
    with pytest.raises(backups.BackupFailed, match="нет файла копии"):
        backups.restore(db_url, tmp_path / "missing.backup")


@pytest.mark.slow
def test_the_command_line_round_trip_and_refusal(filled, db_url, empty_url, tmp_path):
    file = tmp_path / "nightly.backup"
    env = cli_env(tmp_path, db_url)
    done = subprocess.run([leanschool(), "backup", str(file)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("копия базы записана: ")

    into_empty = dict(env, DATABASE_URL=empty_url)
    done = subprocess.run([leanschool(), "restore", str(file)], env=into_empty, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert everything(empty_url) == everything(db_url)

    again = subprocess.run([leanschool(), "restore", str(file)], env=into_empty, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 2
    assert again.stderr.startswith("leanschool: база данных не пуста") and "Traceback" not in again.stderr
    forced = subprocess.run([leanschool(), "restore", "--force", str(file)], env=into_empty, capture_output=True,
                            text=True, timeout=120)
    assert forced.returncode == 0, forced.stderr


def test_a_damaged_copy_leaves_the_database_as_it_was(filled, db_url, tmp_path, make):
    made = backups.backup(db_url, tmp_path / "copy.backup")
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(made.file.read_bytes()[: made.size * 2 // 3])
    make.region("Регион после копии")
    before = everything(db_url)
    with pytest.raises(backups.BackupFailed) as failed:
        backups.restore(db_url, damaged, force=True)
    assert "копи" in failed.value.message("ru")
    assert everything(db_url) == before
