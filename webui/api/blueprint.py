"""The API's blueprint: ``@route``, authentication and the JSON error envelope.

Every route is declared with ``@route``, which registers it with Flask and records its
body schema and answers for the OpenAPI description (webui/api/openapi.py). The routes
themselves live in webui/api/routes.py; ``webui.api`` imports both.
"""
from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, g, jsonify, request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from engine.errors import DomainError, GateFailed, NotFound, ValidationFailed
from engine.models import User
from engine.outputs import Error, ErrorDetail, Out
from engine.services import actor_for_token
from engine.services.accounts import actor_for_session
from engine.services.common import INT_MAX
from engine.text import Text
from webui.extensions import store
from webui.query import control_params

log = logging.getLogger("leanschool.api")
bp = Blueprint("api", __name__, url_prefix="/api/v1")

STATUS = {"bad_request": 400, "unauthenticated": 401, "forbidden": 403, "not_found": 404,
          "method_not_allowed": 405, "conflict": 409, "validation_failed": 422,
          "gate_failed": 422, "not_publishable": 422, "internal_error": 500}


@dataclass
class RouteSpec:
    path: str
    method: str
    endpoint: str
    summary: str
    ok: int
    body: type[BaseModel] | None
    # status -> the engine/outputs.py model the answer is (empty: a plain dict, openapi.json)
    responses: dict[int, type[Out]]
    errors: tuple[int, ...]
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    public: bool = False


ROUTES: list[RouteSpec] = []


def route(path: str, method: str = "GET", *, summary: str, ok: int = 200,
          body: type[BaseModel] | None = None,
          response: type[Out] | dict[int, type[Out]] | None = None,
          errors: tuple[int, ...] = (401, 404), query: dict[str, dict[str, Any]] | None = None,
          public: bool = False) -> Callable:
    """Register an API route. ``response`` is the output model of its ``ok`` answer (or
    ``{status: model}`` when it has several); the view returns an instance of it (or
    ``(instance, status)``), which is what the API sends and what OpenAPI describes."""
    responses = dict(response) if isinstance(response, dict) else {ok: response} if response else {}
    for status, model in responses.items():
        if not (isinstance(model, type) and issubclass(model, Out)):
            raise TypeError(f"{path}: the {status} answer must be a model of engine/outputs.py, not {model!r}")

    def register(fn: Callable) -> Callable:
        endpoint = fn.__name__
        spec = RouteSpec(path, method, endpoint, summary, ok, body, responses, errors, query or {}, public)
        ROUTES.append(spec)

        @functools.wraps(fn)
        def view(**kwargs: Any) -> Any:
            return _answer(spec, fn(**kwargs))

        # (ids larger than the database holds are answered 404 in ``authenticate``: a bounded
        # converter would make the router answer 405 for them, naming another method)
        flask_path = path.replace("{", "<int:").replace("}", ">") if "{" in path else path
        flask_path = flask_path.replace("<int:workflow_id>", "<workflow_id>")
        bp.add_url_rule(flask_path, endpoint, view, methods=[method])
        return fn
    return register


def _answer(spec: RouteSpec, result: Any) -> Any:
    """The JSON answer of a view: its declared model, at the status it is declared for."""
    if not spec.responses:
        return result
    body, status = result if isinstance(result, tuple) else (result, spec.ok)
    declared = spec.responses.get(status)
    if declared is None or type(body) is not declared:
        raise TypeError(f"{spec.endpoint} answered {type(body).__name__} with {status}; declared: "
                        + ", ".join(f"{s} {m.__name__}" for s, m in spec.responses.items()))
    resp = jsonify(body.dump())
    resp.status_code = status
    return resp


def error_body(code: str, message: str | Text, details: dict | None = None, status: int | None = None):
    """The API's error answer; a ``Text`` message in the caller's language."""
    if isinstance(message, Text):
        message = message.get(locale())
    resp = jsonify(Error(error=ErrorDetail(code=code, message=message, details=details or {})).dump())
    resp.status_code = status or STATUS[code]
    return resp


def locale() -> str:
    return getattr(g, "locale", None) or "ru"


class NotAnObject:
    """Stands for a body that is not a JSON object (invalid JSON, a list, a number, null).

    It is truthy and not a dict, so every service's ``parse`` answers 400 at its place in
    the error order (after 404/403), even where a service writes ``data or {}``."""

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "<not a JSON object>"


NOT_AN_OBJECT = NotAnObject()


