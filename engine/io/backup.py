"""Backup and restore of the whole database (``leanschool backup FILE`` / ``restore FILE``;
issue #16 item 6).

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``): a consistent copy
  while the server and the scheduler go on writing; restoring copies it back page by page.
- PostgreSQL: ``pg_dump --format=custom`` (compressed, one consistent snapshot, while the
  services run) and ``pg_restore`` in one transaction (all or nothing), without owners and
  grants, so the copy restores under another database user too.

A restore goes into an EMPTY database (no rows in any Lean School table: a new one, or one
just made by ``leanschool init``); a database holding data is refused (``NotEmpty``) unless
``force`` is given, which replaces everything in it. The copy keeps its schema version: the
next ``leanschool init`` (or the server's start) migrates it if it is older than the code.
Stop the web server and the scheduler before restoring.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from engine.db import make_engine
from engine.errors import Conflict, DomainError
from engine.models import metadata
from engine.text import Text

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupFailed(DomainError):
    code = "backup_failed"


class NotEmpty(Conflict):
    """The target database holds data: restoring would replace it."""

    def __init__(self, rows: int, tables: int):
        self.rows = rows
        super().__init__(Text(
            f"база данных не пуста (строк: {rows} в таблицах: {tables}); восстановление заменит "
            "всё её содержимое — запустите с --force, если это и нужно",
            f"the database is not empty ({rows} rows in {tables} tables); restoring would replace "
            "everything in it: run with --force if that is what you want"))


@dataclass
class Result:
    file: Path
    size: int
    kind: str  # sqlite | postgresql


def _kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupFailed(Text(f"резервное копирование базы {backend} не поддерживается",
                                f"backing up a {backend} database is not supported"))
    return backend


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupFailed(Text("для копии нужна база SQLite в файле", "a SQLite database in a file is needed"))
    return Path(database)


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to a SQLite file (a file: URI, so any file name works)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def row_counts(url: str) -> dict[str, int]:
    """Rows in each Lean School table that exists in the database (alembic_version aside)."""
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return {name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
                    for name in sorted(present & set(metadata.tables))}
    finally:
        eng.dispose()


# --- PostgreSQL: the libpq side ------------------------------------------------------------------

def _conninfo(url: str) -> tuple[str, dict[str, str]]:
    """A libpq conninfo string for pg_dump/pg_restore (the password goes in PGPASSWORD,
    never on the command line that ``ps`` shows) and the environment to run them with."""
    u: URL = make_url(url)

    def quoted(value: object) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    parts = {"host": u.host, "port": u.port, "user": u.username, "dbname": u.database}
    parts.update({k: (v[-1] if isinstance(v, tuple) else v) for k, v in u.query.items()})
    conninfo = " ".join(f"{k}={quoted(v)}" for k, v in parts.items() if v not in (None, ""))
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return conninfo, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupFailed(Text(f"не найдена программа {name}: установите клиент PostgreSQL "
                                f"(Debian: apt install postgresql-client)",
                                f"{name} not found: install the PostgreSQL client (Debian: apt install "
                                "postgresql-client)"))
    return path


def _run(args: list[str], env: dict[str, str], what: Text) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or "").splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit {done.returncode}"
        raise BackupFailed(Text(f"{what.ru}: {reason}", f"{what.en}: {reason}"))


# --- backup ----------------------------------------------------------------------------------------

def backup(url: str, file: str | os.PathLike[str]) -> Result:
    """Write a copy of the database at ``url`` to ``file`` (written to a temporary file
    beside it, then renamed: a failed backup never leaves half a file under that name).
    The file is readable by its owner only: it holds everybody's data and password hashes."""
    kind = _kind(url)
    target = Path(file)
    if target.is_dir():
        raise BackupFailed(Text(f"{target} — это папка; укажите имя файла", f"{target} is a folder; give a file name"))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)  # mkstemp: mode 0600
    try:
        if kind == "sqlite":
            source_path = _sqlite_path(url)
            if not source_path.exists():
                raise BackupFailed(Text(f"нет файла базы данных {source_path}", f"no database file {source_path}"))
            source = _read_only(source_path)
            try:
                dest = sqlite3.connect(tmp)
                try:
                    source.backup(dest)
                    dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
                finally:
                    dest.close()
            finally:
                source.close()
        else:
            conninfo, env = _conninfo(url)
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={tmp}",
                  f"--dbname={conninfo}"], env, Text("pg_dump не смог сделать копию", "pg_dump failed"))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return Result(target, target.stat().st_size, kind)


