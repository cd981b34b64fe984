"""The approvals inbox (requests the person may decide, oldest first, with the evidence),
«Мои запросы» (the requests the person made) and withdrawing a pending request. Approving,
rejecting and withdrawing are also offered on the card page: a form sent from there
(``back=project``) returns to the card."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import services as svc
from engine.errors import DomainError, NotFound
from engine.models import TransitionRequest
from engine.services.pages import approval_inbox, my_requests
from webui.web.common import error_messages, login_required, no_nul, tr, uow

bp = Blueprint("approvals", __name__)


def _inbox(errors: dict[int, str] | None = None, values: dict[int, str] | None = None, status: int = 200,
           comment_errors: dict[int, str] | None = None) -> Any:
    with uow() as u:
        items, total = approval_inbox(u, g.actor)
        return render_template("approvals.html", items=items, total=total, errors=errors or {},
                               values=values or {}, comment_errors=comment_errors or {}), status


def _from_card() -> bool:
    return request.form.get("back") == "project"


def _project_of(request_id: int) -> int:
    """The project of a request (the caller has just been allowed to act on it)."""
    with uow() as u:
        req = u.session.get(TransitionRequest, request_id)
        return req.project_id if req is not None else 0


def _back_to_card(request_id: int, form: str, exc: DomainError, general: str, fields: dict[str, str]) -> Any:
    """The card page again with the error next to the request's form (the URL stays the
    form's: a reload would send it again, so the page says what happened instead)."""
    from webui.web.projects import render_project
    status = {"forbidden": 403, "conflict": 409}.get(exc.code, 422)
    project_id = _project_of(request_id)
    if fields:  # next to the field (the reason of a rejection)
        return render_project(project_id, errors={form: fields}, values={form: request.form.to_dict()},
                              status=status)
    # decided or withdrawn meanwhile, a gate unmet ...: at the top of the page, where the
    # request panel may no longer be
    return render_project(project_id, message={"kind": "error", "project_id": project_id, "text": general},
                          status=status)


def _done(request_id: int) -> Any:
    if _from_card():
        return redirect(url_for("projects.page", project_id=_project_of(request_id)) + "#move")
    if request.form.get("back") == "mine":
        return redirect(url_for("approvals.mine"))
    if request.form.get("back") == "board":
        return redirect(url_for("board.board"))
    return redirect(url_for("approvals.inbox"))


@bp.get("/approvals")
@login_required
def inbox() -> Any:
    return _inbox()


@bp.get("/my-requests")
@login_required
def mine() -> Any:
    """«Мои запросы»: status, the decision's comment, a link to the card, withdraw."""
    with uow() as u:
        items = my_requests(u, g.actor)
        return render_template("my_requests.html", items=items)


@bp.post("/approvals/<int:request_id>/approve")
@login_required
def approve(request_id: int) -> Any:
    try:
        with uow() as u:
            data = {"comment": no_nul(request.form.get("comment")) or None}
            if "scaling_proposal" in request.form:  # approving a closing move (the card's form)
                data["scaling_proposal"] = no_nul(request.form.get("scaling_proposal"))
            project = svc.approve_request(u, g.actor, request_id, data)
        flash(_("Approved: «%(title)s» moved on.", title=project.title), "ok")
    except NotFound:
        raise  # another organisation's request: 404
    except DomainError as exc:
        general, fields = error_messages(exc)
        if exc.code == "gate_failed":
            general += ": " + "; ".join(tr(x.text) for x in exc.unmet)  # type: ignore[attr-defined]
        if _from_card():
            return _back_to_card(request_id, "approve", exc, general, fields)
        return _inbox(errors={request_id: "; ".join(fields.values()) or general},
                      status={"forbidden": 403, "conflict": 409}.get(exc.code, 422))
    return _done(request_id)


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
        if _from_card():
            return _back_to_card(request_id, "reject", exc, general, fields)
        if "comment" in fields:  # shown next to the reason's textarea
            return _inbox(comment_errors={request_id: fields["comment"]},
                          values={request_id: request.form.get("comment", "")}, status=422)
        return _inbox(errors={request_id: "; ".join(fields.values()) or general},
                      values={request_id: request.form.get("comment", "")},
                      status={"forbidden": 403, "conflict": 409}.get(exc.code, 422))
    return _done(request_id)


@bp.post("/approvals/<int:request_id>/withdraw")
@login_required
def withdraw(request_id: int) -> Any:
    """Withdraw a pending request: by the person who asked, or by whoever may decide it."""
    try:
        with uow() as u:
            svc.withdraw_request(u, g.actor, request_id, {"comment": no_nul(request.form.get("comment")) or None})
        flash(_("Request withdrawn: the card may be moved again."), "ok")
    except NotFound:
        raise
    except DomainError as exc:
        general, fields = error_messages(exc)
        if _from_card():
            return _back_to_card(request_id, "withdraw", exc, general, fields)
        raise  # the error page says why, with its status (403, 409)
    return _done(request_id)
