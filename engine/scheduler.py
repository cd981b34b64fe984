"""The scheduler process (``leanschool scheduler``): stall scan, reminders, daily
snapshots, e-mail (ARCHITECTURE.md "Scaling out", STACK.md "APScheduler 3.x").

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
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, not_, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from engine import clock, config, health
from engine.db import Store
from engine.errors import Conflict
from engine.models import UNRESOLVED_RISK, Event, Project, Risk, RoleGrant, TransitionRequest, User
from engine.monitoring import active_filter, stall_reasons, stalled_filter, whole_days
from engine.notifications import SmtpConfig, notify_many, send_pending_emails
from engine.policy import GLOBAL_ROLES, ORG_ROLES, REGION_ROLES, granting
from engine.services.common import sees_project
from engine.text import Text
from engine.workflow import Workflow

log = logging.getLogger("leanschool.scheduler")

STALL_SCAN_MINUTES = 15
REMINDERS_MINUTES = 15
EMAILS_MINUTES = 1
REQUEST_REMINDER_AFTER = timedelta(days=2)
# pg_try_advisory_lock key of "the" scheduler (advisory locks are per database)
SCHEDULER_LOCK_KEY = 0x4C65616E5363  # "LeanSc"
CHUNK = 500  # ids per IN (...) list


class SchedulerAlreadyRunning(Conflict):
    def __init__(self, where: str):
        super().__init__(Text(f"планировщик уже запущен ({where}); второй не запускается",
                              f"the scheduler is already running ({where}); not starting a second one"))


class SchedulerLockLost(Conflict):
    def __init__(self) -> None:
        super().__init__(Text("потеряно соединение с блокировкой планировщика; перезапустите его",
                              "the scheduler lost its lock connection; restart it"))


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    items = sorted(set(ids))
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _active_users(session: Session, ids: Iterable[int | None]) -> set[int]:
    out: set[int] = set()
    for chunk in _chunks(i for i in ids if i is not None):
        out.update(session.execute(select(User.id).where(
            User.id.in_(chunk), User.is_active.is_(True))).scalars())  # type: ignore[union-attr,attr-defined]
    return out


def _granted(session: Session, roles: tuple[str, ...], column: Any, scope_ids: Iterable[int]) -> dict[int, list[int]]:
    """scope id (org or region) -> active users holding one of ``roles`` there."""
    out: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(scope_ids):
        rows = session.execute(
            select(column, RoleGrant.user_id).join(User, User.id == RoleGrant.user_id)
            .where(RoleGrant.role.in_(roles), column.in_(chunk), User.is_active.is_(True))  # type: ignore[attr-defined]
            .order_by(RoleGrant.user_id))
        for scope_id, user_id in rows:
            if user_id not in out[scope_id]:
                out[scope_id].append(user_id)
    return out


Note = tuple[int, str, int | None, Text]


def _only_who_see(session: Session, notes: list[Note]) -> list[Note]:
    """The notes whose recipient may see their project (a member or head of its
    organisation, a curator of its region, an admin: common.sees_project): old data may
    name someone else as leader or risk owner, who must not hear of a project they cannot
    open. Notes about no project pass."""
    pairs = {(user_id, pid) for user_id, _, pid, _ in notes if pid is not None}
    seeing: set[tuple[int, int]] = set()
    for chunk in _chunks(pid for _, pid in pairs):
        in_chunk = set(chunk)
        users = {u for u, pid in pairs if pid in in_chunk}
        seeing.update(tuple(r) for r in session.execute(  # type: ignore[misc]
            select(RoleGrant.user_id, Project.id)
            .join(Project, sees_project(Project.org_id, Project.region_id))
            .where(Project.id.in_(chunk), RoleGrant.user_id.in_(users))))  # type: ignore[union-attr,attr-defined]
    return [n for n in notes if n[2] is None or (n[0], n[2]) in seeing]


def _system_events(session: Session, kind: str, events: list[tuple[int, dict[str, Any]]]) -> None:
    """Events by the system, ``(project_id, payload)``, with one multi-row INSERT.

    Not through common.record: we hold ids, not loaded rows, and a system event never
    counts as activity, so there is nothing else to update.
    """
    at = clock.now()
    if events:
        rows = [{"project_id": pid, "at": at, "actor_id": None, "kind": kind, "from_state": None,
                 "to_state": None, "payload": payload} for pid, payload in events]
        session.execute(insert(Event.__table__), rows)  # type: ignore[attr-defined]


# --- stall scan ----------------------------------------------------------------------------------

def _reasons_text(reasons: list[dict[str, Any]]) -> Text:
    ru, en = [], []
    for r in reasons:
        if r["kind"] == "sla":
            ru.append(f"на этапе {r['days']} дн. при сроке {r['limit']} дн.")
            en.append(f"{r['days']} days in the stage, limit {r['limit']}")
        else:
            ru.append(f"нет активности {r['days']} дн. (допустимо {r['limit']})")
            en.append(f"no activity for {r['days']} days (limit {r['limit']})")
    return Text("; ".join(ru), "; ".join(en))


def _stalled_text(title: str, wf: Workflow | None, state: str, reasons: list[dict[str, Any]]) -> Text:
    st = wf.state(state).title if wf is not None and wf.has_state(state) else Text(state, state)
    why = _reasons_text(reasons)
    return Text(f"Проект «{title}» остановился на этапе «{st.ru}»: {why.ru}.",
                f"Project “{title}” has stalled in “{st.en or st.ru}”: {why.en}.")


def _clear_resumed(store: Store, now: datetime) -> int:
    """CAS-clear ``stalled_since`` of projects that are no longer stalled (activity resumed).

    No event: the activity that ended the episode is in the log already.
    """
    wfs = store.workflows
    with store.uow() as uow:
        result = uow.session.execute(
            update(Project)
            .where(Project.stalled_since.is_not(None),  # type: ignore[union-attr]
                   not_(and_(active_filter(wfs), stalled_filter(wfs, now))))
            .values(stalled_since=None)
            .execution_options(synchronize_session=False))
        uow.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def stall_scan(store: Store) -> dict[str, int]:
    """Record each new stall episode once: a ``stalled`` event (actor: the system) and a
    notification to the project's leader and the heads of its organisation."""
    now = clock.now()
    wfs = store.workflows
    cleared = _clear_resumed(store, now)
    with store.uow() as uow:
        s = uow.session
        won = s.execute(
            update(Project)
            .where(Project.stalled_since.is_(None), active_filter(wfs),  # type: ignore[union-attr]
                   stalled_filter(wfs, now))
            .values(stalled_since=now)
            .returning(Project.id, Project.title, Project.org_id, Project.leader_id, Project.state,
                       Project.state_entered_at, Project.last_activity_at, Project.workflow_id,
                       Project.workflow_version)
            .execution_options(synchronize_session=False)).all()
        heads = _granted(s, granting("project.stall_notice", ORG_ROLES), RoleGrant.org_id,
                         {r.org_id for r in won})
        leaders = _active_users(s, (r.leader_id for r in won))
        events: list[tuple[int, dict[str, Any]]] = []
        notes: list[Note] = []
        for r in sorted(won, key=lambda r: r.id):
            wf = wfs.get(r.workflow_id, r.workflow_version)
            reasons = ([x.as_dict() for x in stall_reasons(wf, r.state, r.state_entered_at,
                                                           r.last_activity_at, now)]
                       if wf is not None else [])
            events.append((r.id, {"state": r.state, "reasons": reasons}))
            message = _stalled_text(r.title, wf, r.state, reasons)
            recipients = ([r.leader_id] if r.leader_id in leaders else []) + heads.get(r.org_id, [])
            notes += [(user_id, "stalled", r.id, message) for user_id in dict.fromkeys(recipients)]
        _system_events(s, "stalled", events)
        notified = notify_many(s, _only_who_see(s, notes))
        uow.commit()
    return {"stalled": len(won), "cleared": cleared, "notified": notified}


