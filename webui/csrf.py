"""CSRF protection for session (browser) requests: a per-session token that every
POST/PATCH/PUT/DELETE must carry, in the ``X-CSRFToken`` header (htmx) or a
``csrf_token`` form field. Bearer-token API requests carry no cookie and need none."""
from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def csrf_token() -> str:
    token = session.get("csrf_token")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf_token"] = token
    return token


def check_csrf() -> None:
    if request.method not in UNSAFE:
        return
    sent = request.headers.get("X-CSRFToken") or request.form.get("csrf_token") or ""
    expected = session.get("csrf_token") or ""
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="CSRF token missing or wrong")
