"""Health and metrics for the operator (issue #16 item 5).

- ``GET /healthz``: 200 ``{"status": "ok", "checks": {...}}`` when the database answers,
  its schema is at the migrations' head and the scheduler's heartbeat is younger than
  ``HEALTH_SCHEDULER_MAX_AGE`` seconds (0: not checked); else 503 with ``"status": "fail"``
  and ``"problems"`` naming what is wrong (engine/health.py).
- ``GET /metrics``: Prometheus text format (prometheus-client): request latency by
  endpoint, method and status (``leanschool_http_request_duration_seconds``), the
  scheduler's job runs, failures, last duration, outcome and heartbeat age, and the e-mail
  queue, these read from the database so that every worker reports the same.
  Under gunicorn (``PROMETHEUS_MULTIPROC_DIR`` set before start, as ``leanschool serve
  --workers N`` does) the latency of every worker is summed by prometheus-client's
  multi-process collector. Serve it to the monitoring network only (deploy/nginx).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from engine import clock, health
from engine.config import Settings
from webui.extensions import store

log = logging.getLogger("leanschool.web")
bp = Blueprint("ops", __name__)

KEY = "leanschool.metrics"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class DatabaseCollector:
    """Figures read from the database at each scrape (the same in every worker)."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        up = GaugeMetricFamily("leanschool_database_up", "1 when the database answered this scrape")
        try:
            s = self.app.extensions["leanschool"]
            rows = health.jobs(s)
            queue = health.email_queue_length(s)
        except Exception as exc:  # noqa: BLE001 - a scrape never fails: it says the database is down
            log.warning("metrics: database unreachable: %s: %s", type(exc).__name__, str(exc).splitlines()[:1])
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        runs = CounterMetricFamily("leanschool_scheduler_job_runs", "Runs of each scheduler job", labels=["job"])
        failures = CounterMetricFamily("leanschool_scheduler_job_failures", "Failed runs of each scheduler job",
                                       labels=["job"])
        duration = GaugeMetricFamily("leanschool_scheduler_job_last_duration_seconds",
                                     "Duration of the job's last run", labels=["job"])
        success = GaugeMetricFamily("leanschool_scheduler_job_last_success",
                                    "1 when the job's last run succeeded, 0 when it failed", labels=["job"])
        finished = GaugeMetricFamily("leanschool_scheduler_job_last_finished_timestamp_seconds",
                                     "When the job's last run ended (Unix time)", labels=["job"])
        for r in rows:
            runs.add_metric([r.name], r.runs)
            failures.add_metric([r.name], r.failures)
            duration.add_metric([r.name], r.last_duration_ms / 1000)
            success.add_metric([r.name], 1 if r.last_ok else 0)
            finished.add_metric([r.name], r.last_finished_at.timestamp())
        yield from (runs, failures, duration, success, finished)
        if rows:
            age = GaugeMetricFamily("leanschool_scheduler_heartbeat_age_seconds",
                                    "Seconds since the scheduler last finished a job")
            age.add_metric([], max(0.0, (clock.now() - max(r.last_finished_at for r in rows)).total_seconds()))
            yield age
        yield GaugeMetricFamily("leanschool_email_queue_length", "Notifications waiting to be e-mailed",
                                value=queue)


def init_app(app: Flask, settings: Settings) -> None:
    """The latency histogram (started before any other hook, observed after all of them),
    the two routes, and JSON logs when ``LOG_FORMAT=json``."""
    from prometheus_client import CollectorRegistry, Histogram

    multiprocess = bool(settings.PROMETHEUS_MULTIPROC_DIR)
    registry = CollectorRegistry()  # per app: tests build many apps in one process
    latency = Histogram("leanschool_http_request_duration_seconds", "Time to answer a request",
                        ["endpoint", "method", "status"], buckets=LATENCY_BUCKETS,
                        registry=None if multiprocess else registry)
    if not multiprocess:
        registry.register(DatabaseCollector(app))
    app.extensions[KEY] = {"registry": registry, "multiprocess": multiprocess}
    app.config.setdefault("HEALTH_SCHEDULER_MAX_AGE", settings.HEALTH_SCHEDULER_MAX_AGE)
    if settings.LOG_FORMAT == "json":
        from engine import logs
        for handler in logging.getLogger().handlers + app.logger.handlers:
            handler.setFormatter(logs.JsonFormatter())

    @app.before_request
    def _start_timer() -> None:
        request.environ["leanschool.t0"] = time.perf_counter()

    @app.after_request
    def _observe(resp: Response) -> Response:
        t0 = request.environ.get("leanschool.t0")
        if t0 is not None:
            latency.labels(request.endpoint or "unmatched", request.method,
                           str(resp.status_code)).observe(time.perf_counter() - t0)
        return resp

    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz() -> Any:
    report = health.check(store(), int(current_app.config["HEALTH_SCHEDULER_MAX_AGE"]))
    body = report.as_dict(getattr(g, "locale", None) or "ru")
    return jsonify(body), 200 if report.ok else 503


@bp.get("/metrics")
def metrics() -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    state = current_app.extensions[KEY]
    if state["multiprocess"]:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(DatabaseCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
    else:
        registry = state["registry"]
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
