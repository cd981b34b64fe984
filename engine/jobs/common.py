"""What the scheduler's jobs share: ids in chunks for IN (...) lists, active users and
role holders by scope, notes only to people who may see their project, and events by the
system with one multi-row INSERT."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session, col

from engine import clock
from engine.models import Event, Project, RoleGrant, User, table_of
from engine.services.common import sees_project
from engine.text import Text
from engine.vocab import EventKind

CHUNK = 500  # ids per IN (...) list


def chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    items = sorted(set(ids))
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def active_users(session: Session, ids: Iterable[int | None]) -> set[int]:
    out: set[int] = set()
    for chunk in chunks(i for i in ids if i is not None):
        out.update(session.execute(select(col(User.id)).where(
            col(User.id).in_(chunk), col(User.is_active).is_(True))).scalars())
    return out


def granted(session: Session, roles: tuple[str, ...], column: Any, scope_ids: Iterable[int]) -> dict[int, list[int]]:
    """scope id (org or region) -> active users holding one of ``roles`` there."""
    out: dict[int, list[int]] = defaultdict(list)
    for chunk in chunks(scope_ids):
        rows = session.execute(
            select(column, col(RoleGrant.user_id)).join(User, col(User.id) == col(RoleGrant.user_id))
            .where(col(RoleGrant.role).in_(roles), column.in_(chunk), col(User.is_active).is_(True))
            .order_by(col(RoleGrant.user_id)))
        for scope_id, user_id in rows:
            if user_id not in out[scope_id]:
                out[scope_id].append(user_id)
    return out


Note = tuple[int, str, int | None, Text]


def only_who_see(session: Session, notes: list[Note]) -> list[Note]:
    """The notes whose recipient may see their project (a member or head of its
    organisation, a curator of its region, an admin: common.sees_project): old data may
    name someone else as leader or risk owner, who must not hear of a project they cannot
    open. Notes about no project pass."""
    pairs = {(user_id, pid) for user_id, _, pid, _ in notes if pid is not None}
    seeing: set[tuple[int, int]] = set()
    for chunk in chunks(pid for _, pid in pairs):
        in_chunk = set(chunk)
        users = {u for u, pid in pairs if pid in in_chunk}
        seeing.update(tuple(r) for r in session.execute(
            select(col(RoleGrant.user_id), col(Project.id))
            .join(Project, sees_project(Project.org_id, Project.region_id))
            .where(col(Project.id).in_(chunk), col(RoleGrant.user_id).in_(users))))
    return [n for n in notes if n[2] is None or (n[0], n[2]) in seeing]


def system_events(session: Session, kind: EventKind, events: list[tuple[int, dict[str, Any]]]) -> None:
    """Events by the system, ``(project_id, payload)``, with one multi-row INSERT.

    Not through common.record: we hold ids, not loaded rows, and a system event never
    counts as activity, so there is nothing else to update.
    """
    at = clock.now()
    if events:
        rows = [{"project_id": pid, "at": at, "actor_id": None, "kind": kind, "from_state": None,
                 "to_state": None, "payload": payload} for pid, payload in events]
        session.execute(insert(table_of(Event)), rows)
