"""The scheduler's jobs (engine/jobs/scheduler.py) on a real database and a controlled clock:
stall episodes recorded once, reminders sent once, jobs safe to run twice, and the
``leanschool scheduler`` process that refuses to be started twice.

psr.yaml: diagnose has sla_days 45, the workflow idle_days 14.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from engine import clock
from engine.db import REPO_ROOT, Store
from engine.jobs import scheduler
from engine.models import DailySnapshot, Event, Notification, Project, Risk, TransitionRequest
from engine.reporting.monitoring import stalled_projects
from engine.services import add_comment, create_project, log_risk, request_transition, update_risk
from engine.workflow import load_dir

BACKEND = os.environ.get("LEANSCHOOL_TEST_DB", "sqlite").lower()
ON_POSTGRES = BACKEND.startswith("postgres")
SLA_DIAGNOSE, IDLE = 45, 14


# --- reading helpers ------------------------------------------------------------------------------

def stalled_events(store: Store, project_id: int | None = None) -> list[Event]:
    stmt = select(Event).where(Event.kind == "stalled").order_by(Event.id)
    if project_id is not None:
        stmt = stmt.where(Event.project_id == project_id)
    with store.uow() as uow:
        return list(uow.session.execute(stmt).scalars())


# what the scheduler's jobs write (the services' own notices, e.g. a new request to its
# deciders, are tested in test_people_loop.py)
SCHEDULER_KINDS = ("stalled", "approval_reminder", "risk_overdue")


def notes(store: Store, kind: str | None = None) -> list[tuple[int, int | None, str]]:
    """(user_id, project_id, kind) of every notification the scheduler wrote, oldest first."""
    stmt = select(Notification.user_id, Notification.project_id, Notification.kind).order_by(Notification.id)
    stmt = stmt.where(Notification.kind == kind) if kind else stmt.where(Notification.kind.in_(SCHEDULER_KINDS))
    with store.uow() as uow:
        return [tuple(r) for r in uow.session.execute(stmt)]


def stalled_since(store: Store, project_id: int) -> datetime | None:
    with store.uow() as uow:
        return uow.session.execute(select(Project.stalled_since).where(Project.id == project_id)).scalar_one()


def counts(store: Store) -> tuple[int, int]:
    with store.uow() as uow:
        return (uow.session.execute(select(func.count()).select_from(Event)).scalar_one(),
                uow.session.execute(select(func.count()).select_from(Notification)).scalar_one())


def comment(make: Any, person: Any, project_id: int, words: str = "Провели замеры") -> None:
    make.call(add_comment, person.actor, project_id, {"text": words})


def at_once(fn: Any, n: int = 2) -> list[Any]:
    """Run ``fn`` in n threads released together; their results (errors re-raised)."""
    start = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(fn())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def led_project(make, world, member_of_school, head_of_school):
    """A project of the school led by its member (the head exists, so both are told)."""
    return make.project(world.school, member_of_school.actor, leader_id=member_of_school.id)


# --- stall scan -----------------------------------------------------------------------------------

def test_a_project_over_its_sla_is_recorded_stalled_once_and_its_leader_and_head_are_told_once(
        store, make, led_project, member_of_school, head_of_school, head_of_other_school, frozen_clock):
    # active all along (a comment every 10 days), so only the SLA can stall it
    for _ in range(4):
        frozen_clock.advance(days=10)
        comment(make, member_of_school, led_project.id)
    frozen_clock.advance(days=SLA_DIAGNOSE - 40)
    assert scheduler.stall_scan(store)["stalled"] == 0, "exactly at the SLA is not over it"
    frozen_clock.advance(hours=1)

    assert scheduler.stall_scan(store) == {"stalled": 1, "cleared": 0, "notified": 2}

    (event,) = stalled_events(store, led_project.id)
    assert event.actor_id is None and event.from_state is None and event.to_state is None
    assert event.payload == {"state": "diagnose",
                             "reasons": [{"kind": "sla", "days": SLA_DIAGNOSE, "limit": SLA_DIAGNOSE}]}
    assert sorted(notes(store, "stalled")) == sorted([(member_of_school.id, led_project.id, "stalled"),
                                                      (head_of_school.id, led_project.id, "stalled")])
    since = stalled_since(store, led_project.id)
    assert since is not None and clock.as_utc(since) == frozen_clock.current

    with store.uow() as uow:
        text_ru = uow.session.execute(select(Notification.text_ru)).scalars().first()
    assert "Оптимизация процесса питания" in text_ru and "Диагностика" in text_ru and "45" in text_ru

    # the same episode: every later run changes nothing
    before = counts(store)
    for _ in range(3):
        frozen_clock.advance(minutes=15)
        assert scheduler.stall_scan(store) == {"stalled": 0, "cleared": 0, "notified": 0}
    assert counts(store) == before
    assert clock.as_utc(stalled_since(store, led_project.id)) == clock.as_utc(since)


def test_no_activity_for_idle_days_stalls_a_project(store, make, led_project, frozen_clock):
    frozen_clock.advance(days=IDLE)
    assert scheduler.stall_scan(store)["stalled"] == 0
    frozen_clock.advance(days=1)

    assert scheduler.stall_scan(store)["stalled"] == 1
    (event,) = stalled_events(store, led_project.id)
    assert event.payload["reasons"] == [{"kind": "idle", "days": IDLE + 1, "limit": IDLE}]


def test_system_events_do_not_count_as_activity_but_a_persons_do(
        store, make, led_project, member_of_school, frozen_clock):
    frozen_clock.advance(days=IDLE + 1)
    scheduler.stall_scan(store)
    with store.uow() as uow:
        last_activity = uow.session.get(Project, led_project.id).last_activity_at
    assert clock.as_utc(last_activity) == clock.as_utc(led_project.last_activity_at), \
        "the system's `stalled` event moved last_activity_at"

    # still idle two weeks later: the episode goes on (not cleared, not recorded again)
    frozen_clock.advance(days=14)
    assert scheduler.stall_scan(store) == {"stalled": 0, "cleared": 0, "notified": 0}
    with store.uow() as uow:
        assert [p["project_id"] for p in stalled_projects(uow.session, store.workflows)] == [led_project.id]

    # a person's comment ends the idle episode; the next scan clears the mark, no event
    comment(make, member_of_school, led_project.id)
    assert scheduler.stall_scan(store) == {"stalled": 0, "cleared": 1, "notified": 0}
    assert stalled_since(store, led_project.id) is None
    assert len(stalled_events(store, led_project.id)) == 1

    # idle again: a new episode
    frozen_clock.advance(days=IDLE + 1)
    assert scheduler.stall_scan(store)["stalled"] == 1
    assert len(stalled_events(store, led_project.id)) == 2


def test_a_move_clears_the_stall_and_a_later_episode_is_recorded_again(
        store, flow, led_project, member_of_school, head_of_school, frozen_clock):
    frozen_clock.advance(days=IDLE + 1)
    assert scheduler.stall_scan(store)["stalled"] == 1
    assert stalled_since(store, led_project.id) is not None

    flow.advance(led_project.id, "target")
    assert stalled_since(store, led_project.id) is None, "a move clears stalled_since"
    assert scheduler.stall_scan(store) == {"stalled": 0, "cleared": 0, "notified": 0}

    frozen_clock.advance(days=IDLE + 1)
    assert scheduler.stall_scan(store) == {"stalled": 1, "cleared": 0, "notified": 2}
    first, second = stalled_events(store, led_project.id)
    assert (first.payload["state"], second.payload["state"]) == ("diagnose", "target")
    assert len(notes(store, "stalled")) == 4  # leader and head, once per episode


def test_final_projects_never_stall_and_the_leader_who_is_also_head_is_told_once(
        store, make, flow, world, member_of_school, head_of_school, frozen_clock):
    cancelled = make.project(world.school, member_of_school.actor, title="Отменённый проект")
    flow.advance(cancelled.id, "cancelled")
    headed = make.project(world.school, head_of_school.actor, title="Проект директора",
                          leader_id=head_of_school.id)
    frozen_clock.advance(days=100)

    assert scheduler.stall_scan(store) == {"stalled": 1, "cleared": 0, "notified": 1}
    assert [e.project_id for e in stalled_events(store)] == [headed.id]
    assert notes(store) == [(head_of_school.id, headed.id, "stalled")]


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL (SQLite serialises "
                                            "writers, so two scans there cannot overlap)")
def test_two_stall_scans_at_once_record_each_episode_once(store, make, world, member_of_school,
                                                         head_of_school, frozen_clock):
    projects = [make.project(world.school, member_of_school.actor, title=f"Проект {i}",
                             leader_id=member_of_school.id) for i in range(40)]
    frozen_clock.advance(days=IDLE + 1)
    for _ in range(3):  # a few rounds, each with fresh episodes, to give the race a chance
        results = at_once(lambda: scheduler.stall_scan(store))
        assert sum(r["stalled"] for r in results) == len(projects)
        # end the episodes (a person's comment), and start new ones
        for p in projects:
            comment(make, member_of_school, p.id)
        scheduler.stall_scan(store)
        frozen_clock.advance(days=IDLE + 1)

    events = stalled_events(store)
    assert len(events) == 3 * len(projects)
    assert {p.id: 3 for p in projects} == {pid: sum(e.project_id == pid for e in events) for pid in
                                          {e.project_id for e in events}}
    assert len(notes(store, "stalled")) == 3 * len(projects) * 2


# --- reminders ------------------------------------------------------------------------------------

def test_a_request_waiting_more_than_two_days_reminds_the_head_once(
        store, flow, project, member_of_school, head_of_school, head_of_other_school, curator_orel,
        frozen_clock):
    flow.satisfy(project.id, "diagnose")
    request = flow.fire(member_of_school.actor, project.id, "to_target").request
    frozen_clock.advance(days=2)
    assert scheduler.reminders(store) == {"requests": 0, "risks": 0, "notified": 0}

    frozen_clock.advance(minutes=1)
    assert scheduler.reminders(store) == {"requests": 1, "risks": 0, "notified": 1}
    assert notes(store) == [(head_of_school.id, project.id, "approval_reminder")]
    with store.uow() as uow:
        reminded = uow.session.get(TransitionRequest, request.id).reminded_at
        text_ru = uow.session.execute(select(Notification.text_ru)
                                      .where(Notification.kind == "approval_reminder")).scalar_one()
    assert clock.as_utc(reminded) == frozen_clock.current
    assert "Целевое состояние" in text_ru and "2 дн." in text_ru

    frozen_clock.advance(days=5)
    assert scheduler.reminders(store) == {"requests": 0, "risks": 0, "notified": 0}
    assert len(notes(store)) == 1


def test_a_request_for_curator_approval_reminds_the_regions_curators(
        store, db_url, tmp_path, member_of_school, head_of_school, curator_orel, curator_kursk, world,
        frozen_clock):
    folder = tmp_path / "workflows"
    folder.mkdir()
    shutil.copy(REPO_ROOT / "workflows" / "psr.yaml", folder)
    (folder / "review.yaml").write_text(
        'id: review\nversion: 1\ntitle: {ru: "Экспертиза", en: "Review"}\ninitial: draft\n'
        'states:\n  - id: draft\n    title: {ru: "Черновик", en: "Draft"}\n'
        '  - id: accepted\n    title: {ru: "Принят", en: "Accepted"}\n    final: true\n'
        'transitions:\n  - trigger: submit\n    source: draft\n    dest: accepted\n'
        '    approval: curator\n', encoding="utf-8")
    review_store = Store(db_url, load_dir(folder))
    try:
        with review_store.uow() as uow:
            p = create_project(uow, member_of_school.actor, {
                "org_id": world.school.id, "title": "Экспертиза стандарта", "problem": "—",
                "goal": "—", "workflow": "review"})
        with review_store.uow() as uow:
            assert not request_transition(uow, member_of_school.actor, p.id,
                                          {"trigger": "submit", "version": 1}).moved
        frozen_clock.advance(days=3)
        assert scheduler.reminders(review_store)["notified"] == 1
        assert notes(review_store) == [(curator_orel.id, p.id, "approval_reminder")]
    finally:
        review_store.dispose()


def test_a_risk_past_its_due_date_reminds_its_owner_once(
        store, make, project, member_of_school, head_of_school, frozen_clock):
    due = (clock.today() + timedelta(days=3)).isoformat()
    owned = make.call(log_risk, member_of_school.actor, project.id, {
        "title": "Повар не освоит новый график", "probability": 3, "impact": 4,
        "owner_id": member_of_school.id, "due_on": due})
    make.call(log_risk, member_of_school.actor, project.id, {
        "title": "Риск без владельца", "probability": 2, "impact": 2, "due_on": due})
    resolved = make.call(log_risk, member_of_school.actor, project.id, {
        "title": "Закрытый риск", "probability": 2, "impact": 2, "owner_id": head_of_school.id,
        "due_on": due})
    make.call(update_risk, member_of_school.actor, resolved.id, {"status": "resolved"})

    frozen_clock.advance(days=3)  # due today: not past yet
    assert scheduler.reminders(store)["risks"] == 0
    frozen_clock.advance(days=1)

    assert scheduler.reminders(store) == {"requests": 0, "risks": 1, "notified": 1}
    assert notes(store) == [(member_of_school.id, project.id, "risk_overdue")]
    with store.uow() as uow:
        assert uow.session.get(Risk, owned.id).reminded_at is not None
        assert "Повар не освоит новый график" in uow.session.execute(
            select(Notification.text_ru).where(Notification.kind == "risk_overdue")).scalar_one()

    frozen_clock.advance(days=1)
    assert scheduler.reminders(store)["risks"] == 0
    assert len(notes(store)) == 1


# --- snapshots, run_once --------------------------------------------------------------------------

def _analytics_ready() -> bool:
    try:
        from engine.reporting import analytics
    except ImportError:
        return False
    return hasattr(analytics, "rebuild_missing_snapshots")


@pytest.mark.skipif(not _analytics_ready(), reason="engine.reporting.analytics has not landed yet")
def test_the_snapshot_job_fills_the_missing_days_and_is_idempotent(store, make, world, member_of_school,
                                                                  frozen_clock):
    make.project(world.school, member_of_school.actor)
    frozen_clock.advance(days=3)
    assert scheduler.snapshots(store) == {"days": 4}  # the creation day .. today, no holes

    def table() -> list[tuple[Any, ...]]:
        with store.uow() as uow:
            return [tuple(r) for r in uow.session.execute(
                select(DailySnapshot.day, DailySnapshot.org_id, DailySnapshot.state, DailySnapshot.count)
                .order_by(DailySnapshot.day))]

    rows = table()
    assert rows[-1] == (clock.today(), world.school.id, "diagnose", 1) and len(rows) == 4
    # again the same day: only today is taken again (it has not ended), nothing is added
    assert scheduler.snapshots(store) == {"days": 1}
    assert table() == rows


def test_run_once_runs_every_job_and_reports_each(store, led_project, frozen_clock, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    frozen_clock.advance(days=IDLE + 1)
    summary = scheduler.run_once(store)
    assert list(summary) == ["stall_scan", "reminders", "snapshots", "emails", "round_reminders",
                            "campaign_reminders"]
    assert summary["stall_scan"]["stalled"] == 1
    assert summary["emails"] == {"sent": 0, "smtp": "off"}
    if _analytics_ready():
        assert "error" not in summary["snapshots"]


# --- the process: leanschool scheduler ----------------------------------------------------------
# (marked slow: each starts leanschool processes, a second or more apiece)

def leanschool() -> str:
    return shutil.which("leanschool") or str(Path(sys.executable).parent / "leanschool")


def cli_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_")}
    env.update(DATABASE_URL=database_url, LEANSCHOOL_INSTANCE_DIR=str(tmp_path / "instance"),
               LEANSCHOOL_LOCALE="ru", PYTHONUNBUFFERED="1")
    env.pop("LEANSCHOOL_DEBUG", None)
    return env


@pytest.mark.slow
def test_scheduler_once_from_the_command_line(tmp_path, make, frozen_clock):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = cli_env(tmp_path, url)
    init = subprocess.run([leanschool(), "init"], env=env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr

    # a project idle for three weeks of real time (the subprocess runs on the real clock)
    frozen_clock.set(datetime.now(UTC) - timedelta(days=21))
    seeded = Store(url, load_dir(REPO_ROOT / "workflows"))
    try:
        there = type(make)(seeded)  # the factory, on the command's database
        region = there.region("Орловская область")
        school = there.org(there.municipality(region))
        member = there.person("member", org=school)
        there.person("head", org=school)
        there.project(school, member.actor, leader_id=member.id)
    finally:
        seeded.dispose()

    done = subprocess.run([leanschool(), "scheduler", "--once"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "stall_scan: stalled=1 cleared=0 notified=2" in lines
    assert "reminders: requests=0 risks=0 notified=0" in lines
    assert "emails: sent=0 smtp=off" in lines
    assert any(line.startswith("snapshots: ") for line in lines)

    again = subprocess.run([leanschool(), "scheduler", "--once"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0 and "stall_scan: stalled=0 cleared=0 notified=0" in again.stdout


def _assert_refused(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    assert "планировщик уже запущен" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite lock file (the PostgreSQL lock has its own test)")
def test_a_second_scheduler_is_refused_while_the_sqlite_lock_file_is_held(db_url, tmp_path, monkeypatch):
    import fcntl

    env = cli_env(tmp_path, db_url)
    monkeypatch.setenv("LEANSCHOOL_INSTANCE_DIR", env["LEANSCHOOL_INSTANCE_DIR"])
    path = scheduler.lock_path(db_url)
    path.parent.mkdir(parents=True)
    with open(path, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        for args in (["scheduler"], ["scheduler", "--once"]):
            _assert_refused(subprocess.run([leanschool(), *args], env=env, capture_output=True, text=True,
                                           timeout=120))


@pytest.mark.slow
@pytest.mark.skipif(not ON_POSTGRES, reason="pg_try_advisory_lock needs PostgreSQL")
def test_a_second_scheduler_is_refused_while_the_advisory_lock_is_held(db_url, tmp_path):
    env = cli_env(tmp_path, db_url)
    eng = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            assert conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                {"k": scheduler.SCHEDULER_LOCK_KEY}).scalar_one()
            for args in (["scheduler"], ["scheduler", "--once"]):
                _assert_refused(subprocess.run([leanschool(), *args], env=env, capture_output=True,
                                               text=True, timeout=120))
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": scheduler.SCHEDULER_LOCK_KEY})
        ok = subprocess.run([leanschool(), "scheduler", "--once"], env=env, capture_output=True, text=True,
                            timeout=120)
        assert ok.returncode == 0, ok.stderr
    finally:
        eng.dispose()


class Running:
    """``leanschool scheduler`` in the background, its log lines collected."""

    def __init__(self, env: dict[str, str]):
        self.proc = subprocess.Popen([leanschool(), "scheduler"], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:  # type: ignore[union-attr]
            self.lines.append(line)

    def wait_for(self, words: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(words in line for line in self.lines):
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, f"no {words!r} in: " + "".join(self.lines)
            time.sleep(0.05)

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        # a job that was running finishes first; on a busy CI machine (two test processes,
        # Chromium) the jobs run at start can take longer than a quiet machine's seconds
        code = self.proc.wait(120)
        self._reader.join(10)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc.stderr:
            self.proc.stderr.close()


@pytest.mark.slow
def test_the_running_scheduler_holds_the_lock_and_stops_cleanly_on_ctrl_c(db_url, tmp_path):
    env = cli_env(tmp_path, db_url)
    running = Running(env)
    try:
        running.wait_for("job stall_scan:")
        _assert_refused(subprocess.run([leanschool(), "scheduler", "--once"], env=env, capture_output=True,
                                       text=True, timeout=120))
        assert running.stop(signal.SIGINT) == 0, "".join(running.lines)
    finally:
        running.close()
    # the lock went with the process
    again = subprocess.run([leanschool(), "scheduler", "--once"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr


@pytest.mark.slow
def test_a_sigterm_from_the_service_manager_stops_it_too(db_url, tmp_path):
    running = Running(cli_env(tmp_path, db_url))
    try:
        running.wait_for("scheduler started")
        assert running.stop(signal.SIGTERM) == 0, "".join(running.lines)
    finally:
        running.close()
