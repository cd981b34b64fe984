"""The bell: a person's notifications (stalled projects, reminders), marked read here."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for

from engine.services.notifications import list_for, mark_read
from webui.web.common import INT_MAX, login_required, uow

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
