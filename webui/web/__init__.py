"""The pages: login, board, project, approvals, admin. Russian first (Flask-Babel)."""
from __future__ import annotations

from typing import Any

from flask import Flask, abort, g, request, session
from flask_babel import Babel, format_date, format_datetime, format_decimal, format_scientific

from engine.errors import DomainError, NotFound, ValidationFailed
from engine.policy import ROLES
from engine.services.accounts import actor_for_session
from webui.csrf import check_csrf, csrf_token
from webui.extensions import htmx
from webui.query import clean_page_args
from webui.web.common import INT_MAX, may, tr, uow


def select_locale() -> str:
    return getattr(g, "locale", None) or session.get("locale") or "ru"


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_locale="ru", default_timezone="Europe/Moscow")
    htmx.init_app(app)

    from webui.web import (
        admin,
        approvals,
        auth,
        board,
        campaigns,
        defence,
        edition,
        evaluation,
        events,
        notifications,
        practices,
        programmes,
        projects,
        public,
        readiness,
        reports,
        tower,
        training,
    )
    for module in (auth, board, projects, approvals, admin, tower, notifications, practices, reports, programmes,
                   readiness, public, edition, training, defence, events, campaigns, evaluation):
        app.register_blueprint(module.bp)

    @app.before_request
    def load_user() -> None:
        if request.path.startswith("/api/") or request.path.startswith("/static/"):
            return
        clean_page_args()  # ?state=%00 reads as an empty state: no page meets a control character
        g.actor, g.user, g.locale = None, None, session.get("locale") or "ru"
        if any(isinstance(v, int) and v > INT_MAX for v in (request.view_args or {}).values()):
            abort(404)  # an id beyond the database's integers: no such object (was a 500 on SQLite)
        if "user_id" in session:
            with uow() as u:
                # gone, deactivated, or signed in before the user's session epoch was raised
                # (sign-out, password change or reset, deactivation, a role removed): signed out
                signed_in = actor_for_session(u, session.get("user_id"), session.get("epoch"))
                if signed_in is None:
                    session.clear()
                else:
                    user, g.actor = signed_in
                    g.user = {"id": user.id, "name": user.name, "email": user.email}
                    g.locale = user.locale or "ru"
        check_csrf()

    @app.after_request
    def vary(resp: Any) -> Any:
        if not request.path.startswith("/api/"):
            resp.headers.add("Vary", "HX-Request")
            resp.headers.setdefault("X-Content-Type-Options", "nosniff")
            resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return resp

    from webui.web import charts, labels
    app.jinja_env.globals.update(
        direction_label=lambda k: labels.DIRECTION.get(k, k),
        waste_label=lambda k: labels.WASTE.get(k, k),
        artefact_label=lambda k: labels.ARTEFACT.get(k, k),
        action_status_label=lambda k: labels.ACTION_STATUS.get(k, k),
        risk_status_label=lambda k: labels.RISK_STATUS.get(k, k),
        request_status_label=lambda k: labels.REQUEST_STATUS.get(k, k),
        role_label=lambda k: labels.ROLE.get(k, k),
        kind_label=lambda k: labels.ORG_KIND.get(k, k),
        risk_level=labels.risk_level, metric_chart=charts.metric_chart, parse_ts=_parse_ts,
    )
    app.jinja_env.globals["waste_options"] = lambda: [(k, labels.WASTE[k]) for k in labels.WASTE]
    app.jinja_env.globals["artefact_options"] = lambda: [(k, labels.ARTEFACT[k]) for k in labels.ARTEFACT]
    app.jinja_env.globals["can"] = may  # can(action, project_or_org): engine/policy.py
    app.jinja_env.globals["role_options"] = lambda: [(k, labels.ROLE[k]) for k in ROLES]

    @app.context_processor
    def page_context() -> dict[str, Any]:
        return {"csrf_token": csrf_token, "tr": tr, "current_user": getattr(g, "user", None),
                "lang": select_locale(),
                "pending_count": _pending_count(), "unread_count": _unread_count(), "fmt_date": _fmt_date,
                "fmt_dt": _fmt_dt, "fmt_num": _fmt_num, "fmt_score": _fmt_score}

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        if isinstance(exc, NotFound):  # not abort(404): raising in a handler answers 500
            return _error_page(404)(exc)
        from flask import render_template
        fields = exc.field_messages(select_locale()) if isinstance(exc, ValidationFailed) else {}
        return render_template("error.html", message=exc.message(select_locale()), fields=fields), \
            {"forbidden": 403, "conflict": 409}.get(exc.code, 422)

    for code in (400, 403, 404, 405, 500):
        app.register_error_handler(code, _error_page(code))


def _error_page(code: int) -> Any:
    def handler(exc: Any) -> Any:
        from flask import render_template

        from webui.api import http_error
        if request.path.startswith("/api/"):
            return http_error(exc)
        return render_template("error.html", code=code, message=None), code
    return handler


def _pending_count() -> int:
    actor = getattr(g, "actor", None)
    if actor is None:
        return 0
    if "pending_count" not in g:
        from engine.services.queries import count_requests
        with uow() as u:
            g.pending_count = count_requests(u, actor, "pending", decidable_only=True)
    return g.pending_count


def _unread_count() -> int:
    actor = getattr(g, "actor", None)
    if actor is None:
        return 0
    if "unread_count" not in g:
        from engine.services.notifications import unread_count
        with uow() as u:
            g.unread_count = unread_count(u.session, actor.user_id)
    return g.unread_count


def _fmt_date(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        from datetime import date
        value = date.fromisoformat(value[:10])
    return format_date(value, "medium")


def _fmt_dt(value: Any) -> str:
    if value is None:
        return "—"
    return format_datetime(value, "short")


# Beyond this the grouped pattern's two decimals are noise, and from ~1e26 on Babel's
# quantize raises decimal.InvalidOperation: larger magnitudes are shown as 1,235E20.
_PLAIN_LIMIT = 1e15


def _fmt_score(value: Any) -> str:
    """A mean score (readiness 1–5) with one decimal in the user's locale («2,0», "2.0")."""
    return "—" if value is None else format_decimal(round(float(value), 1), "0.0")


def _fmt_num(value: Any) -> str:
    """A number for a page in the user's locale; total: any finite float renders (a stored
    1e308 as 1E308), and what is not a finite number shows as a dash."""
    if value is None:
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return "—"
    if number != number or number in (float("inf"), float("-inf")):
        return "—"
    if abs(number) >= _PLAIN_LIMIT:
        return format_scientific(number, "0.###E0")
    return format_decimal(number, "#,##0.##")


def _parse_ts(value: str) -> Any:
    from datetime import datetime
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
