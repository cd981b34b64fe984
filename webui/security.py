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
counts) come from the settings (engine/config.py: the app's config, else the environment).
"""
from __future__ import annotations

from typing import Any

from flask import Flask, request

from engine.config import Settings

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'self'")

HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
}


def init_app(app: Flask, settings: Settings) -> None:
    """Install the headers; set SESSION_COOKIE_SECURE and TRUSTED_PROXIES."""
    app.config["SESSION_COOKIE_SECURE"] = settings.SESSION_COOKIE_SECURE
    count = app.config["TRUSTED_PROXIES"] = settings.TRUSTED_PROXIES
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
