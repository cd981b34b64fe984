"""Defence sessions' pages (#14 item 5): the list with «Запланировать защиту», a session
(its projects, progress «решено N из M», a decision form per project, adding projects,
closing), and its printable protocol (A4).

Thin views: parse the form, call one engine service (engine/defence/service.py) or read
model (engine/defence/pages.py), render; a form's errors show next to its fields."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine import clock
from engine.defence import pages as views
from engine.defence import service as defence
from webui.web.common import form_data, login_required, may, no_nul, uow
from webui.web.programmes import _day, _run

bp = Blueprint("defence", __name__)

DECISION = {"accepted": _l("accepted"), "to_revise": _l("to revise")}
STATUS = {"planned": _l("planned"), "held": _l("held"), "closed": _l("closed")}


@bp.context_processor
def _words() -> dict[str, Any]:
    return {"fmt_day": _day, "decision_label": lambda k: DECISION.get(k, k) if k else "—",
            "session_status": lambda k: STATUS.get(k, k)}


def _render_list(errors: dict[str, dict[str, str]] | None = None, values: dict[str, dict[str, Any]] | None = None,
                 status: int = 200) -> Any:
    with uow() as u:
        page = views.sessions_page(u, g.actor)
        return render_template("defence.html", page=page, errors=errors or {}, values=values or {},
                               chosen={int(v) for v in request.form.getlist("commission") if v.isdigit()}), status


@bp.get("/defence")
@login_required
def index() -> Any:
    if not may("defence.view"):  # a school's people: no sessions of theirs to list
        abort(403)
    return _render_list()


@bp.post("/defence")
@login_required
def schedule() -> Any:
    data = form_data("region_id", "title", "held_on", "place", ints=("region_id",))
    data["commission"] = [int(v) for v in request.form.getlist("commission") if no_nul(v).strip().isdigit()]
    return _run("schedule", ("region_id", "title", "held_on", "place", "commission"), _render_list,
                lambda s: url_for("defence.session_page", session_id=s.id), defence.schedule_session, data,
                ok=_("The defence session is scheduled."))


def _render_session(session_id: int, errors: dict[str, dict[str, str]] | None = None,
                    values: dict[str, dict[str, Any]] | None = None, status: int = 200) -> Any:
    with uow() as u:
        view = views.session_view(u, g.actor, session_id)
        return render_template("defence_session.html", v=view, s=view.session, errors=errors or {},
                               values=values or {}), status


@bp.get("/defence/<int:session_id>")
@login_required
def session_page(session_id: int) -> Any:
    return _render_session(session_id)


def _back(session_id: int, anchor: str = "") -> str:
    return url_for("defence.session_page", session_id=session_id) + anchor


@bp.post("/defence/<int:session_id>/projects")
@login_required
def add_project(session_id: int) -> Any:
    return _run("add", ("project_id",), lambda **kw: _render_session(session_id, **kw), _back(session_id),
                defence.add_project, session_id, form_data("project_id", ints=("project_id",)),
                ok=_("The project is added to the session."))


@bp.post("/defence/<int:session_id>/items/<int:item_id>/decision")
@login_required
def decide(session_id: int, item_id: int) -> Any:
    return _run(f"item-{item_id}", ("decision", "remarks"), lambda **kw: _render_session(session_id, **kw),
                _back(session_id, f"#item-{item_id}"), defence.record_decision, session_id, item_id,
                form_data("decision", "remarks", optional=("remarks",)), ok=_("The decision is recorded."))


@bp.post("/defence/<int:session_id>/close")
@login_required
def close(session_id: int) -> Any:
    return _run("close", (), lambda **kw: _render_session(session_id, **kw), _back(session_id),
                defence.close_session, session_id, form_data("version", ints=("version",)),
                ok=_("The defence session is closed."))


@bp.get("/defence/<int:session_id>/protocol")
@login_required
def protocol(session_id: int) -> Any:
    with uow() as u:
        view = views.session_view(u, g.actor, session_id)
        return render_template("defence_protocol.html", v=view, s=view.session, today=clock.today())
