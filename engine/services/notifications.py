"""Notifications: the in-app bell.

A notification is written in the same transaction as the change that causes it
(``notify`` does not commit). E-mail is sent later by the scheduler's ``emails`` job
(engine/jobs/emails.py, through engine/io/mail.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session, col

from engine import clock
from engine.errors import ValidationFailed
from engine.models import EmailMute, Notification, Project, RoleGrant, TeamMember, User, table_of
from engine.policy import Actor, Grant, may_decide
from engine.services.common import record, sees_project, who_sees, works_in
from engine.text import Text
from engine.vocab import NOTIFICATION_KINDS, EventKind, NotificationKind

if TYPE_CHECKING:
    from engine.db import UnitOfWork



# --- in-app ------------------------------------------------------------------------------

def notify(session: Session, user_id: int, kind: str, project_id: int | None, text: Text) -> Notification:
    """Add a notification for one user, in the caller's transaction (no commit)."""
    n = Notification(user_id=user_id, at=clock.now(), kind=kind, project_id=project_id,
                     text_ru=text.ru, text_en=text.en)
    session.add(n)
    return n


def notify_many(session: Session, notes: Iterable[tuple[int, str, int | None, Text]]) -> int:
    """Add many notifications ``(user_id, kind, project_id, text)`` with one multi-row
    INSERT, in the caller's transaction (no commit); for the scheduler's batches.
    Returns how many were added."""
    at = clock.now()
    rows = [{"user_id": user_id, "at": at, "kind": kind, "project_id": project_id,
             "text_ru": text.ru, "text_en": text.en} for user_id, kind, project_id, text in notes]
    if rows:
        session.execute(insert(table_of(Notification)), rows)
    return len(rows)


# --- who hears of a decision ---------------------------------------------------------------

def notify_people(session: Session, actor: Actor, project: Project, kind: NotificationKind,
                  user_ids: Iterable[int | None], text: Text) -> set[int]:
    """Notify ``user_ids`` about ``project`` in the caller's transaction (no commit): each
    once, never the actor themself, only active people who may see the project
    (``common.who_sees``, as the scheduler's ``only_who_see``). Returns who was notified."""
    wanted = {u for u in user_ids if u is not None and u != actor.user_id}
    seeing = who_sees(session, wanted, project.org_id, project.region_id)
    if seeing:
        seeing = set(session.execute(select(col(User.id)).where(
            col(User.id).in_(seeing), col(User.is_active).is_(True))).scalars())
    notify_many(session, [(u, kind.value, project.id, text) for u in sorted(seeing)])
    return seeing


def team_of(session: Session, project: Project) -> set[int]:
    """The project's team: its leader and the members of its team."""
    ids = set(session.execute(select(col(TeamMember.user_id)).where(
        col(TeamMember.project_id) == project.id)).scalars())
    if project.leader_id is not None:
        ids.add(project.leader_id)
    return ids


def deciders_of(session: Session, project: Project, approval: str | None) -> set[int]:
    """The people who may decide a request of ``project`` waiting for ``approval``: those
    for whom ``policy.may_decide`` holds (the same rule as the approvals inbox,
    ``queries.decidable_requests_filter``), among those who may see the project."""
    if not approval:
        return set()
    grants: dict[int, list[Grant]] = {}
    rows = session.execute(select(col(RoleGrant.user_id), col(RoleGrant.role), col(RoleGrant.org_id),
                                  col(RoleGrant.region_id))
                           .where(sees_project(project.org_id, project.region_id)))
    for user_id, role, org_id, region_id in rows:
        grants.setdefault(user_id, []).append(Grant(role, org_id, region_id))
    return {u for u, gs in grants.items()
            if may_decide(Actor(u, tuple(gs)), approval, project.org_id, project.region_id)}


MENTION = re.compile(r"@(\w[\w.\-]*(?:\s+\w[\w.\-]*){0,2})")


def mentioned_in(session: Session, project: Project, text: str) -> set[int]:
    """The people a comment names as «@Имя»: a member of the project's team or a person of
    its organisation whose full name follows the «@» (case-insensitively, «@иванова анна»),
    or whose first word of the name does when it names only one of them («@Иванова»)."""
    if "@" not in text:
        return set()
    candidates = team_of(session, project)
    candidates |= set(session.execute(select(col(RoleGrant.user_id)).where(works_in(project.org_id))).scalars())
    if not candidates:
        return set()
    people = session.execute(select(col(User.id), col(User.name)).where(col(User.id).in_(candidates))).all()
    full = {" ".join(name.casefold().split()): uid for uid, name in people if name.strip()}
    first: dict[str, set[int]] = {}
    for uid, name in people:
        if name.split():
            first.setdefault(name.split()[0].casefold(), set()).add(uid)
    out: set[int] = set()
    for m in MENTION.finditer(text):
        words = m.group(1).casefold().split()
        # the longest run of words that is someone's full name, else a unique first word
        for n in range(len(words), 0, -1):
            phrase = " ".join(words[:n])
            if phrase in full:
                out.add(full[phrase])
                break
            if n == 1 and len(first.get(phrase, ())) == 1:
                out |= first[phrase]
    return out


def excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def name_of(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    return session.execute(select(col(User.name)).where(col(User.id) == user_id)).scalar() or ""


# --- e-mail per kind: the account page's settings -------------------------------------------

def email_mutes(uow: UnitOfWork, actor: Actor) -> set[str]:
    """The kinds the actor gets in the app only (never e-mailed)."""
    if actor.user_id is None:
        return set()
    return set(uow.session.execute(select(col(EmailMute.kind))
                                   .where(col(EmailMute.user_id) == actor.user_id)).scalars())


def set_email_mutes(uow: UnitOfWork, actor: Actor, kinds: Any) -> set[str]:
    """Replace the kinds the actor does not want e-mailed; writes a ``user_updated`` event
    when they change; commits. Unknown kinds are refused (field ``kinds``)."""
    if (not isinstance(kinds, list | tuple | set)
            or any(not isinstance(k, str) or k not in NOTIFICATION_KINDS for k in kinds)):
        raise ValidationFailed({"kinds": Text("Нет такого вида уведомлений", "No such kind of notification")})
    if actor.user_id is None:
        return set()
    wanted, before = set(kinds), email_mutes(uow, actor)
    if wanted != before:
        uow.session.execute(delete(EmailMute).where(EmailMute.user_id == actor.user_id))  # type: ignore[arg-type]
        uow.session.add_all([EmailMute(user_id=actor.user_id, kind=k) for k in sorted(wanted)])
        record(uow.session, actor, EventKind.USER_UPDATED, None,
               {"user_id": actor.user_id, "email_muted": {"from": sorted(before), "to": sorted(wanted)}})
    uow.commit()
    return wanted


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread (the number on the bell)."""
    stmt = select(func.count()).select_from(Notification).where(
        col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
    return int(session.execute(stmt).scalar_one())


def list_for(uow: UnitOfWork, actor: Actor, limit: int = 50, offset: int = 0) -> list[Notification]:
    """The actor's own notifications, newest first (the system has none)."""
    if actor.user_id is None:
        return []
    limit = max(1, min(int(limit), 500))
    stmt = (select(Notification).where(col(Notification.user_id) == actor.user_id)
            .order_by(col(Notification.at).desc(), col(Notification.id).desc())
            .limit(limit).offset(max(0, int(offset))))
    return list(uow.session.execute(stmt).scalars())


def count_for(uow: UnitOfWork, actor: Actor) -> int:
    """How many notifications the actor has (read or not)."""
    if actor.user_id is None:
        return 0
    return int(uow.session.execute(select(func.count()).select_from(Notification).where(
        col(Notification.user_id) == actor.user_id)).scalar_one())


def notification_dict(n: Notification, locale: str = "ru") -> dict[str, Any]:
    """A notification as API.md describes it: ``{id, at, kind, project_id, text, read}``."""
    return {"id": n.id, "at": clock.iso(n.at), "kind": n.kind, "project_id": n.project_id,
            "text": n.text_en if locale == "en" else n.text_ru, "read": n.read_at is not None}


def mark_read_body(uow: UnitOfWork, actor: Actor, data: Any) -> int:
    """``mark_read`` for an API body ``{ids?}`` (engine.schemas.NotificationsReadIn)."""
    from engine.schemas import NotificationsReadIn, parse
    body: NotificationsReadIn = parse(NotificationsReadIn, data)
    return mark_read(uow, actor, body.ids)


def mark_read(uow: UnitOfWork, actor: Actor, ids: list[int] | None) -> int:
    """Mark the actor's notifications read: those in ``ids``, or all when None.

    Ids of other users' notifications are ignored (never touched, never revealed).
    Writes a ``notifications_read`` event when anything was marked; commits.
    Returns how many were marked.
    """
    if ids is not None and (not isinstance(ids, list)
                            or any(isinstance(i, bool) or not isinstance(i, int) for i in ids)):
        raise ValidationFailed({"ids": Text("Ожидается список номеров уведомлений",
                                            "A list of notification ids is expected")})
    if actor.user_id is None or ids == []:
        return 0
    stmt = (update(Notification)
            .where(col(Notification.user_id) == actor.user_id,
                   col(Notification.read_at).is_(None))
            .values(read_at=clock.now())
            .execution_options(synchronize_session=False))
    if ids is not None:
        stmt = stmt.where(col(Notification.id).in_(ids))
    marked = uow.session.exec(stmt).rowcount
    if marked:
        record(uow.session, actor, EventKind.NOTIFICATIONS_READ, None,
               {"count": marked, "all": ids is None, "ids": ids if ids is not None else None})
    uow.commit()
    return marked
