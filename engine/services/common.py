"""Helpers shared by the services: loading in scope, writing events, CAS updates."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from engine import clock
from engine.errors import NotFound, StaleVersion
from engine.models import Event, Organization, Project, RoleGrant
from engine.policy import Actor, Grant


def load_actor(session: Session, user_id: int) -> Actor:
    """An Actor with the user's role grants and the regions of their organisations."""
    grants = session.exec(select(RoleGrant).where(RoleGrant.user_id == user_id)).scalars().all()  # type: ignore[call-overload]
    org_ids = [g.org_id for g in grants if g.org_id is not None]
    org_regions: dict[int, int] = {}
    if org_ids:
        rows = session.exec(select(Organization.id, Organization.region_id)  # type: ignore[call-overload]
                            .where(Organization.id.in_(org_ids))).all()  # type: ignore[union-attr]
        org_regions = {oid: rid for oid, rid in rows}
    return Actor(user_id=user_id,
                 grants=tuple(Grant(g.role, g.org_id, g.region_id) for g in grants),
                 org_regions=org_regions)


def get_or_404(session: Session, model: type, obj_id: Any, what: str) -> Any:
    obj = session.get(model, obj_id) if isinstance(obj_id, int) else None
    if obj is None:
        raise NotFound(what)
    return obj


def record(session: Session, actor: Actor, kind: str, project: Project | None = None,
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
        session.execute(update(Project).where(Project.id == project.id)  # type: ignore[arg-type]
                        .values(last_activity_at=at).execution_options(synchronize_session=False))
        set_committed_value(project, "last_activity_at", at)  # written above; no second UPDATE
    return ev


def cas_update_project(session: Session, project: Project, expected_version: int,
                       **values: Any) -> None:
    """Compare-and-swap on ``version``: the write happens only if nobody wrote first."""
    if not 0 < expected_version < 2**31 - 1:  # no row has it; version + 1 must fit the column
        raise StaleVersion(project.version)
    values["version"] = expected_version + 1
    result = session.execute(
        update(Project)
        .where(Project.id == project.id, Project.version == expected_version)  # type: ignore[arg-type]
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        current = session.get(Project, project.id)
        raise StaleVersion(current.version if current else None)
    for key, value in values.items():
        set_committed_value(project, key, value)  # written above; no second UPDATE at flush
