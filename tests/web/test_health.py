"""/healthz and /metrics (webui/health.py, engine/health.py; issue #16 item 5) on the
test's real, migrated database and the controlled clock: 200 only when the database
answers, the schema is at the head and the scheduler's heartbeat is young; 503 naming
what is wrong otherwise; Prometheus figures of requests, scheduler jobs and the e-mail
queue."""
from __future__ import annotations

import json
import logging

import pytest
from alembic import command
from alembic.config import Config

from engine import health
from engine.db import MIGRATIONS_DIR, migrate
from engine.jobs import scheduler
from engine.logs import JsonFormatter
from engine.services.notifications import notify_many
from engine.text import Text
from webui import create_app

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2"


def beat(store, name: str = "emails") -> None:
    health.record_run(store, name, lambda s: {"sent": 0})


def test_healthy_when_the_database_answers_the_schema_is_current_and_the_scheduler_beats(
        app, store, frozen_clock):
    beat(store)
    frozen_clock.advance(seconds=42)
    r = app.test_client().get("/healthz")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "ok" and body["problems"] == []
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"] == _head()[0]
    assert body["checks"]["scheduler"]["heartbeat_age_seconds"] == 42
    assert r.headers["Cache-Control"] == "no-store"


def test_503_when_the_scheduler_never_ran_or_its_heartbeat_is_old(app, store, frozen_clock):
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.get_json()["checks"]["scheduler"]["ok"] is False
    assert "планировщик" in r.get_json()["problems"][0]

    beat(store)
    frozen_clock.advance(seconds=301)
    r = app.test_client().get("/healthz")
    assert r.status_code == 503
    body = r.get_json()
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert body["checks"]["scheduler"] == {"ok": False, "heartbeat_age_seconds": 301, "max_age_seconds": 300,
                                           "problem": "планировщик молчит 301 с (допустимо 300 с)"}
    beat(store)  # it runs again
    assert app.test_client().get("/healthz").status_code == 200


def test_the_scheduler_check_can_be_switched_off_for_a_pc_without_one(db_url):
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t", "AUTO_MIGRATE": False,
                      "HEALTH_SCHEDULER_MAX_AGE": 0})
    try:
        r = app.test_client().get("/healthz")
        assert r.status_code == 200 and "scheduler" not in r.get_json()["checks"]
    finally:
        app.extensions["leanschool"].dispose()


def test_503_when_the_database_is_down():
    app = create_app({"DATABASE_URL": UNREACHABLE, "TESTING": True, "SECRET_KEY": "t", "AUTO_MIGRATE": False})
    try:
        r = app.test_client().get("/healthz")
        assert r.status_code == 503
        body = r.get_json()
        assert body["status"] == "fail" and body["checks"]["database"]["ok"] is False
        assert body["problems"][0].startswith("база данных недоступна: OperationalError")
        assert "Traceback" not in r.get_data(as_text=True)
        # the metrics still answer, saying so
        m = app.test_client().get("/metrics")
        assert m.status_code == 200 and "leanschool_database_up 0.0" in m.get_data(as_text=True)
    finally:
        app.extensions["leanschool"].dispose()


def _head() -> tuple[str, str]:
    """The migrations' head and the revision before it (from the scripts, not a number here)."""
    from alembic.script import ScriptDirectory
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    return head, script.get_revision(head).down_revision


def test_503_when_the_migrations_are_behind(app, db_url, store):
    beat(store)
    assert app.test_client().get("/healthz").status_code == 200
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    store.dispose()
    app.extensions["leanschool"].engine.dispose()
    command.downgrade(cfg, "-1")
    try:
        r = app.test_client().get("/healthz")
        assert r.status_code == 503
        body = r.get_json()
        head, before = _head()
        assert body["checks"]["migrations"] == {
            "ok": False, "current": before, "head": head,
            "problem": f"схема базы данных не последняя: {before}, нужна {head} (выполните leanschool init)"}
        assert body["checks"]["database"]["ok"] is True
    finally:
        app.extensions["leanschool"].engine.dispose()
        migrate(db_url)  # the PostgreSQL template database is shared by the next tests


def test_a_run_of_every_scheduler_job_is_recorded(store):
    scheduler.run_once(store)
    rows = {r.name: r for r in health.jobs(store)}
    assert set(rows) == set(scheduler.JOBS)
    assert all(r.runs == 1 and r.failures == 0 and r.last_ok for r in rows.values())
    scheduler.run_once(store)
    assert {r.runs for r in health.jobs(store)} == {2}


def test_a_failed_job_is_recorded_and_still_raises(store):
    def broken(s):
        raise RuntimeError("SMTP сервер не отвечает")

    with pytest.raises(RuntimeError):
        health.record_run(store, "emails", broken)
    beat(store)
    (row,) = health.jobs(store)
    assert (row.runs, row.failures, row.last_ok, row.last_error) == (2, 1, True, None)
    with pytest.raises(RuntimeError):
        health.record_run(store, "emails", broken)
    (row,) = health.jobs(store)
    assert (row.runs, row.failures, row.last_ok) == (3, 2, False)
    assert row.last_error == "RuntimeError: SMTP сервер не отвечает"


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if not line.startswith("#") and line.rsplit(" ", 1)[0] == name:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in:\n{text}")


def test_metrics_show_request_latency_scheduler_jobs_and_the_email_queue(app, store, member_of_school,
                                                                         frozen_clock):
    client = app.test_client()
    for _ in range(3):
        assert client.get("/login").status_code == 200
    with store.uow() as uow:
        notify_many(uow.session, [(member_of_school.id, "stalled", None, Text("а", "a"))] * 4)
        uow.commit()

    def slow(s):
        frozen_clock.advance(seconds=2)
        return {}
    health.record_run(store, "stall_scan", slow)
    frozen_clock.advance(seconds=10)
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    text = r.get_data(as_text=True)
    assert metric(text, 'leanschool_http_request_duration_seconds_count{endpoint="auth.login",method="GET",'
                        'status="200"}') == 3
    assert metric(text, "leanschool_database_up") == 1
    assert metric(text, 'leanschool_scheduler_job_runs_total{job="stall_scan"}') == 1
    assert metric(text, 'leanschool_scheduler_job_failures_total{job="stall_scan"}') == 0
    assert metric(text, 'leanschool_scheduler_job_last_success{job="stall_scan"}') == 1
    assert metric(text, 'leanschool_scheduler_job_last_duration_seconds{job="stall_scan"}') >= 0
    assert metric(text, "leanschool_scheduler_heartbeat_age_seconds") == 10
    assert metric(text, "leanschool_email_queue_length") == 4
    frozen_clock.advance(days=4)  # too old to be e-mailed any more
    assert metric(client.get("/metrics").get_data(as_text=True), "leanschool_email_queue_length") == 0


def test_json_logs_are_one_object_a_line():
    record = logging.LogRecord("leanschool.web", logging.ERROR, __file__, 1, "отказ %s", ("базы",), None)
    record.ref = "abc123"
    out = json.loads(JsonFormatter().format(record))
    assert out["level"] == "ERROR" and out["logger"] == "leanschool.web"
    assert out["message"] == "отказ базы" and out["ref"] == "abc123" and out["time"].endswith("Z")
    try:
        raise ValueError("x")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: x" in json.loads(line)["exc_info"]