# --- reminders ------------------------------------------------------------------------------------

def _deciders(session: Session, approvals: list[tuple[str, int, int]]) -> dict[tuple[str, int, int], list[int]]:
    """(approval role, org_id, region_id) -> the active users who may decide."""
    wanted = {a for a, _, _ in approvals}
    by_org = {role: _granted(session, (role,), RoleGrant.org_id, {o for a, o, _ in approvals if a == role})
              for role in ORG_ROLES if role in wanted}
    by_region = {role: _granted(session, (role,), RoleGrant.region_id, {r for a, _, r in approvals if a == role})
                 for role in REGION_ROLES if role in wanted}
    everywhere = {role: list(session.execute(
        select(RoleGrant.user_id).join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == role, User.is_active.is_(True))  # type: ignore[attr-defined]
        .distinct().order_by(RoleGrant.user_id)).scalars()) for role in GLOBAL_ROLES if role in wanted}
    out: dict[tuple[str, int, int], list[int]] = {}
    for key in approvals:
        approval, org_id, region_id = key
        if approval in by_org:
            out[key] = by_org[approval].get(org_id, [])
        elif approval in by_region:
            out[key] = by_region[approval].get(region_id, [])
        else:
            out[key] = everywhere.get(approval, [])
    return out


def _remind_requests(store: Store, now: datetime) -> tuple[int, int]:
    with store.uow() as uow:
        s = uow.session
        won = s.execute(
            update(TransitionRequest)
            .where(TransitionRequest.status == "pending",
                   TransitionRequest.reminded_at.is_(None),  # type: ignore[union-attr]
                   TransitionRequest.requested_at < now - REQUEST_REMINDER_AFTER)
            .values(reminded_at=now)
            .returning(TransitionRequest.id, TransitionRequest.project_id, TransitionRequest.approval,
                       TransitionRequest.dest, TransitionRequest.requested_at)
            .execution_options(synchronize_session=False)).all()
        projects = {}
        for chunk in _chunks(r.project_id for r in won):
            for p in s.execute(select(Project.id, Project.title, Project.org_id, Project.region_id,
                                      Project.workflow_id, Project.workflow_version)
                               .where(Project.id.in_(chunk))):  # type: ignore[union-attr]
                projects[p.id] = p
        deciders = _deciders(s, sorted({(r.approval, projects[r.project_id].org_id,
                                         projects[r.project_id].region_id) for r in won}))
        notes: list[Note] = []
        for r in sorted(won, key=lambda r: r.id):
            p = projects[r.project_id]
            wf = store.workflows.get(p.workflow_id, p.workflow_version)
            dest = wf.state(r.dest).title if wf is not None and wf.has_state(r.dest) else Text(r.dest, r.dest)
            days = whole_days(now, r.requested_at)
            message = Text(f"Запрос на переход проекта «{p.title}» на этап «{dest.ru}» "
                           f"ждёт вашего согласования {days} дн.",
                           f"The request to move “{p.title}” to “{dest.en or dest.ru}” "
                           f"has been waiting for your approval for {days} days.")
            notes += [(user_id, "approval_reminder", p.id, message)
                      for user_id in deciders[(r.approval, p.org_id, p.region_id)]]
        notified = notify_many(s, _only_who_see(s, notes))
        uow.commit()
    return len(won), notified


