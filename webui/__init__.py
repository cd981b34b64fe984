"""The Flask app: ``create_app(config=None)`` (API.md)."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from engine import config as engine_config
from engine.db import Store, migrate
from engine.workflow import WorkflowError, load_dir
from webui.extensions import init_store

log = logging.getLogger("leanschool.web")

# the keys create_app takes from its config or else the environment (engine/config.py Settings)
CONFIG_KEYS = ("DATABASE_URL", "DATABASE_REPLICA_URL", "SECRET_KEY", "WORKFLOWS_DIR", "TESTING", "AUTO_MIGRATE",
               "SESSION_COOKIE_SECURE", "TRUSTED_PROXIES", "PUBLIC_CATALOGUE")


class StartupError(SystemExit):
    """Stops start-up with a message and exit code 1, without a traceback."""

    def __init__(self, message: str):
        super().__init__(message)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build an app. A key in ``config`` wins over the environment; nothing is shared
    between apps (each has its own database engine and workflow registry)."""
    config = dict(config or {})
    settings = engine_config.settings(**{key: config.pop(key) for key in CONFIG_KEYS if key in config})

    app = Flask(__name__, instance_path=str(engine_config.instance_dir()))
    app.config.update(
        DATABASE_URL=engine_config.database_url(settings.DATABASE_URL),
        SECRET_KEY=engine_config.secret_key(settings.SECRET_KEY),
        WORKFLOWS_DIR=str(engine_config.workflows_dir(settings.WORKFLOWS_DIR)),
        TESTING=settings.TESTING,
        AUTO_MIGRATE=settings.AUTO_MIGRATE,
        PUBLIC_CATALOGUE=settings.PUBLIC_CATALOGUE,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
    )
    app.config.update(config)  # any other keys the caller gives
    from webui import security
    security.init_app(app, settings)  # headers, SESSION_COOKIE_SECURE, TRUSTED_PROXIES
    from webui import health
    health.init_app(app, settings)  # /healthz, /metrics (request latency first of all hooks), JSON logs
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    try:
        registry = load_dir(app.config["WORKFLOWS_DIR"])
    except WorkflowError as exc:
        raise StartupError(f"Lean School cannot start: a workflow file is broken:\n{exc}") from None
    if app.config["AUTO_MIGRATE"]:
        try:
            migrate(app.config["DATABASE_URL"])
        except Exception as exc:  # noqa: BLE001 - a message, not a traceback
            raise StartupError(f"Lean School cannot start: the database could not be migrated: "
                               f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    replica = settings.DATABASE_REPLICA_URL
    init_store(app, Store(app.config["DATABASE_URL"], registry,
                          engine_config.database_url(replica) if replica else None))

    from webui.api import bp as api_bp
    app.register_blueprint(api_bp)
    _register_error_handlers(app)
    from webui import web
    web.init_app(app)
    return app


def _register_error_handlers(app: Flask) -> None:
    """Under /api/ every error is the JSON envelope (Flask's own 404/405/500 too);
    elsewhere a short page, never a traceback."""
    from flask import request
    from werkzeug.exceptions import HTTPException

    from webui.api import http_error, internal_error

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return http_error(exc)
        return exc

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return _http(exc)
        if request.path.startswith("/api/"):
            return internal_error(exc)
        import uuid
        ref = uuid.uuid4().hex[:12]
        log.exception("internal error ref=%s", ref)
        return (f"<!doctype html><html lang=\"ru\"><meta charset=\"utf-8\"><title>Ошибка</title>"
                f"<h1>Внутренняя ошибка</h1><p>Код для обращения в поддержку: {ref}</p></html>", 500)
