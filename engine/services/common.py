"""Helpers shared by the services: loading in scope, writing events, CAS updates."""
from __future__ import annotations

from typing import Any, TypeGuard, TypeVar

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from engine import clock
from engine.errors import CARD_CHANGED, DATA_CHANGED, NotFound, StaleVersion
from engine.models import Event, Organization, Project, RoleGrant, User
from engine.policy import GLOBAL_ROLES, ORG_ROLES, REGION_ROLES, Actor, Grant, granting
from engine.vocab import EventKind


def load_actor(session: Session, user_id: int) -> Actor:
    """An Actor with the user's role grants and the regions of their organisations."""
    grants = session.execute(select(RoleGrant).where(col(RoleGrant.user_id) == user_id)).scalars().all()
    org_ids = [g.org_id for g in grants if g.org_id is not None]
    org_regions: dict[int, int] = {}
    if org_ids:
        rows = session.execute(select(col(Organization.id), col(Organization.region_id))
                               .where(col(Organization.id).in_(org_ids))).all()
        org_regions = {oid: rid for oid, rid in rows}
    municipal_orgs: dict[int, frozenset[int]] = {}
    mun_ids = {g.municipality_id for g in grants if g.municipality_id is not None}
    if mun_ids:  # a municipal curator: the organisations of their municipality
        found: dict[int, set[int]] = {m: set() for m in mun_ids}
        for oid, mid in session.execute(select(col(Organization.id), col(Organization.municipality_id))
                                        .where(col(Organization.municipality_id).in_(mun_ids))).all():
            found[mid].add(oid)
        municipal_orgs = {m: frozenset(o) for m, o in found.items()}
    return Actor(user_id=user_id,
                 grants=tuple(Grant(g.role, g.org_id, g.region_id, g.municipality_id) for g in grants),
                 org_regions=org_regions, municipal_orgs=municipal_orgs)


INT_MAX = 2**31 - 1  # no id is larger (PostgreSQL integer)
M = TypeVar("M")


def sees_project(org_id: int, region_id: int, *, admins: bool = True) -> Any:
    """SQL condition on RoleGrant: a grant that lets its user see a project of this
    organisation and region (a member or head there, a curator of the region, an admin).
    Mirrors ``policy.Actor.roles_for``; ``admins=False`` leaves admins out (a team is made
    of the organisation's people and the region's curators)."""
    org_municipality = (select(col(Organization.municipality_id)).where(col(Organization.id) == org_id)
                        .scalar_subquery())
    cond = or_(and_(col(RoleGrant.role).in_(granting("project.view", ORG_ROLES)),
                    col(RoleGrant.org_id) == org_id),
               and_(col(RoleGrant.role).in_(granting("project.view", REGION_ROLES)),
                    col(RoleGrant.region_id) == region_id,
                    # a municipal curator sees their municipality's organisations only
                    or_(col(RoleGrant.municipality_id).is_(None),
                        col(RoleGrant.municipality_id) == org_municipality)))
    return or_(cond, col(RoleGrant.role).in_(granting("project.view", GLOBAL_ROLES))) if admins else cond


def works_in(org_id: int) -> Any:
    """SQL condition on RoleGrant: a grant that makes its user staff of this organisation
    (policy "project.staff": may lead a project there, own its actions and risks)."""
    return and_(col(RoleGrant.role).in_(granting("project.staff", ORG_ROLES)),
                col(RoleGrant.org_id) == org_id)


def who_sees(session: Session, user_ids: Any, org_id: int, region_id: int, *,
             admins: bool = True) -> set[int]:
    """Those of ``user_ids`` who may see a project of this organisation and region: only
    they are named on its pages, put on its team or sent notifications about it."""
    ids = {i for i in user_ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i <= INT_MAX}
    if not ids:
        return set()
    return set(session.execute(select(col(RoleGrant.user_id)).where(
        col(RoleGrant.user_id).in_(ids), sees_project(org_id, region_id, admins=admins))).scalars())


def named_in_scope(user_id: Any, org_id: Any = None, region_id: Any = None) -> Any:
    """Join condition for ``User`` when a page prints the name of ``user_id`` (a project's
    leader): the user only if they may see the project (``Project``'s columns by default),
    so that old data never prints someone from outside it (the name stays empty)."""
    org_id = Project.org_id if org_id is None else org_id
    region_id = Project.region_id if region_id is None else region_id
    return and_(col(User.id) == user_id, exists(select(col(RoleGrant.id)).where(
        col(RoleGrant.user_id) == col(User.id), sees_project(org_id, region_id))))


def is_id(value: Any) -> TypeGuard[int]:
    """Whether ``value`` can be a row's id: a whole number (not a bool) within the
    database's integers; anything else is no row (never a query that PostgreSQL refuses)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= INT_MAX


def get_or_404(session: Session, model: type[M], obj_id: Any, what: str) -> M:
    obj = session.get(model, obj_id) if is_id(obj_id) else None
    if obj is None:
        raise NotFound(what)
    return obj


def record(session: Session, actor: Actor, kind: EventKind, project: Project | None = None,
           payload: dict | None = None, from_state: str | None = None,
           to_state: str | None = None) -> Event:
    """Append an audit event (same transaction as the change).

    An event by a person counts as activity on the project (for the idle rule).
    """
    at = clock.now()
    ev = Event(project_id=project.id if project else None, at=at, actor_id=actor.user_id,
               kind=kind, from_state=from_state, to_state=to_state, payload=payload or {})
    session.add(ev)
    if project is not None and actor.user_id is not None:
        session.execute(update(Project).where(col(Project.id) == project.id)
                        .values(last_activity_at=at).execution_options(synchronize_session=False))
        set_committed_value(project, "last_activity_at", at)  # written above; no second UPDATE
    return ev


def cas_update(session: Session, model: Any, obj: Any, expected_version: int, **values: Any) -> None:
    """Compare-and-swap on ``version`` of ``obj`` (a row of ``model``: a project, a
    practice): the write happens only if nobody wrote first, else StaleVersion with the
    version the row holds now. Raises only; the unit of work discards the transaction."""
    text = CARD_CHANGED if model is Project else DATA_CHANGED
    if not 0 < expected_version < INT_MAX:  # no row has it; version + 1 must fit the column
        raise StaleVersion(obj.version, text)
    values["version"] = expected_version + 1
    result = session.exec(
        update(model)
        .where(model.id == obj.id, model.version == expected_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        # a query, not session.get(): the identity map still holds the version we read
        current = session.execute(select(model.version).where(model.id == obj.id)).scalar_one_or_none()
        raise StaleVersion(current, text)
    for key, value in values.items():
        set_committed_value(obj, key, value)  # written above; no second UPDATE at flush
