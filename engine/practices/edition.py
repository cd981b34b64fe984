"""The portfolio edition «Проектный портфель "Бережливая школа"» (#15 item 2; PROGRAMME.md
"Portfolio edition and scaling"): a region's published practices as one document that a
curator sends as is, by process category, then kind of organisation, with contents.

    portfolio_edition(uow, actor, region_id) -> Edition    curators of the region, admins

This module assembles the data only; the printable page (webui, templates) and the DOCX
(engine/practices/edition_docx.py) both render the same ``Edition``, so they never
disagree. Each practice brings its problem, solution, standard, measured effect, its
scaling proposal and every replica's own effect (computed now, as on the practice page).
External practices (imported from another installation) stay with their source: the
edition is the region's own portfolio, like the exchange export.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.errors import Forbidden
from engine.models import ORG_KINDS, Municipality, Organization, Practice, Project, Region
from engine.policy import Actor, can_in_region
from engine.practices.categories import categories, category_title
from engine.practices.service import compute_effect
from engine.services.common import get_or_404
from engine.text import Text

TITLE = Text("Проектный портфель «Бережливая школа»", "Project portfolio «Lean School»")

# the kinds of organisation as section headings (plural)
KIND_HEADINGS: dict[str, Text] = {
    "school": Text("Общеобразовательные организации", "Schools"),
    "kindergarten": Text("Дошкольные образовательные организации", "Kindergartens"),
    "college": Text("Профессиональные образовательные организации", "Colleges"),
    "other": Text("Другие организации", "Other organisations"),
}


@dataclass
class Replica:
    """A project started from the practice: where, at which stage, with what effect."""
    project_id: int
    org_name: str
    state_title: Text
    effect: list[dict[str, Any]]


@dataclass
class EditionPractice:
    id: int
    anchor: str
    title: str
    org_name: str
    org_kind: str
    municipality_name: str
    summary: str
    problem: str
    solution: str
    standard: str
    scaling_proposal: str
    effect: list[dict[str, Any]]
    replicas: list[Replica] = field(default_factory=list)
    published_at: Any = None


@dataclass
class KindSection:
    kind: str
    anchor: str
    title: Text
    practices: list[EditionPractice]


@dataclass
class CategorySection:
    category: str
    anchor: str
    title: Text
    kinds: list[KindSection]

    @property
    def count(self) -> int:
        return sum(len(k.practices) for k in self.kinds)


@dataclass
class Edition:
    region_id: int
    region_name: str
    as_of: date
    title: Text
    categories: list[CategorySection]

    @property
    def count(self) -> int:
        return sum(c.count for c in self.categories)

    def practices(self) -> list[EditionPractice]:
        return [p for c in self.categories for k in c.kinds for p in k.practices]


def portfolio_edition(uow: UnitOfWork, actor: Actor, region_id: int) -> Edition:
    """The region's published practices, grouped by category (the order of
    practice_categories.yaml) and kind of organisation (ORG_KINDS' order), each group by
    title. NotFound for an unknown region; Forbidden unless the actor watches the region
    as a whole (its curators, admins; a municipal curator does not)."""
    s = uow.session
    region = get_or_404(s, Region, region_id, "region")
    if not can_in_region(actor, "region.watch", region_id):
        raise Forbidden(Text("Портфель региона собирает куратор региона",
                             "Only the region's curator may assemble its portfolio"))
    rows = s.execute(select(Practice, Organization, Municipality)
                     .join(Organization, col(Organization.id) == col(Practice.org_id))
                     .join(Municipality, col(Municipality.id) == col(Organization.municipality_id))
                     .where(col(Practice.region_id) == region_id, col(Practice.status) == "published",
                            col(Practice.external).is_(False))
                     .order_by(col(Practice.title), col(Practice.id))).all()
    replicas = _replicas(uow, [p.id for p, _o, _m in rows])
    grouped: dict[str, dict[str, list[EditionPractice]]] = {}
    for p, org, mun in rows:
        grouped.setdefault(p.category, {}).setdefault(org.kind, []).append(EditionPractice(
            id=p.id, anchor=f"practice-{p.id}", title=p.title, org_name=org.name, org_kind=org.kind,
            municipality_name=mun.name, summary=p.summary, problem=p.problem, solution=p.solution,
            standard=p.standard, scaling_proposal=p.scaling_proposal, effect=list(p.effect or []),
            replicas=replicas.get(p.id, []), published_at=p.published_at))
    order = [c.id for c in categories()] + sorted(set(grouped) - {c.id for c in categories()})
    sections = [CategorySection(cid, f"category-{cid}", category_title(cid), [
        KindSection(kind, f"category-{cid}-{kind}", KIND_HEADINGS.get(kind, Text(kind, kind)), grouped[cid][kind])
        for kind in [*ORG_KINDS, *sorted(set(grouped[cid]) - set(ORG_KINDS))] if kind in grouped[cid]])
        for cid in order if cid in grouped]
    return Edition(region_id=region_id, region_name=region.name, as_of=clock.today(), title=TITLE,
                   categories=sections)


def _replicas(uow: UnitOfWork, practice_ids: list[int]) -> dict[int, list[Replica]]:
    """Per practice, its replicas with their own measured effect (oldest first)."""
    if not practice_ids:
        return {}
    out: dict[int, list[Replica]] = {}
    rows = uow.session.execute(select(Project, col(Organization.name))
                               .join(Organization, col(Organization.id) == col(Project.org_id))
                               .where(col(Project.practice_id).in_(practice_ids))
                               .order_by(col(Project.id))).all()
    for project, org_name in rows:
        wf = uow.workflows.get(project.workflow_id, project.workflow_version)
        state = wf.state(project.state).title if wf is not None and wf.has_state(project.state) \
            else Text(project.state, project.state)
        out.setdefault(project.practice_id, []).append(
            Replica(project.id, org_name, state, compute_effect(uow.session, project)))
    return out
