"""Defence sessions over the API (/api/v1/defence-sessions, #14 item 5; additive to
API.md): thin adapters over engine/defence/."""
from __future__ import annotations

from typing import Any

from flask import g

from engine.db import UnitOfWork
from engine.defence import outputs as DO
from engine.defence import pages as views
from engine.defence import schemas as DS
from engine.defence import service as defence
from webui.api.blueprint import body_json, route
from webui.extensions import store


def _uow() -> UnitOfWork:
    return store().uow()


def _session(uow: UnitOfWork, session_id: int) -> DO.DefenceSessionOut:
    return DO.session_out(views.session_view(uow, g.actor, session_id))


@route("/defence-sessions", summary="Defence sessions the user may see (curators of the region, "
       "commission members, admins), latest first", response=DO.DefenceSessionList, errors=(401,))
def list_defence_sessions() -> Any:
    with _uow() as uow:
        page = views.sessions_page(uow, g.actor)
        items = [DO.brief(s, decided, total) for s, decided, total in page.sessions]
        return DO.DefenceSessionList(items=items, total=len(items))


@route("/defence-sessions", "POST", summary="Schedule a defence session (a curator of the region)", ok=201,
       body=DS.SessionIn, response=DO.DefenceSessionOut, errors=(400, 401, 403, 404, 422))
def post_defence_session() -> Any:
    with _uow() as uow:
        sess = defence.schedule_session(uow, g.actor, body_json())
        return _session(uow, sess.id), 201  # type: ignore[arg-type]


@route("/defence-sessions/{session_id}", summary="One defence session: commission, projects, decisions",
       response=DO.DefenceSessionOut, errors=(401, 403, 404))
def get_defence_session(session_id: int) -> Any:
    with _uow() as uow:
        return _session(uow, session_id)


@route("/defence-sessions/{session_id}/projects", "POST",
       summary="Add a project whose request waits at the commission's (curator's) step", ok=201,
       body=DS.AddProjectIn, response=DO.DefenceSessionOut, errors=(400, 401, 403, 404, 409, 422))
def post_defence_project(session_id: int) -> Any:
    with _uow() as uow:
        defence.add_project(uow, g.actor, session_id, body_json())
        return _session(uow, session_id), 201


@route("/defence-sessions/{session_id}/items/{item_id}/decision", "POST",
       summary="Record the commission's decision: accepted (the curator's step approved) or to_revise "
               "(the request rejected with the remarks)",
       body=DS.DecisionIn, response=DO.DefenceSessionOut, errors=(400, 401, 403, 404, 409, 422))
def post_defence_decision(session_id: int, item_id: int) -> Any:
    with _uow() as uow:
        defence.record_decision(uow, g.actor, session_id, item_id, body_json())
        return _session(uow, session_id)


@route("/defence-sessions/{session_id}/close", "POST", summary="Close a defence session (optimistic version)",
       body=DS.CloseIn, response=DO.DefenceSessionOut, errors=(400, 401, 403, 404, 409, 422))
def post_defence_close(session_id: int) -> Any:
    with _uow() as uow:
        defence.close_session(uow, g.actor, session_id, body_json())
        return _session(uow, session_id)
