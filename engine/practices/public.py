"""The public catalogue (#15 item 3; PROGRAMME.md "Portfolio edition and scaling"): the
published practices for visitors without an account, when the installation switches it on
(``PUBLIC_CATALOGUE``; the pages at /catalogue answer 404 otherwise).

    public_search(uow, q=..., category=..., kind=..., limit=..., offset=...) -> (items, total)
    public_practice(uow, practice_id)                                        -> dict

Each practice is a whitelist of its public fields, built here and nowhere else: title,
category, the organisation's kind, name and municipality, problem, solution, standard, the
scaling proposal, the measured effect and how many times it was replicated. Never a
person (publisher, leader, team, commenters), never a comment or a note, never an id of
a project or a user. Search is the signed-in catalogue's own (``service.search``: Russian
morphology on both databases), so the two always agree.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from engine.db import UnitOfWork
from engine.errors import NotFound
from engine.models import Municipality, Organization, Practice, Project
from engine.policy import Actor
from engine.practices.service import best_improvement, practice_dict, search
from engine.services.common import get_or_404

# who reads the public catalogue: nobody in particular (search() shows every published
# practice to any actor and reads nothing of it)
VISITOR = Actor(user_id=None)

EFFECT_FIELDS = ("metric", "unit", "direction", "baseline", "result", "change_pct")


def public_fields(item: dict[str, Any]) -> dict[str, Any]:
    """A practice as ``practice_dict`` gives it, cut down to what a visitor may read."""
    return {
        "id": item["id"], "title": item["title"], "category": item["category"],
        "org_kind": item["org_kind"], "org_name": item["org_name"], "municipality_name": item["municipality_name"],
        "problem": item["problem"], "solution": item["solution"], "standard": item["standard"],
        "scaling_proposal": item["scaling_proposal"],
        "effect": [{k: e.get(k) for k in EFFECT_FIELDS} for e in item["effect"] or []],
        "effect_size": best_improvement(item["effect"]), "replica_count": item["replica_count"],
    }


def public_search(uow: UnitOfWork, q: str | None = None, category: str | None = None, kind: str | None = None,
                  limit: int = 20, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Published practices for a visitor, best match first with ``q`` (Russian morphology).
    ValidationFailed names a bad filter, as for signed-in users."""
    items, total = search(uow, VISITOR, q=q, category=category, kind=kind, limit=limit, offset=offset)
    return [public_fields(i) for i in items], total


def public_practice(uow: UnitOfWork, practice_id: int) -> dict[str, Any]:
    """One published practice's public fields; NotFound for a withdrawn or unknown one."""
    s = uow.session
    practice = get_or_404(s, Practice, practice_id, "practice")
    if practice.status != "published":
        raise NotFound("practice")
    org = s.get(Organization, practice.org_id) if practice.org_id is not None else None
    mun = s.get(Municipality, org.municipality_id) if org is not None else None
    replicas = s.execute(select(func.count(col(Project.id)))
                         .where(col(Project.practice_id) == practice.id)).scalar_one()
    return public_fields(practice_dict(practice, org, mun, replicas))
