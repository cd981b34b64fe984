"""HTTP hardening of every response: security headers, the session cookie's Secure flag
and the client address behind a reverse proxy.

- ``Content-Security-Policy``: scripts, styles, fonts and fetches only from this site; no
  inline script, no inline style, no eval (the templates have none: behaviour lives in
  static/app.js, and htmx is configured with ``allowEval: false`` in base.html).
- ``Referrer-Policy: same-origin``: no page address (with its project ids and filters)
  leaves for another site.
- ``X-Content-Type-Options: nosniff`` and ``X-Frame-Options: SAMEORIGIN``.
- ``Cache-Control: no-store`` on every answer except static files: pages and the API carry
  personal data (names, projects) that must not stay in a shared computer's cache.

``SESSION_COOKIE_SECURE`` (true behind HTTPS) and ``TRUSTED_PROXIES`` (how many reverse
proxies stand in front, so that ``X-Forwarded-For`` names the client the login throttle
counts) come from the app's config or the environment.
"""
from __future__ import annotations

import os
from typing import Any

from flask import Flask, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'self'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
}


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _setting(config: dict[str, Any], key: str) -> Any:
    """A key given to create_app wins over the environment."""
    return config[key] if key in config else os.environ.get(key)


def init_app(app: Flask, config: dict[str, Any]) -> None:
    """Install the headers; read SESSION_COOKIE_SECURE and TRUSTED_PROXIES (``config`` is
    what the caller gave create_app)."""
    app.config["SESSION_COOKIE_SECURE"] = _flag(_setting(config, "SESSION_COOKIE_SECURE") or False)

    proxies = _setting(config, "TRUSTED_PROXIES")
    try:
        count = int(proxies or 0)
    except (TypeError, ValueError):
        count = 0
    app.config["TRUSTED_PROXIES"] = max(0, count)
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0)  # type: ignore[method-assign]

    @app.after_request
    def security_headers(resp: Any) -> Any:
        for name, value in HEADERS.items():
            resp.headers.setdefault(name, value)
        if not request.path.startswith("/static/"):
            resp.headers["Cache-Control"] = "no-store"
            resp.headers.pop("Expires", None)
        return resp
