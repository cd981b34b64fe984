"""The approvals inbox: requests the person may decide, oldest first, with the evidence."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import services as svc
from engine.checks import CHECKS, evaluate
from engine.errors import DomainError, NotFound
from engine.models import Organization, Project, User
from engine.services import queries as Q
from webui.web.common import error_messages, locale, login_required, no_nul, tr, uow

bp = Blueprint("approvals", __name__)


def _inbox(errors: dict[int, str] | None = None, values: dict[int, str] | None = None, status: int = 200,
           comment_errors: dict[int, str] | None = None) -> Any:
    actor = g.actor
    items = []
    with uow() as u:
        rows, total = Q.list_requests(u, actor, "pending", decidable_only=True, limit=200)
        for req in rows:
            project = u.session.get(Project, req.project_id)
            wf = u.workflows.get(project.workflow_id, project.workflow_version)  # type: ignore[union-attr]
            t = wf.find(req.trigger, project.state) if wf else None  # type: ignore[union-attr]
            unmet = {x.check for x in evaluate(u.session, project, t.requires)} if t else set()  # type: ignore[arg-type]
            requester = u.session.get(User, req.requested_by)
            org = u.session.get(Organization, project.org_id)  # type: ignore[union-attr]
            items.append({
                "req": Q.request_dict(req), "project": Q.project_dict(u, actor, project, locale(),  # type: ignore[arg-type]
                                                                       with_transitions=False),
                "org": org.name if org else "", "requester": requester.name if requester else "",
                "dest": tr(wf.state(req.dest).title) if wf else req.dest,  # type: ignore[union-attr]
                "from": tr(wf.state(project.state).title) if wf else project.state,  # type: ignore[union-attr]
                "checks": [{"check": c, "met": c not in unmet, "message": tr(CHECKS[c].text)}
                           for c in (t.requires if t else ())],
            })
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
