"""The approvals inbox: requests the person may decide, oldest first, with the evidence."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import services as svc
from engine.errors import DomainError, NotFound
from engine.services.pages import approval_inbox
from webui.web.common import error_messages, login_required, no_nul, tr, uow

bp = Blueprint("approvals", __name__)


def _inbox(errors: dict[int, str] | None = None, values: dict[int, str] | None = None, status: int = 200,
           comment_errors: dict[int, str] | None = None) -> Any:
    with uow() as u:
        items, total = approval_inbox(u, g.actor)
        return render_template("approvals.html", items=items, total=total, errors=errors or {},
                               values=values or {}, comment_errors=comment_errors or {}), status


@bp.get("/approvals")
@login_required
def inbox() -> Any:
    return _inbox()


@bp.post("/approvals/<int:request_id>/approve")
@login_required
def approve(request_id: int) -> Any:
    try:
        with uow() as u:
            project = svc.approve_request(u, g.actor, request_id,
                                          {"comment": no_nul(request.form.get("comment")) or None})
        flash(_("Approved: «%(title)s» moved on.", title=project.title), "ok")
    except NotFound:
        raise  # another organisation's request: 404
    except DomainError as exc:
        general, fields = error_messages(exc)
        if exc.code == "gate_failed":
            general += ": " + "; ".join(tr(x.text) for x in exc.unmet)  # type: ignore[attr-defined]
        return _inbox(errors={request_id: "; ".join(fields.values()) or general},
                      status={"forbidden": 403, "conflict": 409}.get(exc.code, 422))
    return redirect(url_for("approvals.inbox"))


@bp.post("/approvals/<int:request_id>/reject")
@login_required
def reject(request_id: int) -> Any:
    try:
        with uow() as u:
            svc.reject_request(u, g.actor, request_id, {"comment": no_nul(request.form.get("comment"))})
        flash(_("Request rejected; the team sees your comment."), "ok")
    except NotFound:
        raise
    except DomainError as exc:
        general, fields = error_messages(exc)
        if "comment" in fields:  # shown next to the reason's textarea
            return _inbox(comment_errors={request_id: fields["comment"]},
                          values={request_id: request.form.get("comment", "")}, status=422)
        return _inbox(errors={request_id: "; ".join(fields.values()) or general},
                      values={request_id: request.form.get("comment", "")},
                      status={"forbidden": 403, "conflict": 409}.get(exc.code, 422))
    return redirect(url_for("approvals.inbox"))