# --- restore ---------------------------------------------------------------------------------------

def _file_kind(path: Path) -> str:
    if not path.is_file():
        raise BackupFailed(Text(f"нет файла копии {path}", f"no backup file {path}"))
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupFailed(Text(f"{path} — не копия базы Lean School (ни SQLite, ни pg_dump)",
                            f"{path} is not a Lean School backup (neither SQLite nor pg_dump)"))


def _check_sqlite_copy(path: Path) -> None:
    conn = _read_only(path)
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupFailed(Text(f"копия {path} повреждена", f"the backup {path} is damaged"))
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone():
            raise BackupFailed(Text(f"{path} — не копия базы Lean School (нет alembic_version)",
                                    f"{path} is not a Lean School backup (no alembic_version)"))
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(Text(f"копия {path} не читается: {exc}",
                                f"the backup {path} cannot be read: {exc}")) from None
    finally:
        conn.close()


def _restore_postgresql(url: str, path: Path) -> None:
    """pg_restore turns the copy into SQL, which psql runs inside ONE explicit transaction
    after emptying the schema; the COMMIT is written only when pg_restore read the whole
    copy without error. A damaged or truncated copy, or any failing statement, ends psql
    without COMMIT: the database stays as it was."""
    conninfo, env = _conninfo(url)
    restore_cmd = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(path)]
    psql_cmd = [_tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", f"--dbname={conninfo}"]
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        loader = subprocess.Popen(psql_cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=psql_err)
        script = subprocess.Popen(restore_cmd, env=env, stdout=subprocess.PIPE, stderr=restore_err)
        assert loader.stdin is not None and script.stdout is not None
        try:
            loader.stdin.write(b"BEGIN;\nDROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
            while chunk := script.stdout.read(1 << 20):
                loader.stdin.write(chunk)
            if script.wait() == 0:
                loader.stdin.write(b"\nCOMMIT;\n")
        except BrokenPipeError:  # psql stopped at a failing statement: nothing committed
            script.kill()
        finally:
            script.stdout.close()
            script.wait()
            try:
                loader.stdin.close()
            except BrokenPipeError:
                pass
            loader.wait()
        failures = []
        for code, err, what in ((script.returncode, restore_err, Text("pg_restore не прочитал копию",
                                                                       "pg_restore could not read the backup")),
                                (loader.returncode, psql_err, Text("psql не выполнил копию",
                                                                   "psql could not run the backup"))):
            err.seek(0)
            lines = [line for line in err.read().decode(errors="replace").splitlines() if line.strip()]
            if code != 0 and code != -9:  # -9: pg_restore stopped by us after psql failed
                failures.append(f"{what.ru}: {lines[0] if lines else f'exit {code}'}")
        if failures:
            reason = "; ".join(failures)
            raise BackupFailed(Text(f"копия не восстановлена, база данных не изменена ({reason})",
                                    f"the backup was not restored; the database is unchanged ({reason})"))
    eng = make_engine(url)
    try:
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))  # fresh planner statistics for the restored tables
    finally:
        eng.dispose()


def restore(url: str, file: str | os.PathLike[str], force: bool = False) -> Result:
    """Restore ``file`` (made by ``backup``) into the database at ``url``, which must be
    empty unless ``force``. Nothing is changed when the file or the target is refused."""
    kind = _kind(url)
    path = Path(file)
    file_kind = _file_kind(path)
    if file_kind != kind:
        raise BackupFailed(Text(f"копия сделана из базы {file_kind}, а восстанавливается в {kind}: так нельзя",
                                f"the backup is of a {file_kind} database, the target is {kind}: not possible"))
    if kind == "sqlite":
        _check_sqlite_copy(path)
    try:
        counts = row_counts(url)
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise BackupFailed(Text(f"база данных недоступна: {reason}",
                                f"the database is unreachable: {reason}")) from None
    rows = sum(counts.values())
    if rows and not force:
        raise NotEmpty(rows, sum(1 for n in counts.values() if n))
    if kind == "sqlite":
        source = _read_only(path)
        try:
            dest = sqlite3.connect(_sqlite_path(url), timeout=30)
            try:
                source.backup(dest)  # replaces every page of the target: schema and data
            finally:
                dest.close()
        finally:
            source.close()
    else:
        _restore_postgresql(url, path)
    return Result(path, path.stat().st_size, kind)
