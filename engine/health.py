"""What an operator watches (issue #16 item 5), without Flask: the scheduler's heartbeat
(each job run recorded in ``scheduler_job``), the health checks behind ``/healthz``
(database reachable, migrations at the head, heartbeat age) and the figures behind
``/metrics`` that live in the database (job runs, e-mail queue), so that every web worker
reports the same numbers whichever process ran the job.
"""
from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from engine import clock
from engine.db import MIGRATIONS_DIR, Store
from engine.models import Notification, SchedulerJob, table_of
from engine.text import Text

log = logging.getLogger("leanschool.health")

ERROR_MAX = 500  # scheduler_job.last_error's length


# --- the heartbeat: every job run is recorded ----------------------------------------------------

def _upsert(store: Store, name: str, started: datetime, finished: datetime, duration_ms: float,
            error: str | None) -> None:
    values = {"name": name, "last_started_at": started, "last_finished_at": finished,
              "last_duration_ms": duration_ms, "last_ok": error is None,
              "last_error": error[:ERROR_MAX] if error else None, "runs": 1, "failures": int(error is not None)}
    table = table_of(SchedulerJob)
    insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["name"], set_={
        "last_started_at": stmt.excluded.last_started_at, "last_finished_at": stmt.excluded.last_finished_at,
        "last_duration_ms": stmt.excluded.last_duration_ms, "last_ok": stmt.excluded.last_ok,
        "last_error": stmt.excluded.last_error, "runs": table.c.runs + 1,
        "failures": table.c.failures + stmt.excluded.failures})
    with store.uow() as uow:
        uow.session.execute(stmt)
        uow.commit()


def record_run(store: Store, name: str, job: Callable[[Store], dict[str, Any]]) -> dict[str, Any]:
    """Run ``job(store)`` and record the run (start, end, duration, outcome) in
    ``scheduler_job``; the job's result is returned and its error raised as before. A
    failure to record is logged, never hides the job's own outcome."""
    started, t0 = clock.now(), time.perf_counter()
    error: str | None = None
    try:
        return job(store)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        raise
    finally:
        try:
            _upsert(store, name, started, clock.now(), (time.perf_counter() - t0) * 1000, error)
        except Exception as exc:  # noqa: BLE001 - the heartbeat must not break the job
            log.warning("could not record the run of %s: %s: %s", name, type(exc).__name__, exc)


def jobs(store: Store) -> list[SchedulerJob]:
    with store.uow() as uow:
        return list(uow.session.execute(select(SchedulerJob).order_by(SchedulerJob.name)).scalars())


def email_queue_length(store: Store) -> int:
    """Notifications waiting to be e-mailed (not yet sent, young enough to be sent)."""
    from engine.jobs.emails import EMAIL_MAX_AGE

    with store.uow() as uow:
        return int(uow.session.execute(
            select(func.count()).select_from(Notification)
            .where(col(Notification.emailed_at).is_(None),
                   col(Notification.at) >= clock.now() - EMAIL_MAX_AGE)).scalar_one())


# --- health ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def script_heads() -> tuple[str, ...]:
    """The head revision(s) of the migrations shipped with this code (read once)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return tuple(sorted(ScriptDirectory.from_config(cfg).get_heads()))


@dataclass
class Check:
    ok: bool
    details: dict[str, Any] = field(default_factory=dict)
    problem: Text | None = None


@dataclass
class Health:
    checks: dict[str, Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks.values())

    def as_dict(self, locale: str = "ru") -> dict[str, Any]:
        return {"status": "ok" if self.ok else "fail",
                "checks": {name: {"ok": c.ok, **c.details,
                                  **({"problem": c.problem.get(locale)} if c.problem else {})}
                           for name, c in self.checks.items()},
                "problems": [c.problem.get(locale) for c in self.checks.values() if c.problem]}


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"


def check(store: Store, scheduler_max_age: int) -> Health:
    """Database reachable, migrations at the head, and (unless ``scheduler_max_age`` is 0)
    a scheduler heartbeat younger than ``scheduler_max_age`` seconds."""
    from alembic.migration import MigrationContext

    checks: dict[str, Check] = {}
    try:
        with store.engine.connect() as conn:
            current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
            finished = (conn.execute(select(func.max(SchedulerJob.last_finished_at))).scalar_one()
                        if scheduler_max_age and current == script_heads() else None)
    except Exception as exc:  # noqa: BLE001 - an answer, not a traceback
        reason = _first_line(exc)
        checks["database"] = Check(False, {"error": reason}, Text(f"база данных недоступна: {reason}",
                                                                  f"the database is unreachable: {reason}"))
        return Health(checks)
    checks["database"] = Check(True)
    head = script_heads()
    if current == head:
        checks["migrations"] = Check(True, {"current": ",".join(current), "head": ",".join(head)})
    else:
        now_at = ",".join(current) or "—"
        checks["migrations"] = Check(
            False, {"current": ",".join(current), "head": ",".join(head)},
            Text(f"схема базы данных не последняя: {now_at}, нужна {','.join(head)} (выполните leanschool init)",
                 f"the database schema is behind: {now_at}, expected {','.join(head)} (run leanschool init)"))
    if scheduler_max_age:
        if finished is None and current == head:
            checks["scheduler"] = Check(False, {"heartbeat_age_seconds": None, "max_age_seconds": scheduler_max_age},
                                        Text("планировщик ещё ни разу не работал (leanschool scheduler)",
                                             "the scheduler has never run (leanschool scheduler)"))
        elif finished is not None:
            age = max(0, round((clock.now() - finished).total_seconds()))
            ok = age <= scheduler_max_age
            checks["scheduler"] = Check(
                ok, {"heartbeat_age_seconds": age, "max_age_seconds": scheduler_max_age},
                None if ok else Text(f"планировщик молчит {age} с (допустимо {scheduler_max_age} с)",
                                     f"no scheduler heartbeat for {age} s (limit {scheduler_max_age} s)"))
    return Health(checks)

