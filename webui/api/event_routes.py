"""The events' resources (issue #14 item 3, engine/events/), each a thin adapter like
webui/api/routes.py: parse, call one service, map the result."""
from __future__ import annotations

from typing import Any

from flask import g, request

from engine.db import UnitOfWork
from engine.errors import ValidationFailed
from engine.events import outputs as EO
from engine.events import schemas as ES
from engine.events import service as event_svc
from engine.text import Text
from engine.vocab import EVENT_TYPES
from webui.api.blueprint import body_json, route
from webui.extensions import store
from webui.query import int_arg


def _uow() -> UnitOfWork:
    return store().uow()


def _out(uow: UnitOfWork, events: list[Any]) -> list[EO.ProgrammeEventOut]:
    orgs, practices = event_svc.links_of(uow.session, [e.id for e in events])
    return [EO.event_out(e, orgs[e.id], practices[e.id]) for e in events]


@route("/events", summary="Events the user may see (webinars, foresight sessions, conferences, fairs, "
       "course days), latest first", response=EO.ProgrammeEventList, errors=(401, 422),
       query={"region_id": {"schema": {"type": "integer"}}, "programme_id": {"schema": {"type": "integer"}},
              "kind": {"schema": {"type": "string", "enum": list(EVENT_TYPES)}}})
def list_dissemination_events() -> Any:
    region_id = int_arg("region_id", strict=True)
    programme_id = int_arg("programme_id", strict=True)
    kind = request.args.get("kind")  # given, it must be a kind (an empty one too: the schema's enum)
    if kind is not None and kind not in EVENT_TYPES:
        raise ValidationFailed({"kind": Text("Нет такого вида мероприятия", "No such kind of event")})
    with _uow() as uow:
        items = _out(uow, event_svc.list_events(uow, g.actor, region_id, kind, programme_id))
        return EO.ProgrammeEventList(items=items, total=len(items))


@route("/events", "POST", summary="Record an event with its organisations and practices presented "
       "(curator of the region, admin)", ok=201, body=ES.EventIn, response=EO.ProgrammeEventOut,
       errors=(400, 401, 403, 404, 422))
def create_dissemination_event() -> Any:
    with _uow() as uow:
        return _out(uow, [event_svc.create_event(uow, g.actor, body_json())])[0], 201


@route("/events/{event_id}", summary="One event with its organisations and practices", response=EO.ProgrammeEventOut,
       errors=(401, 404))
def get_dissemination_event(event_id: int) -> Any:
    with _uow() as uow:
        return _out(uow, [event_svc.get_event(uow, g.actor, event_id)])[0]


@route("/events/{event_id}", "PATCH", summary="Edit an event (optimistic version); org_ids and practice_ids "
       "replace the lists", body=ES.EventPatch, response=EO.ProgrammeEventOut, errors=(400, 401, 403, 404, 409, 422))
def patch_dissemination_event(event_id: int) -> Any:
    with _uow() as uow:
        return _out(uow, [event_svc.update_event(uow, g.actor, event_id, body_json())])[0]
