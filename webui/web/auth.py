"""Login, logout, password change and the language switch."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine.errors import DomainError
from engine.services import authenticate, throttle
from engine.services.accounts import change_password, set_locale, sign_out
from webui.web.common import error_messages, login_required, no_nul, uow

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """A path on this site, or the board. Browsers drop tabs and newlines from a URL and
    read a backslash as a slash, so "/<tab>/evil.example" would leave the site."""
    if (target and target.startswith("/") and not target.startswith("//")
            and target.isprintable() and "\\" not in target):
        return target
    return url_for("board.board")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    email = no_nul(request.form.get("email")).strip()
    if request.method == "POST":
        address = request.remote_addr or ""
        with uow() as u:
            wait = throttle.wait_seconds(u, email, address)
        if wait:
            error = _("Too many failed attempts. Try again in %(seconds)s s.", seconds=wait)
        else:
            with uow() as u:
                user = authenticate(u, email, request.form.get("password", ""))
                if user is None:
                    throttle.record_failure(u, email, address)
                else:
                    throttle.clear_account(u, email)
            if user is None:
                error = _("Wrong e-mail or password.")
            else:
                start_session(user.id, user.session_epoch, user.locale)
                return redirect(_safe_next(request.args.get("next")))
        return render_template("login.html", error=error, email=email), 200 if not error else 401
    return render_template("login.html", error=None, email="")


def start_session(user_id: int, epoch: int, locale: str | None) -> None:
    """A new browser session for the user (a fresh cookie and CSRF token), carrying the
    user's session epoch: raising the epoch later ends this session and every copy of it."""
    session.clear()
    session["user_id"] = user_id
    session["epoch"] = epoch
    session["locale"] = locale or "ru"
    session.permanent = True


@bp.post("/logout")
def logout():
    if g.actor is not None:
        with uow() as u:
            sign_out(u, g.actor)  # every session of the user ends, a copied cookie too
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with uow() as u:
                epoch = change_password(u, g.actor, request.form.get("current", ""),
                                        request.form.get("new", ""), request.form.get("repeat", ""))
            # this browser stays signed in with a new session; copies of the old cookie are ended
            start_session(g.actor.user_id, epoch, session.get("locale"))
            flash(_("Password changed."), "ok")
            return redirect(url_for("board.board"))
        except DomainError as exc:
            _msg, errors = error_messages(exc)
    from engine.services.notifications import email_mutes
    from webui.web.labels import NOTIFICATION_KIND
    with uow() as u:
        muted = email_mutes(u, g.actor)
    return render_template("password.html", errors=errors, kinds=NOTIFICATION_KIND.items(),
                           muted=muted), 422 if errors else 200


@bp.post("/locale")
def switch_locale():
    value = request.form.get("locale", "ru")
    if value not in ("ru", "en"):
        value = "ru"
    if g.actor is not None:
        with uow() as u:
            set_locale(u, g.actor, value)
    session["locale"] = value
    return redirect(_safe_next(request.form.get("next")))