def body_json() -> Any:
    """The JSON body as a dict; ``NOT_AN_OBJECT`` when it is not a JSON object (services
    answer 400 then). An empty body counts as ``{}``."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:  # strict JSON (RFC 8259): no NaN or Infinity, which no JSON answer could carry back
        data = json.loads(raw.decode("utf-8-sig"), parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return NOT_AN_OBJECT
    return data if isinstance(data, dict) else NOT_AN_OBJECT


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@bp.before_request
def authenticate() -> Any:
    g.locale = "ru"
    spec = next((r for r in ROUTES if r.endpoint == (request.endpoint or "").split(".")[-1]), None)
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    g.actor = None
    if scheme.lower() == "bearer":  # the scheme is case-insensitive (RFC 9110)
        with store().uow() as uow:
            g.actor = actor_for_token(uow, credentials.strip())
            if g.actor is not None:  # one column, not the row again (the token's user row is gone)
                g.locale = uow.session.execute(select(User.locale).where(User.id == g.actor.user_id)
                                               ).scalar() or "ru"
    elif "user_id" in _session():
        with store().uow() as uow:
            # a browser session of a user since deactivated (or deleted), or one that signed in
            # before the user's session epoch was raised (sign-out, password ...), signs nobody in
            signed_in = actor_for_session(uow, _session().get("user_id"), _session().get("epoch"))
            if signed_in is not None:
                user, g.actor = signed_in
                g.locale = user.locale or _session().get("locale") or "ru"
        if g.actor is not None:
            from webui.csrf import check_csrf
            check_csrf()
    if g.actor is None and not (spec and spec.public):
        return error_body("unauthenticated", Text("Требуется вход: передайте токен (Authorization: Bearer)",
                                                 "Sign in required: send a token (Authorization: Bearer)"))
    if any(isinstance(v, int) and v > INT_MAX for v in (request.view_args or {}).values()):
        # no object has an id the database cannot hold (and the driver would overflow on it)
        return domain_error(NotFound())
    # control characters (NUL ...) in the query: 422 naming the parameter, never a 500. A route
    # with ids in its path checks only the parameters it declares, so that 404 still comes first.
    bad = control_params({*spec.query} if spec and request.view_args else None)
    if bad:
        return domain_error(ValidationFailed(bad))
    return None


def _session() -> Any:
    from flask import session
    return session


@bp.after_request
def no_store(resp: Any) -> Any:
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> Any:
    details = dict(exc.details)
    if isinstance(exc, ValidationFailed):
        details = {"fields": exc.field_messages(locale())}
    elif isinstance(exc, GateFailed):
        details = {"unmet": [u.as_dict(locale()) for u in exc.unmet]}
    return error_body(exc.code, exc.message(locale()), details)


@bp.errorhandler(OverflowError)
@bp.errorhandler(DataError)
def refused_by_database(exc: Exception) -> Any:
    """Values the database cannot hold are the caller's mistake, answered 422 naming the
    field where the service would have stored or looked them up: an integer beyond the
    database's (SQLite raises OverflowError, PostgreSQL a DataError) or a NUL character
    in text (PostgreSQL refuses it). Anything else stays an internal error."""
    data = body_json()
    fields: dict[str, Text] = {}
    for name, value in (data.items() if isinstance(data, dict) else ()):
        if isinstance(value, int) and not isinstance(value, bool) and not -INT_MAX - 1 <= value <= INT_MAX:
            fields[name] = Text(f"Допустимо от {-INT_MAX - 1} до {INT_MAX}", f"Allowed: {-INT_MAX - 1} to {INT_MAX}")
        elif _has_nul(value):
            fields[name] = _NUL
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            fields[name.replace("\x00", "")] = _NUL
    if not fields:
        return internal_error(exc)
    return domain_error(ValidationFailed(fields))


_NUL = Text("Недопустимый символ NUL (\\u0000)", "The NUL character (\\u0000) is not allowed")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def http_error(exc: HTTPException) -> Any:
    codes = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 409: "conflict"}
    code = exc.code or 500
    if code == 413:
        return error_body("bad_request", Text("Слишком большой запрос", "Request too large"), status=413)
    if code in codes:
        resp = error_body(codes[code], exc.description or codes[code], status=code)
        valid = getattr(exc, "valid_methods", None)
        if code == 405 and valid:
            resp.headers["Allow"] = ", ".join(valid)
        return resp
    return error_body("internal_error", exc.description or "error", status=code)


def internal_error(exc: Exception) -> Any:
    if isinstance(exc, HTTPException):
        return http_error(exc)
    ref = uuid.uuid4().hex[:12]
    log.exception("internal error ref=%s", ref)
    return error_body("internal_error", Text(f"Внутренняя ошибка; код для обращения: {ref}",
                                            f"Internal error; reference: {ref}"), {"reference": ref})

