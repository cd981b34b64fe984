"""Evaluation editions (#15 item 1, engine/evaluation/), additive to API.md: thin adapters,
each parses, calls one service and maps its answer. A signed edition is frozen: PATCH,
sign and DELETE answer 409."""
from __future__ import annotations

from typing import Any

from flask import g

from engine import evaluation as evaluation_svc
from engine.errors import ValidationFailed
from engine.evaluation import outputs as VO
from engine.evaluation import schemas as VS
from engine.text import Text
from webui.api.blueprint import body_json, route
from webui.api.routes import _uow
from webui.query import int_arg


def _edition(uow: Any, edition_id: int) -> VO.Edition:
    return VO.Edition.model_validate(evaluation_svc.edition_detail(uow, g.actor, edition_id))


@route("/regions/{region_id}/editions", summary="The region's evaluation editions, latest date first "
       "(curators of the region, admins)", response=VO.EditionList, errors=(401, 403, 404))
def list_editions(region_id: int) -> VO.EditionList:
    with _uow() as uow:
        items = evaluation_svc.list_editions(uow, g.actor, region_id)
        return VO.EditionList(items=[VO.EditionItem.model_validate(e) for e in items], total=len(items))


@route("/regions/{region_id}/editions", "POST", summary="A draft evaluation edition of the region as of a date "
       "(curator)", ok=201, body=VS.EditionIn, response=VO.Edition, errors=(400, 401, 403, 404, 422))
def create_edition(region_id: int) -> Any:
    with _uow() as uow:
        edition = evaluation_svc.create_edition(uow, g.actor, region_id, body_json())
        return _edition(uow, edition.id), 201  # type: ignore[arg-type]


@route("/editions/compare", summary="Two editions side by side: each indicator in a and b and the change",
       response=VO.EditionCompare, errors=(401, 403, 404, 422),
       query={"a": {"required": True, "schema": {"type": "integer"}},
              "b": {"required": True, "schema": {"type": "integer"}}})
def compare_editions() -> VO.EditionCompare:
    a, b = int_arg("a", strict=True), int_arg("b", strict=True)
    missing = {k: Text("Укажите срез", "Name an edition") for k, v in (("a", a), ("b", b)) if v is None}
    if missing:
        raise ValidationFailed(missing)
    with _uow() as uow:
        return VO.EditionCompare.model_validate(evaluation_svc.compare_editions(uow, g.actor, a, b))  # type: ignore[arg-type]


@route("/editions/{edition_id}", summary="One edition with its figures (stored when signed; live for a draft)",
       response=VO.Edition, errors=(401, 403, 404))
def get_edition(edition_id: int) -> VO.Edition:
    with _uow() as uow:
        return _edition(uow, edition_id)


@route("/editions/{edition_id}", "PATCH", summary="Change a draft's title, kind or date (curator); 409 when signed",
       body=VS.EditionPatch, response=VO.Edition, errors=(400, 401, 403, 404, 409, 422))
def patch_edition(edition_id: int) -> VO.Edition:
    with _uow() as uow:
        evaluation_svc.update_edition(uow, g.actor, edition_id, body_json())
        return _edition(uow, edition_id)


@route("/editions/{edition_id}/sign", "POST", summary="Sign an edition: its figures are stored and frozen "
       "(curator); 409 when signed already", body=VS.EditionSign, response=VO.Edition,
       errors=(400, 401, 403, 404, 409, 422))
def sign_edition(edition_id: int) -> VO.Edition:
    with _uow() as uow:
        evaluation_svc.sign_edition(uow, g.actor, edition_id, body_json())
        return _edition(uow, edition_id)


@route("/editions/{edition_id}", "DELETE", summary="Delete a draft edition (curator); 409 when signed",
       response=VO.EditionDeleted, errors=(401, 403, 404, 409))
def delete_edition(edition_id: int) -> VO.EditionDeleted:
    with _uow() as uow:
        evaluation_svc.delete_edition(uow, g.actor, edition_id)
        return VO.EditionDeleted(id=edition_id, deleted=True)
