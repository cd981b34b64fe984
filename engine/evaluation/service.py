"""Evaluation editions (оценочные срезы, PROGRAMME.md "Evaluation"): a curator of a region
prepares an edition as of a date («Промежуточный анализ на 31.12.2020», «Итоговая
оценка»); while a draft, its figures are computed live as of that date
(``figures.compute_figures``); signing stores the figures computed at that moment in the
row and freezes it: a signed edition is never recomputed, edited or deleted (Conflict,
the API's 409). Two editions are compared indicator by indicator.

Service signatures:

    create_edition(uow, actor, region_id, data)   -> EvaluationEdition  curator of the region
    update_edition(uow, actor, edition_id, data)  -> EvaluationEdition  a draft; curator
    sign_edition(uow, actor, edition_id, data)    -> EvaluationEdition  a draft; curator
    delete_edition(uow, actor, edition_id)        -> None               a draft; curator
    list_editions(uow, actor, region_id)          -> list[dict]         curators, admins
    edition_detail(uow, actor, edition_id)        -> dict               its figures, stored or live
    compare_editions(uow, actor, a_id, b_id)      -> dict               per indicator: a, b, change

Every change writes its audit event (``edition_created``, ``edition_updated``,
``edition_signed``, ``edition_deleted``) in its transaction; each is a compare-and-swap on
``version``, so of two curators signing at once one wins.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.errors import DATA_CHANGED, Conflict, Forbidden, NotFound, StaleVersion, ValidationFailed
from engine.evaluation.figures import compute_figures
from engine.evaluation.schemas import EditionIn, EditionPatch, EditionSign
from engine.models import EvaluationEdition, Region, User, pk
from engine.policy import Actor, can_in_region
from engine.schemas import parse
from engine.services.common import cas_update, get_or_404, record
from engine.text import Text
from engine.vocab import EditionStatus, EventKind

NOT_CURATOR = Text("Оценочные срезы готовит и подписывает куратор региона",
                   "Only the region's curator prepares and signs evaluation editions")
SIGNED = Text("Срез подписан и заморожен: изменить его нельзя",
              "The edition is signed and frozen: it cannot be changed")
FUTURE = Text("Дата среза не может быть позже сегодняшнего дня", "The edition's date cannot be in the future")


def _region_scope(uow: UnitOfWork, actor: Actor, region_id: int, action: str) -> Region:
    """The region if the actor may do ``action`` there: NotFound outside their regions,
    Forbidden in their region without the role (a head, a municipal curator)."""
    region = get_or_404(uow.session, Region, region_id, "region")
    if not actor.is_admin and region_id not in actor.region_ids():
        raise NotFound("region")
    if not can_in_region(actor, action, region_id):
        raise Forbidden(NOT_CURATOR)
    return region


def get_edition(uow: UnitOfWork, actor: Actor, edition_id: int,
                action: str = "region.evaluation_view") -> EvaluationEdition:
    """The edition if the actor may ``action`` in its region (NotFound outside their
    regions, Forbidden for the others of the region)."""
    edition = get_or_404(uow.session, EvaluationEdition, edition_id, "edition")
    if not actor.is_admin and edition.region_id not in actor.region_ids():
        raise NotFound("edition")
    if not can_in_region(actor, action, edition.region_id):
        raise Forbidden(NOT_CURATOR)
    return edition


def _not_future(as_of: date) -> None:
    if as_of > clock.today():
        raise ValidationFailed({"as_of": FUTURE})


def create_edition(uow: UnitOfWork, actor: Actor, region_id: int, data: dict[str, Any]) -> EvaluationEdition:
    """A draft edition of the region (curator of the region). ``data``: title, kind
    (interim | final), as_of (today or before).

    Errors: NotFound, Forbidden, ValidationFailed (fields)."""
    _region_scope(uow, actor, region_id, "region.evaluation_manage")
    body: EditionIn = parse(EditionIn, data)
    _not_future(body.as_of)
    edition = EvaluationEdition(region_id=region_id, title=body.title, kind=body.kind, as_of=body.as_of,
                                status=EditionStatus.DRAFT.value, created_by=actor.user_id, created_at=clock.now())
    uow.session.add(edition)
    uow.session.flush()
    record(uow.session, actor, EventKind.EDITION_CREATED, None,
           {"edition_id": edition.id, "region_id": region_id, "title": edition.title, "kind": edition.kind,
            "as_of": edition.as_of.isoformat()})
    uow.commit()
    return edition


def _expected(edition: EvaluationEdition, version: int | None) -> int:
    expected = edition.version if version is None else version
    if expected != edition.version:
        raise StaleVersion(edition.version, DATA_CHANGED)
    return expected


def _draft(edition: EvaluationEdition) -> None:
    if edition.status == EditionStatus.SIGNED.value:
        raise Conflict(SIGNED, {"status": edition.status})


def update_edition(uow: UnitOfWork, actor: Actor, edition_id: int, data: dict[str, Any]) -> EvaluationEdition:
    """Change a draft's title, kind or date (curator of its region).

    Errors: NotFound, Forbidden, ValidationFailed, Conflict (signed), StaleVersion."""
    edition = get_edition(uow, actor, edition_id, "region.evaluation_manage")
    body: EditionPatch = parse(EditionPatch, data)
    for name in ("title", "kind", "as_of"):
        if name in body.model_fields_set and getattr(body, name) is None:
            raise ValidationFailed({name: Text("Обязательное поле", "This field is required")})
    if body.as_of is not None:
        _not_future(body.as_of)
    _draft(edition)
    expected = _expected(edition, body.version)
    changes = {k: getattr(body, k) for k in ("title", "kind", "as_of")
               if k in body.model_fields_set and getattr(body, k) != getattr(edition, k)}
    if changes:
        before = {k: getattr(edition, k) for k in changes}
        cas_update(uow.session, EvaluationEdition, edition, expected, **changes)
        record(uow.session, actor, EventKind.EDITION_UPDATED, None,
               {"edition_id": edition.id, "version": edition.version,
                "fields": {k: {"from": str(before[k]), "to": str(v)} for k, v in changes.items()}})
    uow.commit()
    return edition


def sign_edition(uow: UnitOfWork, actor: Actor, edition_id: int, data: dict[str, Any] | None = None
                 ) -> EvaluationEdition:
    """Sign a draft (curator of its region): its figures as of its date, computed now, are
    stored in it and never recomputed; the edition can no longer be changed.

    Errors: NotFound, Forbidden, ValidationFailed, Conflict (signed already), StaleVersion."""
    edition = get_edition(uow, actor, edition_id, "region.evaluation_manage")
    body: EditionSign = parse(EditionSign, data or {})
    _draft(edition)
    expected = _expected(edition, body.version)
    figures = compute_figures(uow.session, uow.workflows, edition.region_id, edition.as_of)
    cas_update(uow.session, EvaluationEdition, edition, expected, status=EditionStatus.SIGNED.value,
               figures=figures, signed_by=actor.user_id, signed_at=clock.now())
    record(uow.session, actor, EventKind.EDITION_SIGNED, None,
           {"edition_id": edition.id, "region_id": edition.region_id, "as_of": edition.as_of.isoformat(),
            "version": edition.version})
    uow.commit()
    return edition


def delete_edition(uow: UnitOfWork, actor: Actor, edition_id: int) -> None:
    """Delete a draft (curator of its region); a signed edition stays (Conflict)."""
    edition = get_edition(uow, actor, edition_id, "region.evaluation_manage")
    _draft(edition)
    n = uow.session.execute(delete(EvaluationEdition).where(
        col(EvaluationEdition.id) == edition.id, col(EvaluationEdition.version) == edition.version,
        col(EvaluationEdition.status) == EditionStatus.DRAFT.value)).rowcount  # type: ignore[attr-defined]
    if n != 1:
        raise StaleVersion(None, DATA_CHANGED)
    record(uow.session, actor, EventKind.EDITION_DELETED, None,
           {"edition_id": edition_id, "region_id": edition.region_id, "title": edition.title})
    uow.commit()


# --- reading --------------------------------------------------------------------------------

def _names(uow: UnitOfWork, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(uow.session.execute(select(col(User.id), col(User.name)).where(col(User.id).in_(wanted))).all())


def edition_dict(edition: EvaluationEdition, names: dict[int, str]) -> dict[str, Any]:
    return {"id": pk(edition), "region_id": edition.region_id, "title": edition.title, "kind": edition.kind,
            "as_of": edition.as_of.isoformat(), "status": edition.status,
            "signed_by": edition.signed_by, "signed_by_name": names.get(edition.signed_by or -1),
            "signed_at": clock.iso(edition.signed_at), "created_by": edition.created_by,
            "created_at": clock.iso(edition.created_at), "version": edition.version}


def list_editions(uow: UnitOfWork, actor: Actor, region_id: int) -> list[dict[str, Any]]:
    """The region's editions (its curators, admins), latest date first."""
    _region_scope(uow, actor, region_id, "region.evaluation_view")
    rows = uow.session.execute(select(EvaluationEdition).where(col(EvaluationEdition.region_id) == region_id)
                               .order_by(col(EvaluationEdition.as_of).desc(), col(EvaluationEdition.id).desc())
                               ).scalars().all()
    names = _names(uow, {r.signed_by for r in rows})
    return [edition_dict(r, names) for r in rows]


