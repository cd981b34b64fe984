"""Configuration shared by the CLI, the web app and the scheduler (API.md keys)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from engine.db import REPO_ROOT


def instance_dir() -> Path:
    return Path(os.environ.get("LEANSCHOOL_INSTANCE_DIR") or REPO_ROOT / "instance")


def default_database_url() -> str:
    return f"sqlite:///{instance_dir() / 'leanschool.db'}"


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get("DATABASE_URL") or default_database_url()


def workflows_dir(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get("WORKFLOWS_DIR") or REPO_ROOT / "workflows")


def secret_key(explicit: str | None = None) -> str:
    """SECRET_KEY from config or the environment; else a per-instance generated one."""
    if explicit or os.environ.get("SECRET_KEY"):
        return explicit or os.environ["SECRET_KEY"]
    path = instance_dir() / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
