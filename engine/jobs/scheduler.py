"""The scheduler process (``leanschool scheduler``): it only runs the jobs of engine/jobs/
(stall, reminders, snapshots, emails, readiness rounds, campaigns; ARCHITECTURE.md "Scaling out", STACK.md
"APScheduler 3.x").

Every job is idempotent and safe to run twice at once, even from two processes: each
one selects its candidates with SQL and flips them with a compare-and-swap UPDATE, the
first statement of its transaction, whose RETURNING rows are exactly the ones this run
won. ``UPDATE project SET stalled_since = now WHERE stalled_since IS NULL AND <stalled>``
is the set-based form of ``... WHERE id = ? AND stalled_since IS NULL``: on PostgreSQL a
second run blocks on the rows the first one locked and re-checks the WHERE after it
commits (so it skips them); on SQLite writers are serialised. Only the winner writes
the event and the notifications, so an episode is recorded once. Re-checking the stall
condition in the same UPDATE also means a project moved meanwhile is never marked.

Still, only one scheduler should run: ``single_scheduler`` holds a PostgreSQL advisory
lock (or, on SQLite, an flock'ed file in the instance folder) for the process lifetime.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine import config, health
from engine.db import Store
from engine.errors import Conflict
from engine.jobs.campaigns import campaign_reminders
from engine.jobs.emails import emails
from engine.jobs.reminders import reminders
from engine.jobs.rounds import round_reminders
from engine.jobs.snapshots import snapshots
from engine.jobs.stall import stall_scan
from engine.text import Text

log = logging.getLogger("leanschool.scheduler")

STALL_SCAN_MINUTES = 15
REMINDERS_MINUTES = 15
EMAILS_MINUTES = 1
# pg_try_advisory_lock key of "the" scheduler (advisory locks are per database)
SCHEDULER_LOCK_KEY = 0x4C65616E5363  # "LeanSc"


class SchedulerAlreadyRunning(Conflict):
    def __init__(self, where: str):
        super().__init__(Text(f"планировщик уже запущен ({where}); второй не запускается",
                              f"the scheduler is already running ({where}); not starting a second one"))


class SchedulerLockLost(Conflict):
    def __init__(self) -> None:
        super().__init__(Text("потеряно соединение с блокировкой планировщика; перезапустите его",
                              "the scheduler lost its lock connection; restart it"))


# --- the jobs ---------------------------------------------------------------------------------------

JOBS: dict[str, Callable[[Store], dict[str, Any]]] = {
    "stall_scan": stall_scan, "reminders": reminders, "snapshots": snapshots, "emails": emails,
    "round_reminders": round_reminders,  # readiness rounds closing in 7 days (daily)
    "campaign_reminders": campaign_reminders,  # scaling campaigns' offers due in 3 days (daily)
}


def run_once(store: Store) -> dict[str, dict[str, Any]]:
    """Run every job once (``leanschool scheduler --once``); a failing job is reported in
    the summary as ``{"error": ...}`` and does not stop the others."""
    summary: dict[str, dict[str, Any]] = {}
    for name, job in JOBS.items():
        try:
            summary[name] = health.record_run(store, name, job)  # the heartbeat /healthz reads
        except Exception as exc:  # noqa: BLE001 - one job's failure must not hide the others
            # one line, like every CLI error; the traceback only with LEANSCHOOL_DEBUG
            log.error("job %s failed: %s: %s", name, type(exc).__name__, exc,
                      exc_info=config.settings().debug)
            summary[name] = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    return summary


# --- one scheduler only ---------------------------------------------------------------------------

def lock_path(url: str) -> Path:
    """The SQLite lock file: in the instance folder, one per database file."""
    database = make_url(url).database or ""
    digest = hashlib.sha1(str(Path(database).resolve()).encode()).hexdigest()[:12]
    return config.instance_dir() / f"scheduler-{digest}.lock"


@contextmanager
def single_scheduler(store: Store) -> Iterator[Any]:
    """Hold the one-scheduler lock for the block; SchedulerAlreadyRunning if taken.

    PostgreSQL: ``pg_try_advisory_lock`` on a dedicated connection (yielded; the lock
    lives as long as that session). SQLite: a non-blocking ``flock`` on a file.
    """
    if store.dialect == "postgresql":
        conn = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"),
                               {"key": SCHEDULER_LOCK_KEY}).scalar_one()
            if not got:
                raise SchedulerAlreadyRunning(f"pg_advisory_lock {SCHEDULER_LOCK_KEY} is held")
            yield conn
        finally:
            conn.close()  # ends the session, and with it the lock
    elif store.dialect == "sqlite":
        path = lock_path(store.url)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip()
                raise SchedulerAlreadyRunning(f"lock file {path} is held"
                                              + (f" by pid {holder}" if holder.isdigit() else "")) from None
            try:
                fh.seek(0)
                fh.truncate()
                fh.write(str(os.getpid()))
                fh.flush()
                yield path
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    else:  # pragma: no cover - only the two backends are supported
        log.warning("no scheduler lock on %s", store.dialect)
        yield None


# --- the long-running process ---------------------------------------------------------------------

def build_scheduler(store: Store) -> Any:
    """A BlockingScheduler with our jobs (in-memory store, jobs defined here in code)."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    # SQLite has one writer at a time: run its jobs one after another.
    workers = 1 if store.dialect == "sqlite" else 4
    sched = BlockingScheduler(
        timezone=UTC, executors={"default": ThreadPoolExecutor(workers)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    start = datetime.now(UTC)
    schedule = [
        ("stall_scan", IntervalTrigger(minutes=STALL_SCAN_MINUTES, timezone=UTC)),
        ("reminders", IntervalTrigger(minutes=REMINDERS_MINUTES, timezone=UTC)),
        ("snapshots", CronTrigger(hour=0, minute=5, timezone=UTC)),
        ("emails", IntervalTrigger(minutes=EMAILS_MINUTES, timezone=UTC)),
        ("round_reminders", CronTrigger(hour=6, minute=0, timezone=UTC)),
        ("campaign_reminders", CronTrigger(hour=6, minute=10, timezone=UTC)),
    ]
    for job_id, trigger in schedule:
        # each run recorded in scheduler_job: the heartbeat /healthz reads, the figures of /metrics
        sched.add_job(health.record_run, trigger, args=[store, job_id, JOBS[job_id]], id=job_id, name=job_id,
                      next_run_time=start)  # every job also runs once at start
    return sched


def _watch_lock(conn: Any, sched: Any, lost: threading.Event) -> None:
    """PostgreSQL: if the lock's connection is gone, so is the lock: stop (non-zero)."""
    try:
        conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001
        log.exception("lost the scheduler lock connection")
        lost.set()
        sched.shutdown(wait=False)


def _log_result(event: Any) -> None:
    if getattr(event, "exception", None) is None:
        log.info("job %s: %s", event.job_id, event.retval)


def _stop_on_signals(sched: Any) -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop the scheduler, exit status 0.

    Not by raising KeyboardInterrupt: APScheduler catches every exception while it hands
    jobs to the executor, so one raised there would be swallowed. The handler only starts
    a thread that shuts the scheduler down (taking its locks like any other caller).
    """
    stopping = threading.Event()

    def shutdown() -> None:
        while not sched.running:  # a signal just before start()
            time.sleep(0.05)
        log.info("scheduler stopping")
        sched.shutdown(wait=False)

    def handler(signum: int, frame: Any) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=shutdown, name="scheduler-stop", daemon=True).start()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def run_forever(store: Store) -> None:
    """The scheduler process: holds the lock, runs the jobs until Ctrl-C or SIGTERM."""
    from apscheduler.events import EVENT_JOB_EXECUTED

    with single_scheduler(store) as lock:
        sched = build_scheduler(store)
        sched.add_listener(_log_result, EVENT_JOB_EXECUTED)
        lost = threading.Event()
        if store.dialect == "postgresql":
            sched.add_job(_watch_lock, "interval", minutes=1, args=[lock, sched, lost], id="lock_watch")
        if threading.current_thread() is threading.main_thread():
            _stop_on_signals(sched)
        log.info("scheduler started (%s)", store.dialect)
        try:
            sched.start()
        except KeyboardInterrupt:  # Ctrl-C before our handler was in place
            if sched.running:
                sched.shutdown(wait=False)
        log.info("scheduler stopped")
        if lost.is_set():
            raise SchedulerLockLost()