def figures_of(uow: UnitOfWork, edition: EvaluationEdition) -> dict[str, Any]:
    """A signed edition's stored figures; a draft's computed now as of its date."""
    if edition.status == EditionStatus.SIGNED.value and edition.figures is not None:
        return edition.figures
    return compute_figures(uow.session, uow.workflows, edition.region_id, edition.as_of)


def edition_detail(uow: UnitOfWork, actor: Actor, edition_id: int) -> dict[str, Any]:
    """One edition with its figures (``rows``; ``live``: computed now, for a draft)."""
    edition = get_edition(uow, actor, edition_id)
    figures = figures_of(uow, edition)
    return {**edition_dict(edition, _names(uow, {edition.signed_by})), "live": edition.status != "signed",
            "rows": figures["rows"]}


def change_of(a: Any, b: Any) -> tuple[float | None, float | None]:
    """(b - a, (b - a) / |a| × 100 to one decimal); None where a value is missing (or a is 0
    for the percentage)."""
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return None, None
    diff = round(float(b) - float(a), 2)
    pct = round(diff / abs(float(a)) * 100, 1) if a else None
    return diff, pct


def compare_editions(uow: UnitOfWork, actor: Actor, a_id: int, b_id: int) -> dict[str, Any]:
    """Two editions side by side: each indicator (by its key, in the first's order, then
    the second's own) with its value in ``a`` and ``b`` and the change from a to b
    (absolute and percent)."""
    a = get_edition(uow, actor, a_id)
    b = get_edition(uow, actor, b_id)
    fa, fb = figures_of(uow, a), figures_of(uow, b)
    by_b = {r["key"]: r for r in fb["rows"]}
    keys = [r["key"] for r in fa["rows"]] + [r["key"] for r in fb["rows"] if r["key"] not in
                                              {x["key"] for x in fa["rows"]}]
    by_a = {r["key"]: r for r in fa["rows"]}
    rows = []
    for key in keys:
        ra, rb = by_a.get(key), by_b.get(key)
        meta = ra or rb
        assert meta is not None
        va = ra["value"] if ra else None
        vb = rb["value"] if rb else None
        diff, pct = change_of(va, vb)
        rows.append({"key": key, "group": meta["group"], "title_ru": meta["title_ru"], "title_en": meta["title_en"],
                     "unit": meta.get("unit", ""), "a": va, "b": vb, "change": diff, "change_pct": pct})
    names = _names(uow, {a.signed_by, b.signed_by})
    return {"a": edition_dict(a, names), "b": edition_dict(b, names), "rows": rows}
