"""What the administration pages show (admins only), each in one read model: users
searchable and paged with their organisations and roles, organisations and
municipalities, and the audit log (who changed what, when), filterable.

Every list is one page of rows plus the total: ``Page(items, total, page, pages)``;
filters are plain values the page parsed (``engine.search.search_text`` for ``q``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from engine.db import UnitOfWork
from engine.models import Event, Municipality, Organization, Project, Region, RoleGrant, User
from engine.policy import ROLES, Actor, require_admin
from engine.reporting.analytics import day_start
from engine.search import contains

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    pages: int

    @staticmethod
    def of(items: list[Any], total: int, page: int, size: int = PAGE_SIZE) -> Page:
        return Page(items, total, page, max(1, -(-total // size)))


def _page_number(page: int | None, total: int, size: int = PAGE_SIZE) -> int:
    """1-based, within 1..last page (a page beyond the last shows the last)."""
    last = max(1, -(-total // size))
    return min(max(1, page or 1), last)


# --- users ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UserFilters:
    q: str | None = None  # name or e-mail contains
    role: str | None = None
    org_id: int | None = None
    region_id: int | None = None
    active: bool | None = None  # None: both


@dataclass
class UserRow:
    user: User
    grants: list[dict[str, Any]] = field(default_factory=list)  # {id, role, org_id, org_name, region_id, region_name}

    @property
    def organizations(self) -> list[str]:
        return sorted({g["org_name"] for g in self.grants if g["org_name"]})


def users(uow: UnitOfWork, actor: Actor, filters: UserFilters, page: int | None = None) -> Page:
    """One page of users (by name) with every role grant and its organisation or region."""
    require_admin(actor)
    s = uow.session
    stmt = select(User.id)
    if filters.q:
        stmt = stmt.where(contains((User.name, User.email), filters.q))
    if filters.active is not None:
        stmt = stmt.where(User.is_active.is_(filters.active))  # type: ignore[attr-defined]
    grant = select(RoleGrant.user_id)
    granted = False
    if filters.role in ROLES:
        grant, granted = grant.where(RoleGrant.role == filters.role), True
    if filters.org_id is not None:
        grant, granted = grant.where(RoleGrant.org_id == filters.org_id), True
    if filters.region_id is not None:
        grant, granted = grant.where(or_(RoleGrant.region_id == filters.region_id, RoleGrant.org_id.in_(  # type: ignore[union-attr]
            select(Organization.id).where(Organization.region_id == filters.region_id)))), True
    if granted:
        stmt = stmt.where(User.id.in_(grant))  # type: ignore[union-attr]
    total = int(s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())
    number = _page_number(page, total)
    found = list(s.execute(select(User).where(User.id.in_(stmt))  # type: ignore[union-attr]
                           .order_by(func.lower(User.name), User.id)
                           .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).scalars())
    rows = {u.id: UserRow(u) for u in found}
    if rows:
        for g, org_name, region_name in s.execute(
                select(RoleGrant, Organization.name, Region.name)
                .join(Organization, Organization.id == RoleGrant.org_id, isouter=True)
                .join(Region, Region.id == RoleGrant.region_id, isouter=True)
                .where(RoleGrant.user_id.in_(list(rows)))  # type: ignore[attr-defined]
                .order_by(RoleGrant.id)):
            rows[g.user_id].grants.append({"id": g.id, "role": g.role, "org_id": g.org_id, "org_name": org_name,
                                           "region_id": g.region_id, "region_name": region_name})
    return Page.of(list(rows.values()), total, number)


def user_detail(uow: UnitOfWork, actor: Actor, user_id: int) -> UserRow:
    """One user with their grants (NotFound when there is none)."""
    require_admin(actor)
    user = uow.session.get(User, user_id)
    if user is None:
        from engine.errors import NotFound
        raise NotFound("user")
    row = UserRow(user)
    for g, org_name, region_name in uow.session.execute(
            select(RoleGrant, Organization.name, Region.name)
            .join(Organization, Organization.id == RoleGrant.org_id, isouter=True)
            .join(Region, Region.id == RoleGrant.region_id, isouter=True)
            .where(RoleGrant.user_id == user_id).order_by(RoleGrant.id)):
        row.grants.append({"id": g.id, "role": g.role, "org_id": g.org_id, "org_name": org_name,
                           "region_id": g.region_id, "region_name": region_name})
    return row


# --- organisations and municipalities ----------------------------------------------------------------

@dataclass(frozen=True)
class OrgFilters:
    q: str | None = None  # name or ИНН contains
    kind: str | None = None
    municipality_id: int | None = None
    region_id: int | None = None


def organizations(uow: UnitOfWork, actor: Actor, filters: OrgFilters, page: int | None = None) -> Page:
    """One page of organisations (by name) with their municipality, region and how many
    people and projects each has: ``[{org, municipality, region, people, projects}]``."""
    require_admin(actor)
    s = uow.session
    where = []
    if filters.q:
        where.append(contains((Organization.name, Organization.inn), filters.q))
    if filters.kind:
        where.append(Organization.kind == filters.kind)
    if filters.municipality_id is not None:
        where.append(Organization.municipality_id == filters.municipality_id)
    if filters.region_id is not None:
        where.append(Organization.region_id == filters.region_id)
    total = int(s.execute(select(func.count()).select_from(Organization).where(*where)).scalar_one())
    number = _page_number(page, total)
    people = (select(RoleGrant.org_id, func.count(func.distinct(RoleGrant.user_id)).label("n"))
              .where(RoleGrant.org_id.is_not(None)).group_by(RoleGrant.org_id).subquery())  # type: ignore[union-attr]
    projects = (select(Project.org_id, func.count().label("n")).group_by(Project.org_id).subquery())
    rows = s.execute(
        select(Organization, Municipality.name, Region.name, people.c.n, projects.c.n)
        .join(Municipality, Municipality.id == Organization.municipality_id)
        .join(Region, Region.id == Organization.region_id)
        .join(people, people.c.org_id == Organization.id, isouter=True)
        .join(projects, projects.c.org_id == Organization.id, isouter=True)
        .where(*where).order_by(func.lower(Organization.name), Organization.id)
        .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).all()
    return Page.of([{"org": o, "municipality": m, "region": r, "people": int(p or 0), "projects": int(n or 0)}
                    for o, m, r, p, n in rows], total, number)


def municipalities(uow: UnitOfWork, actor: Actor, region_id: int | None = None) -> list[dict[str, Any]]:
    """Every municipality (of one region, or all) with its region and how many
    organisations it has: ``[{municipality, region, organizations}]``, by region and name."""
    require_admin(actor)
    orgs = (select(Organization.municipality_id, func.count().label("n"))
            .group_by(Organization.municipality_id).subquery())
    stmt = (select(Municipality, Region.name, orgs.c.n)
            .join(Region, Region.id == Municipality.region_id)
            .join(orgs, orgs.c.municipality_id == Municipality.id, isouter=True))
    if region_id is not None:
        stmt = stmt.where(Municipality.region_id == region_id)
    rows = uow.session.execute(stmt.order_by(Region.name, Municipality.kind, func.lower(Municipality.name))).all()
    return [{"municipality": m, "region": r, "organizations": int(n or 0)} for m, r, n in rows]


# --- the audit log -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilters:
    kind: str | None = None
    actor: str | None = None  # the actor's name or e-mail contains
    project_id: int | None = None
    since: date | None = None  # UTC days, both included
    until: date | None = None


def audit_log(uow: UnitOfWork, actor: Actor, filters: AuditFilters, page: int | None = None) -> Page:
    """One page of audit events, newest first: ``[{event, actor_name, actor_email,
    project_title}]`` (a system event has no actor)."""
    require_admin(actor)
    s = uow.session
    where = []
    if filters.kind:
        where.append(Event.kind == filters.kind)
    if filters.project_id is not None:
        where.append(Event.project_id == filters.project_id)
    if filters.since is not None:
        where.append(Event.at >= day_start(filters.since))
    if filters.until is not None:
        where.append(Event.at < day_start(filters.until + timedelta(days=1)))
    if filters.actor:
        where.append(Event.actor_id.in_(  # type: ignore[union-attr]
            select(User.id).where(contains((User.name, User.email), filters.actor))))
    total = int(s.execute(select(func.count()).select_from(Event).where(*where)).scalar_one())
    number = _page_number(page, total)
    rows = s.execute(
        select(Event, User.name, User.email, Project.title)
        .join(User, User.id == Event.actor_id, isouter=True)
        .join(Project, Project.id == Event.project_id, isouter=True)
        .where(*where).order_by(Event.id.desc())  # type: ignore[union-attr]
        .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).all()
    return Page.of([{"event": e, "actor_name": n, "actor_email": m, "project_title": t} for e, n, m, t in rows],
                   total, number)
