"""Database engine, sessions, the unit of work and migrations."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from engine.reporting.cache import FigureCache

if TYPE_CHECKING:
    from engine.workflow import WorkflowRegistry

REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = REPO_ROOT / "migrations"


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _create_private(path: Path) -> None:
    """Create a new SQLite database file readable by its owner only (0600; SQLite gives its
    -wal and -shm files the same mode). An existing file is left as it is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy URL; SQLite gets foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            _create_private(Path(parsed.database))
        eng = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(eng, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            # SQLite's own lower() folds ASCII only: «Питание» would not find «питание»
            dbapi_conn.create_function("lower", 1, _unicode_lower, deterministic=True)

        return eng
    # JIT off: PostgreSQL compiles any statement its planner costs over jit_above_cost, and the
    # tower's region-wide GROUP BYs cross it; compiling took 25-30 ms of a 45 ms statement, every
    # time (measured on 10,000 projects). Our statements are short: interpreting them is faster.
    # No parallel workers either, for the same reason: in a national database (85 regions) the
    # planner sent a region's statements to parallel plans whose workers' start alone outweighed
    # the work (the tower's worst risks: 0.7 ms of reading in 6.4 ms) or that read every
    # region's rows instead of the region's index (its waiting requests: 100 ms against 8);
    # and a web server's concurrent requests already keep every core busy.
    return create_engine(url, pool_pre_ping=True,
                         connect_args={"options": "-c jit=off -c max_parallel_workers_per_gather=0"})


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` with Alembic (never create_all)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, revision)


def _read_only_connection(dbapi_conn: Any, _record: Any) -> None:
    """Connections to the replica refuse writes themselves (a streaming replica does anyway;
    a copy standing in for one, as in the tests, must too)."""
    cur = dbapi_conn.cursor()
    if isinstance(dbapi_conn, sqlite3.Connection):
        cur.execute("PRAGMA query_only = ON")
    else:
        cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        dbapi_conn.commit()  # a SET inside a transaction that is rolled back is undone
    cur.close()


class Store:
    """What the services need from the outside world: the database and the workflows.

    One per app (or CLI run); nothing is shared between apps.
    """

    def __init__(self, url: str, workflows: WorkflowRegistry, replica_url: str | None = None):
        self.url = url
        self.engine = make_engine(url)
        # DATABASE_REPLICA_URL (#16 item 4): a PostgreSQL streaming replica for the heavy
        # reads (tower, analytics, reports, exports); see engine/replica.py
        self.replica_engine = make_engine(replica_url) if replica_url else None
        if self.replica_engine is not None:
            event.listen(self.replica_engine, "connect", _read_only_connection)
        self.workflows = workflows
        self.figures = FigureCache()  # figures of the whole log, valid until the next move
        self.boards = FigureCache(size=64, copies=False)  # boards as read, until the next event

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self, replica: bool = False) -> UnitOfWork:
        """A unit of work on the primary, or with ``replica`` on the replica (when one is
        configured; the primary otherwise). A replica's unit of work cannot commit."""
        return UnitOfWork(self, replica=replica and self.replica_engine is not None)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.replica_engine is not None:
            self.replica_engine.dispose()


class UnitOfWork:
    """A transaction: rolls back unless ``commit()`` is called.

    with store.uow() as uow:
        ...; uow.commit()

    Services raise and never roll back themselves: leaving the block on an error discards
    everything the transaction wrote. No service uses ``session.begin_nested()``: on SQLite
    (pysqlite opens a transaction only before the first write) a savepoint taken before any
    write starts the transaction itself and its release COMMITS it, so a dry run or a later
    failure would keep what came before (tests/engine/test_import_participants.py).
    """

    def __init__(self, store: Store, replica: bool = False):
        self.store = store
        self.workflows = store.workflows
        self.replica = replica
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        engine = self.store.replica_engine if self.replica else self.store.engine
        self.session = Session(engine, expire_on_commit=False)
        return self

    def __exit__(self, *exc) -> None:
        # close() rolls back whatever was not committed; unlike rollback() it does not
        # expire the loaded objects, so results stay readable after the block.
        self.session.close()

    def commit(self) -> None:
        if self.replica:
            raise RuntimeError("a unit of work on the read replica cannot write")
        self.session.commit()


class OneTransaction(UnitOfWork):
    """The one way to compose services: the caller's unit of work with ``commit()``
    deferred to a flush, so that several services (each of which commits) run as ONE
    transaction that the caller commits (practices.replicate, the onboarding import, the
    demo's batches).

    with store.uow() as uow:
        create_project(OneTransaction(uow), ...); add_metric(OneTransaction(uow), ...)
        uow.commit()
    """

    def __init__(self, uow: UnitOfWork):  # shares the caller's session
        self.store, self.workflows, self.session = uow.store, uow.workflows, uow.session
        self.replica = uow.replica

    def commit(self) -> None:
        self.session.flush()
