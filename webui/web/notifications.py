"""The bell: a person's notifications (decisions, comments, stalled projects, reminders),
marked read here; and which kinds the person wants in the app only, never e-mailed (the
account page's form posts to ``settings``)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import DomainError
from engine.services.notifications import list_for, mark_read, set_email_mutes
from webui.web.common import INT_MAX, error_messages, login_required, uow
from webui.web.labels import NOTIFICATION_KIND

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def inbox() -> Any:
    with uow() as u:
        items = list_for(u, g.actor, limit=100)
    return render_template("notifications.html", items=items)


@bp.post("/notifications/read")
@login_required
def read() -> Any:
    raw = request.form.getlist("id")
    ids = [int(x) for x in raw if x.isdecimal() and int(x) <= INT_MAX]
    if raw and not ids:  # ids that name no notification: nothing to mark (not all of them)
        return redirect(url_for("notifications.inbox"))
    with uow() as u:
        mark_read(u, g.actor, ids or None)
    return redirect(url_for("notifications.inbox"))


@bp.post("/notifications/settings")
@login_required
def settings() -> Any:
    """The account page's e-mail settings: every kind is e-mailed unless its box is unticked."""
    emailed = set(request.form.getlist("email"))
    try:
        with uow() as u:
            set_email_mutes(u, g.actor, [k for k in NOTIFICATION_KIND if k not in emailed])
        flash(_("E-mail settings saved."), "ok")
    except DomainError as exc:  # the kinds come from our own list: not expected
        flash(error_messages(exc)[0], "error")
    return redirect(url_for("auth.password") + "#email")