def _remind_risks(store: Store, now: datetime) -> tuple[int, int]:
    today = now.date()
    with store.uow() as uow:
        s = uow.session
        won = s.execute(
            update(Risk)
            .where(Risk.status.in_(UNRESOLVED_RISK), Risk.reminded_at.is_(None),  # type: ignore[attr-defined,union-attr]
                   Risk.owner_id.is_not(None), Risk.due_on < today,  # type: ignore[union-attr,operator]
                   Risk.project_id.in_(select(Project.id).where(active_filter(store.workflows))))  # type: ignore[attr-defined]
            .values(reminded_at=now)
            .returning(Risk.id, Risk.project_id, Risk.owner_id, Risk.title, Risk.due_on)
            .execution_options(synchronize_session=False)).all()
        titles: dict[int, str] = {}
        for chunk in _chunks(r.project_id for r in won):
            titles.update((pid, title) for pid, title in s.execute(
                select(Project.id, Project.title).where(Project.id.in_(chunk))))  # type: ignore[union-attr]
        owners = _active_users(s, (r.owner_id for r in won))
        notes: list[Note] = []
        for r in sorted(won, key=lambda r: r.id):
            if r.owner_id not in owners:
                continue
            due = r.due_on.strftime("%d.%m.%Y")
            title = titles[r.project_id]
            notes.append((r.owner_id, "risk_overdue", r.project_id,
                          Text(f"Срок по риску «{r.title}» проекта «{title}» прошёл ({due}); риск не закрыт.",
                               f"The risk “{r.title}” of “{title}” was due on {r.due_on.isoformat()} "
                               f"and is still unresolved.")))
        notified = notify_many(s, _only_who_see(s, notes))
        uow.commit()
    return len(won), notified


def reminders(store: Store) -> dict[str, int]:
    """Remind once: the deciders of requests waiting longer than two days, and the owners
    of unresolved risks past their due date (active projects only)."""
    now = clock.now()
    requests, n1 = _remind_requests(store, now)
    risks, n2 = _remind_risks(store, now)
    return {"requests": requests, "risks": risks, "notified": n1 + n2}


# --- snapshots and e-mail -------------------------------------------------------------------------

def snapshots(store: Store) -> dict[str, int]:
    """Daily snapshots for the cumulative flow: every missing day up to today, rebuilt
    from the event log (engine.analytics, idempotent per day)."""
    from engine import analytics

    for attempt in range(3):
        try:
            with store.uow() as uow:
                days = analytics.rebuild_missing_snapshots(uow.session, store.workflows, clock.today())
                uow.commit()
            return {"days": len(days)}
        except OperationalError:
            # SQLite refuses to upgrade a read transaction to a write one when another
            # writer committed in between ("database is locked"); the job is idempotent.
            if attempt == 2 or store.dialect != "sqlite":
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def emails(store: Store) -> dict[str, Any]:
    """E-mail pending notifications, when SMTP is configured (SMTP_HOST ...)."""
    smtp = SmtpConfig.from_env()
    if smtp is None:
        return {"sent": 0, "smtp": "off"}
    return {"sent": send_pending_emails(store, smtp)}


JOBS: dict[str, Callable[[Store], dict[str, Any]]] = {
    "stall_scan": stall_scan, "reminders": reminders, "snapshots": snapshots, "emails": emails,
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
