"""Helpers the page blueprints share: the signed-in person, their roles, translated
engine messages, and rendering of forms with field errors."""
from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g, redirect, request, session, url_for

from engine.db import UnitOfWork
from engine.errors import DomainError, ValidationFailed
from engine.models import Organization
from engine.policy import Actor, can, can_somewhere
from engine.replica import heavy_read
from engine.services.common import INT_MAX
from engine.text import Text
from webui.extensions import store

NOT_A_NUMBER = object()  # the services' schemas answer "must be a number" for it


def no_nul(value: str | None) -> str:
    """Text without NUL characters, which PostgreSQL text cannot hold (a 500 otherwise)."""
    return (value or "").replace("\x00", "")


def uow() -> UnitOfWork:
    return store().uow()


def read_uow() -> UnitOfWork:
    """A unit of work for a heavy read (tower, analytics, reports, exports): on the read
    replica when one is configured (DATABASE_REPLICA_URL), unless the person has just
    changed something (engine/replica.py). Reads only."""
    actor = current_actor()
    return heavy_read(store(), actor.user_id if actor else None)


def current_actor() -> Actor | None:
    return getattr(g, "actor", None)


def locale() -> str:
    return getattr(g, "locale", None) or "ru"


def tr(value: Text | str | None) -> str:
    """A Text from the engine (or workflow titles) in the current language."""
    if value is None:
        return ""
    if isinstance(value, Text):
        return value.get(locale())
    return str(value)


def login_required(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_actor() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return fn(*args, **kwargs)
    return wrapper


def admin_required(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_actor().is_admin:  # type: ignore[union-attr]
            abort(403)
        return fn(*args, **kwargs)
    return wrapper


def form_data(*names: str, ints: tuple[str, ...] = (), floats: tuple[str, ...] = (),
              optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """Form fields as the services' input dict: empty optional fields are omitted,
    numbers converted when they parse (otherwise passed on, so the service names them)."""
    out: dict[str, Any] = {}
    for name in names:
        if name not in request.form:
            continue
        raw = no_nul(request.form.get(name)).strip()
        if raw == "" and name in optional:
            continue
        if name in ints:
            try:  # clamped to the database's integers: a larger id names no object, a larger version is stale
                out[name] = max(-INT_MAX - 1, min(INT_MAX, int(raw)))
            except ValueError:  # "", "--5", "²": the service names the field
                out[name] = None if raw == "" else raw
        elif name in floats:
            try:
                number = float(raw.replace(",", ".").replace("\u00a0", "").replace(" ", ""))
            except ValueError:
                out[name] = None if raw == "" else raw
            else:  # "inf", "nan" parse as floats, but no chart, sum or JSON answer can carry them
                out[name] = number if math.isfinite(number) else NOT_A_NUMBER
        else:
            out[name] = raw
    return out


def error_messages(exc: DomainError) -> tuple[str, dict[str, str]]:
    """(general message, {field: message}) in the current language."""
    if isinstance(exc, ValidationFailed):
        return exc.message(locale()), exc.field_messages(locale())
    return exc.message(locale()), {}


def may(action: str, where: Any = None) -> bool:
    """The templates' ``can(action, project_or_org)``: whether the signed-in person may do
    ``action`` (engine/policy.py) on that project or organisation; without one, whether
    they may do it anywhere (the menu's links)."""
    actor = current_actor()
    if actor is None:
        return False
    if where is None:
        return can_somewhere(actor, action)
    org_id = where.id if isinstance(where, Organization) else where.org_id
    return can(actor, action, org_id, where.region_id)


def remember_locale(value: str) -> None:
    session["locale"] = value
