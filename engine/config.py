"""Configuration shared by the CLI, the web app and the scheduler (API.md keys): one
``Settings`` object read from the environment (pydantic-settings), where a value given
to its constructor (``create_app``'s config) wins over the environment.

The environment is read anew by each ``Settings()``: tests change it between apps.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.db import REPO_ROOT


def _on_unless_off(value: Any) -> bool:
    """TESTING, AUTO_MIGRATE: on unless 0, false, no, off or empty."""
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def _on_only_if_on(value: Any) -> bool:
    """SESSION_COOKIE_SECURE, PUBLIC_CATALOGUE: on only for 1, true, yes or on."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class Settings(BaseSettings):
    """Every key Lean School reads from the environment. Empty values count as unset
    where the old readers said ``or`` (database, folders, secret key, SMTP)."""
    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore")

    DATABASE_URL: str | None = None
    # a PostgreSQL streaming replica of DATABASE_URL for the tower, analytics, reports and
    # exports (engine/replica.py); unset: everything reads the primary
    DATABASE_REPLICA_URL: str | None = None
    SECRET_KEY: str | None = None
    WORKFLOWS_DIR: str | None = None
    LEANSCHOOL_INSTANCE_DIR: str | None = None
    TESTING: bool = False
    AUTO_MIGRATE: bool = True
    SESSION_COOKIE_SECURE: bool = False
    # the read-only public catalogue of practices at /catalogue, for visitors without an
    # account (#15 item 3): off unless 1, true, yes or on
    PUBLIC_CATALOGUE: bool = False
    TRUSTED_PROXIES: int = 0  # reverse proxies in front (X-Forwarded-For); unreadable: none
    LEANSCHOOL_LOCALE: str = "ru"  # the CLI's language
    LEANSCHOOL_DEBUG: str | None = None  # tracebacks in the CLI's and the scheduler's errors
    # e-mail (engine/io/mail.py parses them: SmtpConfig.from_env); no SMTP_HOST: in-app only
    SMTP_HOST: str | None = None
    SMTP_PORT: str | None = None
    SMTP_FROM: str | None = None
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS: str | None = None
    # operations (#16): /healthz, /metrics, logs
    HEALTH_SCHEDULER_MAX_AGE: int = 300  # seconds without a scheduler heartbeat before /healthz answers 503; 0: off
    LOG_FORMAT: str = "text"  # text | json (one JSON object a line)
    PROMETHEUS_MULTIPROC_DIR: str | None = None  # the metrics folder shared by gunicorn's workers

    @field_validator("DATABASE_URL", "DATABASE_REPLICA_URL", "SECRET_KEY", "WORKFLOWS_DIR", "LEANSCHOOL_INSTANCE_DIR",
                     "PROMETHEUS_MULTIPROC_DIR", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value in ("", None) else str(value)

    @field_validator("TESTING", "AUTO_MIGRATE", mode="before")
    @classmethod
    def _flag(cls, value: Any, info: ValidationInfo) -> bool:
        if value is None:  # given as None: the default
            return bool(cls.model_fields[cast(str, info.field_name)].default)  # set for a field validator
        return _on_unless_off(value)

    @field_validator("SESSION_COOKIE_SECURE", "PUBLIC_CATALOGUE", mode="before")
    @classmethod
    def _strict_flag(cls, value: Any) -> bool:
        return _on_only_if_on(value or False)

    @field_validator("TRUSTED_PROXIES", mode="before")
    @classmethod
    def _count(cls, value: Any) -> int:
        try:
            return max(0, int(value or 0))
        except (TypeError, ValueError):
            return 0

    @field_validator("HEALTH_SCHEDULER_MAX_AGE", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> int:
        try:
            return max(0, int(value if value not in (None, "") else 300))
        except (TypeError, ValueError):
            return 300

    @field_validator("LOG_FORMAT", mode="before")
    @classmethod
    def _log_format(cls, value: Any) -> str:
        return "json" if str(value or "").strip().lower() == "json" else "text"

    @property
    def debug(self) -> bool:
        return bool(self.LEANSCHOOL_DEBUG)

    @property
    def locale(self) -> str:
        return "en" if self.LEANSCHOOL_LOCALE.startswith("en") else "ru"


def settings(**given: Any) -> Settings:
    """The settings now: ``given`` keys win over the environment."""
    return Settings(**given)


def instance_dir() -> Path:
    return Path(settings().LEANSCHOOL_INSTANCE_DIR or REPO_ROOT / "instance")


def default_database_url() -> str:
    return f"sqlite:///{instance_dir() / 'leanschool.db'}"


def database_url(explicit: str | None = None) -> str:
    return explicit or settings().DATABASE_URL or default_database_url()


def workflows_dir(explicit: str | None = None) -> Path:
    return Path(explicit or settings().WORKFLOWS_DIR or REPO_ROOT / "workflows")


def secret_key(explicit: str | None = None) -> str:
    """SECRET_KEY from config or the environment; else a per-instance generated one."""
    key = explicit or settings().SECRET_KEY
    if key:
        return key
    path = instance_dir() / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
